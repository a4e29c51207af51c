"""Deleting one conversation from Rasa's tracker stores: SQLite, PostgreSQL, in memory, behind Rasa's wrappers.

`bot.conversation_store.delete_conversation` is what the widget's "Start over" and Telegram's `/forget` call:
every event of that one key goes, every other conversation stays whole, and the fail-safe wrapper's in-memory
fallback is cleared too. The stores are Rasa's own classes as the agent builds them (`FailSafeTrackerStore`
around `AwaitableTrackerStore`), on a fresh SQLite file and a fresh schema of the local PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    SQLTrackerStore,
    TrackerStore,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered

from bot.conversation_store import UnsupportedTrackerStore, delete_conversation, forget_conversation, stores_of
from bot.rasa_patches.tracker_store import PrePingSQLTrackerStore
from tests.support.tracker_stores import sql_tracker_store

KEYS = ["web:mine", "web:mine-too", "tg:4242", "rest:local:web:mine"]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TrackerStore]:
    """Rasa's tracker store as the agent holds it (fail-safe around awaitable around the real one)."""
    if request.param == "memory":
        real: TrackerStore = InMemoryTrackerStore(Domain.empty())
    elif request.param == "sqlite":
        real = sql_tracker_store(f"sqlite:///{tmp_path / 'tracker.db'}", PrePingSQLTrackerStore)
    else:
        real = sql_tracker_store(request.getfixturevalue("postgres_url"), PrePingSQLTrackerStore)
    yield FailSafeTrackerStore(AwaitableTrackerStore(real))
    if isinstance(real, SQLTrackerStore):
        real.engine.dispose()


async def _fill(store: TrackerStore) -> None:
    for key in KEYS:
        tracker = await store.get_or_create_tracker(key)
        for text in ("first question", "second question"):
            tracker.update(UserUttered(text))
            tracker.update(BotUttered(f"answer to {text}"))
        tracker.update(SessionStarted())  # a later session: the whole conversation must go, not the latest one
        tracker.update(UserUttered("third question"))
        await store.save(tracker)


async def _texts(store: TrackerStore, key: str) -> list[str]:
    tracker = await store.retrieve_full_tracker(key)
    return [e.text for e in tracker.events if isinstance(e, UserUttered)] if tracker else []


def test_one_conversation_goes_whole_and_every_other_stays(store: TrackerStore) -> None:
    async def scenario() -> tuple[int, dict[str, list[str]], int]:
        await _fill(store)
        deleted = await delete_conversation(store, "web:mine")
        left = {key: await _texts(store, key) for key in KEYS}
        again = await delete_conversation(store, "web:mine")
        return deleted, left, again

    deleted, left, again = asyncio.run(scenario())
    assert deleted >= 1 and again == 0
    assert left["web:mine"] == []
    for key in KEYS[1:]:
        assert left[key] == ["first question", "second question", "third question"], key


def test_forgetting_takes_the_conversations_lock_first(store: TrackerStore) -> None:
    class Agent:
        tracker_store = store
        lock_store = InMemoryLockStore()

    async def scenario() -> tuple[bool, list[str]]:
        await _fill(store)
        agent = Agent()
        async with agent.lock_store.lock("tg:4242"):  # a turn of that conversation is being answered
            forgetting = asyncio.create_task(forget_conversation(agent, "tg:4242"))
            await asyncio.sleep(0.3)
            waited = not forgetting.done()
        await forgetting
        return waited, await _texts(store, "tg:4242")

    waited, left = asyncio.run(scenario())
    assert waited, "the deletion waited for the turn in progress"
    assert left == []


def test_the_fail_safe_fallback_is_cleared_too() -> None:
    primary = InMemoryTrackerStore(Domain.empty())
    wrapped = FailSafeTrackerStore(AwaitableTrackerStore(primary))
    fallback = wrapped.fallback_tracker_store  # made when the primary store failed once

    async def scenario() -> list[str]:
        for where in (wrapped, fallback):
            tracker = await where.get_or_create_tracker("web:mine")
            tracker.update(UserUttered("kept while the database was down"))
            await where.save(tracker)
        await delete_conversation(wrapped, "web:mine")
        return [key for key in [*primary.store, *fallback.store]]

    assert [type(s).__name__ for s in stores_of(wrapped)] == ["InMemoryTrackerStore", "InMemoryTrackerStore"]
    assert asyncio.run(scenario()) == []


def test_a_store_that_cannot_delete_says_so() -> None:
    class Elsewhere(TrackerStore):
        async def save(self, tracker: Any) -> None: ...

        async def retrieve(self, sender_id: str) -> Any:
            return None

        async def keys(self) -> Any:
            return []

    with pytest.raises(UnsupportedTrackerStore):
        asyncio.run(delete_conversation(AwaitableTrackerStore(Elsewhere(Domain.empty())), "web:mine"))


def test_the_load_test_finds_its_conversations_in_the_rest_namespace(tmp_path: Path) -> None:
    """`bench.load` checks the tracker store by the senders it sent, whatever integrator its key named."""
    from bench.load import stored_user_texts

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = sql_tracker_store(url, PrePingSQLTrackerStore)
    keys = {
        "rest:local:load-run1-00000": "first",
        "rest:clinic-a:load-run1-00001": "second",
        "rest:local:load-run2-00000": "another run",
        "web:load-run1-00002": "not REST",
        "load-run1-00003": "no namespace",
    }

    async def fill() -> None:
        for key, text in keys.items():
            tracker = await store.get_or_create_tracker(key)
            tracker.update(UserUttered(text))
            tracker.update(BotUttered(f"answer to {text}"))
            await store.save(tracker)

    asyncio.run(fill())
    store.engine.dispose()
    users, bots = stored_user_texts(url, "load-run1-")
    assert users == {"load-run1-00000": ["first"], "load-run1-00001": ["second"]} and bots == 2
