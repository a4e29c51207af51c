"""End to end: "not helpful", then a reason, on the real bot over REST, stored as the traffic review reads it.

The in-process tests (tests/test_traffic.py, tests/test_reason_channels.py) check each part; this one checks
that the trained model, the payload check, the feedback action and the store agree: the reason button the bot
offers comes back as the `reason` entity and lands beside that conversation's vote, and the answered
turn is counted without its words.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.feedback.records import TurnKind
from bot.wording import THANKS_NOT_HELPFUL, THANKS_REASON
from tests.support.servers import RunningBot

pytestmark = pytest.mark.e2e


def _buttons(replies: list[dict[str, Any]]) -> dict[str, str]:
    return {b["title"]: b["payload"] for r in replies for b in r.get("buttons") or []}


def _rows(bot: RunningBot, query: str) -> list[tuple[Any, ...]]:
    path = Path(bot.env["DATABASE_URL"].removeprefix("sqlite:///"))
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as database:
        return database.execute(query).fetchall()


def test_a_reason_after_not_helpful_is_stored_with_that_vote(running_bot: RunningBot) -> None:
    sender = f"reason-{uuid.uuid4().hex[:8]}"
    before = _rows(running_bot, "SELECT count(*) FROM feedback_reasons")[0][0] if _has_reasons(running_bot) else 0
    answer = running_bot.chat(sender, "how does baclofen work?")
    not_helpful = next(p for p in _buttons(answer).values() if p.startswith("/feedback_not_helpful"))
    offered = running_bot.chat(sender, not_helpful)
    assert THANKS_NOT_HELPFUL in "\n".join(r.get("text", "") for r in offered)
    reasons = {title: payload for title, payload in _buttons(offered).items() if "reason" in payload}
    assert len(reasons) == 4, _buttons(offered)
    out_of_date = next(p for p in reasons.values() if "out_of_date" in p)
    thanked = running_bot.chat(sender, out_of_date)
    assert THANKS_REASON in "\n".join(r.get("text", "") for r in thanked)
    rows = _rows(running_bot, "SELECT reason FROM feedback_reasons ORDER BY created_at")
    assert len(rows) == before + 1 and rows[-1] == ("out_of_date",)
    answered = _rows(running_bot, f"SELECT question FROM feedback_turns WHERE kind = '{TurnKind.ANSWERED.value}'")
    assert answered and all(question is None for (question,) in answered), "answered turns keep no words"


def _has_reasons(bot: RunningBot) -> bool:
    return bool(_rows(bot, "SELECT name FROM sqlite_master WHERE name = 'feedback_reasons'"))
