"""The editors' content report: coverage, sources, review age, readability and unreached passages.

`python -m bot.tools.content_report` (`make content-report`). It reads the content files, not the database, so
editors can run it on a change before loading it.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import textstat

from bot.content.records import ContentBundle, ProtocolEntry
from bot.emergency_numbers import DEFAULT as DEFAULT_NUMBERS

FACT_SHEET_SECTION = re.compile(r"^## (\d+)\. (.+)$", re.MULTILINE)
GRADE_TARGET = 8.0


def readability(text: str) -> float:
    """Flesch-Kincaid grade of a passage (textstat; about the US school grade needed to read it).

    Read as patients read it: placeholders such as `{emergency_numbers}` filled with the default numbers.
    """
    return float(textstat.flesch_kincaid_grade(DEFAULT_NUMBERS.fill(text)))


def fact_sheet_sections(path: Path) -> dict[int, str]:
    """Section numbers and titles of the fact sheet (`## N. Title`), if the file is there."""
    if not path.is_file():
        return {}
    return {int(n): title.strip() for n, title in FACT_SHEET_SECTION.findall(path.read_text(encoding="utf-8"))}


@dataclass
class ContentReport:
    """Figures for editors, computed from a bundle."""

    bundle: ContentBundle
    today: dt.date
    sections: dict[int, str] = field(default_factory=dict)
    reached: set[str] | None = None
    protocol: dict[str, ProtocolEntry] = field(default_factory=dict)

    @property
    def grades(self) -> dict[str, float]:
        """Readability grade of every published passage."""
        return {p.id: readability(p.text) for p in self.bundle.published_passages()}

    def per_topic(self) -> list[tuple[str, int, int]]:
        """(topic id, published, drafts) for every topic, in topic order."""
        published = Counter(p.topic for p in self.bundle.passages.values() if p.published)
        drafts = Counter(p.topic for p in self.bundle.passages.values() if not p.published)
        return [(t, published[t], drafts[t]) for t in self.bundle.topics]

    def uncovered_sections(self) -> list[tuple[int, str]]:
        """Fact-sheet sections that no topic with a published passage covers."""
        topics_with_passages = {p.topic for p in self.bundle.published_passages()}
        covered = {t.section for t in self.bundle.topics.values() if t.id in topics_with_passages}
        return [(n, title) for n, title in sorted(self.sections.items()) if n not in covered]

    def awaiting_signoff(self) -> list[str]:
        """Published passages with no clinical sign-off, or one older than the writers' last change to them.

        A sign-off dated before the passage's `reviewed` date approved an earlier text, so it no longer counts.
        """
        return [
            p.id
            for p in self.bundle.published_passages()
            if p.clinical_signoff is None or p.clinical_signoff.date < p.reviewed
        ]

    def protocol_awaiting_signoff(self) -> list[str]:
        """Emergency protocol entries with no clinical sign-off, or one older than their last review."""
        return [
            e.flag for e in self.protocol.values() if e.clinical_signoff is None or e.clinical_signoff.date < e.reviewed
        ]

    def overdue_reviews(self) -> list[tuple[str, int]]:
        """(passage id, days overdue) of published passages past their re-check, most overdue first.

        A passage is due `review_every_months` (default 12) after its `reviewed` date, as in the shell's
        "due for review" list, so a passage on a six-month cycle shows up here after six months.
        """
        late = [(p.id, (self.today - p.review_due).days) for p in self.bundle.published_passages()]
        return sorted(((pid, days) for pid, days in late if days > 0), key=lambda x: -x[1])

    def unreached(self) -> list[str]:
        """Published passages that no evaluation question ranks first (empty if not computed)."""
        if self.reached is None:
            return []
        return [p.id for p in self.bundle.published_passages() if p.id not in self.reached]

    def to_text(self, oldest: int = 10) -> str:
        """The report as text."""
        passages = self.bundle.published_passages()
        lines = [f"Content report, {self.today.isoformat()}: {len(passages)} published passages, "
                 f"{len(self.bundle.passages) - len(passages)} drafts, {len(self.bundle.sources)} sources, "
                 f"{len(self.bundle.topics)} topics.", "", "Passages per topic (published / draft):"]  # fmt: skip
        for topic, published, drafts in self.per_topic():
            lines.append(f"  {topic:<34}{published:>4}{drafts:>4}")
        counts = Counter(len(p.sources) for p in passages)
        lines += ["", "Sources per passage: " + ", ".join(f"{n} source(s): {counts[n]}" for n in sorted(counts))]
        cited = Counter(s for p in passages for s in p.sources)
        unused = sorted(set(self.bundle.sources) - set(cited))
        lines.append(
            f"Sources cited by no passage: {len(unused)}" + (f" ({', '.join(unused[:12])}...)" if unused else "")
        )
        overdue = self.overdue_reviews()
        lines += ["", f"Past their re-check date (review_every_months after reviewed; {len(overdue)}):"]
        lines += [f"  {pid}  ({days} days overdue)" for pid, days in overdue] or ["  none"]
        awaiting = self.awaiting_signoff()
        lines += [
            "",
            f"Awaiting clinical sign-off ({len(awaiting)} of {len(passages)}): the writers' reviews are not a "
            "clinical sign-off; a named clinician of the deploying organisation signs passages off "
            "(clinical_signoff in the passage files).",
        ]
        lines += [f"  {pid}" for pid in awaiting[:oldest]]
        if len(awaiting) > oldest:
            lines.append(f"  ... and {len(awaiting) - oldest} more")
        if self.protocol:
            waiting = self.protocol_awaiting_signoff()
            total = len(self.protocol)
            lines.append(f"Emergency protocol entries awaiting clinical sign-off ({len(waiting)} of {total}):")
            lines += [f"  {flag}" for flag in waiting] or ["  none"]
        lines += ["", f"Oldest review dates ({oldest}):"]
        for passage in sorted(passages, key=lambda p: (p.reviewed, p.id))[:oldest]:
            age = (self.today - passage.reviewed).days
            lines.append(f"  {passage.reviewed.isoformat()}  ({age} days)  {passage.id}")
        grades = self.grades
        values = sorted(grades.values())
        if values:
            buckets = Counter(min(int(g), 12) for g in values)
            within = sum(g <= GRADE_TARGET for g in values) / len(values)
            lines += [
                "",
                f"Readability (Flesch-Kincaid grade, textstat): median {statistics.median(values):.1f}, "
                f"mean {statistics.fmean(values):.1f}, max {values[-1]:.1f}; "
                f"{within:.0%} at grade {GRADE_TARGET:.0f} or below.",
                "  " + "  ".join(f"grade {b}{'+' if b == 12 else ''}: {buckets[b]}" for b in sorted(buckets)),
            ]
            hardest = sorted(grades.items(), key=lambda kv: -kv[1])[:5]
            lines.append("  hardest: " + ", ".join(f"{pid} ({g:.1f})" for pid, g in hardest))
        if self.reached is not None:
            unreached = self.unreached()
            lines += ["", f"Passages no evaluation question reaches ({len(unreached)}):"]
            lines += [f"  {pid}" for pid in unreached] or ["  none"]
        uncovered = self.uncovered_sections()
        lines += ["", f"Fact-sheet sections with no passage ({len(uncovered)}):"]
        lines += [f"  {n}. {title}" for n, title in uncovered] or ["  none"]
        return "\n".join(lines)
