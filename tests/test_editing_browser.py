"""Editing in the editors' shell, in real headless Chromium against the real bot, by keyboard only (#16 point 1).

Each flow is done the way a keyboard user does it: Tab to a control, type, Space for a check box, Enter for
a button; never a mouse click. axe-core must find no WCAG 2.1 A/AA violation on the login page, the shell,
the form with the loader's problems on it, a saved draft, a sign-off and the due list. Screenshots go to
test-artifacts/. The bot is the session's shared one; its content folder is a copy, and every passage file
these tests change is restored (and loaded) afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.editing.accounts import AccountFile, HashCost, Role
from bot.editing.review import add_months
from tests.support.servers import EDITOR_TOKEN, RunningBot
from tests.test_editor import browser, joined, run_axe, screenshot

__all__ = ["browser"]  # the Chromium fixture, shared with tests/test_editor.py

PASSWORD = "correct horse battery staple"
EDITOR = ("ed", "Ed Green")
CLINICIAN = ("clare", "Dr Clare Hughes, consultant in rehabilitation medicine")
BEARER = {"Authorization": f"Bearer {EDITOR_TOKEN}", "X-Editor-Shell": "1"}
# The error answers the flows cause on purpose: an unconfirmed sign-off, the login page, the loader's problems.
EXPECTED = (400, 401, 422)


@pytest.fixture(scope="module")
def bot(running_bot: RunningBot) -> RunningBot:
    """The shared bot, with an editor's and a clinician's account (a small hash cost keeps logins quick)."""
    accounts = AccountFile(Path(running_bot.env["EDITOR_ACCOUNTS"]), cost=HashCost(n=2**12, r=8, p=1))
    for (name, display), role in ((EDITOR, Role.EDITOR), (CLINICIAN, Role.CLINICIAN)):
        if accounts.get(name) is None:
            accounts.add(name, role, PASSWORD, display)
    return running_bot


@pytest.fixture
def content(bot: RunningBot) -> Iterator[Path]:
    """The bot's content folder; every passage file is put back as it was, and loaded, after the test."""
    folder = Path(bot.env["CONTENT_DIR"])
    saved = {path: path.read_text() for path in (folder / "passages").glob("*.yml")}
    yield folder
    for path in (folder / "passages").glob("*.yml"):
        if path not in saved:
            path.unlink()
    for path, text in saved.items():
        path.write_text(text)
    status, report = bot.request("/webhooks/editor/reload", {}, headers=BEARER)
    assert status == 200, report


def unexpected(status: int) -> bool:
    return status >= 400 and status not in EXPECTED


def open_shell(browser: Any, bot: RunningBot, account: tuple[str, str]) -> Any:
    """A fresh browser session, logged in by keyboard on the login page (which must pass axe)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    # Chromium logs each non-2xx answer as a console error; the answers themselves are checked instead.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of" not in m.text else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if unexpected(r.status) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(f"{bot.url}/webhooks/editor/")
    page.wait_for_selector("#login")
    assert page.evaluate("document.activeElement.id") == "name", "the login form starts at the name"
    if account == EDITOR:
        violations = run_axe(page)
        assert violations == [], json.dumps(violations, indent=2)
        screenshot(page, "editor-login.png")
    page.keyboard.type(account[0])
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#passage-table table", timeout=60_000)
    page.wait_for_function("() => document.getElementById('who').textContent.startsWith('Logged in as')")
    return page


def close(page: Any) -> None:
    errors = list(page.errors)
    page.context.close()
    assert not errors, f"the page logged errors: {errors}"


def tab_to(page: Any, test: str, limit: int = 150, back: bool = False) -> None:
    """Presses Tab (Shift+Tab with `back`) until the focused element passes `test` (JavaScript, `el`)."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return Boolean(el && ({test})); }}"):
            return
    raise AssertionError(f"Tab never reached an element where {test}")


