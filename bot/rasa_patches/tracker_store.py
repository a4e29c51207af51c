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
engine also keeps its connections (`bot.sql_engine.sqlite_file_pool`) and writes in SQLite's write-ahead-log mode
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

from bot.sql_engine import is_sqlite_file, sqlite_file_pool, tune_sqlite_engine


class PrePingSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` whose connection pool checks each connection before use."""

    engine: Any  # set by Rasa's constructor, replaced by ours
    sessionmaker: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Connects as Rasa does (waiting for the database to come up), then swaps in a pre-pinging engine."""
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        # A SQLite file keeps its connections, as our own engines do (SQLAlchemy 1.4 opened a new one for every
        # session: two a message for the tracker store, each opening the file and setting it up again).
        pool = sqlite_file_pool() if is_sqlite_file(url) else {}
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url), **pool)
        tune_sqlite_engine(self.engine)  # a SQLite file only: write-ahead log, as our other stores
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
