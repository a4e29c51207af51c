"""Where feedback lives: an interface, a SQL implementation, an in-memory double and a fail-soft wrapper.

Every store receives the raw sender id and question from the action and keeps only what `Anonymiser` makes
of them (a salted hash and a scrubbed, bounded question), so no implementation can store personal data by
mistake. `SqlFeedbackStore` writes each record as one short INSERT transaction and never reads before it
writes, so several action-server replicas can write at once without losing rows. The action uses
`get_feedback_store()`, whose writes never raise: a dead database costs the feedback, not the conversation.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import case, delete, event, func, inspect, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.future import create_engine
from sqlalchemy.orm import Session

from bot.config import VAR_DIR, Settings, get_settings
from bot.content.models import Passage
from bot.content.store import ContentStore
from bot.feedback.models import FeedbackBase, UnansweredRow, VotePassageRow, VoteRow
from bot.feedback.privacy import (
    SALT_FILE_NAME,
    hash_conversation,
    load_or_create_salt,
    prepare_question,
    question_key,
)
from bot.feedback.records import PassageFeedback, PurgeReport, Unanswered, UnansweredGroup, Vote

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
# A salt, or a function that reads it when the first record is written (the local salt file is only
# created by a process that actually stores feedback, never by a report).
Salt = str | Callable[[], str]
# Passage ids are content ids (at most 64 characters); an answer shows one or two passages.
MAX_PASSAGE_ID_CHARS = 64
MAX_PASSAGES_PER_VOTE = 10
DEFAULT_LIMIT = 20
# PostgreSQL waits this long for a connection before a write gives up (the default is the OS's minutes).
CONNECT_TIMEOUT_SECONDS = 5
# A long-running action server deletes expired feedback at most this often.
AUTO_PURGE_INTERVAL = dt.timedelta(days=1)
# How many "not helpful" questions the report quotes per passage.
EXAMPLES_PER_PASSAGE = 3
# After a failed write, writes are dropped at once for this long instead of each waiting on a dead server.
RETRY_AFTER = dt.timedelta(seconds=30)
# Replicas that start together may collide while creating the tables; each retries a few times.
SCHEMA_ATTEMPTS = 5


def utc_now() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def _as_utc(value: dt.datetime) -> dt.datetime:
    """A timezone-aware UTC time; naive times (as the database returns them) are taken to be UTC."""
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def _naive_utc(value: dt.datetime) -> dt.datetime:
    """The naive UTC form the database stores (SQLite has no time zones; PostgreSQL gets the same)."""
    return _as_utc(value).replace(tzinfo=None)


def clean_passage_ids(passage_ids: Iterable[str]) -> tuple[str, ...]:
    """The passage ids worth storing: stripped, non-empty, of a valid length, each once, in order."""
    seen: list[str] = []
    for raw in passage_ids:
        ident = str(raw).strip()
        if ident and len(ident) <= MAX_PASSAGE_ID_CHARS and ident not in seen:
            seen.append(ident)
    return tuple(seen[:MAX_PASSAGES_PER_VOTE])


class Anonymiser:
    """Turns what the action knows into what may be stored: the only place raw input is handled.

    Args:
        salt: the secret key of the conversation hash (`FEEDBACK_SALT` or the local salt file), or a
            function that returns it on first use.
        clock: the source of timestamps; tests pass a fixed one.
    """

    def __init__(self, salt: Salt, clock: Clock = utc_now) -> None:
        self._salt_source = salt
        self._salt: str | None = None
        self._clock = clock

    def _key(self) -> str:
        if self._salt is None:
            salt = self._salt_source() if callable(self._salt_source) else self._salt_source
            if not salt:
                raise ValueError("The feedback salt must not be empty")
            self._salt = salt
        return self._salt

    def conversation(self, conversation_id: str) -> str:
        """The salted hash that stands for a sender id."""
        return hash_conversation(str(conversation_id), self._key())

    def now(self) -> dt.datetime:
        """The current time in UTC, from the clock."""
        return _as_utc(self._clock())

    def vote(self, conversation_id: str, question: str, passage_ids: Iterable[str], helpful: bool) -> Vote:
        """A vote with the sender id hashed and the question scrubbed and bounded."""
        text = prepare_question(question or "")
        return Vote(
            conversation=self.conversation(conversation_id),
            question=text,
            question_key=question_key(text),
            passage_ids=clean_passage_ids(passage_ids),
            helpful=bool(helpful),
            created_at=self.now(),
        )

    def unanswered(self, conversation_id: str, question: str) -> Unanswered | None:
        """An unanswered question made private, or None when nothing of it is left to learn from."""
        text = prepare_question(question or "")
        key = question_key(text)
        if not key:
            return None
        return Unanswered(
            conversation=self.conversation(conversation_id),
            question=text,
            question_key=key,
            created_at=self.now(),
        )


class FeedbackStore(ABC):
    """Stores votes and unanswered questions, and answers the editors' two questions about them."""

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
        """Deletes every vote and unanswered question recorded before `older_than`."""


