"""Real traffic, anonymised: turns counted by kind and day, and the reasons given for "not helpful".

Editors need to see whether the emergency and dosing paths fire on real messages, and why answers did not
help, without anyone's conversation. So a turn is stored as its kind, its day and, only for emergency, dosing
and unanswered turns, its scrubbed words (`Anonymiser.turn`): no conversation id, not even its hash. A reason
is attached to the person's latest "not helpful" vote, found by the same salted hash the vote carries.

`SqlTraffic` holds the queries; `SqlFeedbackStore` inherits them, so one store (and one purge) covers all
feedback tables. Times are UTC; a day is a UTC day.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.feedback.anonymiser import Anonymiser, as_utc, naive_utc
from bot.feedback.models import ReasonRow, TurnRow, VotePassageRow, VoteRow
from bot.feedback.records import DailyCounts, Reason, RecentTurn, TurnKind
from bot.replies.model import ReplyKind

# A reason counts for the person's "not helpful" vote only if it comes soon after it (a session lasts an hour).
REASON_WINDOW = dt.timedelta(hours=1)
DEFAULT_DAYS = 14
DEFAULT_RECENT = 20
# Which replies count as which kind of turn. The rest (menus, small talk, clarifying, out of scope, feedback
# thanks) are not counted: they answer no question from the library and raise no alarm.
TURN_KINDS = {
    ReplyKind.ANSWER: TurnKind.ANSWERED,
    ReplyKind.NO_ANSWER: TurnKind.UNANSWERED,
    ReplyKind.GIVE_UP: TurnKind.UNANSWERED,
    ReplyKind.EMERGENCY: TurnKind.EMERGENCY,
    ReplyKind.DOSING_REFUSAL: TurnKind.DOSING,
}


def turn_kind(reply: ReplyKind) -> TurnKind | None:
    """The kind of turn a reply of this kind counts as, or None when it is not counted."""
    return TURN_KINDS.get(reply)


def reason_from(value: object) -> Reason | None:
    """A reason from a button's entity value; None for anything that is not one of the offered codes."""
    return next((r for r in Reason if r.value == value), None)


class TrafficFeedback(ABC):
    """Counts turns, keeps reasons, and answers the traffic page's questions about them."""

    @abstractmethod
    def record_turn(self, kind: TurnKind, question: str) -> bool:
        """Counts one turn of `kind`; keeps `question` scrubbed only for emergency, dosing and unanswered turns."""

    @abstractmethod
    def record_reason(self, conversation_id: str, reason: Reason) -> bool:
        """Attaches `reason` to this conversation's latest "not helpful" vote; False when there is none."""

    @abstractmethod
    def daily_counts(self, days: int = DEFAULT_DAYS, today: dt.date | None = None) -> list[DailyCounts]:
        """Turns per kind for each of the last `days` UTC days, today first (days without turns show 0)."""

    @abstractmethod
    def recent_turns(self, kinds: Iterable[TurnKind], limit: int = DEFAULT_RECENT) -> list[RecentTurn]:
        """The latest stored words of turns of these kinds, newest first."""

    @abstractmethod
    def turn(self, turn_id: int) -> RecentTurn | None:
        """One stored turn with words, or None (unknown, purged, or an answered turn, which has none)."""

    @abstractmethod
    def recent_reasons(self, limit: int = DEFAULT_RECENT) -> list[dict[str, object]]:
        """The latest reasons given, newest first: when, which reason, the question and the passages shown."""

    @abstractmethod
    def reason_counts(self) -> dict[Reason, int]:
        """How many times each reason was given (within the retention period)."""


