"""The editors' feedback report: real traffic by day, what to read, what to write, and what to rewrite.

Editors act on: the daily counts of answered, unanswered, emergency and dosing turns (a jump in emergencies
may be a false alarm to fix); the scrubbed words of recent emergency, dosing and unanswered turns (to spot a
false alarm or a miss); questions to write new passages for; the reasons given for "not helpful"; and the
passages to rewrite. Plain text is for reading in a terminal, JSON for spreadsheets and scripts; the
editors' shell shows the same on its traffic page.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from bot.feedback.anonymiser import utc_now
from bot.feedback.records import DailyCounts, PassageFeedback, Reason, RecentTurn, TurnKind, UnansweredGroup
from bot.feedback.store import DEFAULT_LIMIT, FeedbackStore
from bot.feedback.traffic import DEFAULT_DAYS

# What editors read, in the order the report lists them: the safety paths first.
READ_KINDS = (TurnKind.EMERGENCY, TurnKind.DOSING, TurnKind.UNANSWERED)
REASON_LABELS = {
    Reason.WRONG_TOPIC: "wrong topic",
    Reason.TOO_HARD: "too hard to read",
    Reason.OUT_OF_DATE: "out of date",
    Reason.OTHER: "other",
}

MISSING_TITLE = "(not in the content database)"


@dataclass(frozen=True)
class FeedbackReport:
    """The lists editors act on, taken from a store at one moment."""

    generated_at: dt.datetime
    retention_days: int
    unanswered: list[UnansweredGroup]
    least_helpful: list[PassageFeedback]
    daily: list[DailyCounts] = field(default_factory=list)
    recent: dict[TurnKind, list[RecentTurn]] = field(default_factory=dict)
    reasons: dict[Reason, int] = field(default_factory=dict)

    @classmethod
    def from_store(
        cls,
        store: FeedbackStore,
        retention_days: int,
        limit: int = DEFAULT_LIMIT,
        now: dt.datetime | None = None,
        days: int = DEFAULT_DAYS,
    ) -> FeedbackReport:
        """Reads every list from `store`, at most `limit` lines each, and `days` days of counts."""
        now = now or utc_now()
        return cls(
            now,
            retention_days,
            store.most_unanswered(limit),
            store.least_helpful(limit),
            store.daily_counts(days, now.date()),
            {kind: store.recent_turns([kind], limit) for kind in READ_KINDS},
            store.reason_counts(),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "generated_at": self.generated_at.isoformat(),
            "retention_days": self.retention_days,
            "daily": [d.to_dict() for d in self.daily],
            "recent": {kind.value: [t.to_dict() for t in self.recent.get(kind, [])] for kind in READ_KINDS},
            "unanswered": [g.to_dict() for g in self.unanswered],
            "reasons": {reason.value: self.reasons.get(reason, 0) for reason in Reason},
            "least_helpful": [p.to_dict() for p in self.least_helpful],
        }

    def to_json(self) -> str:
        """The report as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        """The report as a terminal table; says so plainly when there is nothing yet."""
        stamp = self.generated_at.strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            f"Feedback report, {stamp} (feedback older than {self.retention_days} days is deleted)",
            "",
            *self._traffic_lines(),
            "",
            "Questions the bot could not answer, most asked first",
            "(grouped ignoring case, punctuation and spacing; 'people' counts different conversations):",
        ]
        if self.unanswered:
            lines.append(f"  {'asked':>5}  {'people':>6}  {'last seen':<10}  question")
            for group in self.unanswered:
                lines.append(
                    f"  {group.count:>5}  {group.conversations:>6}  {group.last_seen:%Y-%m-%d}  {group.question}"
                )
        else:
            lines.append("  none recorded")
        given = ", ".join(f"{REASON_LABELS[r]} {self.reasons.get(r, 0)}" for r in Reason)
        lines += ["", f'Reasons given for "not helpful" (optional, so fewer than the votes): {given}']
        lines += ["", 'Passages with the most "not helpful" votes (a vote counts for every passage the answer showed):']
        if self.least_helpful:
            lines.append(f"  {'not helpful':>11}  {'helpful':>7}  {'ratio':>5}  {'last vote':<10}  passage")
            for item in self.least_helpful:
                title = item.title or MISSING_TITLE
                lines.append(
                    f"  {item.not_helpful:>11}  {item.helpful:>7}  {item.helpful_ratio:>5.0%}  "
                    f"{item.last_vote:%Y-%m-%d}  {item.passage_id}: {title}"
                )
                if item.examples:
                    quoted = "; ".join(f'"{question}"' for question in item.examples)
                    lines.append(f"{'':>43}not helpful for: {quoted}")
        else:
            lines.append('  no "not helpful" votes recorded')
        return "\n".join(lines)

    def _traffic_lines(self) -> list[str]:
        """The daily counts as a table, then the words of recent turns of each kind editors read."""
        kinds = list(TurnKind)
        lines = [
            "Turns per day (UTC), today first:",
            "  " + "  ".join([f"{'day':<10}", *(f"{k.value:>10}" for k in kinds)]),
        ]
        for day in self.daily:
            counts = (f"{day.counts.get(k, 0):>10}" for k in kinds)
            lines.append("  " + "  ".join([f"{day.day:%Y-%m-%d}", *counts]))
        for kind in READ_KINDS:
            turns = self.recent.get(kind, [])
            lines += ["", f"Recent {kind.value} turns, newest first (scrubbed; check for a false alarm or a miss):"]
            lines += [f"  {t.created_at:%Y-%m-%d %H:%M}  #{t.id}  {t.question}" for t in turns] or ["  none recorded"]
        return lines
