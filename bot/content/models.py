"""SQLAlchemy models of the content database (SQLAlchemy 1.4 used in 2.0 style).

Rasa 3.6 pins SQLAlchemy below 1.5 and shares our environment, so we use 1.4 with `future=True` engines,
`select()` and typed `Mapped[...]` attributes. All queries live in `bot.content.store.SqlContentStore`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, registry, relationship
from sqlalchemy.orm.decl_api import DeclarativeMeta

mapper_registry = registry()


class Base(metaclass=DeclarativeMeta):
    """Declarative base, spelled out as a class (SQLAlchemy 1.4's typed form) so mypy can check models."""

    __abstract__ = True
    registry = mapper_registry
    metadata = mapper_registry.metadata

    if TYPE_CHECKING:
        # The declarative constructor takes column values as keywords; SQLAlchemy 1.4 ships no type hints.
        def __init__(self, **kwargs: Any) -> None: ...


class Source(Base):
    """A document that passages cite."""

    __tablename__ = "content_sources"

    id: Mapped[str] = Column(String(64), primary_key=True)
    publisher: Mapped[str] = Column(String(500), nullable=False)
    title: Mapped[str] = Column(String(500), nullable=False)
    url: Mapped[str] = Column(String(2000), nullable=False)
    accessed: Mapped[dt.date] = Column(Date, nullable=False)
    note: Mapped[str | None] = Column(Text, nullable=True)

    def __repr__(self) -> str:
        return f"Source(id={self.id!r}, title={self.title!r})"


class Topic(Base):
    """A group of passages; `main` topics are offered as quick replies."""

    __tablename__ = "content_topics"

    id: Mapped[str] = Column(String(64), primary_key=True)
    title: Mapped[str] = Column(String(300), nullable=False)
    summary: Mapped[str] = Column(Text, nullable=False, default="")
    section: Mapped[int | None] = Column(Integer, nullable=True)
    main: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    position: Mapped[int] = Column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return f"Topic(id={self.id!r}, title={self.title!r})"


class Passage(Base):
    """One curated answer."""

    __tablename__ = "content_passages"
    __table_args__ = (CheckConstraint("status IN ('draft', 'published')", name="passage_status"),)

    id: Mapped[str] = Column(String(64), primary_key=True)
    topic_id: Mapped[str] = Column(String(64), ForeignKey("content_topics.id"), nullable=False, index=True)
    title: Mapped[str] = Column(String(300), nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    reviewed_on: Mapped[dt.date] = Column(Date, nullable=False)
    status: Mapped[str] = Column(String(16), nullable=False, default="draft")
    position: Mapped[int] = Column(Integer, nullable=False, default=0)
    # Added after the first release: nullable, so `SqlContentStore.create_schema` can add them to an existing
    # database with a plain ALTER TABLE and old rows read as "no note, no sign-off".
    review_note: Mapped[str | None] = Column(Text, nullable=True)
    signoff_by: Mapped[str | None] = Column(String(300), nullable=True)
    signoff_on: Mapped[dt.date | None] = Column(Date, nullable=True)
    signoff_note: Mapped[str | None] = Column(Text, nullable=True)
    review_every_months: Mapped[int | None] = Column(Integer, nullable=True)  # None: the default interval
    replaces: Mapped[str | None] = Column(String(64), nullable=True)  # a pending edit of this passage id

    questions: Mapped[list[LayQuestion]] = relationship(
        "LayQuestion", order_by="LayQuestion.position", cascade="all, delete-orphan", lazy="selectin"
    )
    source_links: Mapped[list[PassageSource]] = relationship(
        "PassageSource", order_by="PassageSource.position", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"Passage(id={self.id!r}, topic_id={self.topic_id!r}, status={self.status!r})"


class LayQuestion(Base):
    """A question, in a patient's words, that a passage answers."""

    __tablename__ = "content_lay_questions"

    passage_id: Mapped[str] = Column(
        String(64), ForeignKey("content_passages.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = Column(Integer, primary_key=True)
    text: Mapped[str] = Column(Text, nullable=False)

    def __repr__(self) -> str:
        return f"LayQuestion(passage_id={self.passage_id!r}, text={self.text!r})"


class PassageSource(Base):
    """Links a passage to a source; `position` keeps the citation order."""

    __tablename__ = "content_passage_sources"

    passage_id: Mapped[str] = Column(
        String(64), ForeignKey("content_passages.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[str] = Column(String(64), ForeignKey("content_sources.id"), primary_key=True)
    position: Mapped[int] = Column(Integer, nullable=False)

    def __repr__(self) -> str:
        return f"PassageSource(passage_id={self.passage_id!r}, source_id={self.source_id!r})"


class ContentRevision(Base):
    """The content's revision: one row that every content-changing load bumps in the same transaction.

    Running services poll this single row (cheap) instead of re-reading the whole library, and rebuild their
    index only when the number moves. `content_hash` identifies the loaded library, so two databases with the
    same content can be told apart from two with different content.
    """

    __tablename__ = "content_revision"
    __table_args__ = (CheckConstraint("id = 1", name="content_revision_single_row"),)

    id: Mapped[int] = Column(Integer, primary_key=True, default=1)
    revision: Mapped[int] = Column(Integer, nullable=False, default=0)
    content_hash: Mapped[str] = Column(String(64), nullable=False, default="")
    loaded_at: Mapped[dt.datetime] = Column(DateTime(timezone=True), nullable=False)

    def __repr__(self) -> str:
        return f"ContentRevision(revision={self.revision!r}, content_hash={self.content_hash[:12]!r})"
