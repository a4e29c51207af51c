"""Plain records of stored feedback, as the stores return them to the report and the tests.

They are separate from the SQLAlchemy models so that the report, the command line and the Rasa action never
depend on a database session.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class TurnKind(str, Enum):
    """The kinds of turn counted in real traffic: what editors review per day."""

    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    EMERGENCY = "emergency"
    DOSING = "dosing"


# The kinds whose (scrubbed) words are kept, so an editor can read them for a false alarm or a miss.
KINDS_WITH_TEXT = frozenset({TurnKind.UNANSWERED, TurnKind.EMERGENCY, TurnKind.DOSING})


class Reason(str, Enum):
    """Why an answer was "not helpful": the optional reasons offered after the vote, on every channel."""

    WRONG_TOPIC = "wrong_topic"
    TOO_HARD = "too_hard"
    OUT_OF_DATE = "out_of_date"
    OTHER = "other"


@dataclass(frozen=True)
class Vote:
    """One "helpful / not helpful" click, already made private (hashed id, scrubbed question)."""

    conversation: str
    question: str
    question_key: str
    passage_ids: tuple[str, ...]
    helpful: bool
    created_at: dt.datetime


@dataclass(frozen=True)
class Unanswered:
    """One question the bot had no good answer for, already made private."""

    conversation: str
    question: str
    question_key: str
    created_at: dt.datetime


@dataclass(frozen=True)
class UnansweredGroup:
    """Unanswered questions that differ only in case, punctuation or spacing, counted together.

    Attributes:
        key: the normalised text the questions share.
        question: the most recent wording, as shown to editors.
        count: how many times the question was asked.
        conversations: in how many different conversations (one insistent person counts once here).
        first_seen: when it was first asked (UTC).
        last_seen: when it was last asked (UTC).
    """

    key: str
    question: str
    count: int
    conversations: int
    first_seen: dt.datetime
    last_seen: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (dates in ISO 8601)."""
        return {
            "question": self.question,
            "key": self.key,
            "count": self.count,
            "conversations": self.conversations,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
        }


@dataclass(frozen=True)
class PassageFeedback:
    """The votes on answers that showed one passage.

    Attributes:
        passage_id: the passage's id in the content.
        title: its title, or None when the passage is no longer in the content database.
        helpful: "helpful" votes.
        not_helpful: "not helpful" votes.
        last_vote: when it was last voted on (UTC).
        examples: the latest few different questions whose answer was voted "not helpful", so that editors
            can tell a weak passage from a passage that was shown for the wrong question.
    """

    passage_id: str
    title: str | None
    helpful: int
    not_helpful: int
    last_vote: dt.datetime
    examples: tuple[str, ...] = ()

    @property
    def votes(self) -> int:
        """All votes on the passage."""
        return self.helpful + self.not_helpful

    @property
    def helpful_ratio(self) -> float:
        """The share of votes that said "helpful", from 0 to 1."""
        return self.helpful / self.votes if self.votes else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, with the ratio rounded for reading."""
        return {
            "passage_id": self.passage_id,
            "title": self.title,
            "helpful": self.helpful,
            "not_helpful": self.not_helpful,
            "votes": self.votes,
            "helpful_ratio": round(self.helpful_ratio, 3),
            "last_vote": self.last_vote.isoformat(),
            "examples": list(self.examples),
        }


@dataclass(frozen=True)
class Turn:
    """One counted turn, already made private: no conversation id or hash, words only for some kinds."""

    kind: TurnKind
    question: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class RecentTurn:
    """A stored turn as the traffic page lists it: its id (to save it as an evaluation question) and words."""

    id: int
    kind: TurnKind
    question: str
    created_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the time in ISO 8601)."""
        return {"id": self.id, "kind": self.kind.value, "question": self.question, "at": self.created_at.isoformat()}


@dataclass(frozen=True)
class DailyCounts:
    """How many turns of each kind one day had (UTC)."""

    day: dt.date
    counts: dict[TurnKind, int]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: the day, then one count per kind (0 when none)."""
        return {"day": self.day.isoformat(), **{k.value: self.counts.get(k, 0) for k in TurnKind}}


@dataclass(frozen=True)
class PurgeReport:
    """How many records one retention purge deleted."""

    votes: int = 0
    unanswered: int = 0
    cutoff: dt.datetime | None = field(default=None, compare=False)
    turns: int = 0
    reasons: int = 0

    @property
    def total(self) -> int:
        """Records deleted in all."""
        return self.votes + self.unanswered + self.turns + self.reasons
