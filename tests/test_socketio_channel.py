"""The widget's Socket.IO channel in-process: each payload is handled by calling the channel's own handlers.

`bot.channels.widget.SocketIOInput` replaces Rasa's `session_request` and `user_uttered` handlers. Here the
channel is built from `credentials.yml`'s settings, its blueprint is made with a recording `on_new_message`,
and the handlers python-socketio would call are called directly with every kind of payload, broken ones
included; the server's `emit` and `enter_room` are recorded instead of sent. So each decision of the
channel (refuse with a plain reply, join the room, pass a cleaned message on) is checked in milliseconds.
What only the wire shows (replies reaching a browser, the tracker's copy) is in `tests/test_bad_input.py`
and `tests/test_widget.py`, against the shared bot.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage

from bot.channels.widget import MAX_ROOM_CHARS, SocketIOInput
from bot.config import PROJECT_ROOT
from bot.replies import REPLY_KEY, SAFE_FALLBACK, Button, Citation, Reply, ReplyKind, render, reply_text
from bot.wording import WIDGET_NO_SESSION as NO_SESSION
from bot.wording import WIDGET_UNREADABLE as UNREADABLE
from tests.support.replies import rasa_message

SID = "socket-1"
SESSION = "3f2b8c1e-9a4d-4e7f-8b6a-1c2d3e4f5a6b"
CONTROL = "what is\x00 spasticity\x07\x08\x1b[31m\r\n\u202e\ufeff\u200b?"


@dataclass
class Socket:
    """The channel with its handlers, and what it emitted, which rooms it entered, what reached the bot."""

    channel: SocketIOInput
    handlers: dict[str, Any]
    emitted: list[tuple[str, Any, str | None]] = field(default_factory=list)
    rooms: list[tuple[str, str]] = field(default_factory=list)
    received: list[UserMessage] = field(default_factory=list)

    def call(self, event: str, data: Any, sid: str = SID) -> None:
        asyncio.run(self.handlers[event](sid, data))

    def texts(self) -> list[str]:
        return [str(data.get("text")) for event, data, _ in self.emitted if event == "bot_uttered"]


@pytest.fixture
def socket() -> Socket:
    settings_ = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text())["bot.channels.widget.SocketIOInput"]
    channel = SocketIOInput.from_credentials(settings_)
    socket = Socket(channel, {})

    async def on_new_message(message: UserMessage) -> None:
        socket.received.append(message)

    channel.blueprint(on_new_message)
    sio = channel.sio
    assert sio is not None

    async def emit(event: str, data: Any = None, room: str | None = None, **_: Any) -> None:
        socket.emitted.append((event, data, room))

    async def enter_room(sid: str, room: str, namespace: str | None = None) -> None:
        socket.rooms.append((sid, room))

    sio.emit = emit
    sio.enter_room = enter_room
    socket.handlers = dict(sio.handlers[channel.namespace or "/"])
    return socket


def test_the_channel_reads_credentials_with_session_persistence(socket: Socket) -> None:
    assert socket.channel.session_persistence is True
    assert {"session_request", "user_uttered"} <= set(socket.handlers)


def test_a_session_request_joins_that_conversations_room_and_confirms_it(socket: Socket) -> None:
    socket.call("session_request", {"session_id": SESSION})
    assert socket.rooms == [(SID, SESSION)]
    assert ("session_confirm", SESSION, SID) in socket.emitted


@pytest.mark.parametrize(
    "data", [None, "text", {"session_id": 5}, {"session_id": ""}, {"session_id": "x" * (MAX_ROOM_CHARS + 1)}]
)
def test_a_session_request_without_a_usable_id_gets_a_fresh_one(socket: Socket, data: Any) -> None:
    socket.call("session_request", data)
    [(sid, room)] = socket.rooms
    assert sid == SID and room
    if isinstance(data, dict):
        assert room != data.get("session_id")
    assert ("session_confirm", room, SID) in socket.emitted


@pytest.mark.parametrize(
    ("message", "stored"),
    [
        ("what is baclofen?", "what is baclofen?"),
        ("  \n\t ", "  \n\t "),
        ("😀🦵💊" * 1500, "😀🦵💊" * 1500),
        (CONTROL, "what is spasticity[31m\n\u202e\ufeff\u200b?"),
        ("'; DROP TABLE events; --", "'; DROP TABLE events; --"),
        ("<script>alert(document.cookie)</script>", "<script>alert(document.cookie)</script>"),
        ("e\u0301", "\u00e9"),
    ],
    ids=["plain", "whitespace", "emoji", "control-characters", "sql", "script", "nfc"],
)
def test_text_reaches_the_bot_cleaned_as_the_rest_channel_cleans_it(socket: Socket, message: str, stored: str) -> None:
    socket.call("user_uttered", {"message": message, "session_id": SESSION})
    [received] = socket.received
    assert received.text in {stored, stored.strip()}
    assert (received.sender_id, received.input_channel) == (SESSION, "socketio")
    assert socket.emitted == [], "nothing is sent back by the channel itself: the bot answers"


@pytest.mark.parametrize(
    ("data", "reply"),
    [
        ({"message": 42, "session_id": SESSION}, UNREADABLE),
        ({"message": ["what is baclofen?"], "session_id": SESSION}, UNREADABLE),
        ({"message": None, "session_id": SESSION}, UNREADABLE),
        ({"message": b"\xff\xfe\xc3\x28 stiff", "session_id": SESSION}, UNREADABLE),
        ({"message": "what is \ud800 baclofen?", "session_id": SESSION}, UNREADABLE),
        ("what is baclofen?", UNREADABLE),
        (["what is baclofen?"], UNREADABLE),
        (None, UNREADABLE),
        ({"message": "what is baclofen?", "session_id": None}, NO_SESSION),
        ({"message": "what is baclofen?"}, NO_SESSION),
        ({"message": "what is baclofen?", "session_id": "x" * (MAX_ROOM_CHARS + 1)}, NO_SESSION),
    ],
    ids=[
        "number",
        "list",
        "null",
        "bytes-invalid-utf8",
        "lone-surrogate",
        "payload-a-string",
        "payload-a-list",
        "payload-null",
        "session-id-null",
        "no-session-id",
        "session-id-too-long",
    ],
)
def test_a_broken_payload_gets_a_plain_reply_and_never_reaches_the_bot(socket: Socket, data: Any, reply: str) -> None:
    socket.call("user_uttered", data)
    assert socket.received == []
    assert socket.texts() == [reply]
    assert [room for event, _, room in socket.emitted] == [SID], "the reply goes to that socket only"


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [({"lang": "es"}, {"lang": "es"}), ('{"lang": "es"}', {"lang": "es"}), ("{not json", {}), ([1, 2], {})],
)
def test_metadata_is_passed_on_only_as_an_object(socket: Socket, metadata: Any, expected: dict[str, Any]) -> None:
    socket.call("user_uttered", {"message": "hello", "session_id": SESSION, "metadata": metadata})
    [received] = socket.received
    assert received.metadata == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.none(),
        st.text(max_size=50),
        st.dictionaries(
            st.sampled_from(["message", "session_id", "metadata", "x"]),
            st.none() | st.booleans() | st.integers() | st.text(max_size=80) | st.binary(max_size=20),
            max_size=4,
        ),
    )
)
@example(data={"message": " ", "session_id": SESSION})
def test_any_payload_either_reaches_the_bot_or_gets_a_reply(socket: Socket, data: Any) -> None:
    socket.emitted.clear()
    socket.received.clear()
    socket.call("user_uttered", data)
    assert len(socket.received) + len(socket.texts()) == 1, (data, socket.received, socket.emitted)


# -- what the bot's replies look like on the wire ------------------------------------------------------------


def cited_reply() -> Reply:
    citation = Citation(1, "NHS-BAC", "NHS", "Baclofen", "https://www.nhs.uk/medicines/baclofen/")
    return Reply(
        ReplyKind.ANSWER, "Baclofen relaxes muscles. [1]", (citation,), (Button("Helpful", "/feedback_helpful"),)
    )


def answered(socket: Socket, kwargs: dict[str, Any]) -> list[Any]:
    """What the channel emits when the bot answers a widget message with these dispatcher arguments."""
    socket.call("user_uttered", {"message": "what is baclofen?", "session_id": SESSION})
    [received] = socket.received
    assert received.output_channel is not None
    asyncio.run(received.output_channel.send_response(SESSION, rasa_message(kwargs)))
    return [(event, data, room) for event, data, room in socket.emitted if event == "bot_uttered"]


def test_a_structured_reply_is_one_bot_uttered_message_with_its_text_buttons_and_data(socket: Socket) -> None:
    message = render(cited_reply())
    assert message.data is not None
    assert answered(socket, message.as_kwargs()) == [
        (
            "bot_uttered",
            {
                "text": message.text,  # for simple clients (the load test reads it); the widget renders the data
                "quick_replies": [{"content_type": "text", "title": "Helpful", "payload": "/feedback_helpful"}],
                REPLY_KEY: message.data.as_json(),
            },
            SESSION,
        )
    ]


def test_a_plain_message_goes_as_rasa_sends_it(socket: Socket) -> None:
    assert answered(socket, {"text": "Goodbye, and take care."}) == [
        ("bot_uttered", {"text": "Goodbye, and take care."}, SESSION)
    ]


def test_a_reply_without_its_disclaimer_cannot_be_rendered_and_the_safe_fallback_is_sent(socket: Socket) -> None:
    kwargs = render(cited_reply()).as_kwargs()
    kwargs[REPLY_KEY] = {**kwargs[REPLY_KEY], "disclaimer": ""}
    assert answered(socket, kwargs) == [
        ("bot_uttered", {"text": reply_text(SAFE_FALLBACK), REPLY_KEY: SAFE_FALLBACK.as_json()}, SESSION)
    ]
