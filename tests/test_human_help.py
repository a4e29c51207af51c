"""A person to talk to (#16 point 4): "can I talk to someone?" and the give-up reply, with HUMAN_HELP_* or without."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAskHuman, ActionFallback
from actions.sending import in_language
from bot import constants as c
from bot import wording
from bot.config import get_settings
from bot.context import Context
from bot.emergency_numbers import HumanHelp
from bot.language import CHANNEL, Lang, LanguageState
from bot.replies import REPLY_KEY, ReplyData, ReplyKind, render
from bot.safety_replies import human_help
from bot.service import BotService
from bot.wording import ENGLISH, SPANISH

URL = "https://www.mssociety.org.uk/contact-us"
PHONE = "0808 800 8000"
NAME = "the MS Society helpline"


@pytest.fixture
def human(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The settings with the person to talk to that the test names (url, phone, name), as a deployment sets them."""
    values: dict[str, str] = getattr(request, "param", {"url": URL, "phone": PHONE, "name": NAME})
    for key in ("url", "phone", "name"):
        if key in values:
            monkeypatch.setenv(f"HUMAN_HELP_{key.upper()}", values[key])
        else:
            monkeypatch.delenv(f"HUMAN_HELP_{key.upper()}", raising=False)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


def spoken(service: BotService, reply: Any, lang: Lang) -> tuple[str, ReplyData]:
    localised, words = in_language(service, reply, LanguageState(lang, CHANNEL))
    message = render(localised, **words)
    assert message.data is not None
    return message.text, message.data


@pytest.mark.parametrize(
    ("help_", "english", "spanish"),
    [
        (
            HumanHelp(URL, PHONE, NAME),
            f"To talk to a person, contact {NAME}: {URL} or call {PHONE}.",
            f"Para hablar con una persona, contacte con {NAME}: {URL} o llame al {PHONE}.",
        ),
        (HumanHelp(URL), f"To talk to a person: {URL}.", f"Para hablar con una persona: {URL}."),
        (
            HumanHelp(phone=PHONE, name=NAME),
            f"To talk to a person, contact {NAME}: call {PHONE}.",
            f"Para hablar con una persona, contacte con {NAME}: llame al {PHONE}.",
        ),
    ],
)
def test_the_line_says_how_to_reach_the_person_in_each_language(help_: HumanHelp, english: str, spanish: str) -> None:
    assert (help_.line("en"), help_.line("es")) == (english, spanish)


def test_unset_the_bot_says_it_cannot_connect_them_and_points_to_their_care_team(real_service: BotService) -> None:
    reply = human_help()
    assert reply.kind == ReplyKind.HUMAN_HELP
    assert reply.text == f"{wording.ASK_HUMAN_UNSET}\n{wording.EMERGENCY_SHORT} {wording.CRISIS_LINES}"
    assert "care team" in reply.text
    give_up = real_service.clarify("hmm blorp", Context(), attempts=1).reply
    assert give_up.text == wording.GIVE_UP, "unset, the give-up reply is what it was"
    text, _data = spoken(real_service, reply, "es")
    assert text.startswith(SPANISH["ask_human_unset"]) and SPANISH["crisis_lines"] in text


@pytest.mark.usefixtures("human")
@pytest.mark.parametrize("lang", ["en", "es"])
def test_configured_the_reply_and_the_give_up_name_the_person_in_the_conversations_language(
    real_service: BotService, lang: Lang
) -> None:
    line = HumanHelp(URL, PHONE, NAME).line(lang)
    for reply in (human_help(), real_service.clarify("hmm blorp", Context(), attempts=1).reply):
        text, data = spoken(real_service, reply, lang)
        assert line in text, text
        if lang == "es":  # nothing of the English wording is left
            assert not [k for k, v in ENGLISH.items() if len(v) > 12 and v in text and v != SPANISH[k]], text
        (phone,) = [p for p in data.phones if p.number == PHONE]  # beside the emergency numbers, if it gives them
        assert phone.tel == "tel:08088008000"
        assert phone.call == ("Llamar al" if lang == "es" else "Call") + f" {PHONE} ({NAME})"
    assert real_service.clarify("hmm blorp", Context(), attempts=1).reply.text.startswith(wording.GIVE_UP)


def _tracker(text: str, intent: str, slots: dict[str, Any] | None = None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    events = [{"event": "user", "text": text, "metadata": {}}]
    return Tracker("tester", slots or {}, latest, events, False, None, {}, "action_listen")


@pytest.mark.usefixtures("human")
def test_the_actions_send_it_with_its_data(real_service: BotService) -> None:
    dispatcher = CollectingDispatcher()
    tracker = _tracker("can I talk to someone?", c.INTENT_ASK_HUMAN)
    assert ActionAskHuman(real_service).run(dispatcher, tracker, {}) == []
    (message,) = dispatcher.messages
    assert f"{URL} or call {PHONE}" in message["text"] and message["text"].endswith(wording.DISCLAIMER)
    assert ReplyData.from_json(message[REPLY_KEY]).kind == ReplyKind.HUMAN_HELP.value
    # The second unsure message in a row gives up, offering the person too.
    dispatcher = CollectingDispatcher()
    slots = {c.SLOT_FALLBACKS: 1.0}
    ActionFallback(real_service).run(dispatcher, _tracker("qwerty uiop", c.INTENT_NLU_FALLBACK, slots), {})
    assert dispatcher.messages[0]["text"].startswith(f"{wording.GIVE_UP} To talk to a person, contact {NAME}")


@pytest.mark.parametrize("human", [{"phone": PHONE}], indirect=True)
def test_a_phone_alone_is_labelled_as_a_person_to_talk_to(real_service: BotService, human: dict[str, str]) -> None:
    _text, data = spoken(real_service, human_help(), "en")
    (phone,) = [p for p in data.phones if p.number == PHONE]
    assert (phone.label, phone.call) == ("to talk to a person", f"Call {PHONE} (to talk to a person)")
