"""The editors' shell's traffic review: real traffic, anonymised, and saving a message as an evaluation question.

    GET  traffic/            the page (editor_static/traffic.html)
    GET  traffic/data        daily counts by kind, the scrubbed words of recent emergency, dosing and
                             unanswered turns, the reasons given for "not helpful", the categories and topics
    POST traffic/save        {turn, category, topic?}: appends that turn's words to the saved question file

Every route needs an editor (token or account). The save takes a stored turn's id, never text from the page,
so only a message the bot really received (as scrubbed when it was stored) can become a question; it must be
same-origin JSON with `X-Editor-Shell: 1`, and it is logged in the change log with the editor's name. The
feedback store is read here (`bot.feedback.traffic`); a database that cannot be reached gives a 503 with a
plain message, never an empty page that looks like quiet traffic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.editor_editing import posted_json
from bot.channels.rest import error, read_body
from bot.config import get_settings
from bot.editing.accounts import Editor
from bot.editing.audit import Action
from bot.editing.eval_questions import SAVED_CATEGORIES, SavedQuestions
from bot.editing.forms import EditingError
from bot.editing.passages import PassageEditor
from bot.feedback.records import Reason, TurnKind
from bot.feedback.report import READ_KINDS, REASON_LABELS
from bot.feedback.traffic import TrafficFeedback

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "editor_static"
MAX_DAYS = 90
MAX_LIMIT = 100
DAYS = 14
LIMIT = 20
MAX_BODY_BYTES = 4096
# What each kind of turn is expected to be, when an editor saves one: the bot's own verdict at the time.
DEFAULT_CATEGORY = {TurnKind.EMERGENCY: "emergency", TurnKind.DOSING: "dosing_refusal", TurnKind.UNANSWERED: "answer"}


def _bounded(raw: str | None, default: int, top: int) -> int:
    return min(int(raw), top) if raw and raw.isdigit() and int(raw) > 0 else default


def traffic_data(store: TrafficFeedback, days: int, limit: int, retention_days: int) -> dict[str, Any]:
    """What the page shows, as JSON: read from the feedback store in one go."""
    return {
        "retention_days": retention_days,
        "kinds": [k.value for k in TurnKind],
        "daily": [d.to_dict() for d in store.daily_counts(days)],
        "recent": {k.value: [t.to_dict() for t in store.recent_turns([k], limit)] for k in READ_KINDS},
        "reasons": {
            "labels": {r.value: REASON_LABELS[r] for r in Reason},
            "counts": {r.value: n for r, n in store.reason_counts().items()},
            "recent": store.recent_reasons(limit),
        },
        "categories": list(SAVED_CATEGORIES),
        "default_category": {k.value: v for k, v in DEFAULT_CATEGORY.items()},
    }


def save_turn(
    store: TrafficFeedback, saved: SavedQuestions, editing: PassageEditor, who: Editor, data: dict[str, Any]
) -> dict[str, Any]:
    """Saves one stored turn as an evaluation question and logs it; raises EditingError with what is wrong."""
    ident, category, topic = data.get("turn"), data.get("category"), data.get("topic")
    if not isinstance(ident, int) or isinstance(ident, bool) or ident <= 0:
        raise EditingError(400, '"turn" must be the number of a message on this page.')
    if not isinstance(category, str) or (topic is not None and not isinstance(topic, str)):
        raise EditingError(400, '"category" must be text (and "topic", if given).')
    turn = store.turn(ident)
    if turn is None:
        raise EditingError(
            404, "That message is no longer stored (it may have been deleted after the retention period)."
        )
    topics = {str(t["id"]) for t in editing.catalogue()["topics"] if t.get("id")}
    item = saved.append(turn.question, category, topic or None, topics, editing.today())
    note = f"turn #{ident} ({turn.kind.value}) saved as {category}" + (f", topic {topic}" if item.get("topic") else "")
    editing.audit.append(who.name, who.role, Action.SAVE_EVAL, file=str(saved.path.name), note=note)
    return {"ok": True, "message": f"Saved as an evaluation question ({item['id']}, {category}).", "item": item}


def add_traffic_routes(
    shell: Blueprint,
    identify: Callable[[Request], Editor | None],
    feedback: Callable[[], TrafficFeedback],
    editing: Callable[[], PassageEditor],
    saved: Callable[[], SavedQuestions],
    denied: Callable[[], HTTPResponse],
    headers: dict[str, str],
) -> None:
    """Adds the traffic review's routes to the shell's blueprint.

    Args:
        shell: the editors' channel blueprint.
        identify: the editor a request comes from (token or session), or None.
        feedback: the feedback store to read (made on first use).
        editing: the passage editor (its change log, topics and today's date).
        saved: the saved evaluation question file.
        denied: the answer for a request without a valid editor.
        headers: the shell's security headers, for every answer.
    """

    def answer(body: Any, status: int = 200) -> HTTPResponse:
        return response.json(body, status=status, headers=headers)

    def unreachable(exc: SQLAlchemyError) -> HTTPResponse:
        logger.warning("Traffic review: the feedback database failed: %s", exc.__class__.__name__)
        message = "The feedback database cannot be reached just now, so nothing can be shown. Try again later."
        return answer({"ok": False, "message": message}, 503)

    @shell.route("/traffic", methods=["GET"])
    async def page(request: Request) -> HTTPResponse:
        if not request.path.endswith("/"):  # the page's links are relative to its folder
            return response.redirect(request.path + "/", headers=headers)
        if identify(request) is None:  # log in on the shell's own page first
            return response.redirect("../", headers=headers)
        return await response.file(STATIC_DIR / "traffic.html", headers=headers)

    @shell.route("/traffic/data", methods=["GET"])
    async def data(request: Request) -> HTTPResponse:
        if identify(request) is None:
            return denied()
        days = _bounded(request.args.get("days"), DAYS, MAX_DAYS)
        limit = _bounded(request.args.get("limit"), LIMIT, MAX_LIMIT)
        retention = get_settings().feedback_retention_days
        loop = asyncio.get_running_loop()
        try:
            body = await loop.run_in_executor(None, traffic_data, feedback(), days, limit, retention)
            body["topics"] = await loop.run_in_executor(None, lambda: editing().catalogue()["topics"])
        except SQLAlchemyError as exc:
            return unreachable(exc)
        return answer(body)

    @shell.route("/traffic/save", methods=["POST"], stream=True)
    async def save(request: Request) -> HTTPResponse:
        editor = identify(request)
        if editor is None:
            return denied()
        try:
            body = posted_json(request, await read_body(request, MAX_BODY_BYTES))
            if not isinstance(body, dict):
                raise EditingError(400, "Send a JSON object.")
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(None, save_turn, feedback(), saved(), editing(), editor, body)
        except PayloadTooLarge:
            return error(413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
        except EditingError as exc:
            return answer(exc.body(), exc.status)
        except SQLAlchemyError as exc:
            return unreachable(exc)
        return answer(result)