def _group_unanswered(items: Iterable[Unanswered], limit: int) -> list[UnansweredGroup]:
    groups: dict[str, list[Unanswered]] = defaultdict(list)
    for item in items:
        groups[item.question_key].append(item)
    result = []
    for key, members in groups.items():
        latest = max(members, key=lambda m: m.created_at)
        result.append(
            UnansweredGroup(
                key=key,
                question=latest.question,
                count=len(members),
                conversations=len({m.conversation for m in members}),
                first_seen=min(m.created_at for m in members),
                last_seen=latest.created_at,
            )
        )
    result.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.key))
    return result[:limit]


def _examples(rows: Iterable[tuple[str, str, str]]) -> dict[str, tuple[str, ...]]:
    """The first few different questions per passage from (passage id, question, key) rows, newest first."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for ident, question, key in rows:
        if key and key not in found[ident] and len(found[ident]) < EXAMPLES_PER_PASSAGE:
            found[ident][key] = question
    return {ident: tuple(by_key.values()) for ident, by_key in found.items()}


def _sort_passages(items: Iterable[PassageFeedback], limit: int) -> list[PassageFeedback]:
    wanted = [p for p in items if p.not_helpful > 0]
    wanted.sort(key=lambda p: (-p.not_helpful, p.helpful_ratio, p.passage_id))
    return wanted[:limit]


class _AnonymisingStore(FeedbackStore):
    """The record methods of every real store: anonymise, then save through the subclass."""

    def __init__(self, salt: Salt, clock: Clock = utc_now) -> None:
        self.anonymiser = Anonymiser(salt, clock)

    def record_feedback(self, conversation_id: str, question: str, passage_ids: Sequence[str], helpful: bool) -> bool:
        """Anonymises and saves the vote (see `FeedbackStore.record_feedback`)."""
        self._save_vote(self.anonymiser.vote(conversation_id, question, passage_ids, helpful))
        return True

    def record_unanswered(self, conversation_id: str, question: str) -> bool:
        """Anonymises and saves the question; an empty one is not stored."""
        item = self.anonymiser.unanswered(conversation_id, question)
        if item is None:
            return False
        self._save_unanswered(item)
        return True

    @abstractmethod
    def _save_vote(self, vote: Vote) -> None: ...

    @abstractmethod
    def _save_unanswered(self, item: Unanswered) -> None: ...


class InMemoryFeedbackStore(_AnonymisingStore):
    """Feedback in lists: the double for unit tests, with the same privacy rules and ordering as SQL.

    Args:
        salt: the hash key (tests pass a fixed one).
        clock: the source of timestamps.
        content: where passage titles come from, if anywhere.
    """

    def __init__(self, salt: str = "test-salt", clock: Clock = utc_now, content: ContentStore | None = None) -> None:
        super().__init__(salt, clock)
        self._content = content
        self._lock = threading.Lock()
        self.votes: list[Vote] = []
        self.unanswered: list[Unanswered] = []

    def _save_vote(self, vote: Vote) -> None:
        with self._lock:
            self.votes.append(vote)

    def _save_unanswered(self, item: Unanswered) -> None:
        with self._lock:
            self.unanswered.append(item)

    def most_unanswered(self, limit: int = DEFAULT_LIMIT) -> list[UnansweredGroup]:
        """Groups the stored questions by key (see `FeedbackStore.most_unanswered`)."""
        with self._lock:
            items = list(self.unanswered)
        return _group_unanswered(items, limit)

    def least_helpful(self, limit: int = DEFAULT_LIMIT) -> list[PassageFeedback]:
        """Counts votes per passage (see `FeedbackStore.least_helpful`)."""
        with self._lock:
            votes = list(self.votes)
        titles: dict[str, str] = {}
        if self._content is not None:
            titles = {k: p.title for k, p in self._content.snapshot(include_drafts=True).passages.items()}
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        last: dict[str, dt.datetime] = {}
        for vote in votes:
            for ident in vote.passage_ids:
                counts[ident][0 if vote.helpful else 1] += 1
                last[ident] = max(last.get(ident, vote.created_at), vote.created_at)
        items = [PassageFeedback(k, titles.get(k), c[0], c[1], last[k]) for k, c in counts.items()]
        chosen = _sort_passages(items, limit)
        # Newest first; among votes of the same moment, the one recorded last first (as the SQL store does).
        newest = sorted(enumerate(votes), key=lambda iv: (iv[1].created_at, iv[0]), reverse=True)
        rows = [
            (ident, vote.question, vote.question_key)
            for _, vote in newest
            if not vote.helpful
            for ident in vote.passage_ids
        ]
        examples = _examples(rows)
        return [replace(p, examples=examples.get(p.passage_id, ())) for p in chosen]

    def purge(self, older_than: dt.datetime) -> PurgeReport:
        """Drops the records older than the cutoff."""
        cutoff = _as_utc(older_than)
        with self._lock:
            kept_votes = [v for v in self.votes if v.created_at >= cutoff]
            kept_unanswered = [u for u in self.unanswered if u.created_at >= cutoff]
            report = PurgeReport(len(self.votes) - len(kept_votes), len(self.unanswered) - len(kept_unanswered), cutoff)
            self.votes, self.unanswered = kept_votes, kept_unanswered
        return report


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_feedback_engine(url: str) -> Engine:
    """A 2.0-style engine that waits for SQLite locks and gives up quickly on an unreachable PostgreSQL.

    SQLite: the folder is created, writers wait up to 30 s for each other's lock (each write is one short
    transaction), and foreign keys are enforced so that purging a vote removes its passage links.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"future": True, "pool_pre_ping": True}
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    elif backend == "postgresql" and parsed.get_driver_name() == "psycopg2":
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    engine = create_engine(url, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


class SqlFeedbackStore(_AnonymisingStore):
    """Feedback in the SQL database of `DATABASE_URL`, in its own `feedback_*` tables.

    The tables are created on first use, never at import. Each write is a single INSERT transaction with no
    read before it, which is why concurrent replicas cannot lose each other's rows.
    """

    def __init__(self, engine: Engine, salt: Salt, clock: Clock = utc_now) -> None:
        super().__init__(salt, clock)
        self.engine = engine
        self._schema_lock = threading.Lock()
        self._schema_ready = False

    @classmethod
    def from_url(cls, url: str, salt: Salt, clock: Clock = utc_now) -> SqlFeedbackStore:
        """Opens (without connecting yet) the database at `url`."""
        return cls(make_feedback_engine(url), salt, clock)

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

    def _save_vote(self, vote: Vote) -> None:
        self.create_schema()
        row = VoteRow(
            conversation=vote.conversation,
            question=vote.question,
            question_key=vote.question_key,
            helpful=vote.helpful,
            created_at=_naive_utc(vote.created_at),
            passages=[VotePassageRow(position=i, passage_id=p) for i, p in enumerate(vote.passage_ids)],
        )
        with Session(self.engine, future=True) as session, session.begin():
            session.add(row)

    def _save_unanswered(self, item: Unanswered) -> None:
        self.create_schema()
        row = UnansweredRow(
            conversation=item.conversation,
            question=item.question,
            question_key=item.question_key,
            created_at=_naive_utc(item.created_at),
        )
        with Session(self.engine, future=True) as session, session.begin():
            session.add(row)

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
            UnansweredGroup(key, wording[key], total, people, _as_utc(first), _as_utc(last))
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
            PassageFeedback(ident, titles.get(ident), int(yes), int(no), _as_utc(last), examples.get(ident, ()))
            for ident, yes, no, last in rows
        ]

    def _titles(self, session: Session, ids: list[str]) -> dict[str, str]:
        # The content may live elsewhere or not be loaded yet: then the report shows ids only.
        if not ids or not inspect(self.engine).has_table(Passage.__tablename__):
            return {}
        query = select(Passage.id, Passage.title).where(Passage.id.in_(ids))
        return {ident: title for ident, title in session.execute(query)}

    def purge(self, older_than: dt.datetime) -> PurgeReport:
        """Deletes old votes (with their passage links) and old unanswered questions in one transaction."""
        self.create_schema()
        cutoff = _naive_utc(older_than)
        old_votes = select(VoteRow.id).where(VoteRow.created_at < cutoff)
        with Session(self.engine, future=True) as session, session.begin():
            # Links first and explicitly, so purging never depends on the database enforcing ON DELETE CASCADE.
            session.execute(
                delete(VotePassageRow)
                .where(VotePassageRow.vote_id.in_(old_votes))
                .execution_options(synchronize_session=False)
            )
            votes = session.execute(
                delete(VoteRow).where(VoteRow.created_at < cutoff).execution_options(synchronize_session=False)
            ).rowcount
            unanswered = session.execute(
                delete(UnansweredRow)
                .where(UnansweredRow.created_at < cutoff)
                .execution_options(synchronize_session=False)
            ).rowcount
        return PurgeReport(votes or 0, unanswered or 0, _as_utc(older_than))


