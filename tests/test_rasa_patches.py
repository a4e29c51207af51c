"""bot.rasa_patches: the version guard, and one contract per patch against Rasa's original behaviour.

Each contract runs Rasa's own code on the input the patch exists for and shows that it still misbehaves there
(so the patch is still needed), and that the patched code does what Rasa does everywhere else. The last test
pins the source of every Rasa function a patch replaces or relies on: a Rasa release that changes one fails
here, by name, before anyone relies on the patch being right.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import inspect
import re
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import SQLTrackerStore
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.common import all_subclasses

from bot import rasa_patches
from bot.channels.widget_session import SessionIds
from bot.channels.widget_socket import SocketIOInput
from bot.config import PROJECT_ROOT, get_settings
from bot.launcher import rasa_command
from bot.nlp.length_guard import MessageLengthGuard
from bot.rasa_patches import action_validation, event_lookup, message_cut, payload_check
from bot.rasa_patches.lock_store import AtomicRedisLockStore
from bot.rasa_patches.socketio import replace_handler
from bot.rasa_patches.tracker_store import PrePingSQLTrackerStore
from bot.rasa_server import main as rasa_server_main
from bot.wording import WIDGET_UNREADABLE as UNREADABLE

# -- the version guard ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.6.0", "3.6.21", "3.6.99rc1"])
def test_guard_accepts_rasa_3_6(version: str) -> None:
    rasa_patches.check_rasa_version(version)


def test_guard_accepts_the_installed_rasa() -> None:
    rasa_patches.check_rasa_version()


@pytest.mark.parametrize("version", ["3.7.0", "3.5.9", "4.0.0", "3.60.1", "3"])
def test_guard_refuses_any_other_rasa_with_what_to_do(version: str) -> None:
    with pytest.raises(rasa_patches.UnsupportedRasaVersion) as refused:
        rasa_patches.check_rasa_version(version)
    message = str(refused.value)
    assert f"Rasa {version} is installed" in message
    assert "3.6.x" in message and "make install" in message and "tests/test_rasa_patches.py" in message


def test_the_rasa_server_refuses_to_start_on_another_rasa(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import rasa

    def must_not_run() -> None:
        raise AssertionError("a patch was installed on the wrong Rasa")

    monkeypatch.setattr(rasa, "__version__", "3.7.2")
    monkeypatch.setattr(action_validation, "install", must_not_run)
    with pytest.raises(SystemExit) as stopped:
        rasa_server_main(["run"])
    assert stopped.value.code == 2
    assert "Rasa 3.7.2 is installed" in capsys.readouterr().err


def test_install_installs_every_run_time_patch_once() -> None:
    rasa_patches.install()
    rasa_patches.install()
    assert RemoteAction._validate_action_result is action_validation.validate_action_result
    assert Event.resolve_by_type is event_lookup.resolve_event_type
    assert MessageProcessor.parse_message is payload_check.parse_message
    assert MessageProcessor._handle_message_with_tracker is message_cut._handle_message_with_tracker
    for module in (action_validation, event_lookup, payload_check, message_cut):
        assert module.rasa_original().__module__.startswith("rasa."), f"{module.__name__} wrapped only Rasa's own"


def test_the_launcher_starts_rasa_through_the_patches() -> None:
    settings = get_settings()
    for mode in ("run", "shell"):
        command = rasa_command(settings, settings.model_dir / "m.tar.gz", mode)
        assert command[1:4] == ["-m", "bot.rasa_server", mode]


def test_kubernetes_starts_rasa_through_the_patches() -> None:
    manifest = (PROJECT_ROOT / "deploy" / "k8s" / "rasa.yaml").read_text(encoding="utf-8")
    assert "bot.rasa_server" in manifest


# -- action_validation ---------------------------------------------------------------------------------------

GOOD: dict[str, Any] = {
    "events": [
        {"event": "slot", "timestamp": None, "name": "topic", "value": "baclofen"},
        {"event": "action", "timestamp": None, "name": "action_listen"},
    ],
    "responses": [{"text": "Baclofen is a muscle relaxant.", "buttons": [{"title": "More", "payload": "/more"}]}],
}
BAD = [
    {"events": {"event": "slot"}},  # events not a list
    {"events": [{"event": "slot", "name": 3}]},  # a slot name that is not text
    {"events": [{"event": "no-such-event"}]},
    {"responses": ["just text"]},  # a response that is not an object
    ["not", "an", "object"],
]


@pytest.fixture
def remote_action() -> RemoteAction:
    return RemoteAction("action_answer", None)


def test_action_validation_accepts_what_rasa_accepts(remote_action: RemoteAction) -> None:
    assert action_validation.rasa_original()(remote_action, GOOD) is True
    assert action_validation.validate_action_result(remote_action, GOOD) is True


@pytest.mark.parametrize("bad", BAD)
def test_action_validation_refuses_with_rasas_error(remote_action: RemoteAction, bad: Any) -> None:
    with pytest.raises(ValidationError) as rasas:
        action_validation.rasa_original()(remote_action, bad)
    with pytest.raises(ValidationError) as ours:
        action_validation.validate_action_result(remote_action, bad)
    assert ours.value.message == rasas.value.message
    assert "Failed to validate Action server response" in ours.value.message


# Events of every type Rasa's schema names, as the action server sends them, and events that break it.
EVENT_TYPES = [
    "user", "action", "slot", "entities", "user_featurization", "cancel_reminder", "reminder",
    "action_execution_rejected", "form_validation", "loop_interrupted", "form", "active_loop", "reset_slots",
    "resume", "pause", "followup", "export", "restart", "undo", "rewind", "bot", "session_started", "agent",
]  # fmt: skip
VALID_EVENTS: list[dict[str, Any]] = [
    {"event": "slot", "timestamp": None, "name": "therapy", "value": {"id": "baclofen", "terms": ["a", "b"]}},
    {"event": "slot", "name": "topic", "value": None, "metadata": {"source": "action"}},
    {"event": "bot", "text": "Baclofen is a muscle relaxant.", "data": {"custom": {"kind": "answer"}}},
    {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0, "hide_rule_turn": False},
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 0.9}, "entities": []}},
    {"event": "entities", "entities": [{"entity": "THERAPY", "value": "baclofen", "start": 0, "end": 8}]},
    {"event": "followup", "name": "action_answer_question"},
    {"event": "active_loop", "name": None},
    *({"event": kind, "timestamp": 1.5} for kind in EVENT_TYPES if kind not in ("slot", "entities")),
]
INVALID_EVENTS: list[Any] = [
    {"event": "slot", "value": 1},  # no name
    {"event": "slot", "name": ["topic"], "value": 1},
    {"event": "entities"},  # no entities
    {"event": "entities", "entities": [{"value": "x"}]},  # an entity without its type
    {"event": "action", "name": 3},
    {"event": "action", "hide_rule_turn": "no"},
    {"event": "user", "text": 5},
    {"event": "user", "parse_data": {"intent": {"name": 1}}},
    {"event": "user", "parse_data": "hi"},
    {"event": "bot", "timestamp": "yesterday"},
    {"event": "bot", "metadata": []},
    {"event": "no-such-event"},
    {"event": None},
    {"event": 7},
    {"event": ["slot"]},
    {"name": "topic", "value": 1},  # no type at all
    "slot",
    None,
]


@pytest.mark.parametrize("event", VALID_EVENTS, ids=repr)
def test_action_validation_quick_path_accepts_what_rasa_accepts(remote_action: RemoteAction, event: Any) -> None:
    response = {"events": [event], "responses": [{"text": "ok"}]}
    assert action_validation.rasa_original()(remote_action, response) is True
    assert action_validation.passes_quick_check(response), "a valid event went to the slow path"
    assert action_validation.validate_action_result(remote_action, response) is True


@pytest.mark.parametrize("event", INVALID_EVENTS, ids=repr)
def test_action_validation_quick_path_never_passes_what_rasa_refuses(remote_action: RemoteAction, event: Any) -> None:
    response = {"events": [{"event": "slot", "name": "topic", "value": "x"}, event]}
    with pytest.raises(ValidationError) as rasas:
        action_validation.rasa_original()(remote_action, response)
    assert not action_validation.passes_quick_check(response)
    with pytest.raises(ValidationError) as ours:
        action_validation.validate_action_result(remote_action, response)
    assert ours.value.message == rasas.value.message


@pytest.mark.parametrize(
    "response",
    [{}, {"events": []}, {"responses": []}, {"events": None}, {"events": [], "responses": [{"custom": {}}]}, [], "x"],
    ids=repr,
)
def test_action_validation_quick_path_agrees_on_the_response_shape(remote_action: RemoteAction, response: Any) -> None:
    try:
        rasas = action_validation.rasa_original()(remote_action, response)
    except ValidationError:
        rasas = False
    assert action_validation.passes_quick_check(response) is bool(rasas)


def test_action_validation_rasa_still_rebuilds_the_validator_per_call(
    remote_action: RemoteAction, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The input the patch exists for: every call. Rasa's makes a fresh `jsonschema.validate`; ours never."""
    import jsonschema

    calls: list[int] = []
    real = jsonschema.validate

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(jsonschema, "validate", counting)
    for _ in range(3):
        action_validation.rasa_original()(remote_action, GOOD)
    assert len(calls) == 3, "Rasa no longer calls jsonschema.validate per response: is the patch still needed?"
    action_validation.action_response_validator()  # compiled before counting
    for _ in range(3):
        action_validation.validate_action_result(remote_action, GOOD)
    assert len(calls) == 3
    assert action_validation.action_response_validator() is action_validation.action_response_validator()


