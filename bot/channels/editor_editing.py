"""The editors' shell's routes for logging in and for editing passages (`bot.editing` does the work).

    POST login {name, password}   GET me   POST logout
    GET passages (the list and what the form offers)   GET passage?id=   GET due   GET log?passage=
    POST passage/save {the form}   POST passage/<action> {id, base_hash, ...}
        actions: publish, withdraw, discard, recheck {note}, signoff {note, confirmed}

Every route but `login` needs an editor (`EditorAuth`); every POST must be same-origin JSON with the header
`X-Editor-Shell: 1`. Changes run in a worker thread: each validates the whole content folder and loads it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.editor_auth import CSRF_HEADER, EditorAuth, editor_of, same_origin
from bot.channels.rest import error, read_body
from bot.editing.accounts import Editor
from bot.editing.audit import Action, AuditLog
from bot.editing.forms import EditingError, PassageForm
from bot.editing.loading import load_content
from bot.editing.passages import PassageEditor
from bot.editing.review import DUE_WITHIN_DAYS, detail, due_for_review, summaries
from bot.editing.workspace import Workspace

MAX_BODY_BYTES = 65_536
ACTIONS = ("save", "publish", "withdraw", "discard", "recheck", "signoff")


def record_reload(audit: AuditLog, editor: Editor, report: dict[str, Any]) -> None:
    """Logs a reload from files that changed the content (a reload that changed nothing is not a change)."""
    if report.get("ok") and report.get("changed"):
        audit.append(editor.name, editor.role, Action.RELOAD, note=str(report.get("message", "")))


def passage_editor(content_dir: Path, database_url: str, audit_file: Path) -> PassageEditor:
    """The shell's passage editor: the folder, its lock beside the change log, the loader, the safety passages."""
    from bot.safety.red_flags import PASSAGE_FOR  # the red flags' safety passages, which are never withdrawn

    workspace = Workspace(content_dir, audit_file.with_name(audit_file.name + ".lock"))
    load = partial(load_content, content_dir, database_url)
    safety = {p for p in PASSAGE_FOR.values() if p}
    return PassageEditor(workspace, AuditLog(audit_file), load, safety_ids=safety)


async def _run(function: Callable[[], Any]) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, function)


def posted_json(request: Request, raw: bytes) -> Any:
    """The body of a same-origin JSON POST from the shell's own page, or an EditingError."""
    if not same_origin(request) or request.headers.get(CSRF_HEADER) != "1":
        raise EditingError(403, "Send it from the editors' shell itself (same origin, X-Editor-Shell header).")
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise EditingError(403, "Send JSON (Content-Type: application/json).")
    try:
        return json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError) as exc:
        raise EditingError(400, "The body is not valid JSON.") from exc