class FailSoftFeedbackStore(FeedbackStore):
    """Wraps a store so that writes never raise, and deletes expired feedback once a day while writing.

    The wrapped store is built on the first write (not at import, and not when the action server starts),
    and built again on a later write if building failed, e.g. because the salt file could not be written.
    After a failure, writes are dropped at once for `RETRY_AFTER`, so a dead database does not make every
    turn wait for a connection timeout. Reads and `purge` are for editors' commands and do raise, so a
    broken report is never silently empty.

    Args:
        factory: builds the real store.
        retention: how long feedback is kept; None disables the automatic purge.
        clock: the source of the current time.
    """

    def __init__(
        self, factory: Callable[[], FeedbackStore], retention: dt.timedelta | None = None, clock: Clock = utc_now
    ) -> None:
        self._factory = factory
        self._retention = retention
        self._clock = clock
        self._lock = threading.Lock()
        self._inner: FeedbackStore | None = None
        self._last_purge: dt.datetime | None = None
        self._paused_until: dt.datetime | None = None

    @property
    def inner(self) -> FeedbackStore:
        """The wrapped store, built on first use."""
        with self._lock:
            if self._inner is None:
                self._inner = self._factory()
            return self._inner

    def _soft(self, what: str, write: Callable[[FeedbackStore], bool]) -> bool:
        now = _as_utc(self._clock())
        paused_until = self._paused_until
        if paused_until is not None and now < paused_until:
            logger.warning(
                "Feedback not stored (%s): the database failed recently; retrying after %s", what, paused_until
            )
            return False
        try:
            stored = write(self.inner)
        except (SQLAlchemyError, OSError) as exc:
            # Expected when the database is down: one line, no trace, and the conversation goes on.
            self._paused_until = now + RETRY_AFTER
            logger.warning("Feedback not stored (%s): %s: %s", what, exc.__class__.__name__, exc)
            return False
        except Exception:
            self._paused_until = now + RETRY_AFTER
            logger.warning("Feedback not stored (%s) after an unexpected error", what, exc_info=True)
            return False
        self._paused_until = None
        self._maybe_purge()
        return stored

    def _maybe_purge(self) -> None:
        if self._retention is None:
            return
        now = _as_utc(self._clock())
        with self._lock:
            if self._last_purge is not None and now - self._last_purge < AUTO_PURGE_INTERVAL:
                return
            self._last_purge = now
        try:
            report = self.inner.purge(now - self._retention)
        except Exception as exc:
            logger.warning("Expired feedback not purged: %s: %s", exc.__class__.__name__, exc)
            return
        if report.total:
            logger.info("Purged %d expired feedback record(s)", report.total)

    def record_feedback(self, conversation_id: str, question: str, passage_ids: Sequence[str], helpful: bool) -> bool:
        """Stores the vote if it can; logs a warning and returns False if it cannot."""
        return self._soft("vote", lambda s: s.record_feedback(conversation_id, question, passage_ids, helpful))

    def record_unanswered(self, conversation_id: str, question: str) -> bool:
        """Stores the question if it can; logs a warning and returns False if it cannot."""
        return self._soft("unanswered question", lambda s: s.record_unanswered(conversation_id, question))

    def most_unanswered(self, limit: int = DEFAULT_LIMIT) -> list[UnansweredGroup]:
        """Delegates to the wrapped store."""
        return self.inner.most_unanswered(limit)

    def least_helpful(self, limit: int = DEFAULT_LIMIT) -> list[PassageFeedback]:
        """Delegates to the wrapped store."""
        return self.inner.least_helpful(limit)

    def purge(self, older_than: dt.datetime) -> PurgeReport:
        """Delegates to the wrapped store."""
        return self.inner.purge(older_than)


def feedback_salt(settings: Settings) -> str:
    """`FEEDBACK_SALT`, or the local salt file in var/, created with a random value on first use."""
    return settings.feedback_salt or load_or_create_salt(VAR_DIR / SALT_FILE_NAME)


def sql_store_from_settings(settings: Settings, database_url: str | None = None) -> SqlFeedbackStore:
    """The SQL store on `DATABASE_URL` (or `database_url`); the salt is read when the first record is written."""
    return SqlFeedbackStore.from_url(database_url or settings.database_url, lambda: feedback_salt(settings))


@lru_cache(maxsize=1)
def get_feedback_store() -> FeedbackStore:
    """The process-wide feedback store for the Rasa action: built on first call, writes never raise.

    Nothing connects or touches the disk until the first vote or unanswered question is recorded.
    """
    settings = get_settings()
    return FailSoftFeedbackStore(
        lambda: sql_store_from_settings(settings), retention=dt.timedelta(days=settings.feedback_retention_days)
    )