# -- event_lookup --------------------------------------------------------------------------------------------


def test_event_lookup_resolves_every_name_as_rasa_does() -> None:
    rasas = event_lookup.rasa_original()
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert len(names) > 20
    for name in sorted(names):
        assert event_lookup.resolve_event_type(name) is rasas(name), name
    assert event_lookup.resolve_event_type("topic") is rasas("topic") is None
    assert event_lookup.resolve_event_type("no-such-event", default=Event) is rasas("no-such-event", Event)
    for resolve in (rasas, event_lookup.resolve_event_type):
        with pytest.raises(ValueError, match="Unknown event name 'no-such-event'"):
            resolve("no-such-event")


def test_event_lookup_rasa_still_walks_every_subclass_per_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """The input the patch exists for: many stored events. Rasa walks the subclasses for each; ours once."""
    import rasa.shared.utils.common as common

    walks: list[int] = []
    real = common.all_subclasses

    def counting(cls: Any) -> Any:
        if cls is Event:  # not its recursive calls
            walks.append(1)
        return real(cls)

    monkeypatch.setattr(common, "all_subclasses", counting)
    names = ["user", "bot", "slot", "action"] * 5
    for name in names:
        event_lookup.rasa_original()(name)
    assert len(walks) == len(names), "Rasa no longer walks per event: is the patch still needed?"
    walks.clear()
    event_lookup._EVENT_TYPES.clear()
    for name in names:
        event_lookup.resolve_event_type(name)
    assert len(walks) == 1


