"""bot.rasa_server: the fixes installed into Rasa before its command line runs."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.config import get_settings
from bot.launcher import rasa_command
from bot.rasa_server import action_response_validator, install

GOOD: dict[str, Any] = {
    "events": [
        {"event": "slot", "timestamp": None, "name": "topic", "value": "baclofen"},
        {"event": "action", "timestamp": None, "name": "action_listen"},
    ],
    "responses": [{"text": "Baclofen is a muscle relaxant.", "buttons": [{"title": "More", "payload": "/more"}]}],
}


@pytest.fixture
def action() -> RemoteAction:
    install()
    return RemoteAction("action_answer", None)


def test_install_replaces_rasas_validation_once() -> None:
    install()
    first = RemoteAction._validate_action_result
    install()
    assert RemoteAction._validate_action_result is first
    assert first.__module__ == "bot.rasa_server"


def test_a_valid_response_passes(action: RemoteAction) -> None:
    assert action._validate_action_result(GOOD) is True


@pytest.mark.parametrize(
    "bad",
    [
        {"events": {"event": "slot"}},  # events not a list
        {"events": [{"event": "slot", "name": 3}]},  # a slot name that is not text
        {"events": [{"event": "no-such-event"}]},
        {"responses": ["just text"]},  # a response that is not an object
        ["not", "an", "object"],
    ],
)
def test_a_bad_response_fails_as_rasa_would(action: RemoteAction, bad: Any) -> None:
    from jsonschema import validate

    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(bad)
    with pytest.raises(ValidationError) as rasas:  # the library call Rasa itself makes
        validate(bad, RemoteAction.action_response_format_spec())
    assert ours.value.message.startswith(rasas.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_the_validator_is_compiled_once() -> None:
    assert action_response_validator() is action_response_validator()


def test_the_launcher_starts_rasa_through_the_fixes() -> None:
    settings = get_settings()
    for mode in ("run", "shell"):
        command = rasa_command(settings, settings.model_dir / "m.tar.gz", mode)
        assert command[1:4] == ["-m", "bot.rasa_server", mode]


def test_event_types_resolve_as_rasa_resolves_them() -> None:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    from bot.rasa_server import resolve_event_type

    install()
    assert Event.resolve_by_type is resolve_event_type  # installed
    for cls in all_subclasses(Event):
        expected = next(c for c in all_subclasses(Event) if c.type_name == cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is expected
    assert Event.resolve_by_type("topic") is None
    fallback = Event.resolve_by_type("no-such-event", default=Event)
    assert fallback is not None and fallback.__name__ == "Event"
    with pytest.raises(ValueError, match="Unknown event name 'no-such-event'"):
        Event.resolve_by_type("no-such-event")


def test_a_tracker_round_trips_through_the_table() -> None:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    install()
    events = [
        ActionExecuted("action_listen"),
        UserUttered("what is baclofen?", {"name": "ask_question", "confidence": 0.9}),
        SlotSet("topic", "baclofen"),
        BotUttered("Baclofen is a muscle relaxant."),
        ActionExecuted("action_listen"),
    ]
    tracker = DialogueStateTracker.from_events("x", events)
    again = DialogueStateTracker.from_dict("x", [e.as_dict() for e in tracker.events])
    assert list(again.events) == list(tracker.events)


def test_install_wraps_message_parsing_with_the_payload_check_once() -> None:
    from rasa.core.processor import MessageProcessor

    from bot import payloads

    install()
    install()
    assert MessageProcessor.parse_message is payloads.parse_message
    original = payloads._original_parse_message
    assert original is not None and original.__module__ == "rasa.core.processor", "Rasa's own, wrapped only once"
