"""The website widget's own channel: serves the built widget, its demo page, and each session's history.

The widget talks to the bot over the Socket.IO channel (`bot.channels.widget_socket`: server-issued session ids,
one room per socket). What Socket.IO cannot do is give a reloaded page or a new tab the conversation so far,
and the browser must never hold the Rasa HTTP API token that the tracker routes need. So this channel adds,
under `/webhooks/widget/`:

- `GET /` the demo page (`widget/demo/index.html`, with `demo.css`): the widget on a mock community page
  (`make run`), under a strict Content-Security-Policy (no inline script or style, nothing from elsewhere), so
  the demo also shows the widget needs none;
- `GET /static/widget.js` (and its source map) from `widget/dist/`, built by `make widget`;
- `POST /history` with `{"session_id": ...}` in the body (never in the URL, so no access log holds it): the
  user and bot texts of that session's conversation (each bot reply with its reply data, which the widget
  renders) and the last quick replies, read from the tracker store. Only ids this server issued and signed
  are accepted (403 otherwise, `bot.channels.widget_session`); a conversation idle past the session expiry is
  refused with 410 (a shared computer's next user must not see it); only conversations held over the
  socket.io channel are shown, and the answer is bounded in size.

It receives no messages itself (`on_new_message` is unused), so it adds no way to talk to the bot. Every answer
carries `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, Event, SessionStarted, UserUttered
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.rest import read_body
from bot.channels.widget_session import SessionIds, default_session_ids, idle_expired
from bot.config import PROJECT_ROOT
from bot.payloads import topic_of_start
from bot.replies import REPLY_KEY, checked, reply_text

logger = logging.getLogger(__name__)

CHANNEL_NAME = "widget"
SOCKETIO_CHANNEL = "socketio"
WIDGET_DIR = PROJECT_ROOT / "widget"
MAX_MESSAGES = 100  # the newest messages a reload shows; older ones stay in the tracker
MAX_TEXT_CHARS = 4000  # longer texts (a pasted essay) are cut in the history, not in the conversation
MAX_BUTTONS = 12
MAX_HISTORY_BODY_BYTES = 1024  # {"session_id": "<45 characters>"} and some room
STATIC_FILES = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.js.map": "application/json; charset=utf-8",
    "widget.js.LEGAL.txt": "text/plain; charset=utf-8",
}
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
# The demo page loads only its own script and styles and talks only to its own server; the widget's styles
# go in through a constructed style sheet, which CSP does not count as inline.
DEMO_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


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
    the button's title, as the widget showed it when it was pressed; a topic start (`bot.payloads.TopicStart`:
    the page named a topic) is not shown at all. Quick replies are returned only when no
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
            if text not in titles and topic_of_start(text) is not None:
                continue  # the page opened the conversation on a topic: nothing the person typed or pressed
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

    def __init__(self, widget_dir: Path = WIDGET_DIR, sessions: SessionIds | None = None) -> None:
        """Serves the files under `widget_dir` (`dist/` and `demo/`).

        Args:
            widget_dir: the widget's folder.
            sessions: the session signer (default: the process's, from `WIDGET_SECRET` or var/widget-secret).
        """
        self.widget_dir = widget_dir
        self.sessions = sessions

    @classmethod
    def name(cls) -> str:
        """The channel's name, and so its URL prefix: `/webhooks/widget/`."""
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Takes no settings: the widget's look is configured on the embedding page."""
        return cls()

    def _file(
        self, path: Path, content_type: str, missing: str, extra: Mapping[str, str] | None = None
    ) -> HTTPResponse:
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            return response.text(missing, status=503, headers=SECURITY_HEADERS)
        headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache", **(extra or {})}
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
                {"Content-Security-Policy": DEMO_CSP},
            )

        @widget.route("/demo.css", methods=["GET"])
        async def demo_styles(_: Request) -> HTTPResponse:
            return self._file(self.widget_dir / "demo" / "demo.css", "text/css; charset=utf-8", "demo.css is missing.")

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

        @widget.route("/history", methods=["POST"], stream=True)
        async def history(request: Request) -> HTTPResponse:
            try:
                data = json.loads((await read_body(request, MAX_HISTORY_BODY_BYTES)).decode("utf-8"))
            except (PayloadTooLarge, UnicodeDecodeError, ValueError):
                return _error(400, 'Send {"session_id": "..."} as JSON, as the widget does.')
            sessions = self.sessions or default_session_ids()
            key = sessions.key_of(data.get("session_id") if isinstance(data, dict) else None)
            if key is None:
                return _error(403, "This is not a session id this server gave out.")
            agent = getattr(request.app.ctx, "agent", None)
            domain = getattr(agent, "domain", None)
            if agent is None or agent.tracker_store is None or domain is None:
                return _error(503, "The bot is not ready yet.")
            try:
                tracker = await agent.tracker_store.retrieve_full_tracker(key)
            except Exception:  # a tracker store outage must not become a 500 with a trace
                logger.exception("Could not read the conversation history from the tracker store.")
                return _error(503, "The conversation history is not available right now.")
            events = list(tracker.events) if tracker is not None else []
            if idle_expired(events, domain.session_config.session_expiration_time):
                return _error(410, "This conversation has ended; a new one starts with the next message.")
            body = conversation_history(events)
            return response.json(body, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})

        return widget