def test_event_lookup_round_trips_a_tracker() -> None:
    rasa_patches.install()
    events = [
        UserUttered("what is baclofen?", {"name": "ask_question", "confidence": 0.9}),
        BotUttered("Baclofen is a muscle relaxant."),
    ]
    tracker = DialogueStateTracker.from_events("x", events)
    again = DialogueStateTracker.from_dict("x", [e.as_dict() for e in tracker.events])
    assert list(again.events) == list(tracker.events)


# -- payload_check -------------------------------------------------------------------------------------------

ALARM = "my pump is alarming"


class GraphStub:
    """Rasa's NLU graph in small: a stand-in classifier, then Rasa's own `RegexMessageHandler` (the graph's end).

    The stand-in plays the safety net: a message about an alarming pump is an emergency, anything else a
    question.
    """

    async def parse(self, message: UserMessage) -> dict[str, Any]:
        text = message.text or ""
        intent = "emergency" if ALARM in text else "ask_question"
        parsed = Message(data={"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []})
        [handled] = RegexMessageHandler().process([parsed])
        return {"text": handled.get("text"), "intent": handled.get("intent"), "entities": handled.get("entities")}


def _processor() -> MessageProcessor:
    """A `MessageProcessor` whose parse goes to `GraphStub` (Rasa's `http_interpreter` branch); no model."""
    processor = object.__new__(MessageProcessor)
    processor.http_interpreter = GraphStub()
    processor.domain = Domain.empty()
    processor.tracker_store = None
    return processor


def _parse(method: Any, text: str, tracker: DialogueStateTracker) -> dict[str, Any]:
    result: dict[str, Any] = asyncio.run(method(_processor(), UserMessage(text, sender_id="s"), tracker))
    return result


def _offering(*payloads: str) -> DialogueStateTracker:
    buttons = [{"title": p, "payload": p} for p in payloads]
    return DialogueStateTracker.from_events("s", [UserUttered("hi"), BotUttered("Pick one", {"buttons": buttons})])


def test_payload_check_rasa_still_takes_a_typed_payload_over_the_nlu() -> None:
    """The input the patch exists for: Rasa answers the typed intent, the safety net's emergency is lost."""
    tracker = _offering("/ask_topic")
    rasas = _parse(payload_check.rasa_original(), f"/ask_question@1 {ALARM}", tracker)
    assert rasas["intent"]["name"] == "ask_question", "Rasa no longer honours typed payloads: is the patch needed?"
    ours = _parse(payload_check.parse_message, f"/ask_question@1 {ALARM}", tracker)
    assert ours["intent"]["name"] == "emergency"
    assert ours["text"] == f"/ask_question@1 {ALARM}", "the person's own text is kept"


@pytest.mark.parametrize(
    "text",
    ["what is baclofen?", ALARM, "/ask_topic", "/restart", "/session_start", "  /ask_topic  "],
    ids=["question", "alarm", "offered", "restart", "session-start", "offered-spaced"],
)
def test_payload_check_is_rasas_parse_everywhere_else(text: str) -> None:
    tracker = _offering("/ask_topic")
    assert _parse(payload_check.parse_message, text, tracker) == _parse(payload_check.rasa_original(), text, tracker)


# -- message_cut ---------------------------------------------------------------------------------------------


def _stored(method: Any, message: UserMessage) -> UserUttered:
    """The `UserUttered` the processor's method stores for `message` (parsed by `GraphStub`, no model)."""
    tracker = DialogueStateTracker("s", [])
    asyncio.run(method(_processor(), message, tracker))
    [uttered] = [event for event in tracker.events if isinstance(event, UserUttered)]
    return uttered


def test_message_cut_rasa_still_stores_the_whole_text_nlu_never_read() -> None:
    """The input the patch exists for: 100,000 characters pasted; Rasa keeps them all in the conversation."""
    essay = ("my legs are stiff " * 5_556).strip()
    stored = _stored(message_cut.rasa_original(), UserMessage(essay, sender_id="s"))
    assert stored.text == essay, "Rasa no longer stores the channel's text whole: is the patch still needed?"
    limit = get_settings().max_message_chars
    ours = _stored(message_cut._handle_message_with_tracker, UserMessage(essay, sender_id="s", message_id="m1"))
    assert ours.text is not None and len(ours.text) == limit + 1  # one more than the bot reads: it says it cut
    assert essay.startswith(ours.text) and ours.message_id == "m1"
    assert ours.parse_data["text"] == ours.text, "NLU read the same cut text"
    # What the length guard leaves for NLU is what is stored: the same cut, whitespace collapsed first.
    guarded = MessageLengthGuard(limit + 1).process([Message(data={"text": "a  " * 2_000})])[0].get("text")
    assert message_cut.stored_text("a  " * 2_000, limit) == guarded


@pytest.mark.parametrize("length", [0, 1, 1_000, 1_001], ids=["empty", "one", "at-limit", "limit-plus-one"])
def test_message_cut_is_rasas_method_for_what_the_bot_reads_whole(length: int) -> None:
    text = "b" * length
    message = UserMessage(text, sender_id="s", metadata={"language": "en"})
    assert message_cut.cut_message(message, 1_000) is message
    assert _stored(message_cut._handle_message_with_tracker, message) == _stored(message_cut.rasa_original(), message)


def test_message_cut_keeps_the_messages_class_and_fields() -> None:
    from bot.payloads import ChannelCommand

    command = ChannelCommand("greet", None, "s", "telegram")
    command.text = "/greet " + "x" * 5_000
    cut = message_cut.cut_message(command, 1_000)
    assert type(cut) is ChannelCommand and cut.input_channel == "telegram" and len(cut.text or "") == 1_001
    assert command.text is not None and len(command.text) == 5_007, "the channel's own object is not changed"


# -- socketio ------------------------------------------------------------------------------------------------


def _socket(channel: RasaSocketIOInput) -> tuple[dict[str, Any], list[Any], list[UserMessage]]:
    """The channel's handlers, with the rooms entered and the messages that reached the bot recorded."""
    rooms: list[Any] = []
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    channel.blueprint(on_new_message)
    sio = channel.sio
    assert sio is not None

    async def enter_room(sid: str, room: str, namespace: str | None = None) -> None:  # a coroutine, as in 5.10+
        rooms.append((sid, room))

    async def emit(*args: Any, **kwargs: Any) -> None:
        rooms.append(("emit", args[0], args[1] if len(args) > 1 else kwargs.get("data")))

    sio.enter_room = enter_room
    sio.emit = emit
    return dict(sio.handlers[channel.namespace or "/"]), rooms, received


def test_socketio_enter_room_is_a_coroutine_in_the_installed_python_socketio() -> None:
    from socketio import AsyncServer

    assert inspect.iscoroutinefunction(AsyncServer.enter_room), "python-socketio changed: re-check the patch"


def test_socketio_rasas_session_request_never_joins_the_room() -> None:
    """The input the patch exists for: a session request with persistence. Rasa's leaves the socket outside."""
    session = str(uuid.uuid4())
    rasas, rasa_rooms, _ = _socket(RasaSocketIOInput(session_persistence=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "coroutine ... was never awaited": the bug itself
        asyncio.run(rasas["session_request"]("sid", {"session_id": session}))
        gc.collect()
    assert ("sid", session) not in rasa_rooms, "Rasa now joins the room: is the session_request patch needed?"
    assert ("emit", "session_confirm", session) in rasa_rooms
    ours, our_rooms, _ = _socket(_ours(session_persistence=True))
    asyncio.run(ours["session_request"]("sid", {"session_id": session}))
    [(sid, room), _notice, (emit, event, issued)] = our_rooms
    assert (sid, emit, event) == ("sid", "emit", "session_confirm") and issued != session, "ours issues the id"
    assert room == SessionIds(SOCKET_SECRET).key_of(issued), "and joins its room"


SOCKET_SECRET = b"the contract tests' widget secret"


def _ours(**settings: Any) -> SocketIOInput:
    channel = SocketIOInput(**settings)
    channel.sessions = SessionIds(SOCKET_SECRET)
    return channel


def test_socketio_rasas_message_handler_fails_on_a_broken_payload() -> None:
    """The input the patch exists for: a payload that is not an object. Rasa's raises; ours answers plainly."""
    rasas, _, _ = _socket(RasaSocketIOInput(session_persistence=False))
    with pytest.raises(AttributeError):
        asyncio.run(rasas["user_uttered"]("sid", "not an object"))
    ours, emitted, received = _socket(_ours(session_persistence=False))
    asyncio.run(ours["user_uttered"]("sid", "not an object"))
    assert received == [] and ("emit", "bot_uttered", {"text": UNREADABLE}) in emitted


def test_socketio_a_good_message_reaches_the_bot_as_with_rasas_handler() -> None:
    session = str(uuid.uuid4())
    data = {"message": "what is baclofen?", "session_id": session, "customData": {"language": "en"}}
    seen = []
    for channel in (RasaSocketIOInput(session_persistence=True, metadata_key="customData"),
                    _ours(session_persistence=True, metadata_key="customData")):  # fmt: skip
        handlers, rooms, received = _socket(channel)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # Rasa's un-awaited enter_room, as above
            asyncio.run(handlers["session_request"]("sid", {"session_id": session}))
            gc.collect()
        confirmed = next(r[2] for r in rooms if len(r) == 3 and r[:2] == ("emit", "session_confirm"))
        asyncio.run(handlers["user_uttered"]("sid", {**data, "session_id": confirmed}))
        [message] = received
        seen.append((message.text, message.sender_id, message.input_channel, message.metadata))
    assert seen[0] == ("what is baclofen?", session, "socketio", {"language": "en"})
    assert seen[1] == ("what is baclofen?", SessionIds(SOCKET_SECRET).key_of(confirmed), "socketio", {"language": "en"})


def test_socketio_replacing_a_handler_rasa_no_longer_registers_fails_loudly() -> None:
    channel = RasaSocketIOInput()
    channel.blueprint(lambda message: asyncio.sleep(0))
    with pytest.raises(RuntimeError, match="registers no 'renamed_event' handler"):
        replace_handler(channel.sio, "renamed_event", lambda sid, data: asyncio.sleep(0), channel.namespace)


# -- REST: nothing of RestInput is inherited -----------------------------------------------------------------


def test_rest_rasas_channel_takes_the_clients_word_for_the_channel_ours_inherits_none_of_it() -> None:
    """Rasa's `RestInput` records whatever `input_channel` the client names; ours is not a `RestInput` at all.

    That ours records "rest" whatever the client says is tests/test_rest_channel.py's
    `test_the_client_cannot_choose_the_input_channel` (in-process, through the channel's own webhook).
    """
    from types import SimpleNamespace

    from rasa.core.channels.rest import RestInput

    from bot.channels.rest import BoundedRestInput

    request = SimpleNamespace(json={"sender": "s", "message": "hi", "input_channel": "editor"})
    assert RestInput()._extract_input_channel(request) == "editor"
    assert not issubclass(BoundedRestInput, RestInput)
    assert not hasattr(BoundedRestInput, "_extract_input_channel")
    assert BoundedRestInput.name() == RestInput.name() == "rest", "same URL as Rasa's channel"


# -- tracker_store -------------------------------------------------------------------------------------------


def test_tracker_store_is_rasas_but_for_pre_ping(tmp_path: Path) -> None:
    domain = Domain.empty()
    rasas = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    ours = PrePingSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "ours.db"))
    try:
        assert rasas.engine.pool._pre_ping is False, "Rasa now pre-pings: is the patch still needed?"
        assert ours.engine.pool._pre_ping is True
        assert ours.sessionmaker.kw["bind"] is ours.engine, "sessions use the new engine"
        assert ours.engine.dialect.name == rasas.engine.dialect.name
        assert type(rasas.engine.pool).__name__ == "NullPool", "Rasa keeps SQLite connections now: drop the pool?"
        assert type(ours.engine.pool).__name__ == "QueuePool", "a SQLite file keeps its connections"
    finally:
        rasas.engine.dispose()
        ours.engine.dispose()


def test_tracker_store_on_sqlite_writes_ahead_and_keeps_the_file_private(tmp_path: Path) -> None:
    """The write-ahead log: a commit that does not wait for the disk, in files only the owner can read."""
    import sqlalchemy as sa

    from bot.sql_engine import prepare_sqlite_file

    path = tmp_path / "tracker.db"
    prepare_sqlite_file(path)  # as the launcher does
    ours = PrePingSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    try:
        with ours.engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        tracker = DialogueStateTracker.from_events("someone", [UserUttered("my legs are stiff")])
        asyncio.run(ours.save(tracker))
        retrieved = asyncio.run(ours.retrieve("someone"))
        assert retrieved is not None and retrieved.latest_message.text == "my legs are stiff"
        for name in ("tracker.db", "tracker.db-wal", "tracker.db-shm"):
            if (tmp_path / name).exists():
                assert (tmp_path / name).stat().st_mode & 0o077 == 0, f"{name} is readable by others"
        assert (tmp_path / "tracker.db-wal").exists(), "the conversation went through the write-ahead log"
    finally:
        ours.engine.dispose()


def test_tracker_store_survives_the_connections_dying_where_rasas_fails(postgres_url: str) -> None:
    """The input the patch exists for: every pooled connection killed (a PostgreSQL restart)."""
    import sqlalchemy as sa

    from tests.support.tracker_stores import sql_tracker_store

    name = f"patch_{uuid.uuid4().hex[:8]}"

    def store(cls: type[SQLTrackerStore], suffix: str) -> SQLTrackerStore:
        return sql_tracker_store(postgres_url, cls, application_name=f"{name}_{suffix}")

    def kill(suffix: str) -> None:
        admin = sa.create_engine(postgres_url)
        with admin.begin() as conn:
            conn.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :n"),
                {"n": f"{name}_{suffix}"},
            )
        admin.dispose()

    async def scenario(tracker_store: SQLTrackerStore, suffix: str) -> Any:
        tracker = DialogueStateTracker.from_events("s", [UserUttered("what is baclofen?")])
        await tracker_store.save(tracker)
        await tracker_store.retrieve("s")  # a pooled connection now exists
        kill(suffix)
        return await tracker_store.retrieve("s")

    rasas, ours = store(SQLTrackerStore, "rasa"), store(PrePingSQLTrackerStore, "ours")
    try:
        with pytest.raises(sa.exc.OperationalError):
            asyncio.run(scenario(rasas, "rasa"))
        found = asyncio.run(scenario(ours, "ours"))
        assert found is not None and found.latest_message.text == "what is baclofen?"
    finally:
        rasas.engine.dispose()
        ours.engine.dispose()


# -- lock_store ----------------------------------------------------------------------------------------------


def test_lock_store_rasa_serves_messages_through_lock_only() -> None:
    """`AtomicRedisLockStore` refuses `save_lock`/`issue_ticket`; Rasa's message handling must never call them."""
    import rasa.core.agent
    import rasa.core.processor
    import rasa.server

    called = set()
    for module in (rasa.core.agent, rasa.core.processor, rasa.server):
        called |= set(re.findall(r"lock_store\.(\w+)\(", inspect.getsource(module)))
    assert called == {"lock"}, f"Rasa now calls {called - {'lock'}} on the lock store: re-check the patch"
    rasas = inspect.signature(LockStore.lock)
    ours = inspect.signature(AtomicRedisLockStore.lock)
    assert [(p.name, p.default) for p in ours.parameters.values()] == [
        (p.name, p.default) for p in rasas.parameters.values()
    ]


def test_lock_store_rasas_ticket_is_a_read_then_a_whole_write() -> None:
    """The input the patch exists for: issuing a ticket. Rasa reads the lock, then writes it back whole.

    Two replicas doing that at once is the race (RasaHQ/rasa#11256); ours does not offer it at all.
    """
    steps: list[str] = []

    class Recording(InMemoryLockStore):
        def get_lock(self, conversation_id: str) -> Any:
            steps.append("read")
            return super().get_lock(conversation_id)

        def save_lock(self, lock: Any) -> None:
            steps.append("write")
            super().save_lock(lock)

    Recording().issue_ticket("c")
    assert steps == ["read", "write"], "Rasa changed how it issues tickets: re-check the lock store patch"
    ours = AtomicRedisLockStore()
    with pytest.raises(NotImplementedError):
        ours.issue_ticket("c")
    with pytest.raises(NotImplementedError):
        ours.save_lock(Recording().create_lock("c"))


# -- pipeline_step -------------------------------------------------------------------------------------------


def _schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    from rasa.shared.data import TrainingType

    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    graph = DefaultV1Recipe().graph_config_for_recipe(config, {}, training_type=TrainingType.BOTH)
    return graph.train_schema.nodes, graph.predict_schema.nodes


def test_pipeline_step_is_registered_as_an_untrained_entity_extractor() -> None:
    registered = DefaultV1Recipe._from_registry(f"{MessageLengthGuard.__module__}.{MessageLengthGuard.__name__}")
    assert registered.types == {DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR}
    assert registered.is_trainable is False


def test_pipeline_step_rasas_recipe_runs_the_guard_first_and_not_in_training() -> None:
    train, predict = _schemas()
    [guard] = [name for name, node in predict.items() if node.uses is MessageLengthGuard]
    assert predict[guard].fn == "process"
    spacy = [name for name, node in predict.items() if node.uses.__name__ == "SpacyNLP" and node.fn == "process"]
    assert [predict[name].needs.get("messages") for name in spacy] == [guard], "SpacyNLP reads the guard's output"
    assert predict[guard].needs == {"messages": "nlu_message_converter"}, "the guard reads the raw message"
    assert not [name for name, node in train.items() if node.uses is MessageLengthGuard], "not run over training"


def test_pipeline_step_regex_message_handler_still_ends_the_nlu_graph() -> None:
    """payload_check relies on it: Rasa's graph ends NLU with the payload handler."""
    _, predict = _schemas()
    assert any(node.uses is RegexMessageHandler for node in predict.values())


# -- spacy_text ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spacy_model() -> Any:
    from rasa.nlu.utils.spacy_utils import SpacyModel

    from bot.nlp.pipeline import load_pipeline

    return SpacyModel(model=load_pipeline(str(get_settings().nlp_dir)), model_name="test")


SPACY_TEXTS = [
    "¿Qué pasa si dejo de tomar el baclofeno de golpe?",
    "can\u2019t   breathe since the botox",
    "she mixes her tablets up, is that dangerous",
    "pump alarm pump alarm pump alarm pump alarm",
    "What is spasticity?",
]


@pytest.mark.parametrize("text", SPACY_TEXTS)
def test_spacy_text_rasas_spacynlp_lower_cases_only_ours_parses_the_detectors_form(spacy_model: Any, text: str) -> None:
    from rasa.nlu.utils.spacy_utils import SpacyNLP as RasaSpacyNLP

    from bot.rasa_patches.spacy_text import SpacyNLP
    from bot.safety.matching import detector_text

    config = {"case_sensitive": False}
    rasas = RasaSpacyNLP(spacy_model, config)._doc_for_text(spacy_model.model, text)
    ours = SpacyNLP(spacy_model, config)._doc_for_text(spacy_model.model, text)
    assert rasas.text == text.lower(), "Rasa changed how SpacyNLP preprocesses: re-check bot/rasa_patches/spacy_text.py"
    assert ours.text == detector_text(text)


def test_spacy_text_training_examples_are_parsed_in_the_same_form(spacy_model: Any) -> None:
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.rasa_patches.spacy_text import SpacyNLP
    from bot.safety.matching import detector_text

    examples = [Message(data={"text": text, "intent": "ask_question"}) for text in SPACY_TEXTS]
    SpacyNLP(spacy_model, {"case_sensitive": False}).process_training_data(TrainingData(examples), spacy_model)
    assert [m.get("text_spacy_doc").text for m in examples] == [detector_text(t) for t in SPACY_TEXTS]
    assert [m.get("text") for m in examples] == SPACY_TEXTS, "the message's own text is untouched"


def test_spacy_text_is_the_model_provider_rasas_spacy_components_are_wired_to() -> None:
    from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor

    from bot.rasa_patches.spacy_text import SpacyNLP

    train, predict = _schemas()
    for nodes in (train, predict):
        assert [name for name, node in nodes.items() if node.uses is SpacyNLP and node.fn == "provide"]
    [provider] = [name for name, node in predict.items() if node.uses is SpacyNLP and node.fn == "provide"]
    extractors = [node for node in predict.values() if node.uses is SpacyEntityExtractor]
    assert extractors and all(node.needs.get("model") == provider for node in extractors)
    assert DefaultV1Recipe._from_registry("SpacyNLP").clazz is SpacyNLP


# -- the Rasa code each patch replaces or relies on ----------------------------------------------------------

RASA_SOURCES = {
    "rasa.core.actions.action.RemoteAction._validate_action_result": ("f8cdb4be68123961", "action_validation"),
    "rasa.shared.core.events.Event.resolve_by_type": ("b5cf570fa7f286c7", "event_lookup"),
    "rasa.core.processor.MessageProcessor.parse_message": ("b98d8e49b9f2c433", "payload_check"),
    "rasa.core.channels.socketio.SocketIOInput.blueprint": ("1246d69fa05c3b1f", "socketio"),
    "rasa.core.tracker_store.SQLTrackerStore.__init__": ("64e704d159dfa35b", "tracker_store"),
    "rasa.core.lock_store.LockStore.lock": ("8b9b716c031a3444", "lock_store"),
    "rasa.core.lock_store.LockStore.issue_ticket": ("4dfdfb5e62c1dda9", "lock_store"),
    "rasa.engine.recipes.default_recipe.DefaultV1Recipe._add_nlu_predict_nodes": ("14a61f3d65926589", "pipeline_step"),
    "rasa.engine.recipes.default_recipe.DefaultV1Recipe._add_nlu_train_nodes": ("81b76d91f33466f4", "pipeline_step"),
    "rasa.nlu.utils.spacy_utils.SpacyNLP._preprocess_text": ("0469fb0981c10e28", "spacy_text"),
    "rasa.engine.recipes.default_recipe.DefaultV1Recipe._get_model_provider_needs": ("8320e83bda814899", "spacy_text"),
}


def _rasa_function(path: str) -> Any:
    import importlib

    module_name, cls_name, attr = path.rsplit(".", 2)
    cls = getattr(importlib.import_module(module_name), cls_name)
    if (cls, attr) == (RemoteAction, "_validate_action_result"):
        return action_validation.rasa_original()
    if (cls, attr) == (Event, "resolve_by_type"):
        return event_lookup.rasa_original()
    if (cls, attr) == (MessageProcessor, "parse_message"):
        return payload_check.rasa_original()
    return getattr(cls, attr)


@pytest.mark.parametrize("path", list(RASA_SOURCES))
def test_the_rasa_code_a_patch_replaces_is_the_code_it_was_written_for(path: str) -> None:
    expected, patch = RASA_SOURCES[path]
    source = inspect.getsource(_rasa_function(path))
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == expected, (
        f"Rasa's {path} changed: re-check bot/rasa_patches/{patch}.py against the new code, then update the hash"
    )
