"""SQLAlchemy models of the feedback tables (SQLAlchemy 1.4 in 2.0 style, like `bot.content.models`).

Feedback has its own declarative base and metadata, so `make content` (which creates and rewrites only the
content metadata) can never create, alter or empty these tables, and feedback has no foreign key into the
content: passages come and go with each content load while their votes stay. Queries live in
`bot.feedback.store.SqlFeedbackStore`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, registry, relationship
from sqlalchemy.orm.decl_api import DeclarativeMeta

from bot.feedback.privacy import MAX_QUESTION_CHARS

feedback_registry = registry()
# Room for a full question key; keys are never longer than the question they come from.
KEY_CHARS = MAX_QUESTION_CHARS + 20


class FeedbackBase(metaclass=DeclarativeMeta):
    """Declarative base of the feedback tables, separate from the content's on purpose (see module doc)."""

    __abstract__ = True
    registry = feedback_registry
    metadata = feedback_registry.metadata

    if TYPE_CHECKING:

        def __init__(self, **kwargs: Any) -> None: ...


class VoteRow(FeedbackBase):
    """One "helpful / not helpful" vote on an answer. Times are naive UTC."""

    __tablename__ = "feedback_votes"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = Column(String(64), nullable=False, index=True)
    question: Mapped[str] = Column(Text, nullable=False)
    question_key: Mapped[str] = Column(String(KEY_CHARS), nullable=False)
    helpful: Mapped[bool] = Column(Boolean, nullable=False)
    created_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, index=True)

    passages: Mapped[list[VotePassageRow]] = relationship(
        "VotePassageRow", order_by="VotePassageRow.position", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"VoteRow(id={self.id!r}, helpful={self.helpful!r}, created_at={self.created_at!r})"


class VotePassageRow(FeedbackBase):
    """A passage that the voted answer showed; `position` keeps the order in which it was shown."""

    __tablename__ = "feedback_vote_passages"

    vote_id: Mapped[int] = Column(Integer, ForeignKey("feedback_votes.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = Column(Integer, primary_key=True)
    # No foreign key to content_passages: a content load may remove a passage, and its votes must stay.
    passage_id: Mapped[str] = Column(String(64), nullable=False, index=True)

    def __repr__(self) -> str:
        return f"VotePassageRow(vote_id={self.vote_id!r}, passage_id={self.passage_id!r})"


class UnansweredRow(FeedbackBase):
    """A question the bot had no good answer for. Times are naive UTC."""

    __tablename__ = "feedback_unanswered"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = Column(String(64), nullable=False)
    question: Mapped[str] = Column(Text, nullable=False)
    question_key: Mapped[str] = Column(String(KEY_CHARS), nullable=False, index=True)
    created_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, index=True)

    def __repr__(self) -> str:
        return f"UnansweredRow(id={self.id!r}, question_key={self.question_key!r})"


class TurnRow(FeedbackBase):
    """One turn of real traffic, counted by kind and day, with no conversation id or hash at all.

    `question` (scrubbed) is kept only for the kinds an editor checks by reading: emergency, dosing and
    unanswered turns, to spot a false alarm or a miss. An answered turn is only counted. Times are naive UTC.
    """

    __tablename__ = "feedback_turns"

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[dt.date] = Column(Date, nullable=False, index=True)
    kind: Mapped[str] = Column(String(16), nullable=False)
    question: Mapped[str | None] = Column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, index=True)

    def __repr__(self) -> str:
        return f"TurnRow(id={self.id!r}, day={self.day!r}, kind={self.kind!r})"


class ReasonRow(FeedbackBase):
    """Why a "not helpful" vote was cast, when the person chose one of the offered reasons.

    A table of its own rather than a column of `feedback_votes`, so databases made before reasons existed need
    no migration: `create_all` adds it beside them.
    """

    __tablename__ = "feedback_reasons"

    vote_id: Mapped[int] = Column(Integer, ForeignKey("feedback_votes.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = Column(String(16), primary_key=True)
    created_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, index=True)

    def __repr__(self) -> str:
        return f"ReasonRow(vote_id={self.vote_id!r}, reason={self.reason!r})"
