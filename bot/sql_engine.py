"""The one place the bot's SQLAlchemy engines are made: `make_engine(url)`, for SQLite and PostgreSQL.

Every engine of ours comes from here: the content store, the feedback store, the scaled setup's service
check and tracker tables, and the load test's tracker reader. They are 2.0-style engines (SQLAlchemy 1.4
with `future=True`) with these settings:

- **Every database:** `pool_pre_ping`, so a connection that died (a database restart, a dropped network)
  is replaced before it is lent out instead of failing the next query.
- **A SQLite file:** its folder is created; a new file is created readable by its owner only (0600), since
  the database may hold feedback and conversations; a writer waits up to `SQLITE_BUSY_TIMEOUT_S` for
  another's lock (every write is one short transaction, and replicas or a content load may write at once);
  foreign keys are enforced on every connection (SQLite's default is off), so deleting a vote deletes its
  passage links. The file is kept in write-ahead-log mode with `synchronous=NORMAL` (`tune_sqlite_connection`):
  a commit appends to the log without waiting for the disk, 0.04 ms against 1.6 ms in SQLite's default
  rollback-journal mode on this machine, and readers no longer wait for a writer. A committed transaction
  survives the process crashing or being killed; only a power cut or a kernel crash can lose the last few,
  which is SQLite's documented trade of this mode and acceptable for conversations and traffic counts.
  Connections are pooled (`QueuePool`, as SQLAlchemy 2.0 does for files; 1.4 opened a new connection per
  checkout): the action server reads the content revision before every turn, and opening
  the file for each read cost about 1 ms more than the read. A pooled connection is used by one thread at
  a time, so SQLite's same-thread check is off; an idle one holds no lock, so other processes still write.
- **In-memory SQLite (`sqlite://`):** one connection shared by every session and thread (`StaticPool`), so
  the whole process sees one database: the test double of the SQL stores. Writers from several threads at
  once are not supported there; tests use it one turn at a time.
- **PostgreSQL (psycopg2):** a connection attempt gives up after `connect_timeout` seconds (libpq's
  default is to wait as long as the operating system does, minutes on a silent network), and each process
  keeps at most `POOL_SIZE + MAX_OVERFLOW` connections.

Rasa's own tracker store is the exception: Rasa builds its engine itself (1.x style, with Rasa's pool
settings `SQL_POOL_SIZE`/`SQL_MAX_OVERFLOW`); bot/rasa_patches/tracker_store.py adds the pre-ping, and both of
our tracker stores put a SQLite file in the same write-ahead-log mode (`tune_sqlite_engine`).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.future import create_engine
from sqlalchemy.pool import QueuePool, StaticPool

# How long a SQLite writer waits for another writer's lock before it fails ("database is locked").
SQLITE_BUSY_TIMEOUT_S = 30
# How long a connection attempt to PostgreSQL may take; callers that only probe pass less.
CONNECT_TIMEOUT_S = 5
# Connections each process keeps open to PostgreSQL, and how many more it may open under a burst. An action
# server uses one or two at a time (a content snapshot, a feedback write); with REPLICAS action servers and
# the content loader the total stays far below PostgreSQL's default max_connections of 100.
POOL_SIZE = 5
MAX_OVERFLOW = 10
# A new SQLite file is readable and writable by its owner only.
SQLITE_FILE_MODE = 0o600


def prepare_sqlite_file(path: Path) -> None:
    """Creates the folder of a SQLite database and, when missing, the file itself with mode 0600.

    SQLite would create the file on first connect with the process's umask (usually 0644, readable by every
    user of the machine); an empty file is a valid empty database, so creating it first changes nothing else.
    Rasa's tracker database (conversations, word for word) is prepared with this too, by the launcher.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE))


def _enforce_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def tune_sqlite_connection(dbapi_connection: Any, _record: Any = None) -> None:
    """Write-ahead log and `synchronous=NORMAL` on a new connection to a SQLite file (see the module docstring).

    The journal mode is stored in the file, so setting it again is a no-op read; `synchronous` is per
    connection. An in-memory database keeps its own journal and is left alone.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def is_sqlite_file(url: Any) -> bool:
    """Whether a SQLAlchemy URL (text or parsed) names a SQLite database in a file, not in memory."""
    parsed = make_url(url) if isinstance(url, str) else url
    return bool(parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"))


def sqlite_file_pool() -> dict[str, Any]:
    """The engine settings of a SQLite file: kept connections, a busy timeout, no same-thread check.

    See the module docstring; also used for Rasa's tracker store (bot/rasa_patches/tracker_store.py).
    """
    return {
        "poolclass": QueuePool,
        "pool_size": POOL_SIZE,
        "max_overflow": MAX_OVERFLOW,
        "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
    }


def tune_sqlite_engine(engine: Any) -> None:
    """Applies `tune_sqlite_connection` to every new connection of `engine` when it is a SQLite file."""
    if is_sqlite_file(engine.url):
        event.listen(engine, "connect", tune_sqlite_connection)


def make_engine(url: str, connect_timeout: float = CONNECT_TIMEOUT_S) -> Engine:
    """A 2.0-style engine for `url` with the settings of its database (see the module docstring).

    Nothing connects yet, except that a SQLite file and its folder are created.

    Args:
        url: a SQLAlchemy URL: `sqlite:///path`, `sqlite://` (in memory) or `postgresql+psycopg2://...`.
        connect_timeout: seconds a PostgreSQL connection attempt may take.

    Returns:
        The engine; the caller disposes of it when done.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"future": True, "pool_pre_ping": True}
    if backend == "sqlite":
        if is_sqlite_file(parsed):
            prepare_sqlite_file(Path(str(parsed.database)))
            kwargs.update(sqlite_file_pool())
        else:
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
    elif backend == "postgresql":
        kwargs["pool_size"] = POOL_SIZE
        kwargs["max_overflow"] = MAX_OVERFLOW
        if parsed.get_driver_name() == "psycopg2":
            kwargs["connect_args"] = {"connect_timeout": max(1, round(connect_timeout))}
    engine = create_engine(url, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _enforce_foreign_keys)
        tune_sqlite_engine(engine)
    return engine


def redact(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)
