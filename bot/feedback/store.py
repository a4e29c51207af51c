"""Where feedback lives: the interface, and the SQL store that implements it on SQLite and PostgreSQL.

`SqlFeedbackStore` receives the raw sender id and question from the action and keeps only what `Anonymiser`
(bot/feedback/anonymiser.py) makes of them, so it cannot store personal data by mistake. It writes each
record as one short INSERT transaction and never reads before it writes, so several action-server replicas
can write at once without losing rows. Its reports are computed in SQL, once: the unit tests' double,
`InMemoryFeedbackStore`, is the same store on an in-memory SQLite database. The action uses
`get_feedback_store()` (bot/feedback/fail_soft.py), whose writes never raise.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import case, delete, func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.content.models import Passage
from bot.content.store import ContentStore, SqlContentStore
from bot.feedback.anonymiser import Anonymiser, Clock, Salt, as_utc, naive_utc, utc_now
from bot.feedback.models import FeedbackBase, ReasonRow, TurnRow, UnansweredRow, VotePassageRow, VoteRow
from bot.feedback.records import PassageFeedback, PurgeReport, Unanswered, UnansweredGroup, Vote
from bot.feedback.traffic import SqlTraffic, TrafficFeedback
from bot.sql_engine import make_engine

DEFAULT_LIMIT = 20
# How many "not helpful" questions the report quotes per passage.
EXAMPLES_PER_PASSAGE = 3
# Replicas that start together may collide while creating the tables; each retries a few times.
SCHEMA_ATTEMPTS = 5


class FeedbackStore(TrafficFeedback, ABC):
    """Stores votes, reasons, unanswered questions and counted turns, and answers the editors' questions."""

    @abstractmethod
    def record_feedback(self, conversation_id: str, question: str, passage_ids: Sequence[str], helpful: bool) -> bool:
        """Stores one vote on the answer that showed `passage_ids` for `question`.

        Args:
            conversation_id: Rasa's sender id; only its salted hash is stored.
            question: the question the answer was for; stored scrubbed and cut to 500 characters.
            passage_ids: the passages the answer showed, in order.
            helpful: True for "helpful", False for "not helpful".

        Returns:
            Whether the vote was stored.
        """

    @abstractmethod
    def record_unanswered(self, conversation_id: str, question: str) -> bool:
        """Stores a question the bot had no good answer for; returns whether it was stored."""

    @abstractmethod
    def most_unanswered(self, limit: int = DEFAULT_LIMIT) -> list[UnansweredGroup]:
        """The most frequent unanswered questions, grouped by normalised text, most asked first."""

    @abstractmethod
    def least_helpful(self, limit: int = DEFAULT_LIMIT) -> list[PassageFeedback]:
        """Passages with at least one "not helpful" vote: most such votes first, then lowest helpful ratio."""

    @abstractmethod
    def purge(self, older_than: dt.datetime) -> PurgeReport:
        """Deletes every vote (with its reasons), unanswered question and counted turn recorded before `older_than`."""