def button(label: str) -> str:
    return f"el.tagName === 'BUTTON' && el.textContent.trim() === {json.dumps(label)}"


def by_id(ident: str) -> str:
    return f"el.id === {json.dumps(ident)}"


def type_into(page: Any, ident: str, text: str) -> None:
    """Tabs to a field, replaces what is in it by typing."""
    tab_to(page, by_id(ident))
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def result(page: Any, start: str) -> str:
    page.wait_for_function(
        "t => document.getElementById('editor-result').textContent.startsWith(t)", arg=start, timeout=90_000
    )
    return str(page.inner_text("#editor-result"))


def skip_to_main(page: Any) -> None:
    """The page's first Tab stop is the skip link; Enter on it puts focus at the start of the content."""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def open_passage(page: Any, ident: str) -> None:
    """Finds a passage with the filter and opens it, by keyboard."""
    type_into(page, "filter", ident)
    page.wait_for_function("() => document.querySelectorAll('#passage-table tbody tr').length === 1")
    tab_to(page, "el.getAttribute('aria-label') && el.getAttribute('aria-label').startsWith('Open ')")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => !document.getElementById('editor').hidden && document.activeElement.id === 'editor-title'"
    )


def chat_shows(page: Any, mark: str) -> None:
    """Waits until a bot reply in the chat preview holds `mark`."""
    page.wait_for_function(
        "m => Array.from(document.querySelectorAll('#log > .bot')).some(b => b.textContent.includes(m))",
        arg=mark,
        timeout=90_000,
    )


def axe_clean(page: Any) -> None:
    violations = run_axe(page)
    assert violations == [], json.dumps(violations, indent=2)


def new_passage(ident: str, mark: str, status: str = "published", **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "topic": "physiotherapy",
        "title": f"The {mark.lower()} stretch",
        "text": f"{mark}-MARK: the {mark.lower()} stretch is a made-up stretch that exists only in this test.",
        "questions": [f"What is the {mark.lower()} stretch?", f"How do I do the {mark.lower()} stretch?", "Why?"],
        "sources": ["NINDS-SP"],
        "reviewed": "2026-11-25",
        "status": status,
        **extra,
    }


def write_passages(bot: RunningBot, folder: Path, name: str, passages: list[dict[str, Any]]) -> None:
    (folder / "passages" / name).write_text(yaml.safe_dump({"passages": passages}, sort_keys=False))
    status, report = bot.request("/webhooks/editor/reload", {}, headers=BEARER)
    assert status == 200, report


# -- the flows ---------------------------------------------------------------------------------------------


