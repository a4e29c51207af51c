"""The widget's Socket.IO channel: Rasa's, with server-issued sessions, one room per socket and bounded sockets.

`SocketIOInput` is Rasa's socket.io channel (`credentials.yml`: same events, path and channel name
`socketio`) whose handlers are replaced (`bot.rasa_patches.socketio.replace_handler`):

- `session_request {session_id?, metadata?}`: a session id this server issued and signed
  (`bot.channels.widget_session`), whose conversation has not been idle past the session expiry, is kept;
  anything else (none, forged, another channel's id, expired) gets a fresh one, preceded by the privacy
  notice (`bot.wording.privacy_notice`, in the page's language, with `PRIVACY_URL` when set). The socket then
  leaves the room it was in and joins that session's, `web:<random>`: a socket holds one room at most, so no
  socket can collect rooms (one that joined 200k rooms held 130 MB);
- a new conversation (a fresh id, above or after `start_over`) of a page that names a topic
  (`metadata.topic`, the widget's `data-topic`) opens on it: the channel hands Rasa a `bot.payloads.TopicStart`
  for the id, only when it has the shape of a content id; the action answers with the topic's overview, or the
  usual greeting for an id it does not know. A conversation already under way is never moved to the page's topic;
- `start_over {session_id}`: the conversation of the socket's own session is deleted from the tracker store
  (`bot.conversation_store.forget_conversation`, under its lock), and the socket gets a fresh session as above;
- `user_uttered {message, session_id, metadata}`: the id must be this server's and the session the socket
  joined, or the message is refused with a plain reply and never reaches the tracker; a payload that is not an
  object, or a message that is not text, is refused the same way; the text is cleaned as REST cleans it;
- `connect`: at most `WIDGET_MAX_CONNECTIONS_PER_IP` sockets per client address, the address the server's
  per-address limits count (`bot.client_limits.client_address`: the peer, or the client a trusted proxy of
  `TRUSTED_PROXIES` forwarded the connection for; IPv6 per /64). Clients on this machine are not counted.

Each socket may ask for a session (or start over) `MAX_SESSION_EVENTS` times a minute; the rest are ignored,
since each one reads or deletes in the tracker store. Engine.IO refuses any packet over
`MAX_PACKET_BYTES` (Socket.IO's default is 1 MB; Rasa stored a message of any size whole).

Each structured reply goes out as one `bot_uttered` message (`WidgetOutput`): `text` (for simple clients),
`quick_replies`, and `reply`, the reply data the widget renders. Reply data without its disclaimer is never sent:
the safe fallback is.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput
from sanic import Blueprint

from bot.channels.conversation_ids import widget_key
from bot.channels.widget_session import SessionIds, default_session_ids, idle_expired
from bot.client_limits import client_address as forwarded_client
from bot.client_limits import is_local, limit_key
from bot.config import get_settings
from bot.conversation_store import forget_conversation
from bot.language import Lang, normalise_code
from bot.payloads import TopicStart, is_topic_id
from bot.rasa_patches.socketio import replace_handler
from bot.replies import REPLY_KEY, ReplyData, checked, reply_text
from bot.text import RECEIVED, normalise
from bot.wording import WIDGET_NO_SESSION, WIDGET_UNREADABLE, privacy_notice

logger = logging.getLogger(__name__)

# The largest Engine.IO packet accepted: a message at the length the bot reads (MAX_MESSAGE_CHARS, 1,000),
# even with every character escaped by the client's JSON (6 to 12 bytes each), plus the payload's other keys.
MAX_PACKET_BYTES = 16_384
MAX_SESSION_EVENTS = 10  # session requests and start-overs per socket per minute
SESSION_EVENT_WINDOW_S = 60.0
START_OVER_EVENT = "start_over"
NOTICE_KEY = "notice"


def socketio_message(reply: ReplyData) -> dict[str, Any]:
    """One `bot_uttered` message for a structured reply: its text, its quick replies and its data."""
    message: dict[str, Any] = {"text": reply_text(reply)}
    if reply.buttons:
        message["quick_replies"] = [
            {"content_type": "text", "title": b.title, "payload": b.payload} for b in reply.buttons
        ]
    message[REPLY_KEY] = reply.as_json()
    return message


class WidgetOutput(SocketIOOutput):
    """Rasa's Socket.IO output, sending each structured reply as one message with its reply data."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """A structured reply as `socketio_message`; any other message as Rasa sends it."""
        reply = checked(message)
        if reply is None:
            await super().send_response(recipient_id, message)
            return
        await self._send_message(recipient_id, socketio_message(reply))


