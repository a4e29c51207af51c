"""The SQL content store on SQLite and on the real local PostgreSQL, against the in-memory double."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy.exc import IntegrityError

from bot.content.records import ContentBundle, Status
from bot.content.store import InMemoryContentStore, SqlContentStore, count_rows
from tests.conftest import make_small_bundle


def test_round_trip_keeps_everything(sql_store: SqlContentStore) -> None:
    bundle = make_small_bundle()
    report = sql_store.replace(bundle)
    assert report.added == {"sources": 4, "topics": 5, "passages": 8}
    assert sql_store.snapshot(include_drafts=True) == bundle


def test_drafts_are_hidden_from_patients(sql_store: SqlContentStore) -> None:
    sql_store.replace(make_small_bundle())
    assert "draft-passage" not in sql_store.snapshot().passages
    assert "draft-passage" in sql_store.snapshot(include_drafts=True).passages


def test_same_bundle_twice_changes_nothing(sql_store: SqlContentStore) -> None:
    bundle = make_small_bundle()
    sql_store.replace(bundle)
    report = sql_store.replace(bundle)
    assert report.changed == 0
    assert sql_store.snapshot(include_drafts=True) == bundle


def test_updates_and_removals_are_applied(sql_store: SqlContentStore) -> None:
    bundle = make_small_bundle()
    sql_store.replace(bundle)
    changed = replace(
        bundle.passages["baclofen-what-it-is"],
        text="Changed text.",
        questions=("One?", "Two?", "Three?", "Four?"),
        sources=("NINDS-SP", "NHS-BAC"),
        status=Status.DRAFT,
    )
    passages = {k: v for k, v in bundle.passages.items() if k != "pump-refills"}
    passages[changed.id] = changed
    topics = dict(bundle.topics)
    new = ContentBundle(sources=bundle.sources, topics=topics, passages=passages)
    report = sql_store.replace(new)
    assert report.updated["passages"] == 1
    assert report.removed["passages"] == 1
    assert sql_store.snapshot(include_drafts=True) == new
    assert count_rows(sql_store)["passages"] == 7


def test_a_failing_write_rolls_back_everything(sql_store: SqlContentStore) -> None:
    bundle = make_small_bundle()
    sql_store.replace(bundle)
    # A passage pointing at a topic that does not exist passes the dataclass but fails the foreign key:
    # the sources and topics changed in the same load must not stay changed.
    broken_passage = replace(bundle.passages["pump-refills"], topic="no-such-topic")
    new_source = replace(bundle.sources["NHS-BAC"], title="Renamed")
    broken = ContentBundle(
        sources={**bundle.sources, "NHS-BAC": new_source},
        topics=bundle.topics,
        passages={**bundle.passages, "pump-refills": broken_passage},
    )
    with pytest.raises(IntegrityError):
        sql_store.replace(broken)
    assert sql_store.snapshot(include_drafts=True) == bundle


def test_in_memory_double_behaves_like_the_database(sql_store: SqlContentStore) -> None:
    bundle = make_small_bundle()
    memory = InMemoryContentStore()
    assert memory.replace(bundle).added == sql_store.replace(bundle).added
    assert memory.snapshot() == sql_store.snapshot()
    assert memory.replace(bundle).changed == sql_store.replace(bundle).changed == 0
