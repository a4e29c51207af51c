"""The editors' shell's login and editing routes, in-process over ASGI with a real SQLite content database.

The channel edits a small temporary content folder and loads it into its own database, as the running shell
does (`bot.editing.loading.load_content`); the browser tests in tests/test_editor.py drive the same routes
through the page against the real bot.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.channels.editor import EditorInput
from bot.channels.editor_auth import FAILURES_PER_NAME
from bot.content.store import SqlContentStore
from bot.editing.accounts import AccountFile, HashCost, Role
from bot.editing.audit import AuditLog
from tests.conftest import valid_content_data, write_content
from tests.support.asgi import InProcessApp, channel_app

TOKEN = "api-test-editor-token"
PASSWORD = "correct horse battery"
CLINICIAN = "Dr Priya Shah, consultant in rehabilitation medicine"
SHELL = {"X-Editor-Shell": "1"}
NEW = {
    "id": "p-new",
    "title": "Stretching",
    "topic": "t1",
    "text": "Stretching every day keeps stiff muscles longer.",
    "questions": ["Does stretching help?", "How often should I stretch?", "Why stretch?"],
    "sources": ["S1"],
    "rechecked": True,
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    sources, topics, passages = valid_content_data()
    return write_content(tmp_path / "content", sources, topics, {"01-first.yml": passages})


def make_channel(tmp_path: Path, folder: Path, accounts: bool = True) -> EditorInput:
    if accounts:
        file = AccountFile(tmp_path / "editors.json", cost=HashCost(n=2**10, r=8, p=1))
        file.add("sam", Role.EDITOR, PASSWORD, "Sam Lee")
        file.add("priya", Role.CLINICIAN, PASSWORD, CLINICIAN)
    return EditorInput(
        TOKEN,
        content_dir=folder,
        database_url=f"sqlite:///{tmp_path / 'content.db'}",
        accounts_file=tmp_path / "editors.json",
        audit_file=tmp_path / "audit.jsonl",
    )


@pytest.fixture
def shell(tmp_path: Path, folder: Path) -> Iterator[InProcessApp]:
    with channel_app([make_channel(tmp_path, folder)]) as app:
        yield app


def log_in(app: InProcessApp, name: str, **headers: str) -> Any:
    return app.request(
        "POST", "/webhooks/editor/login", json={"name": name, "password": PASSWORD}, headers={**SHELL, **headers}
    )


def post(app: InProcessApp, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return app.request("POST", f"/webhooks/editor/{path}", json=body, headers=SHELL if headers is None else headers)


def get(app: InProcessApp, path: str) -> Any:
    return app.request("GET", f"/webhooks/editor/{path}")


def test_with_accounts_a_browser_gets_the_login_page_instead_of_a_basic_prompt(shell: InProcessApp) -> None:
    page = get(shell, "")
    assert page.status_code == 401 and 'id="login"' in page.text
    assert "WWW-Authenticate" not in page.headers, "no Basic prompt: the page is the login form"
    assert get(shell, "static/login.js").status_code == 200 and get(shell, "static/editor.css").status_code == 200
    for path in ("static/editor.js", "static/editing.js", "static/shell.js", "passages", "due", "log", "me", "status"):
        assert get(shell, path).status_code == 401, path
    assert post(shell, "passage/save", NEW).status_code == 401


def test_without_accounts_every_editing_route_needs_the_token(tmp_path: Path, folder: Path) -> None:
    with channel_app([make_channel(tmp_path, folder, accounts=False)]) as app:
        for path in ("passages", "due", "log", "me", "passage?id=p1"):
            response = get(app, path)
            assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Basic "), path
        assert post(app, "passage/save", NEW).status_code == 401
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert app.request("GET", "/webhooks/editor/me", headers=bearer).json()["editor"]["via"] == "token"


def test_logging_in_sets_a_strict_http_only_session_cookie_and_logging_out_ends_it(shell: InProcessApp) -> None:
    wrong = shell.request("POST", "/webhooks/editor/login", json={"name": "sam", "password": "x" * 12}, headers=SHELL)
    assert wrong.status_code == 401 and wrong.json()["message"] == "The login name or the password is wrong."
    assert "set-cookie" not in wrong.headers
    response = log_in(shell, "Sam ")
    assert response.status_code == 200 and response.json()["editor"]["name"] == "sam"
    cookie = response.headers["set-cookie"]
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/webhooks/editor/", "Max-Age=28800"):
        assert attribute in cookie, cookie
    assert "Secure" not in cookie, "plain http here"
    me = get(shell, "me").json()["editor"]
    assert (me["name"], me["role"], me["may_sign_off"]) == ("sam", "editor", False)
    assert get(shell, "").status_code == 200, "the shell itself now"
    out = post(shell, "logout", {})
    assert "Max-Age=0" in out.headers["set-cookie"]
    shell.client.cookies.clear()
    assert get(shell, "me").status_code == 401
    secure = log_in(shell, "sam", **{"X-Forwarded-Proto": "https"})
    assert "Secure" in secure.headers["set-cookie"], "behind an https proxy"


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 403), ({**SHELL, "Origin": "https://evil.example"}, 403), (SHELL, 200)],
)
def test_a_login_must_come_from_the_shells_own_page(shell: InProcessApp, headers: dict[str, str], status: int) -> None:
    body = {"name": "sam", "password": PASSWORD}
    assert shell.request("POST", "/webhooks/editor/login", json=body, headers=headers).status_code == status


def test_a_session_cookie_alone_never_changes_anything(shell: InProcessApp) -> None:
    log_in(shell, "sam")
    assert post(shell, "passage/save", NEW, headers={}).status_code == 401, "no X-Editor-Shell header"
    assert post(shell, "passage/save", NEW, headers={**SHELL, "Origin": "https://evil.example"}).status_code == 403
    assert post(shell, "message", {"sender": "x", "message": "hi"}, headers={}).status_code == 401
    assert post(shell, "passage/save", NEW).status_code == 200


def test_wrong_passwords_lock_the_name_for_a_while(shell: InProcessApp) -> None:
    for _ in range(FAILURES_PER_NAME):
        body = {"name": "sam", "password": "not the password"}
        assert shell.request("POST", "/webhooks/editor/login", json=body, headers=SHELL).status_code == 401
    locked = log_in(shell, "sam")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert log_in(shell, "priya").status_code == 200, "another name is not locked"


def test_a_saved_draft_is_loaded_for_the_preview_and_never_for_patients(
    shell: InProcessApp, tmp_path: Path, folder: Path
) -> None:
    log_in(shell, "sam")
    saved = post(shell, "passage/save", NEW)
    assert saved.status_code == 200, saved.text
    assert saved.json()["load"]["ok"] and saved.json()["load"]["drafts"] == 2
    store = SqlContentStore.from_url(f"sqlite:///{tmp_path / 'content.db'}")
    assert "p-new" in store.snapshot(include_drafts=True).passages and "p-new" not in store.snapshot().passages
    store.engine.dispose()
    assert "id: p-new" in (folder / "passages" / "01-first.yml").read_text()
    listed = get(shell, "passages").json()
    assert [p["id"] for p in listed["passages"]] == ["p1", "p2", "p-new"]
    assert {t["id"] for t in listed["topics"]} == {"t1", "t2"} and listed["files"] == ["passages/01-first.yml"]
    log = [(e["editor"], e["action"], e["passage"]) for e in get(shell, "log").json()["entries"]]
    assert log == [("sam", "create", "p-new"), ("sam", "sign-in", None)]


def test_an_invalid_passage_gets_the_loaders_problems_and_nothing_changes(shell: InProcessApp, folder: Path) -> None:
    before = (folder / "passages" / "01-first.yml").read_text()
    log_in(shell, "sam")
    refused = post(shell, "passage/save", {**NEW, "rechecked": False, "sources": ["NOPE"]})
    assert refused.status_code == 422
    problems = {(p["file"], p["item"], p["problem"]) for p in refused.json()["problems"]}
    assert problems == {
        ("passages/01-first.yml", "p-new", "unknown source 'NOPE'"),
        ("passages/01-first.yml", "p-new", "missing 'reviewed' date"),
    }
    assert (folder / "passages" / "01-first.yml").read_text() == before
    assert post(shell, "passage/save", {**NEW, "questions": 5}).status_code == 400
    assert post(shell, "passage/nonsense", {"id": "p1"}).status_code == 404


def test_the_token_edits_as_token_and_only_a_clinicians_account_signs_off(shell: InProcessApp) -> None:
    bearer = {**SHELL, "Authorization": f"Bearer {TOKEN}"}
    assert post(shell, "passage/save", NEW, headers=bearer).status_code == 200
    opened = get_passage(shell, "p-new", bearer)
    signoff = {"id": "p-new", "base_hash": opened["hash"], "confirmed": True}
    refused = post(shell, "passage/signoff", signoff, headers=bearer)
    assert refused.status_code == 403 and "clinician" in refused.json()["message"]
    log_in(shell, "sam")
    assert post(shell, "passage/signoff", signoff).status_code == 403
    log_in(shell, "priya")
    signed = post(shell, "passage/signoff", {**signoff, "note": "Fine for our service."})
    assert signed.status_code == 200, signed.text
    shown = get_passage(shell, "p-new")["signoff"]
    assert shown == {"by": CLINICIAN, "date": shown["date"], "note": "Fine for our service.", "counts": True}
    entries = get(shell, "log?passage=p-new").json()["entries"]
    assert [(e["editor"], e["action"]) for e in entries] == [("priya", "sign-off"), ("token", "create")]


def get_passage(app: InProcessApp, ident: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = app.request("GET", f"/webhooks/editor/passage?id={ident}", headers=headers or {})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_reload_button_is_logged_under_whoever_pressed_it_when_it_changed_something(
    shell: InProcessApp, folder: Path, tmp_path: Path
) -> None:
    log_in(shell, "sam")
    assert post(shell, "reload", {}).json()["ok"]  # the first load of this database
    assert post(shell, "reload", {}).json()["changed"] == 0
    text = (folder / "passages" / "01-first.yml").read_text().replace("First", "First, by hand")
    (folder / "passages" / "01-first.yml").write_text(text)
    assert post(shell, "reload", {}).json()["changed"] == 1
    entries = AuditLog(tmp_path / "audit.jsonl").entries()
    assert [(e["editor"], e["action"]) for e in entries if e["action"] == "reload"] == [("sam", "reload")] * 2


def test_the_due_list_is_served(shell: InProcessApp, folder: Path) -> None:
    log_in(shell, "sam")
    due = get(shell, "due").json()
    assert due["within_days"] == 30 and [p["id"] for p in due["passages"]] == []
    text = (
        (folder / "passages" / "01-first.yml").read_text().replace("reviewed: '2026-11-20'", "reviewed: '2025-10-01'")
    )
    (folder / "passages" / "01-first.yml").write_text(text)
    row = get(shell, "due").json()["passages"][0]
    assert (row["id"], row["due"]) == ("p1", "2026-10-01") and row["when"].startswith("overdue by ")
