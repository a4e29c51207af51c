"""The one engine factory: the settings each database gets, and that every caller uses it."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.pool import StaticPool

import bot.sql_engine as sql_engine
from bot.config import PROJECT_ROOT
from bot.sql_engine import CONNECT_TIMEOUT_S, MAX_OVERFLOW, POOL_SIZE, make_engine, prepare_sqlite_file, redact


def test_a_sqlite_file_gets_its_folder_an_owner_only_file_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "bot.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert engine.pool._pre_ping
    finally:
        engine.dispose()


def test_a_sqlite_file_writes_ahead_in_owner_only_files_and_commits_reach_other_connections(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    engine, other = make_engine(f"sqlite:///{path}"), make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL: no wait for the disk
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        with other.connect() as conn:  # another process's view: the log is read with the file
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1
        for name in ("bot.db", "bot.db-wal", "bot.db-shm"):
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    finally:
        engine.dispose()
        other.dispose()


def test_in_memory_sqlite_keeps_its_own_journal() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "memory"
    finally:
        engine.dispose()


def test_an_existing_sqlite_file_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    prepare_sqlite_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_in_memory_sqlite_is_one_database_for_every_session() -> None:
    engine = make_engine("sqlite://")
    try:
        assert isinstance(engine.pool, StaticPool)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize(("timeout", "expected"), [(CONNECT_TIMEOUT_S, CONNECT_TIMEOUT_S), (3, 3), (0.2, 1)])
def test_postgresql_gets_a_connect_timeout_pool_sizes_and_pre_ping(
    monkeypatch: pytest.MonkeyPatch, timeout: float, expected: int
) -> None:
    made: list[dict[str, Any]] = []
    real = sql_engine.create_engine

    def spy(url: str, **kwargs: Any) -> Any:
        made.append(kwargs)
        return real(url, **kwargs)

    monkeypatch.setattr(sql_engine, "create_engine", spy)
    engine = make_engine("postgresql+psycopg2://bot:secret@127.0.0.1:1/db", connect_timeout=timeout)
    engine.dispose()
    assert made == [
        {
            "future": True,
            "pool_pre_ping": True,
            "pool_size": POOL_SIZE,
            "max_overflow": MAX_OVERFLOW,
            "connect_args": {"connect_timeout": expected},
        }
    ]


def test_redact_hides_the_password() -> None:
    assert redact("postgresql+psycopg2://bot:s3cret@db/x") == "postgresql+psycopg2://bot:***@db/x"


def test_no_other_module_creates_an_engine() -> None:
    """Only bot/sql_engine.py calls create_engine (Rasa's tracker store builds its own, in Rasa's style)."""
    allowed = {"bot/sql_engine.py", "bot/rasa_patches/tracker_store.py"}
    callers = sorted(
        str(path.relative_to(PROJECT_ROOT))
        for folder in ("bot", "bench", "actions")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if re.search(r"\bcreate_engine\(", path.read_text(encoding="utf-8"))
    )
    assert [c for c in callers if c not in allowed] == []
