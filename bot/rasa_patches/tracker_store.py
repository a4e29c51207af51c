"""Rasa's SQL tracker store, made to survive a database restart without losing the next message.

**What.** `PrePingSQLTrackerStore` is Rasa's `SQLTrackerStore` (rasa/core/tracker_store.py) whose engine is
replaced, right after Rasa's constructor made it, by one with SQLAlchemy's `pool_pre_ping`: the pool tests a
connection before lending it and replaces a dead one. Same URL, same engine options
(`create_engine_kwargs`), same tables; everything else is Rasa's. It relies on Rasa's constructor setting
`self.engine` and `self.sessionmaker`, which is what the contract test checks.

**Why.** Rasa's pool keeps its connections open. When PostgreSQL restarts or the network drops they are
dead, but the pool hands them out anyway: the next message on every replica fails to read or save its
tracker, Rasa's fail-safe wrapper falls back to an in-memory tracker, and that message's events never reach
PostgreSQL.

**Measured.** After every connection of the pool was killed on the server (`pg_terminate_backend`), Rasa's
store fails the next read with `OperationalError`, this one reads the conversation
(`tests/test_rasa_patches.py::test_tracker_store_*`, on the local PostgreSQL); with the scaled setup the
first message after PostgreSQL is back is stored
(`tests/test_faults.py::test_database_down_mid_run_clear_error_then_recovery`, system tier).

On a SQLite file (`make run`'s store, through `CachedSQLTrackerStore`, which builds on this one) the new
engine also keeps its connections (`sqlite_pool`) and writes in SQLite's write-ahead-log mode
(`bot.sql_engine.tune_sqlite_engine`): a commit no longer waits for the disk (1.6 ms each before, on the
event loop that serves every conversation).

Used through `bot.rasa_patches.tracker_cache.CachedSQLTrackerStore`, which builds on it (endpoints.yml and
deploy/endpoints.scaled.yml); configured on its own as `type: bot.rasa_patches.tracker_store.PrePingSQLTrackerStore`,
with the same keys as Rasa's `type: SQL`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from sqlalchemy.pool import QueuePool

from bot.sql_engine import MAX_OVERFLOW, POOL_SIZE, SQLITE_BUSY_TIMEOUT_S, tune_sqlite_engine


def sqlite_pool(url: Any) -> dict[str, Any]:
    """For a SQLite file, a pool that keeps its connections, as `bot.sql_engine.make_engine` does.

    SQLAlchemy 1.4 opens a new SQLite connection for every session (`NullPool`): two a message for the tracker
    store (its read and its save), each opening the file and setting it up again. A kept connection is used
    by one thread at a time, so SQLite's same-thread check is off.
    """
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return {}
    return {
        "poolclass": QueuePool,
        "pool_size": POOL_SIZE,
        "max_overflow": MAX_OVERFLOW,
        "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
    }


class PrePingSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` whose connection pool checks each connection before use."""

    engine: Any  # set by Rasa's constructor, replaced by ours
    sessionmaker: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Connects as Rasa does (waiting for the database to come up), then swaps in a pre-pinging engine."""
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url), **sqlite_pool(url))
        tune_sqlite_engine(self.engine)  # a SQLite file only: write-ahead log, as our other stores
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