def client_address(environ: dict[str, Any]) -> str:
    """The connecting client's address, as the server's per-address limits see it (`TRUSTED_PROXIES`)."""
    request = environ.get("sanic.request")
    if request is None:  # not Sanic: Engine.IO's own (fixed) value
        return str(environ.get("REMOTE_ADDR") or "")
    peer = str(getattr(request, "ip", "") or "")
    return forwarded_client(peer, request.headers.get("x-forwarded-for"), get_settings().trusted_proxies)


def _lang(data: Any) -> Lang:
    metadata = data.get("metadata") if isinstance(data, dict) else None
    return normalise_code(metadata.get("lang") if isinstance(metadata, dict) else None) or "en"


def _topic(data: Any) -> str | None:
    """The page's topic (`metadata.topic`) when it has the shape of a content id; None for anything else."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    topic = metadata.get("topic") if isinstance(metadata, dict) else None
    return topic if is_topic_id(topic) else None


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io channel with the handlers of the module docstring."""

    sessions: SessionIds | None = None  # the signer; the process's default one unless a test sets its own
    max_connections_per_ip = 20
    context: Any = None  # the Sanic app's `ctx`, where Rasa puts its agent once the model is loaded

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Rasa's settings from credentials.yml; the connection limit from the environment."""
        channel = super().from_credentials(credentials)
        assert isinstance(channel, SocketIOInput)
        channel.max_connections_per_ip = get_settings().widget_max_connections_per_ip
        return channel

    def _signer(self) -> SessionIds:
        if self.sessions is None:
            self.sessions = default_session_ids()
        return self.sessions

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint, with the handlers of the module docstring in place of Rasa's."""
        socket_blueprint = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by the parent's blueprint()
        sio.eio.max_http_buffer_size = MAX_PACKET_BYTES
        namespace = self.namespace
        handlers = sio.handlers.get(namespace or "/", {})
        rasa_connect, rasa_disconnect = handlers["connect"], handlers["disconnect"]
        joined: dict[str, str] = {}  # socket id -> the one session room it is in
        addresses: dict[str, str] = {}  # socket id -> the client address it counts against
        per_address: Counter[str] = Counter()
        session_events: dict[str, deque[float]] = {}

        @socket_blueprint.listener("before_server_start")
        async def keep_context(app: Any, _: Any) -> None:
            self.context = app.ctx  # `.agent` is read at each use: Rasa may load or replace the model later

        async def say(sid: str, text: str, **extra: Any) -> None:
            await sio.emit(self.bot_message_evt, {"text": text, **extra}, room=sid, namespace=namespace)

        def agent() -> Any:
            return getattr(self.context, "agent", None)

        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            address = limit_key(client_address(environ))
            counted = self.max_connections_per_ip > 0 and bool(address) and not is_local(address)
            if counted and per_address[address] >= self.max_connections_per_ip:
                logger.warning(
                    "Refused a Socket.IO connection: %d already open from one address.", per_address[address]
                )
                return False
            allowed = await rasa_connect(sid, environ, auth)
            if allowed is not False and counted:
                addresses[sid] = address
                per_address[address] += 1
            return allowed is not False

        async def disconnect(sid: str, *_: Any) -> None:
            joined.pop(sid, None)
            session_events.pop(sid, None)
            address = addresses.pop(sid, None)
            if address is not None:
                per_address[address] -= 1
                if per_address[address] <= 0:
                    del per_address[address]
            await rasa_disconnect(sid)

        def allowed_session_event(sid: str) -> bool:
            now = time.monotonic()
            recent = session_events.setdefault(sid, deque())
            while recent and now - recent[0] > SESSION_EVENT_WINDOW_S:
                recent.popleft()
            if len(recent) >= MAX_SESSION_EVENTS:
                logger.warning("Ignored a Socket.IO session request: over %d a minute.", MAX_SESSION_EVENTS)
                return False
            recent.append(now)
            return True

        async def expired(key: str) -> bool:
            bot = agent()
            store = getattr(bot, "tracker_store", None)
            domain = getattr(bot, "domain", None)
            if store is None or domain is None:
                return False
            try:
                tracker = await store.retrieve(key)
            except Exception:  # the store is down: the person may still connect; history will say so
                logger.exception("Could not read a widget conversation to check its expiry.")
                return False
            events = list(tracker.events) if tracker is not None else []
            return idle_expired(events, domain.session_config.session_expiration_time)

        async def confirm(
            sid: str, session_id: str, key: str, fresh: bool, lang: Lang, topic: str | None = None
        ) -> None:
            if self.session_persistence:
                old = joined.pop(sid, None)
                if old is not None and old != key:
                    await sio.leave_room(sid, old, namespace=namespace)
                await sio.enter_room(sid, key, namespace=namespace)
                joined[sid] = key
            if fresh:  # before the confirmation, so the notice comes first in a new conversation
                settings = get_settings()
                notice = privacy_notice("widget", lang, settings.tracker_retention_days, settings.privacy_url)
                await say(sid, notice, **{NOTICE_KEY: "privacy"})
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
            if fresh and topic is not None:  # after the notice and the id: the page's topic opens the conversation
                output = WidgetOutput(sio, self.bot_message_evt)
                await on_new_message(TopicStart(topic, output, key, self.name(), {"lang": lang}))

        async def session_request(sid: str, data: Any) -> None:
            if not allowed_session_event(sid):
                return
            signer = self._signer()
            requested = data.get("session_id") if isinstance(data, dict) else None
            key = signer.key_of(requested)
            if key is not None and not await expired(key):
                await confirm(sid, str(requested), key, False, _lang(data))
                return
            session_id = signer.issue()
            await confirm(sid, session_id, str(signer.key_of(session_id)), True, _lang(data), _topic(data))

        async def start_over(sid: str, data: Any) -> None:
            if not allowed_session_event(sid):
                return
            signer = self._signer()
            key = signer.key_of(data.get("session_id") if isinstance(data, dict) else None)
            bot = agent()
            if key is not None and joined.get(sid) == key and getattr(bot, "tracker_store", None) is not None:
                try:  # only the socket's own session, proved by its id: nobody deletes another's
                    await forget_conversation(bot, key)
                except Exception:
                    logger.exception("Start over could not delete a widget conversation.")
            session_id = signer.issue()
            await confirm(sid, session_id, str(signer.key_of(session_id)), True, _lang(data), _topic(data))

        async def refuse(sid: str, why: str) -> None:
            logger.info("Refused a Socket.IO message: %s", why)
            await say(sid, WIDGET_UNREADABLE)

        async def handle_message(sid: str, data: Any) -> None:
            # Rasa's handler assumes a dict with a string message: anything else raised inside it and the
            # person heard nothing. Here a broken payload gets a plain reply and never reaches the tracker.
            if not isinstance(data, dict):
                return await refuse(sid, f"payload is {type(data).__name__}, not an object")
            if self.session_persistence:
                key = self._signer().key_of(data.get("session_id"))
                if key is None or joined.get(sid) != key:
                    logger.info("Refused a Socket.IO message: not the socket's session.")
                    return await say(sid, WIDGET_NO_SESSION)
            else:
                key = widget_key(sid)
            text = data.get("message", "")
            if not isinstance(text, str):
                return await refuse(sid, f"message is {type(text).__name__}, not text")
            try:
                text = normalise(text, RECEIVED)
                text.encode("utf-8")
            except UnicodeEncodeError:
                return await refuse(sid, "message holds a lone surrogate")
            metadata = data.get(self.metadata_key)
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = None
            output = WidgetOutput(sio, self.bot_message_evt)
            message = UserMessage(
                text, output, key, input_channel=self.name(), metadata=metadata if isinstance(metadata, dict) else {}
            )
            await on_new_message(message)
            return None

        replace_handler(sio, "connect", connect, namespace)
        replace_handler(sio, "disconnect", disconnect, namespace)
        replace_handler(sio, "session_request", session_request, namespace)
        sio.on(START_OVER_EVENT, start_over, namespace=namespace)
        replace_handler(sio, self.user_message_evt, handle_message, namespace)
        return socket_blueprint
