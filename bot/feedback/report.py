"""The editors' feedback report: the questions the library could not answer, and the least helpful passages.

Editors act on two lists: questions to write new passages for, and passages to rewrite. Plain text is for
reading in a terminal, JSON for spreadsheets and scripts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from bot.feedback.anonymiser import utc_now
from bot.feedback.records import PassageFeedback, UnansweredGroup
from bot.feedback.store import DEFAULT_LIMIT, FeedbackStore

MISSING_TITLE = "(not in the content database)"


@dataclass(frozen=True)
class FeedbackReport:
    """The two lists editors act on, taken from a store at one moment."""

    generated_at: dt.datetime
    retention_days: int
    unanswered: list[UnansweredGroup]
    least_helpful: list[PassageFeedback]

    @classmethod
    def from_store(
        cls, store: FeedbackStore, retention_days: int, limit: int = DEFAULT_LIMIT, now: dt.datetime | None = None
    ) -> FeedbackReport:
        """Reads both lists from `store`, at most `limit` lines each."""
        return cls(now or utc_now(), retention_days, store.most_unanswered(limit), store.least_helpful(limit))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "generated_at": self.generated_at.isoformat(),
            "retention_days": self.retention_days,
            "unanswered": [g.to_dict() for g in self.unanswered],
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