def test_an_editor_writes_a_passage_sees_the_loaders_problems_fixes_them_previews_and_publishes_it(
    browser: Any, bot: RunningBot, content: Path
) -> None:
    mark, question = "WOMBAT-MARK", "What is the wombat stretch?"
    page = open_shell(browser, bot, EDITOR)
    axe_clean(page)
    skip_to_main(page)
    tab_to(page, button("Write a new passage"))
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "editor-title"
    type_into(page, "f-id", "editor-test-wombat-stretch")
    type_into(page, "f-title", "The wombat stretch")
    tab_to(page, by_id("f-topic"))
    page.keyboard.type("Stretching")  # a closed select takes the option whose label starts so
    type_into(page, "f-text", f"{mark}: the wombat stretch is a made-up calf stretch for this test only.")
    type_into(page, "f-questions", f"{question}\nHow do I do the wombat stretch?\nDoes the wombat stretch help?")
    type_into(page, "f-sources", "NINDS-SP, NOPE")
    tab_to(page, button("Save as a new draft"))
    page.keyboard.press("Enter")

    page.wait_for_selector("#problems:not([hidden])", timeout=60_000)
    assert page.evaluate("document.activeElement.id") == "problems", "focus goes to the problems"
    problems = page.inner_text("#problems-list")
    assert "unknown source 'NOPE'" in problems and "missing 'reviewed' date" in problems, "the loader's own words"
    assert page.get_attribute("#f-sources", "aria-invalid") == "true"
    assert "unknown source 'NOPE'" in page.inner_text("#f-sources-error")
    assert "f-sources-error" in page.get_attribute("#f-sources", "aria-describedby")
    assert "editor-test-wombat-stretch" not in (content / "passages" / "08-physiotherapy.yml").read_text()
    axe_clean(page)
    screenshot(page, "editor-problems.png")

    tab_to(page, "el.tagName === 'A' && el.textContent.startsWith('unknown source')")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "f-sources", "the problem's link leads to its field"
    page.keyboard.press("Control+A")
    page.keyboard.type("NINDS-SP")
    tab_to(page, by_id("f-rechecked"))
    page.keyboard.press("Space")
    tab_to(page, button("Save as a new draft"))
    page.keyboard.press("Enter")
    assert "Saved as a new draft" in result(page, "Saved")
    saved = yaml.safe_load((content / "passages" / "08-physiotherapy.yml").read_text())["passages"][-1]
    assert (saved["id"], saved["status"], saved["topic"]) == ("editor-test-wombat-stretch", "draft", "physiotherapy")
    assert saved["reviewed"] == dt.date.today(), "ticked: re-checked against its sources today"
    assert mark not in joined(bot.chat("patient-wombat-1", question)), "patients never get a draft"
    axe_clean(page)
    screenshot(page, "editor-saved.png")

    tab_to(page, button("Preview in the chat"))
    page.keyboard.press("Enter")
    chat_shows(page, mark)
    assert page.is_checked("#drafts"), "the preview includes drafts"

    assert page.evaluate("document.activeElement.textContent") == "Preview in the chat", "focus stays"
    tab_to(page, button("Publish"))
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "confirm-question"
    tab_to(page, by_id("confirm-yes"))
    page.keyboard.press("Enter")
    assert "patients get it from their next message" in result(page, "Published")
    assert mark in joined(bot.chat("patient-wombat-2", question)), "asked once, right after publishing"
    changes = page.inner_text("#changes")
    assert "ed (editor)" in changes and "publish" in changes and "create" in changes
    axe_clean(page)
    close(page)


def test_only_a_clinicians_account_can_sign_off_and_the_shell_says_so(
    browser: Any, bot: RunningBot, content: Path
) -> None:
    write_passages(bot, content, "zz-editor-test-signoff.yml", [new_passage("editor-test-koala-stretch", "KOALA")])
    editor = open_shell(browser, bot, EDITOR)
    open_passage(editor, "editor-test-koala-stretch")
    assert editor.is_hidden("#signoff-form") and editor.is_hidden("#signoff")
    assert "Only a clinician's own account can sign off" in editor.inner_text("#signoff-state")
    assert "not signed off by a clinician" in editor.inner_text("#facts")
    close(editor)

    page = open_shell(browser, bot, CLINICIAN)
    open_passage(page, "editor-test-koala-stretch")
    tab_to(page, button("Sign off this version"))
    page.keyboard.press("Enter")
    page.wait_for_selector("#problems:not([hidden])")
    assert "Confirm that you have read this version" in page.inner_text("#problems")
    tab_to(page, by_id("signoff-confirm"))
    page.keyboard.press("Space")
    type_into(page, "signoff-note", "Checked against NINDS-SP; fine for our service.")
    tab_to(page, button("Sign off this version"))
    page.keyboard.press("Enter")
    result(page, "Signed off")
    facts = page.inner_text("#facts")
    assert f"signed off by {CLINICIAN[1]} on " in facts and "fine for our service" in facts
    written = yaml.safe_load((content / "passages" / "zz-editor-test-signoff.yml").read_text())["passages"][0]
    assert written["clinical_signoff"]["by"] == CLINICIAN[1]
    assert "clare (clinician)" in page.inner_text("#changes")
    axe_clean(page)
    screenshot(page, "editor-signoff.png")
    close(page)


