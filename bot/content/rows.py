"""Between the content tables and the content records: one function per direction and kind of row.

`SqlContentStore` (bot/content/store.py) reads rows into records with these and writes records' fields back.
"""

from __future__ import annotations

from typing import Any

from bot.content.models import Passage, Source, Topic
from bot.content.records import (
    DEFAULT_REVIEW_MONTHS,
    ClinicalSignoff,
    PassageRecord,
    SourceRecord,
    Status,
    TopicRecord,
)


def source_record(row: Source) -> SourceRecord:
    """The record of a source row."""
    return SourceRecord(
        id=row.id, publisher=row.publisher, title=row.title, url=row.url, accessed=row.accessed, note=row.note
    )


def topic_record(row: Topic) -> TopicRecord:
    """The record of a topic row."""
    return TopicRecord(
        id=row.id, title=row.title, summary=row.summary, section=row.section, main=row.main, position=row.position
    )


def passage_record(row: Passage) -> PassageRecord:
    """The record of a passage row, with its lay questions, its sources and its clinical sign-off."""
    signoff = None
    if row.signoff_by is not None and row.signoff_on is not None:
        signoff = ClinicalSignoff(by=row.signoff_by, date=row.signoff_on, note=row.signoff_note)
    return PassageRecord(
        id=row.id,
        topic=row.topic_id,
        title=row.title,
        text=row.text,
        questions=tuple(q.text for q in row.questions),
        sources=tuple(link.source_id for link in row.source_links),
        reviewed=row.reviewed_on,
        status=Status(row.status),
        position=row.position,
        review_note=row.review_note,
        clinical_signoff=signoff,
        review_every_months=row.review_every_months or DEFAULT_REVIEW_MONTHS,
        replaces=row.replaces,
    )


def source_fields(record: SourceRecord) -> dict[str, Any]:
    """The columns a source record sets, besides its id."""
    return {
        "publisher": record.publisher,
        "title": record.title,
        "url": record.url,
        "accessed": record.accessed,
        "note": record.note,
    }


def topic_fields(record: TopicRecord) -> dict[str, Any]:
    """The columns a topic record sets, besides its id."""
    return {
        "title": record.title,
        "summary": record.summary,
        "section": record.section,
        "main": record.main,
        "position": record.position,
    }
