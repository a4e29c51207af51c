"""The editors' web shell: chat with the bot and see why it answered, with drafts, behind `EDITOR_TOKEN`.

Content editors open `/webhooks/editor/` on the Rasa server. The page (files in `editor_static/`) sends
each message here; this channel passes it to Rasa as coming from the "editor" input channel with signed
metadata that asks for the editors' preview (`bot.channels.editor_preview`). The action answers with drafts
included if the switch is on and attaches the passages it ranked, with scores and sources; intent, entities
confidence and the policy that chose each action are read back from the tracker. Each reply reaches the page as its
reply data (`bot.replies.ReplyData`), which the page renders (`editor_static/reply.js`): paragraphs,
citations as links, the disclaimer set apart; data without a disclaimer is refused here and there. A
button reloads the content files into the database (the same code as `make content`); running action
servers read the new revision before their next turn and answer from it, without a restart.

Every route needs the token, as HTTP Basic (any user name, the token as password: the browser asks once)
or as `Authorization: Bearer <token>`, compared in constant time; without it the answer is 401. With no
`EDITOR_TOKEN` set, or one too short to be a secret, the channel serves nothing at all and says so in the
log. Posts must be JSON and same-origin, so another site cannot make an editor's browser send them. The
page's conversation id becomes `editor:<id>` (`bot.channels.conversation_ids`): an editor can never talk in a
patient's conversation, nor a patient in an editor's.

Once named accounts exist (`EDITOR_ACCOUNTS`, `python -m bot.tools.editors`), a browser gets a login page
and a session cookie instead (`bot.channels.editor_auth`), and the shell also edits passages
(`bot.channels.editor_editing`, `bot.editing`): create, edit, preview, publish, sign off, with a change log.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.conversation_ids import editor_key
from bot.channels.editor_auth import EditorAuth, same_origin
from bot.channels.editor_editing import add_editing_routes, passage_editor, record_reload
from bot.channels.editor_preview import DEBUG_KEY, EDITOR_CHANNEL, preview_metadata
from bot.channels.editor_traffic import add_traffic_routes
from bot.channels.rest import BadRequest, ReplyCollector, error, parse_message, read_body
from bot.config import get_settings
from bot.editing.accounts import Editor
from bot.editing.eval_questions import SavedQuestions
from bot.editing.loading import load_content
from bot.editing.passages import PassageEditor
from bot.language import LANGUAGES
from bot.replies import REPLY_KEY

if TYPE_CHECKING:
    from bot.feedback import FeedbackStore

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "editor_static"
STATIC_FILES = {
    "editor.js": "text/javascript; charset=utf-8",
    "editing.js": "text/javascript; charset=utf-8",
    "shell.js": "text/javascript; charset=utf-8",
    "login.js": "text/javascript; charset=utf-8",
    "reply.js": "text/javascript; charset=utf-8",
    "traffic.js": "text/javascript; charset=utf-8",
    "editor.css": "text/css; charset=utf-8",
}
# What the login page needs: served without a session once named accounts exist.
LOGIN_FILES = frozenset({"login.js", "editor.css"})
MIN_TOKEN_CHARS = 12
MAX_BODY_BYTES = 16_384
SENDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_RANKING = 5
REALM = 'Basic realm="Spasticity bot editors", charset="UTF-8"'
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def token_matches(header: str | None, token: str) -> bool:
    """True when an Authorization header carries the token (Basic password or Bearer), in constant time."""
    if not header:
        return False
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        value = decoded.partition(":")[2]
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.encode("utf-8"), token.encode("utf-8"))


def turn_report(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What NLU and the policies did for the latest message, from the tracker's events.

    Returns:
        The intent with its confidence, the runners-up, the entities, and each action taken after the
        message with the policy that chose it and its confidence, plus the slots it set.
    """
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    if last_user is None:
        return {"intent": None, "ranking": [], "entities": [], "actions": [], "slots": []}
    parse = events[last_user].get("parse_data") or {}
    said = str(events[last_user].get("text") or "")
    intent = parse.get("intent") or {}

    def words(entity: Mapping[str, Any]) -> str | None:
        start, end = entity.get("start"), entity.get("end")
        return said[start:end] if isinstance(start, int) and isinstance(end, int) else None

    entities = [
        {
            "entity": e.get("entity"),
            "value": e.get("value"),
            "text": words(e),
            "start": e.get("start"),
            "end": e.get("end"),
            "extractor": e.get("extractor"),
        }
        for e in parse.get("entities") or []
    ]
    actions = []
    slots = []
    for event in events[last_user + 1 :]:
        if event.get("event") == "action":
            actions.append(
                {"name": event.get("name"), "policy": event.get("policy"), "confidence": event.get("confidence")}
            )
        elif event.get("event") == "slot":
            slots.append({"name": event.get("name"), "value": event.get("value")})
    return {
        "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
        "ranking": [
            {"name": r.get("name"), "confidence": r.get("confidence")}
            for r in (parse.get("intent_ranking") or [])[:MAX_RANKING]
        ],
        "entities": entities,
        "actions": actions,
        "slots": slots,
    }


