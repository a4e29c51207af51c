"""Deleting one conversation from Rasa's tracker store: the widget's "Start over" and Telegram's `/forget`.

Rasa 3.6's `TrackerStore` has no delete, so this module reaches the store Rasa built and deletes there:

- `SQLTrackerStore` (and `bot.rasa_patches.tracker_store.PrePingSQLTrackerStore`, the scaled setup's): every row
  of the `events` table with that `sender_id`, in one transaction (SQLAlchemy 2.0-style `delete()`), off the event
  loop since the call blocks; `bot.rasa_patches.tracker_cache.CachedSQLTrackerStore` (`make run`'s) also drops
  the conversation it keeps in memory;
- `InMemoryTrackerStore`: the key is popped;
- `RedisTrackerStore`: its key (prefix + sender id) is deleted.

The agent's store is wrapped twice (`FailSafeTrackerStore` around `AwaitableTrackerStore` around the real one);
`stores_of` unwraps both, and the fail-safe wrapper's in-memory fallback (where Rasa writes while the database
is down) is cleared too, so nothing of the conversation is left in the process either.

`forget_conversation` takes the conversation's lock from the agent's lock store first, as Rasa does for a
message, so a deletion never interleaves with a turn that is being answered: the turn finishes and is
deleted, or waits and starts a new conversation.

The retention purge (`bot/retention.py`) deletes old conversations across the store; `delete_conversation`
is the one-conversation building block both use.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, SQLTrackerStore, TrackerStore
from sqlalchemy import delete

from bot.rasa_patches.tracker_cache import CachedSQLTrackerStore

logger = logging.getLogger(__name__)


class UnsupportedTrackerStore(TypeError):
    """The configured tracker store has no delete here (Mongo, DynamoDB): nothing was deleted."""


def stores_of(tracker_store: Any) -> Iterator[TrackerStore]:
    """The real stores behind Rasa's wrappers: the primary one, then any fail-safe fallback in use."""
    seen: set[int] = set()
    pending = [tracker_store]
    while pending:
        store = pending.pop(0)
        if store is None or id(store) in seen:
            continue
        seen.add(id(store))
        inner = getattr(store, "_tracker_store", None)
        fallback = getattr(store, "_fallback_tracker_store", None)  # only set once the primary failed
        if inner is None:
            yield store
        else:
            pending.extend([inner, fallback])


def _delete_sql(store: SQLTrackerStore, key: str) -> int:
    event = store.SQLEvent
    with store.session_scope() as session:
        result = session.execute(delete(event).where(event.sender_id == key))
        session.commit()
        return int(result.rowcount or 0)


async def delete_conversation(tracker_store: Any, key: str) -> int:
    """Deletes every stored event of the conversation `key`, in every store behind Rasa's wrappers.

    Args:
        tracker_store: the agent's tracker store (wrapped or not).
        key: the conversation's tracker key (`bot.channels.conversation_ids`).

    Returns:
        How many SQL rows, or in-memory and Redis trackers, were deleted (0 when nothing was stored).

    Raises:
        UnsupportedTrackerStore: a store that cannot delete here.
    """
    deleted = 0
    for store in stores_of(tracker_store):
        if isinstance(store, SQLTrackerStore):
            if isinstance(store, CachedSQLTrackerStore):
                store.forget(key)  # the copy kept in memory goes with the rows
            loop = asyncio.get_running_loop()
            deleted += await loop.run_in_executor(None, _delete_sql, store, key)
        elif isinstance(store, InMemoryTrackerStore):
            deleted += 1 if store.store.pop(key, None) is not None else 0
        elif isinstance(store, RedisTrackerStore):
            deleted += int(store.red.delete(store.key_prefix + key) or 0)
        else:
            raise UnsupportedTrackerStore(f"{type(store).__name__} cannot delete a conversation here")
    return deleted


async def forget_conversation(agent: Any, key: str) -> int:
    """Deletes a conversation while holding its lock, so no turn of it is half-answered at the time.

    Args:
        agent: Rasa's `Agent` (its `tracker_store`, and its `lock_store` when it has one).
        key: the conversation's tracker key.

    Returns:
        What `delete_conversation` deleted.
    """
    lock_store = getattr(agent, "lock_store", None)
    if lock_store is None:
        return await delete_conversation(agent.tracker_store, key)
    async with lock_store.lock(key):
        return await delete_conversation(agent.tracker_store, key)
