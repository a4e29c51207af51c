"""Fixed wording in English and Spanish: one table per language, the same keys, nothing left in English."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswerQuestion, ActionEmergency, ActionOutOfScope, ActionRefuseDosing
from actions.sending import in_language
from bot import constants as c
from bot.emergency_numbers import DEFAULT
from bot.language import CHANNEL, DETECTED, EXPLICIT, LanguageState
from bot.localise import FIXED_KINDS, localise
from bot.replies import Reply, render, structure
from bot.safety.dosing import states_dose
from bot.service import BotService
from bot.wording import ENGLISH, SPANISH, TABLES, render_words

SPANISH_CHANNEL = LanguageState("es", CHANNEL)


def test_both_tables_have_the_same_keys_and_no_empty_spanish_text() -> None:
    assert set(ENGLISH) == set(SPANISH)
    assert all(SPANISH[k].strip() for k in SPANISH)
    assert set(TABLES) == {"en", "es"}


def test_no_fixed_text_states_a_dose() -> None:
    for table in TABLES.values():
        assert not [k for k, v in table.items() if states_dose(v)]


def test_the_spanish_crisis_and_emergency_texts_name_each_countrys_numbers() -> None:
    crisis = SPANISH["crisis_lines"]
    assert "988" in crisis and "marque 2" in crisis and "AYUDA" in crisis  # US, in Spanish
    assert "024" in crisis  # Spain
    assert "800 911 2000" in crisis  # Mexico, Línea de la Vida
    numbers = SPANISH["emergency_numbers"]
    assert "911" in numbers and "112" in numbers and "México" in numbers and "España" in numbers


@pytest.fixture(scope="module")
def library(real_service: BotService) -> BotService:
    return real_service


def _fixed_replies(library: BotService) -> list[Reply]:
    from bot.context import Context, Turn

    replies = [
        library.introduction(),
        library.topics_menu(),
        library.unavailable(),
        library.out_of_scope(),
        library.feedback_thanks(True),
        library.feedback_thanks(False),
    ]
    turns: list[Turn] = [
        library.answer_question("what is the capital of peru"),
        library.clarify("hmm blorp", Context()),
        library.clarify("hmm blorp", Context(), attempts=1),
    ]
    return replies + [t.reply for t in turns]


def test_every_fixed_reply_is_wholly_spanish(library: BotService) -> None:
    for reply in _fixed_replies(library):
        assert reply.kind in FIXED_KINDS
        spanish = localise(reply, "es")
        leftovers = [k for k, v in ENGLISH.items() if len(v) > 12 and v in spanish.text]
        assert not leftovers, (reply.kind, leftovers)
        assert spanish.text != reply.text


def test_an_answer_is_announced_as_english_and_rendered_with_the_spanish_disclaimer(library: BotService) -> None:
    reply = library.answer_question("what is baclofen").reply
    spanish = localise(reply, "es")
    assert spanish.text.startswith(SPANISH["english_only"])
    rendered = render(spanish, **render_words("es")).text
    assert rendered.endswith(SPANISH["disclaimer"]) and "\nFuentes:\n[1]" in rendered
    assert "Me sirvió" in [b.title for b in spanish.buttons]
    data = structure(spanish, **render_words("es"))  # what the channels render: the Spanish words travel with it
    assert (data.disclaimer, data.sources_heading) == (SPANISH["disclaimer"], "Fuentes:")


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("my sons pump is making a two tone alarm", "pump-alarm"),
        ("i want to end my life", "suicide-self-harm"),
        ("my mum took a whole pack of baclofen", "overdose"),
    ],
)
def test_an_emergency_in_spanish_has_the_numbers_and_what_to_do_now_in_spanish(
    library: BotService, text: str, flag: str
) -> None:
    from bot.safety import RedFlag

    reply = library.emergency(text, RedFlag(flag))
    entry = library.safety_replies.protocol()[flag]
    spanish, words = in_language(library, reply, SPANISH_CHANNEL, text)
    assert spanish.text.startswith(SPANISH["emergency_numbers"])
    for english, step in zip(entry.immediate, entry.immediate_es, strict=True):
        english, step = DEFAULT.fill(english, "en"), DEFAULT.fill(step, "es")  # as the reply gives them
        assert english not in spanish.text and step in spanish.text
    if flag == "suicide-self-harm":
        assert SPANISH["crisis_lines"] in spanish.text
    assert words["disclaimer"] == SPANISH["disclaimer"]
    assert not states_dose(spanish.text)


def test_an_emergency_in_a_guessed_language_is_bilingual_numbers_first(library: BotService) -> None:
    from bot.safety import RedFlag

    text = "mi hijo tiene la bomba y suena una alarma de dos tonos"
    reply = library.emergency(text, RedFlag.PUMP_ALARM)
    both, words = in_language(library, reply, LanguageState("en", DETECTED), text)
    assert both.text.startswith(SPANISH["emergency_numbers"])
    assert ENGLISH["emergency_numbers"] in both.text, "the whole English reply follows"
    assert SPANISH["disclaimer"] in words["disclaimer"] and ENGLISH["disclaimer"] in words["disclaimer"]
    # a certain English conversation gets English only
    english, _ = in_language(library, reply, LanguageState("en", EXPLICIT), "my pump is alarming two tone")
    assert SPANISH["emergency_numbers"] not in english.text


def _tracker(text: str, intent: str, slots: dict[str, Any], safety: dict[str, Any] | None = None) -> Tracker:
    latest: dict[str, Any] = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    if safety:
        latest["safety"] = safety
    events = [{"event": "user", "text": text, "metadata": {}}]
    return Tracker("tester", slots, latest, events, False, None, {}, "action_listen")


SPANISH_SLOTS = {c.SLOT_LANGUAGE: "es", c.SLOT_LANGUAGE_SOURCE: CHANNEL}


@pytest.mark.parametrize(
    ("action", "text", "intent", "safety", "start"),
    [
        (ActionEmergency, "ya no quiero vivir", c.INTENT_EMERGENCY, {"red_flag": "suicide-self-harm"}, "emergency"),
        (ActionRefuseDosing, "puedo tomar el doble de baclofeno", c.INTENT_ASK_DOSING, {"dosing": "change"}, "dosing"),
        (ActionOutOfScope, "cual es la capital de peru", c.INTENT_OUT_OF_SCOPE, None, "scope"),
    ],
)
def test_the_actions_answer_a_spanish_conversation_in_spanish(
    library: BotService, action: Any, text: str, intent: str, safety: dict[str, Any] | None, start: str
) -> None:
    dispatcher = CollectingDispatcher()
    action(library).run(dispatcher, _tracker(text, intent, SPANISH_SLOTS, safety), {})
    sent = dispatcher.messages[0]["text"]
    expected = {"emergency": "emergency_numbers", "dosing": "dosing_refusal", "scope": "out_of_scope"}[start]
    assert sent.startswith(SPANISH[expected]) and sent.endswith(SPANISH["disclaimer"])


def test_choosing_a_language_is_confirmed_in_it(library: BotService) -> None:
    dispatcher = CollectingDispatcher()
    slots = {c.SLOT_LANGUAGE: "es", c.SLOT_LANGUAGE_SOURCE: EXPLICIT}
    ActionOutOfScope(library).run(dispatcher, _tracker("español", c.INTENT_OUT_OF_SCOPE, slots), {})
    assert dispatcher.messages[0]["text"].startswith(SPANISH["language_chosen"])
    assert dispatcher.messages[0]["buttons"], "the topics to go on with"


def test_the_introduction_offers_the_other_language(library: BotService) -> None:
    english, _ = in_language(library, library.introduction(), LanguageState())
    assert ("Español", "español") in [(b.title, b.payload) for b in english.buttons]
    spanish, _ = in_language(library, library.introduction(), SPANISH_CHANNEL)
    assert ("English", "english") in [(b.title, b.payload) for b in spanish.buttons]
    assert spanish.text == SPANISH["introduction"]


def test_an_answer_in_spanish_comes_from_the_answering_action(library: BotService) -> None:
    dispatcher = CollectingDispatcher()
    ActionAnswerQuestion(library).run(
        dispatcher, _tracker("what is baclofen", c.INTENT_ASK_QUESTION, SPANISH_SLOTS), {}
    )
    assert dispatcher.messages[0]["text"].startswith(SPANISH["english_only"])


def test_the_domains_responses_say_what_the_wording_tables_say() -> None:
    """domain.yml's `utter_*` replies (Rasa reads them there) are copies of bot/wording.py's, in both languages."""
    import yaml

    from bot.config import PROJECT_ROOT

    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    for name, variants in responses.items():
        by_language: dict[str, str] = {}
        for variant in variants:
            conditions = variant.get("condition") or []
            lang = next((str(k["value"]) for k in conditions if k.get("name") == c.SLOT_LANGUAGE), "en")
            by_language[lang] = variant["text"]
        assert by_language == {lang: table[name] for lang, table in TABLES.items()}, name
    assert {k for k in ENGLISH if k.startswith("utter_")} == set(responses)


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("kind", ["widget", "telegram"])
def test_the_privacy_notice_promises_what_the_purge_does_and_links_the_operators_page(kind: str, lang: str) -> None:
    from bot.wording import privacy_notice

    table = TABLES[lang]  # type: ignore[index]
    kept = privacy_notice(kind, lang, 30)  # type: ignore[arg-type]
    assert table["privacy_kept_days"].format(days=30) in kept and "30" in kept and "{" not in kept
    forever = privacy_notice(kind, lang, 0)  # type: ignore[arg-type]
    assert table["privacy_kept_until_deleted"] in forever and "30" not in forever
    linked = privacy_notice(kind, lang, 30, "https://example.org/privacy")  # type: ignore[arg-type]
    assert linked == f"{kept}\n{table['privacy_more'].format(url='https://example.org/privacy')}"
    assert ("/forget" in kept) is (kind == "telegram")