class SqlTraffic(TrafficFeedback):
    """The traffic queries on the feedback database; mixed into `SqlFeedbackStore`, which supplies these."""

    engine: Engine
    anonymiser: Anonymiser

    def create_schema(self) -> None:
        """Creates the feedback tables where missing (implemented by the store)."""
        raise NotImplementedError

    def record_turn(self, kind: TurnKind, question: str) -> bool:
        """One INSERT, no read first, so replicas never lose each other's counts."""
        turn = self.anonymiser.turn(TurnKind(kind), question)
        self.create_schema()
        at = naive_utc(turn.created_at)
        row = TurnRow(day=at.date(), kind=turn.kind.value, question=turn.question, created_at=at)
        with Session(self.engine, future=True) as session, session.begin():
            session.add(row)
        return True

    def record_reason(self, conversation_id: str, reason: Reason) -> bool:
        """Finds the vote by the conversation's hash; a second press of the same reason is stored once."""
        reason = Reason(reason)
        conversation = self.anonymiser.conversation(conversation_id)
        now = naive_utc(self.anonymiser.now())
        self.create_schema()
        latest = (
            select(VoteRow.id)
            .where(
                VoteRow.conversation == conversation,
                VoteRow.helpful.is_(False),
                VoteRow.created_at >= now - REASON_WINDOW,
            )
            .order_by(VoteRow.created_at.desc(), VoteRow.id.desc())
            .limit(1)
        )
        with Session(self.engine, future=True) as session, session.begin():
            vote_id = session.execute(latest).scalar()
            if vote_id is None:
                return False
            if session.get(ReasonRow, (vote_id, reason.value)) is None:
                session.add(ReasonRow(vote_id=vote_id, reason=reason.value, created_at=now))
        return True

    def daily_counts(self, days: int = DEFAULT_DAYS, today: dt.date | None = None) -> list[DailyCounts]:
        """Counted in SQL per day and kind; the days are filled in here so a quiet day shows as zeros."""
        self.create_schema()
        today = today or naive_utc(self.anonymiser.now()).date()
        first = today - dt.timedelta(days=max(days, 1) - 1)
        query = (
            select(TurnRow.day, TurnRow.kind, func.count(TurnRow.id))
            .where(TurnRow.day >= first, TurnRow.day <= today)
            .group_by(TurnRow.day, TurnRow.kind)
        )
        found: dict[dt.date, dict[TurnKind, int]] = {}
        with Session(self.engine, future=True) as session:
            for day, kind, count in session.execute(query):
                if kind in TurnKind._value2member_map_:
                    found.setdefault(day, {})[TurnKind(kind)] = int(count)
        return [
            DailyCounts(today - dt.timedelta(days=n), found.get(today - dt.timedelta(days=n), {}))
            for n in range((today - first).days + 1)
        ]

    def recent_turns(self, kinds: Iterable[TurnKind], limit: int = DEFAULT_RECENT) -> list[RecentTurn]:
        """Only rows with words: answered turns never have any."""
        self.create_schema()
        wanted = [TurnKind(k).value for k in kinds]
        query = (
            select(TurnRow)
            .where(TurnRow.kind.in_(wanted), TurnRow.question.is_not(None))
            .order_by(TurnRow.created_at.desc(), TurnRow.id.desc())
            .limit(limit)
        )
        with Session(self.engine, future=True) as session:
            return [_recent(row) for row in session.scalars(query)]

    def turn(self, turn_id: int) -> RecentTurn | None:
        """Looked up by its id, as the page shows it."""
        self.create_schema()
        with Session(self.engine, future=True) as session:
            row = session.get(TurnRow, turn_id)
            return _recent(row) if row is not None and row.question else None

    def recent_reasons(self, limit: int = DEFAULT_RECENT) -> list[dict[str, object]]:
        """Joined with the vote (its scrubbed question) and the passages the answer showed."""
        self.create_schema()
        query = (
            select(ReasonRow.created_at, ReasonRow.reason, VoteRow.id, VoteRow.question)
            .join(VoteRow, VoteRow.id == ReasonRow.vote_id)
            .order_by(ReasonRow.created_at.desc(), VoteRow.id.desc())
            .limit(limit)
        )
        with Session(self.engine, future=True) as session:
            rows = session.execute(query).all()
            ids = [row[2] for row in rows]
            shown: dict[int, list[str]] = {}
            links = (
                select(VotePassageRow.vote_id, VotePassageRow.passage_id)
                .where(VotePassageRow.vote_id.in_(ids))
                .order_by(VotePassageRow.vote_id, VotePassageRow.position)
            )
            for vote_id, passage_id in session.execute(links):
                shown.setdefault(vote_id, []).append(passage_id)
        return [
            {"at": as_utc(at).isoformat(), "reason": reason, "question": question, "passages": shown.get(vote, [])}
            for at, reason, vote, question in rows
        ]

    def reason_counts(self) -> dict[Reason, int]:
        """Every reason with its count, 0 for those never given."""
        self.create_schema()
        query = select(ReasonRow.reason, func.count()).group_by(ReasonRow.reason)
        with Session(self.engine, future=True) as session:
            counted = {reason: int(count) for reason, count in session.execute(query)}
        return {reason: counted.get(reason.value, 0) for reason in Reason}


def _recent(row: TurnRow) -> RecentTurn:
    return RecentTurn(row.id, TurnKind(row.kind), row.question or "", as_utc(row.created_at))
