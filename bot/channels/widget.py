"""The website widget's own channel: serves the built widget, its demo page, and a read-only history.

The widget talks to the bot over Rasa's socket.io channel (`credentials.yml`, session persistence on). What
socket.io cannot do is give a reloaded page or a new tab the conversation so far, and the browser must never
hold the Rasa HTTP API token that the tracker routes need. So this channel adds, under `/webhooks/widget/`:

- `GET /` the demo page (`widget/demo/index.html`): the widget on a mock community page (`make run`);
- `GET /static/widget.js` (and its source map) from `widget/dist/`, built by `make widget`;
- `GET /history?session_id=<uuid>`: the user and bot texts of that one conversation (each bot reply with its
  reply data, which the widget renders) and the last quick replies, read from the tracker store. Only ids
  shaped like the random UUIDs the widget makes are accepted, only conversations held over the socket.io
  channel are shown, and the answer is bounded in size.

It receives no messages itself (`on_new_message` is unused), so it adds no way to talk to the bot.

Over Socket.IO each structured reply goes out as one `bot_uttered` message (`WidgetOutput`): `text` (the plain
text rendered from the data, for simple clients), `quick_replies`, and `reply`, the reply data the widget
renders (`bot.replies.ReplyData`). Reply data without its disclaimer is never sent: the safe fallback is.

`SocketIOInput` is Rasa's socket.io channel with its two handlers replaced (`bot.rasa_patches.socketio`
says why): `session_request` really joins the conversation's room, and a broken message payload gets a plain
reply. `credentials.yml` names this class instead of the stock `socketio` entry; events, path and the channel
name (`socketio`) stay the same.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput
from rasa.shared.core.events import BotUttered, Event, SessionStarted, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import PROJECT_ROOT
from bot.rasa_patches.socketio import MAX_ROOM_CHARS, replace_handler, session_request_handler
from bot.replies import REPLY_KEY, ReplyData, checked, reply_text
from bot.text import RECEIVED, normalise
from bot.wording import WIDGET_NO_SESSION, WIDGET_UNREADABLE

logger = logging.getLogger(__name__)

CHANNEL_NAME = "widget"
SOCKETIO_CHANNEL = "socketio"
WIDGET_DIR = PROJECT_ROOT / "widget"
MAX_MESSAGES = 100  # the newest messages a reload shows; older ones stay in the tracker
MAX_TEXT_CHARS = 4000  # longer texts (a pasted essay) are cut in the history, not in the conversation
MAX_BUTTONS = 12
# A version 4 UUID as `crypto.randomUUID()` writes it: the only session ids the widget makes.
SESSION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
STATIC_FILES = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.js.map": "application/json; charset=utf-8",
    "widget.js.LEGAL.txt": "text/plain; charset=utf-8",
}
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def is_session_id(value: str) -> bool:
    """True for a session id the widget could have made (a lower-case version 4 UUID)."""
    return bool(SESSION_ID.fullmatch(value))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "…"


def _buttons(data: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """The well-formed quick replies of a bot message's data, at most MAX_BUTTONS."""
    raw = (data or {}).get("buttons") or []
    buttons = []
    for button in raw if isinstance(raw, list) else []:
        if isinstance(button, dict) and isinstance(button.get("title"), str) and isinstance(button.get("payload"), str):
            buttons.append({"title": _cut(button["title"]), "payload": button["payload"]})
    return buttons[:MAX_BUTTONS]


def last_session(events: Iterable[Event]) -> list[Event]:
    """The events of the latest conversation session, with the introduction that opened it, in seen order.

    Rasa logs the bot messages of `action_session_start` before that action's `SessionStarted` event, so
    the tracker store's "latest session" (everything from `SessionStarted` on) would drop the introduction;
    and the session starts when the person's first message arrives, so the tracker has the introduction
    before that message, while the widget showed the message first. Here the introduction is kept and put
    back after the message that started the session, as the person saw it.
    """
    events = list(events)
    starts = [i for i, event in enumerate(events) if isinstance(event, SessionStarted)]
    if not starts:
        return events
    begin = starts[-1]
    while begin > 0 and isinstance(events[begin - 1], BotUttered):
        begin -= 1
    introduction, session = events[begin : starts[-1]], events[starts[-1] :]
    first_user = next((i for i, event in enumerate(session) if isinstance(event, UserUttered)), None)
    if first_user is None:
        return introduction + session
    return session[: first_user + 1] + introduction + session[first_user + 1 :]


