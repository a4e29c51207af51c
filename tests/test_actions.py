"""Each custom action with the in-memory store: citations, context slots, and the disclaimer on every path."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.actions as module
import actions.sending as sending
from actions.actions import (
    ActionAnswerQuestion,
    ActionEmergency,
    ActionFallback,
    ActionOutOfScope,
    ActionRefuseDosing,
    ActionSessionStart,
    ServiceAction,
)
from bot import constants as c
from bot.content.library import ContentUnavailable
from bot.content.store import InMemoryContentStore
from bot.replies import (
    DISCLAIMER,
    EMERGENCY_NUMBERS,
    REPLY_KEY,
    SAFE_FALLBACK,
    Reply,
    ReplyData,
    ReplyKind,
    render,
    reply_text,
    topic_payload,
)
from bot.service import BotService
from bot.wording import SPANISH, render_words


def make_tracker(
    text: str,
    intent: str = c.INTENT_ASK_QUESTION,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    return Tracker("tester", slots or {}, latest, [], False, None, {}, "action_listen")


def run(action: Action, tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def test_answer_cites_its_sources_and_sets_the_topic(service: BotService) -> None:
    messages, events = run(ActionAnswerQuestion(service), make_tracker("what is lioresal?"))
    text = messages[0]["text"]
    assert text.startswith("Baclofen is a medicine")
    assert "[1]" in text
    source = "[1] Publisher NHS-BAC: Title NHS-BAC (reviewed November 2026). https://example.org/nhs-bac"
    assert f"Sources:\n{source}" in text
    assert text.endswith(DISCLAIMER)
    assert SlotSet(c.SLOT_TOPIC, "baclofen") in events
    assert SlotSet(c.SLOT_THERAPY, "baclofen") in events


def test_follow_up_uses_the_topic_under_discussion(service: BotService) -> None:
    slots = {c.SLOT_TOPIC: "botulinum-toxin", c.SLOT_THERAPY: "botulinum-toxin"}
    tracker = make_tracker("what are its side effects?", intent=c.INTENT_ASK_FOLLOWUP, slots=slots)
    messages, events = run(ActionAnswerQuestion(service), tracker)
    assert "Side effects of botulinum toxin" in messages[0]["text"]
    assert SlotSet(c.SLOT_TOPIC, "botulinum-toxin") in events
    # The same words about baclofen go to baclofen.
    slots = {c.SLOT_TOPIC: "baclofen", c.SLOT_THERAPY: "baclofen"}
    messages, _ = run(
        ActionAnswerQuestion(service), make_tracker("what are its side effects?", c.INTENT_ASK_FOLLOWUP, slots=slots)
    )
    assert "Common side effects of baclofen" in messages[0]["text"]


def test_naming_a_new_therapy_switches_topic(service: BotService) -> None:
    slots = {c.SLOT_TOPIC: "baclofen", c.SLOT_THERAPY: "baclofen"}
    entities = [{"entity": "THERAPY", "value": "baclofen-pump", "start": 15, "end": 23}]
    tracker = make_tracker("and how is the bac pump refilled", c.INTENT_ASK_FOLLOWUP, entities, slots)
    messages, events = run(ActionAnswerQuestion(service), tracker)
    assert "refilled" in messages[0]["text"]
    assert SlotSet(c.SLOT_TOPIC, "baclofen-pump") in events
    assert SlotSet(c.SLOT_THERAPY, "baclofen-pump") in events


def test_topic_button_answers_with_the_topic_overview(service: BotService) -> None:
    entities = [{"entity": c.ENTITY_TOPIC, "value": "botulinum-toxin"}]
    tracker = make_tracker('/ask_topic{"topic": "botulinum-toxin"}', c.INTENT_ASK_TOPIC, entities)
    messages, events = run(ActionAnswerQuestion(service), tracker)
    assert messages[0]["text"].startswith("Botulinum toxin is injected")
    assert SlotSet(c.SLOT_TOPIC, "botulinum-toxin") in events


def test_menu_without_a_topic_lists_the_main_topics(service: BotService) -> None:
    messages, _ = run(ActionAnswerQuestion(service), make_tracker("menu", c.INTENT_ASK_TOPIC))
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == ["What spasticity is", "Botulinum toxin", "The baclofen pump"]


def test_no_good_answer_says_so_and_offers_topics(service: BotService) -> None:
    messages, _ = run(ActionAnswerQuestion(service), make_tracker("how do I renew my passport"))
    assert "don't have a good answer" in messages[0]["text"]
    assert messages[0]["buttons"], "topics are offered as buttons"
    assert all(b["payload"].startswith("/ask_topic{") for b in messages[0]["buttons"])
    assert "Sources:" not in messages[0]["text"]


def test_fallback_still_answers_when_the_library_has_an_answer(service: BotService) -> None:
    messages, _ = run(ActionFallback(service), make_tracker("botox shots how do they work", c.INTENT_NLU_FALLBACK))
    assert "Botulinum toxin is injected" in messages[0]["text"]


def test_emergency_puts_the_numbers_first_then_the_safety_passage(service: BotService) -> None:
    messages, _ = run(ActionEmergency(service), make_tracker("the pump is making a two tone alarm", c.INTENT_EMERGENCY))
    text = messages[0]["text"]
    assert text.startswith(EMERGENCY_NUMBERS)
    assert "two-tone alarm" in text and "Sources:" in text


def test_emergency_without_a_matching_passage_still_gives_numbers_and_crisis_lines(service: BotService) -> None:
    messages, _ = run(ActionEmergency(service), make_tracker("I don't want to be here anymore", c.INTENT_EMERGENCY))
    text = messages[0]["text"]
    assert text.startswith(EMERGENCY_NUMBERS)
    assert "988" in text and "116 123" in text


def test_dosing_is_refused_with_a_referral_and_no_amount(service: BotService) -> None:
    messages, _ = run(ActionRefuseDosing(service), make_tracker("how much baclofen should I take", c.INTENT_ASK_DOSING))
    text = messages[0]["text"]
    assert "prescriber or pharmacist" in text
    assert not any(unit in text.lower() for unit in (" mg", "milligram", " units"))


def test_session_start_introduces_an_automated_assistant(service: BotService) -> None:
    messages, events = run(ActionSessionStart(service), make_tracker(""))
    assert "automated assistant" in messages[0]["text"]
    assert [b["title"] for b in messages[0]["buttons"]] == [
        "What spasticity is",
        "Botulinum toxin",
        "The baclofen pump",
        "Español",  # the other language, one press away
    ]
    assert isinstance(events[0], dict) and events[0] == SessionStarted()
    assert events[-1] == ActionExecuted("action_listen")


class _DeadStore(InMemoryContentStore):
    def snapshot(self, include_drafts: bool = False) -> Any:
        raise ConnectionError("database is down")


def _all_paths(service: BotService) -> list[tuple[Action, Tracker]]:
    return [
        (ActionAnswerQuestion(service), make_tracker("what is baclofen")),
        (ActionAnswerQuestion(service), make_tracker("how do I renew my passport")),
        (
            ActionAnswerQuestion(service),
            make_tracker("does it hurt", c.INTENT_ASK_FOLLOWUP, slots={c.SLOT_TOPIC: "botulinum-toxin"}),
        ),
        (ActionAnswerQuestion(service), make_tracker("menu", c.INTENT_ASK_TOPIC)),
        (ActionFallback(service), make_tracker("asdfgh", c.INTENT_NLU_FALLBACK)),
        (ActionEmergency(service), make_tracker("pump alarm two tone", c.INTENT_EMERGENCY)),
        (ActionRefuseDosing(service), make_tracker("can I double my dose", c.INTENT_ASK_DOSING)),
        (ActionOutOfScope(service), make_tracker("weather?", c.INTENT_OUT_OF_SCOPE)),
        (ActionSessionStart(service), make_tracker("")),
    ]


@pytest.mark.parametrize("index", range(9))
def test_every_answering_path_carries_the_disclaimer(service: BotService, index: int) -> None:
    action, tracker = _all_paths(service)[index]
    messages, _ = run(action, tracker)
    assert messages and all(m["text"].rstrip().endswith(DISCLAIMER) for m in messages)


@pytest.mark.parametrize("index", range(9))
def test_every_path_sends_its_reply_as_data_and_the_text_rendered_from_it(service: BotService, index: int) -> None:
    action, tracker = _all_paths(service)[index]
    messages, _ = run(action, tracker)
    for message in messages:
        data = ReplyData.from_json(message[REPLY_KEY])
        assert data.disclaimer == DISCLAIMER and reply_text(data) == message["text"]
        assert [{"title": b.title, "payload": b.payload} for b in data.buttons] == (message.get("buttons") or [])
        assert "custom" not in message or not message["custom"]  # patients' replies carry no custom JSON


@pytest.mark.parametrize("index", range(9))
def test_a_reply_without_its_disclaimer_is_never_sent_the_safe_fallback_is(
    service: BotService, index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for where in (module, sending):
        monkeypatch.setattr(where, "render_words", lambda lang: {"disclaimer": "", "sources_heading": "Sources:"})
    action, tracker = _all_paths(service)[index]
    messages, _ = run(action, tracker)
    assert [m["text"] for m in messages] == [reply_text(SAFE_FALLBACK)]
    assert messages[0][REPLY_KEY] == SAFE_FALLBACK.as_json()


def test_a_spanish_reply_travels_with_the_spanish_disclaimer_and_sources_heading(service: BotService) -> None:
    dispatcher = CollectingDispatcher()
    reply = service.answer_question("what is lioresal?").reply
    sending.send(dispatcher, reply, words=render_words("es"))
    (message,) = dispatcher.messages
    data = ReplyData.from_json(message[REPLY_KEY])
    assert (data.disclaimer, data.sources_heading) == (SPANISH["disclaimer"], "Fuentes:")
    assert message["text"] == render(reply, **render_words("es")).text and "\nFuentes:\n[1] " in message["text"]
    assert message["text"].endswith(SPANISH["disclaimer"])
    sending.send(dispatcher, Reply(ReplyKind.MENU, "Hi"), words={**render_words("es"), "disclaimer": ""})
    assert dispatcher.messages[-1]["text"] == reply_text(SAFE_FALLBACK)


@pytest.mark.parametrize("index", range(9))
def test_a_dead_database_gets_a_clear_message_with_the_disclaimer(service: BotService, index: int) -> None:
    dead = BotService(_DeadStore(), lambda: service.library.analyser, list(service.terms.values()), threshold=0.3)
    action, tracker = _all_paths(dead)[index]
    messages, _ = run(action, tracker)
    assert "can't reach my library" in messages[0]["text"]
    assert messages[0]["text"].endswith(DISCLAIMER)


def test_the_service_recovers_when_the_database_comes_back(service: BotService) -> None:
    store = _DeadStore(service.library.store.snapshot(include_drafts=True))
    recovering = BotService(store, lambda: service.library.analyser, list(service.terms.values()), threshold=0.3)
    with pytest.raises(ContentUnavailable):
        recovering.answer_question("what is baclofen")
    store.snapshot = lambda include_drafts=False: InMemoryContentStore.snapshot(store, include_drafts)  # type: ignore[method-assign]
    assert recovering.answer_question("what is baclofen").reply.citations


def test_the_index_is_built_once_per_process(service: BotService, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = service.library._index_factory

    def counting_build(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(service.library, "_index_factory", counting_build)
    service.library.reload()  # one build now; none for the questions below
    for question in ("what is baclofen", "does botox hurt", "pump refills"):
        service.answer_question(question)
    assert len(calls) == 1


def test_long_messages_are_bounded_and_the_person_is_told(service: BotService) -> None:
    turn = service.answer_question("what is baclofen " + "and more words " * 500)
    assert "read only the first part" in turn.reply.text


def test_every_action_sends_through_the_rendering_function() -> None:
    # No action may call utter_message itself: `send` is the only sender of replies, and it renders the
    # disclaimer; `send_greeting` sends only the domain's greeting (a start on an unknown topic).
    package = Path(module.__file__ or "").parent
    calls = {path.name: path.read_text(encoding="utf-8").count("utter_message(") for path in package.glob("*.py")}
    assert {name: n for name, n in calls.items() if n} == {"sending.py": 2}
    assert "utter_message(" in inspect.getsource(sending.send)
    assert "utter_message(response=UTTER_GREET)" in inspect.getsource(sending.send_greeting)
    concrete = [cls for _, cls in inspect.getmembers(module, inspect.isclass) if issubclass(cls, ServiceAction)]
    # Every action that sends is a ServiceAction; the language action only sets slots and sends nothing.
    senders = set(c.CUSTOM_ACTIONS) - {c.ACTION_DETECT_LANGUAGE}
    assert {cls().name() for cls in concrete if not inspect.isabstract(cls)} == senders
    assert "dispatcher." not in inspect.getsource(module.ActionDetectLanguage.run)


def test_actions_do_no_io_when_instantiated() -> None:
    # rasa-sdk instantiates every action at start-up; creating them must not open the database or spaCy.
    for cls in (ActionAnswerQuestion, ActionEmergency, ActionRefuseDosing, ActionOutOfScope, ActionFallback):
        assert cls()._service is None


def test_out_of_scope_that_names_our_therapy_is_answered_after_all(service: BotService) -> None:
    """A patient's long story misread as out of scope still gets the library's answer when it names our terms."""
    entities = [{"entity": "THERAPY", "value": "baclofen", "start": 0, "end": 8}]
    tracker = make_tracker("lioresal, what is it for, my neighbour's aunt asked", c.INTENT_OUT_OF_SCOPE, entities)
    messages, events = run(ActionOutOfScope(service), tracker)
    assert messages[0]["text"].startswith("Baclofen is a medicine") and "[1]" in messages[0]["text"]
    assert SlotSet(c.SLOT_TOPIC, "baclofen") in events


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("what's the weather like", []),  # names nothing of ours
        ("who won the football", []),
    ],
)
def test_out_of_scope_gets_the_scope_statement_when_the_library_has_nothing(
    service: BotService, text: str, entities: list[dict[str, Any]]
) -> None:
    messages, events = run(ActionOutOfScope(service), make_tracker(text, c.INTENT_OUT_OF_SCOPE, entities))
    assert messages[0]["text"].startswith("I can only help with spasticity")
    assert not [e for e in events if e.get("event") == "slot"]


def test_a_long_story_read_as_out_of_scope_is_answered_when_a_passage_fits_it_clearly(service: BotService) -> None:
    story = "my mum takes lioresal every day since her stroke and we wonder what it actually does for her muscles"
    messages, _ = run(ActionOutOfScope(service), make_tracker(story, c.INTENT_OUT_OF_SCOPE))
    assert messages[0]["text"].startswith("Baclofen is a medicine")
    short = "lioresal?"  # short and naming nothing the entity ruler saw: the scope statement
    messages, _ = run(ActionOutOfScope(service), make_tracker(short, c.INTENT_OUT_OF_SCOPE))
    assert messages[0]["text"].startswith("I can only help with spasticity")


@pytest.mark.parametrize(
    ("text", "overview"),
    [
        ("so what are my options?", True),
        ("what treatments are there", True),
        ("where do i even start", True),
        ("what can be done for spasticity", True),
        ("how is spasticity treated", True),
        ("what are the side effects of baclofen", False),
        ("what options are there for the pump refill", False),
        ("can i do anything about that myself", False),
        (
            "my 2yo just got diagnosed with CP. who should be looking after her tight legs, where do we even start",
            False,
        ),
        ("my dad had a spinal cord injury, his spasms are really bad, what are the options", True),
        ("what can actually be done for spasticity", True),
        ("what other options are there", True),
        ("what can i do about that myself", False),
    ],
)
def test_overview_questions_are_recognised(text: str, overview: bool) -> None:
    from bot.overview import is_overview_question

    named_therapy = "baclofen" in text or "pump" in text
    assert (is_overview_question(text) and not named_therapy) is overview


def test_an_overview_question_gets_the_step_by_step_passage_and_the_main_choices_as_buttons(
    real_service: BotService,
) -> None:
    from bot.overview import OVERVIEW_PASSAGE, OVERVIEW_TOPICS

    real = real_service
    turn = real.answer_question("so what are my options?")
    assert turn.reply.kind == ReplyKind.ANSWER and turn.reply.passage_ids == (OVERVIEW_PASSAGE,)
    offered = [b.payload for b in turn.reply.buttons]
    assert [p for p in offered if "topic" in p] == [topic_payload(t) for t in OVERVIEW_TOPICS]
    assert render(turn.reply).text.endswith(DISCLAIMER)
    assert real.answer_question("what are the side effects of baclofen").reply.passage_ids != (OVERVIEW_PASSAGE,)


def test_a_lay_word_with_a_topic_is_rescued_from_out_of_scope(real_service: BotService) -> None:
    """NLU may read "what is a symptom diary" as out of scope; the library has a passage on it (no entity)."""
    messages, events = run(
        ActionOutOfScope(real_service), make_tracker("what is a symptom diary", c.INTENT_OUT_OF_SCOPE)
    )
    assert "simple record" in messages[0]["text"]
    assert any(e.get("name") == c.SLOT_TOPIC and e.get("value") == "assessment" for e in events)
    messages, _ = run(ActionOutOfScope(real_service), make_tracker("who won the football", c.INTENT_OUT_OF_SCOPE))
    assert messages[0]["text"].startswith("I can only help with spasticity")