def replies(collected: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The bot's messages for the page: text, buttons, the reply data (if any) and the preview data.

    The collector (`ReplyCollector`) has already put the safe fallback in place of reply data without a
    disclaimer, and keeps each reply's custom JSON (the preview) in the same message.
    """
    out: list[dict[str, Any]] = []
    for message in collected:
        custom = message.get("custom")
        debug = custom.get(DEBUG_KEY) if isinstance(custom, Mapping) else None
        text = message.get("text")
        if text:
            buttons = [
                {"title": str(b.get("title")), "payload": str(b.get("payload"))} for b in message.get("buttons") or []
            ]
            out.append({"text": str(text), "buttons": buttons, "reply": message.get(REPLY_KEY), "preview": debug})
    return out


class EditorInput(InputChannel):
    """Serves the editors' web shell and its API under /webhooks/editor/ (see the module docstring)."""

    def __init__(
        self,
        token: str | None,
        content_dir: Path | None = None,
        database_url: str | None = None,
        accounts_file: Path | None = None,
        audit_file: Path | None = None,
        saved_file: Path | None = None,
    ) -> None:
        """Creates the channel.

        Args:
            token: `EDITOR_TOKEN`; without one (or with a short one) nothing is served.
            content_dir: the folder the reload button loads and the shell edits (default: `CONTENT_DIR`).
            database_url: the content database (default: `DATABASE_URL`).
            accounts_file: the named accounts (default: `EDITOR_ACCOUNTS`).
            audit_file: the change log (default: `EDITOR_AUDIT_LOG`).
            saved_file: where the traffic review saves evaluation questions (default: `EVAL_SAVED_FILE`).
        """
        settings = get_settings()
        self.token = token
        self.content_dir = content_dir or settings.content_dir
        self.database_url = database_url or settings.database_url
        self.accounts_file = accounts_file or settings.editor_accounts
        self.audit_file = audit_file or settings.editor_audit_log
        self.saved = SavedQuestions(saved_file or settings.eval_saved_file)
        self._reload_lock: asyncio.Lock | None = None
        self._auth: EditorAuth | None = None
        self._editing: PassageEditor | None = None
        self._feedback: FeedbackStore | None = None

    @classmethod
    def name(cls) -> str:
        """The channel's name: its URL prefix and the input channel its messages carry."""
        return EDITOR_CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> EditorInput:
        """The token comes from the environment only, never from credentials.yml (which is committed)."""
        return cls(get_settings().editor_token)

    def enabled(self) -> bool:
        """Whether a usable token is configured."""
        return bool(self.token) and len(self.token or "") >= MIN_TOKEN_CHARS

    def _authorised(self, request: Request) -> bool:
        return self.identify(request) is not None

    @property
    def auth(self) -> EditorAuth:
        """Sessions and logins (made on first use: they need the token)."""
        if self._auth is None:
            assert self.token is not None
            self._auth = EditorAuth(self.token, self.accounts_file)
        return self._auth

    def identify(self, request: Request) -> Editor | None:
        """The editor a request comes from: the token's holder, a logged-in account, or None."""
        if self.token is None:
            return None
        return self.auth.identify(request, token_matches(request.headers.get("authorization"), self.token))

    def editing(self) -> PassageEditor:
        """The passage editor for this channel's content folder, change log and database."""
        if self._editing is None:
            self._editing = passage_editor(self.content_dir, self.database_url, self.audit_file)
        return self._editing

    def feedback(self) -> FeedbackStore:
        """The feedback store the traffic review reads: the SQL store on this channel's database."""
        if self._feedback is None:
            from bot.feedback.fail_soft import sql_store_from_settings  # SQLAlchemy models, on first use

            self._feedback = sql_store_from_settings(get_settings(), self.database_url)
        return self._feedback

    def _login_page(self, request: Request, name: str) -> str | None:
        """The login page's file to serve instead of `name` to a visitor without a session, if any."""
        if not self.auth.accounts_mode():
            return None
        if name == "index.html":
            return "login.html"
        return name if name in LOGIN_FILES else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The page, its static files, the message route and the reload route, all behind the token."""
        shell = Blueprint("editor_shell", __name__)
        if not self.enabled():
            why = "is not set" if not self.token else f"is shorter than {MIN_TOKEN_CHARS} characters"
            logger.error("Editors' web shell is OFF: EDITOR_TOKEN %s, so /webhooks/editor/ serves nothing.", why)
            return shell
        logger.info("Editors' web shell at /webhooks/editor/ (EDITOR_TOKEN required).")

        def denied() -> HTTPResponse:
            if self.auth.accounts_mode():  # no Basic prompt: the page offers the login form
                message = "Log in with your editor account (or send the editor token)."
                return response.json({"error": "unauthorised", "message": message}, 401, headers=SECURITY_HEADERS)
            return response.json(
                {"error": "unauthorised", "message": "The editor token is missing or wrong."},
                status=401,
                headers={"WWW-Authenticate": REALM, **SECURITY_HEADERS},
            )

        @shell.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):  # the page's links are relative to the folder
                return response.redirect(request.path + "/", headers=SECURITY_HEADERS)
            if not self._authorised(request):
                login = self._login_page(request, "index.html")
                if login is None:
                    return denied()
                return await response.file(STATIC_DIR / login, status=401, headers=SECURITY_HEADERS)
            return await response.file(STATIC_DIR / "index.html", headers=SECURITY_HEADERS)

        @shell.route("/static/<name>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            if not self._authorised(request) and self._login_page(request, name) is None:
                return denied()
            if name not in STATIC_FILES:
                return error(404, "not_found", "No such file.")
            return await response.file(STATIC_DIR / name, mime_type=STATIC_FILES[name], headers=SECURITY_HEADERS)

        @shell.route("/message", methods=["POST"], stream=True)
        async def message(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return denied()
            if not same_origin(request):
                return error(403, "forbidden", "Cross-site requests are not accepted.")
            try:
                raw = await read_body(request, MAX_BODY_BYTES)
                if not request.headers.get("content-type", "").startswith("application/json"):
                    raise BadRequest("Send JSON (Content-Type: application/json).")
                incoming = parse_message(raw)
                fields = json.loads(raw.decode("utf-8"))
                drafts = fields.get("drafts", False)
                if not isinstance(drafts, bool):
                    raise BadRequest('"drafts" must be true or false.')
                # Editors test the Spanish replies by answering as a Spanish page would (bot.language).
                lang = fields.get("lang")
                if lang is not None and lang not in LANGUAGES:
                    raise BadRequest(f'"lang" must be one of {", ".join(LANGUAGES)}.')
                if not SENDER_ID.fullmatch(incoming.sender):
                    raise BadRequest('"sender" may hold only letters, digits, "-" and "_" (at most 64).')
            except PayloadTooLarge:
                return error(413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
            except BadRequest as exc:
                return error(400, "bad_request", str(exc))
            assert self.token is not None
            sender_id = editor_key(incoming.sender)  # the editors' namespace: never a patient's conversation
            text = incoming.text.strip()  # UserMessage strips too; the signature covers exactly this text
            collector = ReplyCollector()
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender_id,
                        input_channel=EDITOR_CHANNEL,
                        metadata={
                            **preview_metadata(self.token, sender_id, text, drafts),
                            **({"lang": lang} if lang else {}),
                        },
                    )
                )
                tracker = await request.app.ctx.agent.tracker_store.retrieve(sender_id)
            except Exception as exc:  # the page shows it; the server log has the traceback
                logger.exception("The editors' message could not be handled")
                return error(502, "bot_failed", f"The bot could not answer ({exc.__class__.__name__}).")
            events = [e.as_dict() for e in tracker.events] if tracker is not None else []
            body = {
                "sender": sender_id,
                "drafts": drafts,
                "replies": replies(collector.messages),
                **turn_report(events),
            }
            return response.json(body, headers=SECURITY_HEADERS)

        @shell.route("/reload", methods=["POST"])
        async def reload(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return denied()
            if not same_origin(request) or not request.headers.get("content-type", "").startswith("application/json"):
                return error(403, "forbidden", "Send the reload as a same-origin JSON request.")
            if self._reload_lock is None:
                self._reload_lock = asyncio.Lock()
            async with self._reload_lock:  # one load at a time; a second click waits for the first
                loop = asyncio.get_running_loop()
                status, report = await loop.run_in_executor(None, load_content, self.content_dir, self.database_url)
            logger.info("Editors' reload: %s", report["message"])
            self._record_reload(request, report)
            return response.json(report, status=status, headers=SECURITY_HEADERS)

        @shell.route("/status", methods=["GET"])
        async def status(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return denied()
            return response.json(
                {"content_dir": str(self.content_dir), "reload_seconds": get_settings().content_reload_seconds},
                headers=SECURITY_HEADERS,
            )

        add_editing_routes(shell, self.auth, self.identify, self.editing, denied, SECURITY_HEADERS)
        add_traffic_routes(
            shell, self.identify, self.feedback, self.editing, lambda: self.saved, denied, SECURITY_HEADERS
        )
        return shell

    def _record_reload(self, request: Request, report: dict[str, Any]) -> None:
        """Puts a reload that changed the content in the change log, under the editor who asked for it."""
        editor = self.identify(request)
        if editor is not None:
            record_reload(self.editing().audit, editor, report)
