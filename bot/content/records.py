"""Plain, immutable records of the curated content.

These are what the rest of the bot sees: the loader produces them from YAML, the stores return them, and
retrieval indexes them. They are deliberately separate from the SQLAlchemy models so that nothing outside
`bot.content` depends on a database session.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum

# How many months after its `reviewed` date a passage is due for its next re-check, unless it says otherwise
# (`review_every_months`); at most `MAX_REVIEW_MONTHS` (UK patient-information standards: three years).
DEFAULT_REVIEW_MONTHS = 12
MAX_REVIEW_MONTHS = 36


class Status(str, Enum):
    """Publication state of a passage: drafts are never shown to patients."""

    DRAFT = "draft"
    PUBLISHED = "published"


@dataclass(frozen=True)
class SourceRecord:
    """A document that passages cite."""

    id: str
    publisher: str
    title: str
    url: str
    accessed: date
    note: str | None = None


@dataclass(frozen=True)
class TopicRecord:
    """A group of passages, e.g. one therapy; `main` topics are offered as quick replies."""

    id: str
    title: str
    summary: str
    section: int | None = None
    main: bool = False
    position: int = 0


@dataclass(frozen=True)
class ClinicalSignoff:
    """A named clinician's sign-off of a passage.

    Kept apart from `PassageRecord.reviewed` on purpose: the writers re-checking a passage against its sources
    is not a clinical sign-off, and only an organisation deploying the bot can obtain one, so the bot's own
    writers never fill this in.
    """

    by: str
    date: date
    note: str | None = None


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (31 January + 1 = 28 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class PassageRecord:
    """One curated answer with the lay questions it answers and the sources that support it."""

    id: str
    topic: str
    title: str
    text: str
    questions: tuple[str, ...]
    sources: tuple[str, ...]
    reviewed: date
    status: Status = Status.PUBLISHED
    position: int = 0
    review_note: str | None = None
    clinical_signoff: ClinicalSignoff | None = None
    # The next re-check is due this many months after `reviewed`.
    review_every_months: int = DEFAULT_REVIEW_MONTHS
    # A draft that is an editor's pending edit of another passage (its id): the other stays as it is for
    # patients until this draft is published, which copies it over the other (`bot.editing`).
    replaces: str | None = None

    @property
    def published(self) -> bool:
        """Whether patients may see this passage."""
        return self.status is Status.PUBLISHED

    @property
    def review_due(self) -> date:
        """When the next re-check is due: `review_every_months` after `reviewed` (the shell and the report agree)."""
        return add_months(self.reviewed, self.review_every_months)


class Urgency(str, Enum):
    """How fast a protocol sends people for help; a passage may be faster, never slower."""

    EMERGENCY = "emergency"  # call emergency services now
    URGENT = "urgent"  # call the named team now; emergency services if they cannot be reached at once
    SAME_DAY = "same-day"  # contact the care team today

    @property
    def rank(self) -> int:
        """Higher is faster, so routes can be compared."""
        return {Urgency.SAME_DAY: 1, Urgency.URGENT: 2, Urgency.EMERGENCY: 3}[self]


@dataclass(frozen=True)
class ProtocolEntry:
    """One row of the emergency protocol: what to do now for one red flag of the safety net.

    `signs`, `immediate` and `call` are what people read; `mentions`, `context` and `must_say` are how the
    content check recognises a passage that describes this emergency and what such a passage must contain.
    `immediate_es` is `immediate` in Spanish, one step for each English step in the same order, for Spanish
    replies (the loader requires it and holds it to the same count; empty only for entries built in code).
    """

    flag: str
    title: str
    urgency: Urgency
    signs: tuple[str, ...]
    immediate: tuple[str, ...]
    call: str
    sources: tuple[str, ...]
    reviewed: date
    immediate_es: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    context: str | None = None
    must_say: tuple[tuple[str, ...], ...] = ()
    review_note: str | None = None
    clinical_signoff: ClinicalSignoff | None = None


@dataclass(frozen=True)
class ContentBundle:
    """A complete, validated snapshot of the content: what one load writes and one read returns."""

    sources: dict[str, SourceRecord] = field(default_factory=dict)
    topics: dict[str, TopicRecord] = field(default_factory=dict)
    passages: dict[str, PassageRecord] = field(default_factory=dict)

    def published_passages(self) -> list[PassageRecord]:
        """Published passages in file order."""
        return [p for p in self.passages.values() if p.published]

    def main_topics(self) -> list[TopicRecord]:
        """Topics to offer as quick replies, in their configured order."""
        return sorted((t for t in self.topics.values() if t.main), key=lambda t: t.position)

    def question_of(self, passage_id: str) -> str:
        """The first lay question of a passage: what a follow-up button asked, stored with feedback."""
        passage = self.passages.get(passage_id)
        return passage.questions[0] if passage and passage.questions else ""

    def topic_overview(self, topic_id: str) -> PassageRecord | None:
        """The first published passage of a topic, which editors write as its overview."""
        for passage in self.published_passages():
            if passage.topic == topic_id:
                return passage
        return None

    def with_pending_edits(self) -> ContentBundle:
        """The bundle as it will be once every pending edit is published: what the editors' preview answers from.

        A draft that `replaces` a passage takes that passage's id and place, so the preview answers with the
        edited text wherever the passage would be used (a safety reply, a topic overview) and never ranks the
        old and the new version against each other.
        """
        edits = {p.replaces: p for p in self.passages.values() if p.replaces and p.replaces in self.passages}
        passages: dict[str, PassageRecord] = {}
        for key, passage in self.passages.items():
            if passage.replaces in edits and edits[passage.replaces] is passage:
                continue
            edit = edits.get(key)
            passages[key] = passage if edit is None else replace(edit, id=key, position=passage.position)
        return ContentBundle(sources=self.sources, topics=self.topics, passages=passages)

    def only_published(self) -> ContentBundle:
        """The same bundle without drafts, as patients see it."""
        return ContentBundle(
            sources=self.sources,
            topics=self.topics,
            passages={k: p for k, p in self.passages.items() if p.published},
        )
