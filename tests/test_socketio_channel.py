"""The widget's Socket.IO channel in-process: each payload is handled by calling the channel's own handlers.

`bot.channels.widget_socket.SocketIOInput` replaces Rasa's `connect`, `disconnect`, `session_request` and
`user_uttered` handlers and adds `start_over`. Here the channel is built from `credentials.yml`'s settings with
a session signer of the test's own, its blueprint is made with a recording `on_new_message`, and the handlers
python-socketio would call are called directly with every kind of payload, broken and hostile ones included;
the server's `emit`, `enter_room` and `leave_room` are recorded instead of sent, and the agent behind it is a
stub with Rasa's in-memory tracker and lock stores. So each decision of the channel (issue or keep a session,
join one room, refuse a foreign id, delete on start over, count connections) is checked in milliseconds. What
only the wire shows (replies reaching a browser, the tracker's copy) is in `tests/test_bad_input.py`,
`tests/test_widget.py` and `tests/test_isolation_e2e.py`, against the shared bot.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import UserUttered

from bot.channels.widget_session import SessionIds
from bot.channels.widget_socket import MAX_PACKET_BYTES, MAX_SESSION_EVENTS, SocketIOInput
from bot.config import PROJECT_ROOT, get_settings
from bot.replies import REPLY_KEY, SAFE_FALLBACK, Button, Citation, Reply, ReplyKind, render, reply_text
from bot.wording import WIDGET_NO_SESSION as NO_SESSION
from bot.wording import WIDGET_UNREADABLE as UNREADABLE
from bot.wording import privacy_notice
from tests.support.asgi import StubAgent
from tests.support.replies import rasa_message

SID = "socket-1"
ROOM = "the session's room"
RETENTION_DAYS = get_settings().tracker_retention_days
SECRET = b"a test's own widget secret, 32 bytes+"
CONTROL = "what is\x00 spasticity\x07\x08\x1b[31m\r\n\u202e\ufeff\u200b?"


@dataclass
class Socket:
    """The channel with its handlers, what it emitted, the rooms it entered and left, what reached the bot."""

    channel: SocketIOInput
    handlers: dict[str, Any]
    agent: StubAgent
    sessions: SessionIds
    emitted: list[tuple[str, Any, str | None]] = field(default_factory=list)
    rooms: dict[str, set[str]] = field(default_factory=dict)
    left: list[tuple[str, str]] = field(default_factory=list)
    received: list[UserMessage] = field(default_factory=list)
    joined: dict[str, str] = field(default_factory=dict)  # socket id -> the session id it was confirmed

    def call(self, event: str, *data: Any, sid: str = SID) -> Any:
        return asyncio.run(self.handlers[event](sid, *data))

    def texts(self) -> list[str]:
        return [str(data.get("text")) for event, data, _ in self.emitted if event == "bot_uttered"]

    def confirmed(self) -> list[str]:
        return [data for event, data, _ in self.emitted if event == "session_confirm"]

    def join(self, session_id: Any = None, sid: str = SID, lang: str | None = None) -> str:
        """A session request; the id the channel confirmed."""
        data = {"session_id": session_id, **({"metadata": {"lang": lang}} if lang else {})}
        self.call("session_request", data, sid=sid)
        self.joined[sid] = self.confirmed()[-1]
        return self.joined[sid]

    def keys(self) -> set[str]:
        return set(asyncio.run(self.agent.tracker_store.keys()))

    def store(self, key: str, text: str = "my private question", age_s: float = 0.0) -> None:
        async def save() -> None:
            tracker = await self.agent.tracker_store.get_or_create_tracker(key)
            tracker.update(UserUttered(text, timestamp=time.time() - age_s))
            await self.agent.tracker_store.save(tracker)

        asyncio.run(save())


@pytest.fixture
def socket() -> Socket:
    settings_ = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text())[
        "bot.channels.widget_socket.SocketIOInput"
    ]
    channel = SocketIOInput.from_credentials(settings_)
    assert isinstance(channel, SocketIOInput)
    sessions = SessionIds(SECRET)
    agent = StubAgent()
    channel.sessions = sessions
    channel.context = SimpleNamespace(agent=agent)
    channel.max_connections_per_ip = 3
    socket = Socket(channel, {}, agent, sessions)

    async def on_new_message(message: UserMessage) -> None:
        socket.received.append(message)

    channel.blueprint(on_new_message)
    sio = channel.sio
    assert sio is not None

    async def emit(event: str, data: Any = None, room: str | None = None, **_: Any) -> None:
        socket.emitted.append((event, data, room))

    async def enter_room(sid: str, room: str, namespace: str | None = None) -> None:
        socket.rooms.setdefault(sid, set()).add(room)

    async def leave_room(sid: str, room: str, namespace: str | None = None) -> None:
        socket.rooms.get(sid, set()).discard(room)
        socket.left.append((sid, room))

    sio.emit = emit
    sio.enter_room = enter_room
    sio.leave_room = leave_room
    socket.handlers = dict(sio.handlers[channel.namespace or "/"])
    return socket


def key_of(socket: Socket, session_id: str) -> str:
    key = socket.sessions.key_of(session_id)
    assert key is not None
    return key


def test_the_channel_reads_credentials_with_session_persistence_and_a_small_buffer(socket: Socket) -> None:
    assert socket.channel.session_persistence is True
    assert {"connect", "disconnect", "session_request", "start_over", "user_uttered"} <= set(socket.handlers)
    assert socket.channel.sio is not None and socket.channel.sio.eio.max_http_buffer_size == MAX_PACKET_BYTES


# -- sessions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "table"), [(None, "en"), ("es-MX", "es"), ("fr", "en")])
def test_a_first_session_request_gets_a_signed_id_its_room_and_the_privacy_notice(
    socket: Socket, lang: str | None, table: str
) -> None:
    session_id = socket.join(lang=lang)
    key = key_of(socket, session_id)
    assert key.startswith("web:") and session_id.split(".")[0] in key and session_id not in key, "the tag is not kept"
    assert socket.rooms == {SID: {key}}
    assert socket.texts() == [privacy_notice("widget", table, RETENTION_DAYS)]  # type: ignore[arg-type]
    assert [(event, room) for event, _, room in socket.emitted] == [("bot_uttered", SID), ("session_confirm", SID)]


def test_a_session_id_it_issued_is_kept_with_no_second_notice(socket: Socket) -> None:
    first = socket.join()
    socket.emitted.clear()
    assert socket.join(first, sid="socket-2") == first
    assert socket.texts() == [] and socket.rooms["socket-2"] == {key_of(socket, first)}


def _forgeries(sessions: SessionIds) -> dict[str, Any]:
    genuine = sessions.issue()
    random_part, tag = genuine.split(".")
    other = SessionIds(b"another server's secret, 32 bytes+").issue()
    return {
        "none": None,
        "number": 5,
        "empty": "",
        "uuid-the-widget-used-to-make": "3f2b8c1e-9a4d-4e7f-8b6a-1c2d3e4f5a6b",
        "telegram-key": "tg:4242",
        "telegram-chat": "4242",
        "rest-key": "rest:local:me",
        "widget-key": f"web:{random_part}",
        "random-half-only": random_part,
        "forged-tag": f"{random_part}.{'A' * 22}",
        "tag-of-another-id": f"{'B' * 22}.{tag}",
        "another-servers-id": other,
        "too-long": "x" * 5000,
    }


@pytest.mark.parametrize("name", list(_forgeries(SessionIds(SECRET))))
def test_an_id_this_server_did_not_issue_gets_a_fresh_one(socket: Socket, name: str) -> None:
    requested = _forgeries(socket.sessions)[name]
    session_id = socket.join(requested)
    assert session_id != requested and socket.sessions.key_of(session_id) is not None
    assert socket.rooms == {SID: {key_of(socket, session_id)}}
    assert len(socket.texts()) == 1, "a new conversation: the notice"


@pytest.mark.parametrize("data", [None, "text", ["x"], {"metadata": "x"}])
def test_a_session_request_that_is_not_an_object_gets_a_fresh_id(socket: Socket, data: Any) -> None:
    socket.call("session_request", data)
    [session_id] = socket.confirmed()
    assert socket.sessions.key_of(session_id) is not None


def test_a_session_idle_past_the_expiry_is_over_and_a_fresh_one_is_given(socket: Socket) -> None:
    old, recent = socket.sessions.issue(), socket.sessions.issue()
    socket.store(key_of(socket, old), age_s=61 * 60)  # domain: sessions expire after 60 minutes
    socket.store(key_of(socket, recent), age_s=59 * 60)
    assert socket.join(old) != old
    assert socket.join(recent, sid="socket-2") == recent


def test_a_socket_holds_one_room_at_most(socket: Socket) -> None:
    ids = [socket.join() for _ in range(5)]
    assert socket.rooms == {SID: {key_of(socket, ids[-1])}}
    assert [room for _, room in socket.left] == [key_of(socket, i) for i in ids[:-1]]


def test_session_events_are_capped_per_socket(socket: Socket) -> None:
    for _ in range(MAX_SESSION_EVENTS + 5):
        socket.call("session_request", {})
    socket.call("start_over", {})
    assert len(socket.confirmed()) == MAX_SESSION_EVENTS
    socket.join(sid="socket-2")  # another socket is not affected
    assert len(socket.confirmed()) == MAX_SESSION_EVENTS + 1


# -- start over ----------------------------------------------------------------------------------------------


def test_start_over_deletes_this_sessions_conversation_only_and_gives_a_new_id(socket: Socket) -> None:
    mine = socket.join()
    other = socket.join(sid="socket-2")
    for key in (key_of(socket, mine), key_of(socket, other), "tg:4242", "rest:local:x"):
        socket.store(key)
    socket.emitted.clear()
    socket.call("start_over", {"session_id": mine})
    [fresh] = socket.confirmed()
    assert fresh not in {mine, other} and socket.sessions.key_of(fresh) is not None
    assert socket.keys() == {key_of(socket, other), "tg:4242", "rest:local:x"}
    assert socket.rooms[SID] == {key_of(socket, fresh)} and socket.texts() == [
        privacy_notice("widget", "en", RETENTION_DAYS)
    ]


def test_start_over_never_deletes_a_session_the_socket_did_not_join(socket: Socket) -> None:
    theirs = socket.join(sid="socket-2")
    socket.store(key_of(socket, theirs))
    socket.join()
    socket.call("start_over", {"session_id": theirs})  # a genuine id, but not this socket's session
    socket.call("start_over", {"session_id": "tg:4242"})
    assert socket.keys() == {key_of(socket, theirs)}
    assert len(socket.confirmed()) == 4, "the socket still gets a fresh session each time"


# -- connections ---------------------------------------------------------------------------------------------


def environ(peer: str, forwarded_for: str | None = None) -> dict[str, Any]:
    """What Engine.IO hands `connect`: the Sanic request, from `peer`, with an `X-Forwarded-For` if given."""
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    return {"REMOTE_ADDR": "127.0.0.1", "sanic.request": SimpleNamespace(ip=peer, headers=headers)}


def test_connections_per_address_are_capped_and_freed_on_disconnect(socket: Socket) -> None:
    client = environ("198.51.100.4")
    assert [socket.call("connect", client, None, sid=f"s{i}") for i in range(4)] == [True, True, True, False]
    assert socket.call("connect", environ("198.51.100.5"), None, sid="other") is True, "per address"
    socket.call("disconnect", sid="s0")
    assert socket.call("connect", client, None, sid="s9") is True


def test_behind_a_trusted_proxy_each_forwarded_client_counts_and_nobody_chooses_their_address(socket: Socket) -> None:
    behind_nginx = [environ("127.0.0.1", f"203.0.113.{i}") for i in range(10)]  # TRUSTED_PROXIES: 127.0.0.1
    assert all(socket.call("connect", e, None, sid=f"p{i}") for i, e in enumerate(behind_nginx))
    one_client = [socket.call("connect", environ("127.0.0.1", "203.0.113.50"), None, sid=f"q{i}") for i in range(4)]
    assert one_client == [True, True, True, False], "the forwarded client is limited, not the proxy"
    spoofed = [socket.call("connect", environ("198.51.100.9", f"10.0.0.{i}"), None, sid=f"x{i}") for i in range(4)]
    assert spoofed == [True, True, True, False], "an untrusted peer's X-Forwarded-For is not believed"
    ipv6 = [socket.call("connect", environ(f"2001:db8::{i}"), None, sid=f"v{i}") for i in range(4)]
    assert ipv6 == [True, True, True, False], "IPv6 counted per /64, as the server's limits count it"


def test_clients_on_this_machine_are_not_counted_and_the_limit_can_be_off(socket: Socket) -> None:
    assert all(socket.call("connect", environ("127.0.0.1"), None, sid=f"l{i}") for i in range(10))
    socket.channel.max_connections_per_ip = 0  # off
    assert all(socket.call("connect", environ("198.51.100.4"), None, sid=f"o{i}") for i in range(10))


# -- messages ------------------------------------------------------------------------------------------------


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
    session_id = socket.join()
    socket.emitted.clear()
    socket.call("user_uttered", {"message": message, "session_id": session_id})
    [received] = socket.received
    assert received.text in {stored, stored.strip()}
    assert (received.sender_id, received.input_channel) == (key_of(socket, session_id), "socketio")
    assert socket.emitted == [], "nothing is sent back by the channel itself: the bot answers"


def test_a_message_for_a_session_the_socket_did_not_join_never_reaches_the_bot(socket: Socket) -> None:
    theirs = socket.join(sid="socket-2")
    socket.join()
    socket.emitted.clear()
    for session_id in [theirs, *_forgeries(socket.sessions).values()]:
        socket.call("user_uttered", {"message": "what did they ask?", "session_id": session_id})
    assert socket.received == []
    assert set(socket.texts()) == {NO_SESSION}
    assert {room for _, _, room in socket.emitted} == {SID}, "the refusal goes to that socket only"


def test_a_message_before_any_session_request_is_refused(socket: Socket) -> None:
    session_id = socket.sessions.issue()
    socket.call("user_uttered", {"message": "hello", "session_id": session_id})
    assert socket.received == [] and socket.texts() == [NO_SESSION]


@pytest.mark.parametrize(
    ("data", "reply"),
    [
        ({"message": 42}, UNREADABLE),
        ({"message": ["what is baclofen?"]}, UNREADABLE),
        ({"message": None}, UNREADABLE),
        ({"message": b"\xff\xfe\xc3\x28 stiff"}, UNREADABLE),
        ({"message": "what is \ud800 baclofen?"}, UNREADABLE),
        ("what is baclofen?", UNREADABLE),
        (["what is baclofen?"], UNREADABLE),
        (None, UNREADABLE),
        ({"message": "what is baclofen?", "session_id": None}, NO_SESSION),
        ({"message": "what is baclofen?", "session_id": "x" * 5000}, NO_SESSION),
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
        "session-id-too-long",
    ],
)
def test_a_broken_payload_gets_a_plain_reply_and_never_reaches_the_bot(socket: Socket, data: Any, reply: str) -> None:
    session_id = socket.join()
    socket.emitted.clear()
    if isinstance(data, dict) and "session_id" not in data:
        data = {**data, "session_id": session_id}
    socket.call("user_uttered", data)
    assert socket.received == []
    assert socket.texts() == [reply]
    assert [room for event, _, room in socket.emitted] == [SID], "the reply goes to that socket only"


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [({"lang": "es"}, {"lang": "es"}), ('{"lang": "es"}', {"lang": "es"}), ("{not json", {}), ([1, 2], {})],
)
def test_metadata_is_passed_on_only_as_an_object(socket: Socket, metadata: Any, expected: dict[str, Any]) -> None:
    session_id = socket.join()
    socket.call("user_uttered", {"message": "hello", "session_id": session_id, "metadata": metadata})
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
    ),
    own_session=st.booleans(),
)
@example(data={"message": " "}, own_session=True)
def test_any_payload_either_reaches_the_bot_or_gets_a_reply(socket: Socket, data: Any, own_session: bool) -> None:
    session_id = socket.joined.get(SID) or socket.join()  # one session for every example: requests are capped
    if own_session and isinstance(data, dict):
        data = {**data, "session_id": session_id}
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
    session_id = socket.join()
    socket.emitted.clear()
    socket.call("user_uttered", {"message": "what is baclofen?", "session_id": session_id})
    [received] = socket.received
    assert received.output_channel is not None and received.sender_id == key_of(socket, session_id)
    asyncio.run(received.output_channel.send_response(received.sender_id, rasa_message(kwargs)))
    rooms = {received.sender_id: ROOM}  # the session's room is its tracker key, random in each test
    return [(event, data, rooms.get(room, room)) for event, data, room in socket.emitted if event == "bot_uttered"]


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
            ROOM,
        )
    ]


def test_a_plain_message_goes_as_rasa_sends_it(socket: Socket) -> None:
    assert answered(socket, {"text": "Goodbye, and take care."}) == [
        ("bot_uttered", {"text": "Goodbye, and take care."}, ROOM)
    ]


def test_a_reply_without_its_disclaimer_cannot_be_rendered_and_the_safe_fallback_is_sent(socket: Socket) -> None:
    kwargs = render(cited_reply()).as_kwargs()
    kwargs[REPLY_KEY] = {**kwargs[REPLY_KEY], "disclaimer": ""}
    assert answered(socket, kwargs) == [
        ("bot_uttered", {"text": reply_text(SAFE_FALLBACK), REPLY_KEY: SAFE_FALLBACK.as_json()}, ROOM)
    ]