def test_an_edit_of_a_published_passage_waits_as_a_draft_until_it_is_published(
    browser: Any, bot: RunningBot, content: Path
) -> None:
    ident, question = "editor-test-emu-stretch", "What is the emu stretch?"
    write_passages(bot, content, "zz-editor-test-edit.yml", [new_passage(ident, "EMU")])
    assert "EMU-MARK" in joined(bot.chat("patient-emu-1", question))
    page = open_shell(browser, bot, EDITOR)
    open_passage(page, ident)
    type_into(page, "f-text", "EMU-EDITED-MARK: the emu stretch, rewritten in the shell for this test only.")
    tab_to(page, button("Save as a pending edit"))
    page.keyboard.press("Enter")
    assert "patients still get the published version" in result(page, "Saved")
    assert page.inner_text("#editor-title").endswith("(pending edit)")
    seen = joined(bot.chat("patient-emu-2", question))
    assert "EMU-MARK" in seen and "EMU-EDITED-MARK" not in seen, "patients keep the published version"

    tab_to(page, button("Preview in the chat"))
    page.keyboard.press("Enter")
    chat_shows(page, "EMU-EDITED-MARK")
    tab_to(page, button("Publish this edit"))
    page.keyboard.press("Enter")
    tab_to(page, by_id("confirm-yes"))
    page.keyboard.press("Enter")
    result(page, "Published")
    assert "EMU-EDITED-MARK" in joined(bot.chat("patient-emu-3", question))
    entries = yaml.safe_load((content / "passages" / "zz-editor-test-edit.yml").read_text())["passages"]
    assert [e["id"] for e in entries] == [ident] and entries[0]["status"] == "published"
    close(page)


def test_the_due_list_shows_what_needs_a_recheck_soonest_first_and_a_recheck_clears_it(
    browser: Any, bot: RunningBot, content: Path
) -> None:
    today = dt.date.today()
    soon_reviewed = add_months(today + dt.timedelta(days=14), -11)  # due in about two weeks
    overdue = new_passage("editor-test-overdue", "OVERDUE", reviewed=str(today - dt.timedelta(days=400)))
    soon = new_passage("editor-test-due-soon", "SOON", reviewed=str(soon_reviewed), review_every_months=11)
    later = new_passage("editor-test-not-due", "LATER", reviewed=str(today - dt.timedelta(days=30)))
    write_passages(bot, content, "zz-editor-test-due.yml", [soon, overdue, later])
    page = open_shell(browser, bot, EDITOR)
    tab_to(page, "el.tagName === 'A' && el.textContent === 'Due for review'")
    page.keyboard.press("Enter")
    rows = page.locator("#due-table tbody tr").all_inner_texts()
    ours = [r for r in rows if "editor-test-" in r]
    assert len(ours) == 2 and "editor-test-overdue" in ours[0] and "overdue by" in ours[0], ours
    assert "editor-test-due-soon" in ours[1] and str(add_months(soon_reviewed, 11)) in ours[1] and "due in" in ours[1]
    assert not any("editor-test-not-due" in r for r in rows)
    axe_clean(page)
    screenshot(page, "editor-due.png")

    tab_to(page, "el.getAttribute('aria-label') === 'Open The overdue stretch'", limit=300)
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'editor-title'")
    type_into(page, "recheck-note", "Re-read every sentence against NINDS-SP.")
    tab_to(page, button("Record the re-check"))
    page.keyboard.press("Enter")
    result(page, "Re-check recorded")
    page.wait_for_function("() => !document.getElementById('due-table').textContent.includes('editor-test-overdue')")
    assert "editor-test-due-soon" in page.inner_text("#due-table")
    written = yaml.safe_load((content / "passages" / "zz-editor-test-due.yml").read_text())["passages"][1]
    assert written["review_note"] == "Re-read every sentence against NINDS-SP." and written["status"] == "published"
    close(page)
