"""The traffic review in real headless Chromium against the real bot, by keyboard only (#16 point 3).

An editor logs in, goes from the shell to the traffic review by its link, reads the daily counts and the
scrubbed messages, and saves an emergency that was a false alarm as an out-of-scope evaluation question: Tab,
arrow keys and Enter only. axe-core must find no WCAG 2.1 A/AA violation on the page, before and after the
save. The feedback rows are written into the bot's own database with the store the action server uses;
screenshots go to test-artifacts/ (`traffic-review.png`, `traffic-saved.png`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from bot.feedback import Reason, SqlFeedbackStore, TurnKind
from tests.support.servers import RunningBot
from tests.test_editing_browser import EDITOR, axe_clean, bot, by_id, close, open_shell, tab_to
from tests.test_editor import browser, screenshot

__all__ = ["bot", "browser"]  # the shared bot with accounts, and the Chromium fixture

FALSE_ALARM = "my cat's feeding pump is beeping, is that an emergency for her?"


def seed(bot: RunningBot) -> None:
    """A day of anonymised traffic in the bot's feedback tables: counts, words to read and a reason."""
    store = SqlFeedbackStore.from_url(bot.env["DATABASE_URL"], "browser-test-salt")
    try:
        for _ in range(3):
            store.record_turn(TurnKind.ANSWERED, "what is baclofen?")
        store.record_turn(TurnKind.EMERGENCY, FALSE_ALARM)
        store.record_turn(TurnKind.DOSING, "how many mg of baclofen should my dad take? call 07700 900123")
        store.record_turn(TurnKind.UNANSWERED, "is hydrotherapy good for stiff legs?")
        store.record_feedback("browser-test", "what is an ITB trial?", ["baclofen-pump-trial"], False)
        store.record_reason("browser-test", Reason.TOO_HARD)
    finally:
        store.engine.dispose()


def test_an_editor_reviews_traffic_and_saves_a_false_alarm_by_keyboard(browser: Any, bot: RunningBot) -> None:
    seed(bot)
    page = open_shell(browser, bot, EDITOR)
    screenshot(page, "editor-shell.png")
    tab_to(page, "el.tagName === 'A' && el.textContent.trim() === 'Traffic review'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#daily table")
    page.wait_for_function("() => document.getElementById('traffic-status').textContent.startsWith('Showing')")
    today = page.locator("#daily tbody tr").first.inner_text().split()
    counts = [int(n) for n in today[1:]]  # answered, unanswered, emergency, dosing: at least what was seeded
    assert all(n >= least for n, least in zip(counts, (3, 1, 1, 1), strict=True)), today
    text = page.inner_text("#recent")
    assert FALSE_ALARM in text and "[phone]" in text and "07700" not in text
    assert "too hard to read" in page.inner_text("#reasons")
    axe_clean(page)
    screenshot(page, "traffic-review.png")

    emergency = page.locator("#recent table").first.locator("tbody tr").first
    ident = emergency.locator("p.text").get_attribute("id")
    assert ident is not None and emergency.locator("p.text").inner_text() == FALSE_ALARM
    turn = ident.removeprefix("msg-")
    tab_to(page, by_id(f"cat-{turn}"))
    assert page.evaluate("document.activeElement.value") == "emergency", "the bot's own verdict first"
    for _ in range(2):  # emergency -> dosing refusal -> out of scope
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == "out_of_scope"
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent === 'Save as evaluation question'")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('save-status').textContent.startsWith('Saved')")
    axe_clean(page)
    screenshot(page, "traffic-saved.png")
    close(page)

    saved = yaml.safe_load(Path(bot.env["EVAL_SAVED_FILE"]).read_text())
    assert [(q["text"], q["category"]) for q in saved][-1] == (FALSE_ALARM, "out_of_scope")
    log = [json.loads(line) for line in Path(bot.env["EDITOR_AUDIT_LOG"]).read_text().splitlines()]
    assert log[-1]["action"] == "save-eval-question" and log[-1]["editor"] == EDITOR[0]