def _examples(rows: Iterable[tuple[str, str, str]]) -> dict[str, tuple[str, ...]]:
    """The first few different questions per passage from (passage id, question, key) rows, newest first."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for ident, question, key in rows:
        if key and key not in found[ident] and len(found[ident]) < EXAMPLES_PER_PASSAGE:
            found[ident][key] = question
    return {ident: tuple(by_key.values()) for ident, by_key in found.items()}


class SqlFeedbackStore(SqlTraffic, FeedbackStore):
    """Feedback in the SQL database of `DATABASE_URL`, in its own `feedback_*` tables.

    The tables are created on first use, never at import. Each write is a single INSERT transaction with no
    read before it, which is why concurrent replicas cannot lose each other's rows.
    """

    def __init__(self, engine: Engine, salt: Salt, clock: Clock = utc_now) -> None:
        self.anonymiser = Anonymiser(salt, clock)
        self.engine = engine
        self._schema_lock = threading.Lock()
        self._schema_ready = False

    @classmethod
    def from_url(cls, url: str, salt: Salt, clock: Clock = utc_now) -> SqlFeedbackStore:
        """Opens (without connecting yet) the database at `url`."""
        return cls(make_engine(url), salt, clock)

    def create_schema(self) -> None:
        """Creates the feedback tables where they are missing (and only those: content tables are untouched).

        Replicas starting together may race to create them (SQLite creates them one by one, so a loser can
        see some but not all): a failed attempt is retried, skipping the tables that exist by then. A dead
        server fails the inspection at once and is not retried.
        """
        if self._schema_ready:
            return
        wanted = set(FeedbackBase.metadata.tables)
        with self._schema_lock:
            for attempt in range(1, SCHEMA_ATTEMPTS + 1):
                if self._schema_ready:
                    return
                try:
                    FeedbackBase.metadata.create_all(self.engine)
                    self._schema_ready = True
                except SQLAlchemyError:
                    if wanted <= set(inspect(self.engine).get_table_names()):
                        self._schema_ready = True
                    elif attempt == SCHEMA_ATTEMPTS:
                        raise
                    else:
                        time.sleep(0.05 * attempt)

    def record_feedback(self, conversation_id: str, question: str, passage_ids: Sequence[str], helpful: bool) -> bool:
        """Anonymises the vote and inserts it with its passage links (see `FeedbackStore.record_feedback`)."""
        vote = self.anonymiser.vote(conversation_id, question, passage_ids, helpful)
        self.create_schema()
        row = VoteRow(
            conversation=vote.conversation,
            question=vote.question,
            question_key=vote.question_key,
            helpful=vote.helpful,
            created_at=naive_utc(vote.created_at),
            passages=[VotePassageRow(position=i, passage_id=p) for i, p in enumerate(vote.passage_ids)],
        )
        with Session(self.engine, future=True) as session, session.begin():
            session.add(row)
        return True

    def record_unanswered(self, conversation_id: str, question: str) -> bool:
        """Anonymises and inserts the question; one with nothing left to learn from is not stored."""
        item = self.anonymiser.unanswered(conversation_id, question)
        if item is None:
            return False
        self.create_schema()
        row = UnansweredRow(
            conversation=item.conversation,
            question=item.question,
            question_key=item.question_key,
            created_at=naive_utc(item.created_at),
        )
        with Session(self.engine, future=True) as session, session.begin():
            session.add(row)
        return True

    def most_unanswered(self, limit: int = DEFAULT_LIMIT) -> list[UnansweredGroup]:
        """Groups in SQL, then fetches the latest wording of each group shown."""
        self.create_schema()
        last_seen = func.max(UnansweredRow.created_at)
        count = func.count(UnansweredRow.id)
        query = (
            select(
                UnansweredRow.question_key,
                count,
                func.count(func.distinct(UnansweredRow.conversation)),
                func.min(UnansweredRow.created_at),
                last_seen,
            )
            .group_by(UnansweredRow.question_key)
            .order_by(count.desc(), last_seen.desc(), UnansweredRow.question_key)
            .limit(limit)
        )
        with Session(self.engine, future=True) as session:
            rows = session.execute(query).all()
            keys = [row[0] for row in rows]
            wording: dict[str, str] = {}
            latest = (
                select(UnansweredRow.question_key, UnansweredRow.question)
                .where(UnansweredRow.question_key.in_(keys))
                .order_by(UnansweredRow.created_at.desc(), UnansweredRow.id.desc())
            )
            for key, question in session.execute(latest):
                wording.setdefault(key, question)
        return [
            UnansweredGroup(key, wording[key], total, people, as_utc(first), as_utc(last))
            for key, total, people, first, last in rows
        ]

    def least_helpful(self, limit: int = DEFAULT_LIMIT) -> list[PassageFeedback]:
        """Counts votes per passage in SQL; titles come from the content tables when they exist."""
        self.create_schema()
        helpful = func.sum(case((VoteRow.helpful.is_(True), 1), else_=0))
        not_helpful = func.sum(case((VoteRow.helpful.is_(False), 1), else_=0))
        ratio = helpful * 1.0 / func.count(VoteRow.id)
        query = (
            select(VotePassageRow.passage_id, helpful, not_helpful, func.max(VoteRow.created_at))
            .join(VoteRow, VoteRow.id == VotePassageRow.vote_id)
            .group_by(VotePassageRow.passage_id)
            .having(not_helpful > 0)
            .order_by(not_helpful.desc(), ratio, VotePassageRow.passage_id)
            .limit(limit)
        )
        with Session(self.engine, future=True) as session:
            rows = session.execute(query).all()
            ids = [row[0] for row in rows]
            titles = self._titles(session, ids)
            asked = (
                select(VotePassageRow.passage_id, VoteRow.question, VoteRow.question_key)
                .join(VoteRow, VoteRow.id == VotePassageRow.vote_id)
                .where(VotePassageRow.passage_id.in_(ids), VoteRow.helpful.is_(False))
                .order_by(VoteRow.created_at.desc(), VoteRow.id.desc())
            )
            examples = _examples((ident, question, key) for ident, question, key in session.execute(asked))
        return [
            PassageFeedback(ident, titles.get(ident), int(yes), int(no), as_utc(last), examples.get(ident, ()))
            for ident, yes, no, last in rows
        ]

    def _titles(self, session: Session, ids: list[str]) -> dict[str, str]:
        # The content may live elsewhere or not be loaded yet: then the report shows ids only.
        if not ids or not inspect(self.engine).has_table(Passage.__tablename__):
            return {}
        query = select(Passage.id, Passage.title).where(Passage.id.in_(ids))
        return {ident: title for ident, title in session.execute(query)}

    def stored_votes(self) -> list[Vote]:
        """Every stored vote as it was recorded, oldest first (for tests and audits of what is kept)."""
        self.create_schema()
        with Session(self.engine, future=True) as session:
            rows = session.scalars(select(VoteRow).order_by(VoteRow.created_at, VoteRow.id)).all()
            return [
                Vote(
                    conversation=row.conversation,
                    question=row.question,
                    question_key=row.question_key,
                    passage_ids=tuple(link.passage_id for link in row.passages),
                    helpful=row.helpful,
                    created_at=as_utc(row.created_at),
                )
                for row in rows
            ]

    def stored_unanswered(self) -> list[Unanswered]:
        """Every stored unanswered question as it was recorded, oldest first."""
        self.create_schema()
        with Session(self.engine, future=True) as session:
            rows = session.scalars(select(UnansweredRow).order_by(UnansweredRow.created_at, UnansweredRow.id))
            return [
                Unanswered(row.conversation, row.question, row.question_key, as_utc(row.created_at)) for row in rows
            ]

    def purge(self, older_than: dt.datetime) -> PurgeReport:
        """Deletes old votes (with their links and reasons), unanswered questions and turns in one transaction."""
        self.create_schema()
        cutoff = naive_utc(older_than)
        old_votes = select(VoteRow.id).where(VoteRow.created_at < cutoff)
        with Session(self.engine, future=True) as session, session.begin():
            # Links first and explicitly, so purging never depends on the database enforcing ON DELETE CASCADE.
            session.execute(
                delete(VotePassageRow)
                .where(VotePassageRow.vote_id.in_(old_votes))
                .execution_options(synchronize_session=False)
            )
            reasons = session.execute(
                delete(ReasonRow)
                .where((ReasonRow.vote_id.in_(old_votes)) | (ReasonRow.created_at < cutoff))
                .execution_options(synchronize_session=False)
            ).rowcount
            votes = session.execute(
                delete(VoteRow).where(VoteRow.created_at < cutoff).execution_options(synchronize_session=False)
            ).rowcount
            unanswered = session.execute(
                delete(UnansweredRow)
                .where(UnansweredRow.created_at < cutoff)
                .execution_options(synchronize_session=False)
            ).rowcount
            turns = session.execute(
                delete(TurnRow).where(TurnRow.created_at < cutoff).execution_options(synchronize_session=False)
            ).rowcount
        return PurgeReport(votes or 0, unanswered or 0, as_utc(older_than), turns or 0, reasons or 0)


class InMemoryFeedbackStore(SqlFeedbackStore):
    """The SQL store on a private in-memory SQLite database: the double for unit tests.

    It is `SqlFeedbackStore` itself (same anonymising, same SQL reports), so what the tests see is what the
    editors' report computes; only the database differs.

    Args:
        salt: the hash key (tests pass a fixed one).
        clock: the source of timestamps.
        content: content to load into the same database, so the report shows passage titles.
    """

    def __init__(self, salt: str = "test-salt", clock: Clock = utc_now, content: ContentStore | None = None) -> None:
        super().__init__(make_engine("sqlite://"), salt, clock)
        if content is not None:
            SqlContentStore(self.engine).replace(content.snapshot(include_drafts=True))

    @property
    def votes(self) -> list[Vote]:
        """The stored votes, oldest first."""
        return self.stored_votes()

    @property
    def unanswered(self) -> list[Unanswered]:
        """The stored unanswered questions, oldest first."""
        return self.stored_unanswered()