def conversation_history(events: Iterable[Event], limit: int = MAX_MESSAGES) -> dict[str, Any]:
    """What a reloaded widget shows: the texts in order, and the quick replies still open.

    A user message that was a button press holds the button's payload (`/ask_topic{...}`); it is shown as
    the button's title, as the widget showed it when it was pressed. Quick replies are returned only when no
    user message came after them, since answering moves the conversation on. A conversation that was not
    held over the socket.io channel (REST, Telegram) is never shown here, whatever its sender id looks like.

    Args:
        events: the tracker's events, oldest first (all sessions: only the latest one is shown).
        limit: how many of the newest messages to return.

    Returns:
        `{"messages": [{"sender": "user"|"bot", "text": ..., "reply": {...}}], "buttons": [...], "truncated": bool}`
        (`reply`, the reply data, only for the bot's structured replies).
    """
    messages: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    open_buttons: list[dict[str, str]] = []
    for event in last_session(events):
        if isinstance(event, UserUttered):
            if event.input_channel != SOCKETIO_CHANNEL:
                return {"messages": [], "buttons": [], "truncated": False}
            text = event.text or ""
            messages.append({"sender": "user", "text": _cut(titles.get(text, text))})
            open_buttons = []
        elif isinstance(event, BotUttered):
            buttons = _buttons(event.data)
            titles.update({b["payload"]: b["title"] for b in buttons})
            reply = checked(event.metadata or {})
            if reply is not None:
                messages.append({"sender": "bot", "text": _cut(reply_text(reply)), REPLY_KEY: reply.as_json()})
            elif event.text:
                messages.append({"sender": "bot", "text": _cut(event.text)})
            if buttons:
                open_buttons = buttons
    truncated = len(messages) > limit
    return {"messages": messages[-limit:] if limit > 0 else [], "buttons": open_buttons, "truncated": truncated}


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=SECURITY_HEADERS)


class WidgetInput(InputChannel):
    """Serves the website widget, its demo page and each conversation's history (read-only)."""

    def __init__(self, widget_dir: Path = WIDGET_DIR) -> None:
        """Serves the files under `widget_dir` (`dist/` and `demo/`)."""
        self.widget_dir = widget_dir

    @classmethod
    def name(cls) -> str:
        """The channel's name, and so its URL prefix: `/webhooks/widget/`."""
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Takes no settings: the widget's look is configured on the embedding page."""
        return cls()

    def _file(self, path: Path, content_type: str, missing: str) -> HTTPResponse:
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            return response.text(missing, status=503, headers=SECURITY_HEADERS)
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
        return response.raw(body, content_type=content_type, headers=headers)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The demo page, the static widget and the history route."""
        widget = Blueprint("widget_webhook", __name__)

        @widget.route("/", methods=["GET"])
        async def demo(_: Request) -> HTTPResponse:
            return self._file(
                self.widget_dir / "demo" / "index.html",
                "text/html; charset=utf-8",
                "The widget's demo page is missing (widget/demo/index.html).",
            )

        @widget.route("/static/<name>", methods=["GET"])
        async def static(_: Request, name: str) -> HTTPResponse:
            content_type = STATIC_FILES.get(name)
            if content_type is None:  # a fixed list, so no path can leave dist/
                return _error(404, "No such widget file.")
            return self._file(
                self.widget_dir / "dist" / name,
                content_type,
                "The widget is not built: run `make widget` (it needs node and npm).",
            )

        @widget.route("/history", methods=["GET"])
        async def history(request: Request) -> HTTPResponse:
            values = request.args.getlist("session_id") or []
            if len(values) != 1 or not is_session_id(values[0]):
                return _error(400, "session_id must be one UUID as made by the widget (8-4-4-4-12 hex digits).")
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or agent.tracker_store is None:
                return _error(503, "The bot is not ready yet.")
            try:
                tracker = await agent.tracker_store.retrieve_full_tracker(values[0])
            except Exception:  # a tracker store outage must not become a 500 with a trace
                logger.exception("Could not read the conversation history from the tracker store.")
                return _error(503, "The conversation history is not available right now.")
            body = conversation_history(tracker.events if tracker is not None else [])
            return response.json(body, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})

        return widget


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


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io channel whose handlers join the conversation's room and survive broken payloads."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint, with its `session_request` and message handlers replaced (bot.rasa_patches.socketio)."""
        socket_blueprint = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by the parent's blueprint()

        replace_handler(sio, "session_request", session_request_handler(self, sio), self.namespace)

        async def refuse(sid: str, why: str) -> None:
            logger.info("Refused a Socket.IO message: %s", why)
            await sio.emit(self.bot_message_evt, {"text": WIDGET_UNREADABLE}, room=sid, namespace=self.namespace)

        async def handle_message(sid: str, data: Any) -> None:
            # Rasa's handler assumes a dict with a string message: anything else raised inside it and the
            # person heard nothing. Here a broken payload gets a plain reply and never reaches the tracker.
            if not isinstance(data, dict):
                return await refuse(sid, f"payload is {type(data).__name__}, not an object")
            if self.session_persistence:
                sender = data.get("session_id")
                if not isinstance(sender, str) or not 0 < len(sender) <= MAX_ROOM_CHARS:
                    await sio.emit(
                        self.bot_message_evt, {"text": WIDGET_NO_SESSION}, room=sid, namespace=self.namespace
                    )
                    return None
            else:
                sender = sid
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
                text,
                output,
                sender,
                input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else {},
            )
            await on_new_message(message)
            return None

        replace_handler(sio, self.user_message_evt, handle_message, self.namespace)
        return socket_blueprint