def add_editing_routes(
    shell: Blueprint,
    auth: EditorAuth,
    identify: Callable[[Request], Editor | None],
    editing: Callable[[], PassageEditor],
    denied: Callable[[], HTTPResponse],
    headers: dict[str, str],
) -> None:
    """Adds the login and editing routes to the shell's blueprint.

    Args:
        shell: the editors' channel blueprint.
        auth: sessions and logins.
        identify: the editor a request comes from (token or session), or None.
        editing: the passage editor for the channel's content folder (made on first use).
        denied: the answer for a request without a valid editor.
        headers: the shell's security headers, for every answer.
    """

    def answer(body: Any, status: int = 200) -> HTTPResponse:
        return response.json(body, status=status, headers=headers)

    def failed(exc: EditingError) -> HTTPResponse:
        return answer(exc.body(), exc.status)

    @shell.route("/login", methods=["POST"], stream=True)
    async def login(request: Request) -> HTTPResponse:
        try:
            data = posted_json(request, await read_body(request, 4096))
        except PayloadTooLarge:
            return error(413, "payload_too_large", "The body is too large.")
        except EditingError as exc:
            return failed(exc)
        data = data if isinstance(data, dict) else {}
        name, password = data.get("name"), data.get("password")
        if not isinstance(name, str) or not isinstance(password, str) or not name.strip() or not password:
            return answer({"ok": False, "message": "Give your login name and your password."}, 400)
        account, wait = await auth.log_in(name.strip().lower(), password, request.ip or "")
        if wait:
            body = {"ok": False, "message": f"Too many wrong passwords: try again in {wait // 60 + 1} minutes."}
            return response.json(body, status=429, headers={**headers, "Retry-After": str(wait)})
        if account is None:
            return answer({"ok": False, "message": "The login name or the password is wrong."}, 401)
        editor = editor_of(account)
        editing().audit.append(editor.name, editor.role, Action.SIGN_IN)
        result = answer({"ok": True, "editor": editor.public()})
        auth.set_cookie(request, result, account)
        return result

    @shell.route("/logout", methods=["POST"])
    async def logout(request: Request) -> HTTPResponse:
        try:
            posted_json(request, b"{}")
        except EditingError as exc:
            return failed(exc)
        result = answer({"ok": True, "message": "You are logged out."})
        auth.set_cookie(request, result, None)
        return result

    @shell.route("/me", methods=["GET"])
    async def me(request: Request) -> HTTPResponse:
        editor = identify(request)
        if editor is None:
            return denied()
        return answer({"editor": editor.public(), "accounts": auth.accounts_mode()})

    @shell.route("/passages", methods=["GET"])
    async def passages(request: Request) -> HTTPResponse:
        if identify(request) is None:
            return denied()
        editor = editing()
        listed, offered = await _run(lambda: (summaries(editor.workspace, editor.today()), editor.catalogue()))
        return answer({"passages": listed, **offered})

    @shell.route("/passage", methods=["GET"])
    async def passage(request: Request) -> HTTPResponse:
        if identify(request) is None:
            return denied()
        editor = editing()
        ident = request.args.get("id", "")
        found = await _run(lambda: detail(editor.workspace, editor.audit, ident, editor.today(), editor.safety_ids))
        if found is None:
            return answer({"ok": False, "message": f"There is no passage {ident!r}."}, 404)
        return answer(found)

    @shell.route("/due", methods=["GET"])
    async def due(request: Request) -> HTTPResponse:
        if identify(request) is None:
            return denied()
        editor = editing()
        rows = await _run(lambda: due_for_review(editor.workspace, editor.today()))
        return answer({"today": editor.today().isoformat(), "within_days": DUE_WITHIN_DAYS, "passages": rows})

    @shell.route("/log", methods=["GET"])
    async def log(request: Request) -> HTTPResponse:
        if identify(request) is None:
            return denied()
        limit = request.args.get("limit", "100")
        ident = request.args.get("passage") or None
        rows = editing().audit.entries(limit=min(int(limit) if limit.isdigit() else 100, 1000), passage=ident)
        return answer({"entries": rows})

    @shell.route("/passage/<action>", methods=["POST"], stream=True)
    async def change(request: Request, action: str) -> HTTPResponse:
        editor = identify(request)
        if editor is None:
            return denied()
        if action not in ACTIONS:
            return error(404, "not_found", "No such action.")
        try:
            data = posted_json(request, await read_body(request, MAX_BODY_BYTES))
            if not isinstance(data, dict):
                raise EditingError(400, "Send a JSON object.")
            result = await _run(lambda: _apply(editing(), editor, action, data))
        except PayloadTooLarge:
            return error(413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
        except EditingError as exc:
            return failed(exc)
        return answer(result)


def _apply(editor: PassageEditor, who: Editor, action: str, data: dict[str, Any]) -> dict[str, Any]:
    """Runs one editing action with the page's JSON."""
    if action == "save":
        return editor.save(who, PassageForm.from_json(data))
    ident, base, note = data.get("id"), data.get("base_hash"), data.get("note", "")
    if not isinstance(ident, str) or not isinstance(base, str) or not isinstance(note, str):
        raise EditingError(400, '"id" and "base_hash" must be text (and "note", if given).')
    if action == "publish":
        return editor.publish(who, ident, base)
    if action == "withdraw":
        return editor.withdraw(who, ident, base)
    if action == "discard":
        return editor.discard(who, ident, base)
    if action == "recheck":
        return editor.recheck(who, ident, base, note)
    return editor.sign_off(who, ident, base, note, data.get("confirmed") is True)
