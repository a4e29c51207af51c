"""Where the content lives: an interface, a SQL implementation and an in-memory double.

The bot reads a whole `ContentBundle` snapshot once per process (the content is small and read-only while
serving) and writes a whole bundle at once when editors load content. `InMemoryContentStore` has the same
behaviour for unit tests; `SqlContentStore` runs on SQLite by default and PostgreSQL in the scaled setup.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import func, inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from bot.content.models import Base, ContentRevision, LayQuestion, Passage, PassageSource, Source, Topic
from bot.content.records import ContentBundle, PassageRecord, Status
from bot.content.rows import passage_record, source_fields, source_record, topic_fields, topic_record
from bot.sql_engine import make_engine

logger = logging.getLogger(__name__)

# How often `versioned_snapshot` re-reads when a load commits while it reads (it then retries).
SNAPSHOT_ATTEMPTS = 5


class ContentChanging(RuntimeError):
    """The content kept changing while it was being read; the caller keeps what it had and tries later."""


@dataclasses.dataclass(frozen=True)
class RevisionInfo:
    """Which content a database holds: a number bumped by every changing load, and a hash of the library."""

    revision: int
    content_hash: str
    loaded_at: dt.datetime | None


def content_hash(bundle: ContentBundle) -> str:
    """A SHA-256 of the whole library (drafts included), independent of dict order."""

    def plain(value: Any) -> Any:
        return value.value if isinstance(value, Status) else str(value)

    data = {
        kind: {key: dataclasses.asdict(record) for key, record in sorted(getattr(bundle, kind).items())}
        for kind in ("sources", "topics", "passages")
    }
    text = json.dumps(data, sort_keys=True, default=plain, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class SyncReport:
    """What one content load changed, per kind of record."""

    added: dict[str, int] = field(default_factory=lambda: {"sources": 0, "topics": 0, "passages": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"sources": 0, "topics": 0, "passages": 0})
    removed: dict[str, int] = field(default_factory=lambda: {"sources": 0, "topics": 0, "passages": 0})

    @property
    def changed(self) -> int:
        """How many records were added, updated or removed in all."""
        return sum(self.added.values()) + sum(self.updated.values()) + sum(self.removed.values())

    def summary(self) -> str:
        """A one-line, human-readable account of the load."""
        parts = []
        for kind in ("sources", "topics", "passages"):
            parts.append(f"{kind}: +{self.added[kind]} ~{self.updated[kind]} -{self.removed[kind]}")
        verdict = "no changes" if self.changed == 0 else f"{self.changed} change(s)"
        return f"{verdict} ({'; '.join(parts)})"


class ContentStore(ABC):
    """Reads and replaces the curated content as a whole."""

    @abstractmethod
    def snapshot(self, include_drafts: bool = False) -> ContentBundle:
        """Returns all content; drafts only when asked (editors' preview, never patients)."""

    @abstractmethod
    def replace(self, bundle: ContentBundle) -> SyncReport:
        """Makes the stored content equal to `bundle`, atomically."""

    def revision(self) -> int | None:
        """A number that changes whenever the content changes; None when the store cannot tell.

        Services poll it to notice a new load without re-reading the library, so it must be cheap. The
        default (None) means "never reload by yourself", which is right for a store nobody writes to.
        """
        return None

    def versioned_snapshot(self, include_drafts: bool = False) -> tuple[ContentBundle, int | None]:
        """A snapshot together with the revision it belongs to, never a mix of two loads.

        The revision is read before and after the snapshot: a load commits its rows and its revision bump
        in one transaction, so equal readings mean no load committed in between, on any database and at
        any isolation level (PostgreSQL's READ COMMITTED reads each statement at a different moment).

        Raises:
            ContentChanging: when loads kept committing during `SNAPSHOT_ATTEMPTS` reads.
        """
        for _ in range(SNAPSHOT_ATTEMPTS):
            before = self.revision()
            bundle = self.snapshot(include_drafts=include_drafts)
            if before is None or self.revision() == before:
                return bundle, before
        raise ContentChanging(f"the content changed during {SNAPSHOT_ATTEMPTS} consecutive reads")


def _diff(
    current: dict[str, Any], wanted: dict[str, Any], kind: str, report: SyncReport
) -> tuple[list[str], list[str], list[str]]:
    added = [k for k in wanted if k not in current]
    updated = [k for k in wanted if k in current and current[k] != wanted[k]]
    removed = [k for k in current if k not in wanted]
    report.added[kind] += len(added)
    report.updated[kind] += len(updated)
    report.removed[kind] += len(removed)
    return added, updated, removed


class InMemoryContentStore(ContentStore):
    """A store that keeps the bundle in memory: the double for unit tests."""

    def __init__(self, bundle: ContentBundle | None = None) -> None:
        self._bundle = bundle or ContentBundle()
        self._revision = 1

    def snapshot(self, include_drafts: bool = False) -> ContentBundle:
        """Returns the bundle, without drafts unless asked."""
        return self._bundle if include_drafts else self._bundle.only_published()

    def replace(self, bundle: ContentBundle) -> SyncReport:
        """Swaps in the new bundle and reports what differs."""
        report = SyncReport()
        _diff(self._bundle.sources, bundle.sources, "sources", report)
        _diff(self._bundle.topics, bundle.topics, "topics", report)
        _diff(self._bundle.passages, bundle.passages, "passages", report)
        self._bundle = bundle
        if report.changed:
            self._revision += 1
        return report

    def revision(self) -> int:
        """Starts at 1 and grows with every replace that changed something."""
        return self._revision


Row = TypeVar("Row", Source, Topic)


# The revision row's read, built once: it runs before every turn (`bot.content.library`).
_REVISION_ROW = select(ContentRevision.revision, ContentRevision.content_hash, ContentRevision.loaded_at).where(
    ContentRevision.id == 1
)


class SqlContentStore(ContentStore):
    """The content in a SQL database (SQLite by default, PostgreSQL when scaled)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> SqlContentStore:
        """Opens (without connecting yet) the database at `url`."""
        return cls(make_engine(url))

    def create_schema(self) -> None:
        """Creates the content tables where they are missing, and adds columns newer code expects.

        `create_all` never alters an existing table, so a database loaded by an older release would lack
        columns added since (e.g. `review_note`) and every read would fail. Such columns are nullable and
        are added here, so the next `make content` upgrades the database in place.
        """
        Base.metadata.create_all(self.engine)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        inspector = inspect(self.engine)
        preparer = self.engine.dialect.identifier_preparer
        for table in Base.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue  # create_all makes it whole; a reader leaves absent tables to the next load
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                if not column.nullable:
                    raise RuntimeError(f"cannot add the required column {table.name}.{column.name} in place")
                kind = column.type.compile(dialect=self.engine.dialect)
                statement = f"ALTER TABLE {preparer.quote(table.name)} ADD COLUMN {preparer.quote(column.name)} {kind}"
                try:
                    with self.engine.begin() as connection:
                        connection.exec_driver_sql(statement)
                except (OperationalError, ProgrammingError):
                    # Another process may have added it meanwhile; anything else is a real failure.
                    names = {c["name"] for c in inspect(self.engine).get_columns(table.name)}
                    if column.name not in names:
                        raise
                logger.info("added column %s.%s to the content database", table.name, column.name)

    def snapshot(self, include_drafts: bool = False) -> ContentBundle:
        """Reads every source, topic and passage in one session.

        A database loaded by an older release lacks the columns added since; rather than fail every read
        until the next `make content`, the missing (nullable) columns are added and the read is retried once.
        """
        try:
            return self._read(include_drafts)
        except (OperationalError, ProgrammingError):
            if not self._missing_columns():
                raise
            self._add_missing_columns()
            return self._read(include_drafts)

    def _missing_columns(self) -> list[str]:
        inspector = inspect(self.engine)
        missing: list[str] = []
        for table in Base.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            present = {column["name"] for column in inspector.get_columns(table.name)}
            missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in present]
        return missing

    def _read(self, include_drafts: bool) -> ContentBundle:
        with Session(self.engine, future=True) as session:
            sources = {s.id: source_record(s) for s in session.scalars(select(Source).order_by(Source.id))}
            topics = {t.id: topic_record(t) for t in session.scalars(select(Topic).order_by(Topic.position))}
            query = select(Passage).order_by(Passage.position, Passage.id)
            if not include_drafts:
                query = query.where(Passage.status == Status.PUBLISHED.value)
            passages = {p.id: passage_record(p) for p in session.scalars(query)}
        return ContentBundle(sources=sources, topics=topics, passages=passages)

    def replace(self, bundle: ContentBundle) -> SyncReport:
        """Writes `bundle` in one transaction; on any error nothing is changed."""
        self.create_schema()
        report = SyncReport()
        with Session(self.engine, future=True) as session, session.begin():
            self._sync_simple(session, Source, bundle.sources, source_record, source_fields, "sources", report)
            self._sync_simple(session, Topic, bundle.topics, topic_record, topic_fields, "topics", report)
            self._sync_passages(session, bundle, report)
            session.flush()
            # Topics and sources go last: passages that referred to them are gone by now.
            self._remove(session, Topic, set(bundle.topics))
            self._remove(session, Source, set(bundle.sources))
            self._bump_revision(session, bundle, report)
        return report

    @staticmethod
    def _bump_revision(session: Session, bundle: ContentBundle, report: SyncReport) -> None:
        """Records the load in the revision row, inside the load's own transaction.

        The number moves only when something changed, so re-running an unchanged `make content` does not
        make every running service rebuild its index. The increment is one UPDATE, so two loads committing
        at once on PostgreSQL cannot both write the same number.
        """
        now = dt.datetime.now(dt.timezone.utc)
        digest = content_hash(bundle)
        if session.get(ContentRevision, 1) is None:
            session.add(ContentRevision(id=1, revision=1, content_hash=digest, loaded_at=now))
        elif report.changed:
            session.execute(
                update(ContentRevision)
                .where(ContentRevision.id == 1)
                .values(revision=ContentRevision.revision + 1, content_hash=digest, loaded_at=now)
            )

    def revision_info(self) -> RevisionInfo | None:
        """The revision row, or None for a database loaded before revisions existed (or never loaded)."""
        try:
            with self.engine.connect() as connection:  # a Core read: no ORM session per turn
                row = connection.execute(_REVISION_ROW).one_or_none()
                if row is None:
                    return None
                loaded = row.loaded_at
                if loaded is not None and loaded.tzinfo is None:  # SQLite keeps no time zone
                    loaded = loaded.replace(tzinfo=dt.timezone.utc)
                return RevisionInfo(row.revision, row.content_hash, loaded)
        except (OperationalError, ProgrammingError):
            # A missing table is "no revision yet"; anything else (the database is down) is the caller's.
            if inspect(self.engine).has_table(ContentRevision.__tablename__):
                raise
            return None

    def revision(self) -> int | None:
        """One primary-key read of the revision row (cheap enough to read before every turn)."""
        info = self.revision_info()
        return info.revision if info is not None else None

    @staticmethod
    def _sync_simple(
        session: Session,
        model: type[Row],
        records: dict[str, Any],
        to_record: Callable[[Any], Any],
        to_fields: Callable[[Any], dict[str, Any]],
        kind: str,
        report: SyncReport,
    ) -> None:
        rows = {row.id: row for row in session.scalars(select(model))}
        current = {key: to_record(row) for key, row in rows.items()}
        added, updated, _removed = _diff(current, records, kind, report)
        for key in added:
            session.add(model(id=key, **to_fields(records[key])))
        for key in updated:
            for name, value in to_fields(records[key]).items():
                setattr(rows[key], name, value)

    @staticmethod
    def _remove(session: Session, model: type[Row], keep: set[str]) -> None:
        for row in session.scalars(select(model)):
            if row.id not in keep:
                session.delete(row)

    @staticmethod
    def _fill_passage(row: Passage, record: PassageRecord) -> None:
        row.topic_id = record.topic
        row.title = record.title
        row.text = record.text
        row.reviewed_on = record.reviewed
        row.status = record.status.value
        row.position = record.position
        row.review_note = record.review_note
        signoff = record.clinical_signoff
        row.signoff_by = signoff.by if signoff else None
        row.signoff_on = signoff.date if signoff else None
        row.signoff_note = signoff.note if signoff else None
        row.review_every_months = record.review_every_months
        row.replaces = record.replaces

    @staticmethod
    def _children(record: PassageRecord) -> tuple[list[LayQuestion], list[PassageSource]]:
        questions = [LayQuestion(position=i, text=text) for i, text in enumerate(record.questions)]
        links = [PassageSource(source_id=sid, position=i) for i, sid in enumerate(record.sources)]
        return questions, links

    def _sync_passages(self, session: Session, bundle: ContentBundle, report: SyncReport) -> None:
        rows = {row.id: row for row in session.scalars(select(Passage))}
        current = {key: passage_record(row) for key, row in rows.items()}
        added, updated, removed = _diff(current, bundle.passages, "passages", report)
        for key in removed:
            session.delete(rows[key])
        for key in updated:
            row = rows[key]
            # Clear the children first so that re-inserted questions and links cannot collide on their keys.
            row.questions.clear()
            row.source_links.clear()
        session.flush()
        for key in [*added, *updated]:
            record = bundle.passages[key]
            row = rows.get(key) or Passage(id=key)
            self._fill_passage(row, record)
            questions, links = self._children(record)
            row.questions.extend(questions)
            row.source_links.extend(links)
            session.add(row)


def count_rows(store: SqlContentStore) -> dict[str, int]:
    """How many rows each content table holds (for status output and tests)."""
    counts: dict[str, int] = {}
    with Session(store.engine, future=True) as session:
        for name, model in (("sources", Source), ("topics", Topic), ("passages", Passage)):
            counts[name] = session.scalar(select(func.count()).select_from(model)) or 0
    return counts
