"""Retention: conversations idle longer than `TRACKER_RETENTION_DAYS` are deleted, on SQLite and PostgreSQL.

The conversations are written by Rasa's own `SQLTrackerStore` (the store every bot of ours runs on) and read
back through it, so the purge is checked against the table Rasa really writes, not a copy of its schema.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from bot import retention
from bot.config import Settings, get_settings
from bot.feedback.store import SqlFeedbackStore
from bot.retention import ConversationPurge, purge_once, purge_store
from bot.sql_engine import make_engine
from tests.support.tracker_stores import sql_tracker_store

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)


def days_ago(days: float) -> float:
    return (NOW - dt.timedelta(days=days)).timestamp()


def conversation(sender: str, *ages_in_days: float) -> DialogueStateTracker:
    """A conversation with one user message and one bot reply at each age (days before NOW)."""
    events = []
    for age in ages_in_days:
        events += [
            ActionExecuted("action_listen", timestamp=days_ago(age)),
            UserUttered(f"question of {sender}", timestamp=days_ago(age)),
            BotUttered(f"answer to {sender}", timestamp=days_ago(age)),
        ]
    return DialogueStateTracker.from_events(sender, events)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty tracker store database: a SQLite file, and a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def stored(store_url: str) -> Iterator[SQLTrackerStore]:
    """Three conversations saved by Rasa: idle 40 days, active yesterday, and long but active 2 days ago."""
    store = sql_tracker_store(store_url)

    async def save() -> None:
        await store.save(conversation("idle", 45, 40))
        await store.save(conversation("recent", 1))
        await store.save(conversation("long", 100, 50, 2))

    asyncio.run(save())
    yield store
    store.engine.dispose()


def senders(store: SQLTrackerStore) -> set[str]:
    return set(asyncio.run(store.keys()))


def event_count(store: SQLTrackerStore, sender: str) -> int:
    tracker = asyncio.run(store.retrieve_full_tracker(sender))
    return 0 if tracker is None else len(tracker.events)


def test_only_conversations_idle_longer_than_the_retention_are_deleted(store_url: str, stored: SQLTrackerStore) -> None:
    before = {sender: event_count(stored, sender) for sender in ("recent", "long")}
    done = purge_store(store_url, NOW - dt.timedelta(days=30))
    assert done == ConversationPurge(conversations=1, events=6)
    assert senders(stored) == {"recent", "long"}
    # A conversation that is still going keeps all of it, even its events older than the retention.
    assert {sender: event_count(stored, sender) for sender in before} == before
    assert asyncio.run(stored.retrieve("idle")) is None


def test_purging_again_deletes_nothing_more(store_url: str, stored: SQLTrackerStore) -> None:
    purge_store(store_url, NOW - dt.timedelta(days=30))
    assert purge_store(store_url, NOW - dt.timedelta(days=30)) == ConversationPurge()
    assert senders(stored) == {"recent", "long"}


def test_a_cutoff_after_every_event_deletes_every_conversation(store_url: str, stored: SQLTrackerStore) -> None:
    done = purge_store(store_url, NOW + dt.timedelta(seconds=1))
    assert (done.conversations, done.events) == (3, 6 + 3 + 9)
    assert senders(stored) == set()


def test_a_store_rasa_never_wrote_to_holds_nothing_to_delete(store_url: str) -> None:
    assert purge_store(store_url, NOW) == ConversationPurge()


def test_replicas_purging_at_once_leave_the_work_to_the_one_with_the_lock(postgres_url: str) -> None:
    store = sql_tracker_store(postgres_url)
    asyncio.run(store.save(conversation("idle", 40)))
    holder = make_engine(postgres_url)
    try:
        with holder.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": retention.ADVISORY_LOCK_KEY})
            assert purge_store(postgres_url, NOW) == ConversationPurge(skipped=True)
        assert purge_store(postgres_url, NOW - dt.timedelta(days=30)).conversations == 1
    finally:
        holder.dispose()
        store.engine.dispose()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Settings on a tracker file and a content/feedback database in `tmp_path`."""
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'content.db'}")
    monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    monkeypatch.setenv("FEEDBACK_SALT", "retention-test-salt")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def seed(folder: Path, ages: dict[str, float]) -> SQLTrackerStore:
    store = sql_tracker_store(f"sqlite:///{folder / 'tracker.db'}")

    async def save() -> None:
        for sender, age in ages.items():
            tracker = conversation(sender, 0)
            for event in tracker.events:
                event.timestamp = dt.datetime.now(dt.timezone.utc).timestamp() - age * 86400
            await store.save(tracker)

    asyncio.run(save())
    return store


@pytest.mark.parametrize(
    ("args", "setting", "kept"),
    [
        ([], "30", {"fresh"}),
        (["--days", "0"], "30", set()),
        (["--days", "60"], "30", {"fresh", "old"}),
        ([], "0", {"fresh", "old"}),  # 0 keeps conversations forever: `make purge` deletes none
    ],
    ids=["retention", "all", "longer", "kept-forever"],
)
def test_the_purge_command(
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    setting: str,
    kept: set[str],
) -> None:
    monkeypatch.setenv("TRACKER_RETENTION_DAYS", setting)
    store = seed(env, {"fresh": 2, "old": 45})
    try:
        assert retention.main(args) == 0
        assert senders(store) == kept
    finally:
        store.engine.dispose()
    out = capsys.readouterr().out
    assert "Feedback: deleted 0 vote(s)" in out
    assert ("conversations are kept" in out) == (setting == "0" and not args)


def test_the_purge_command_deletes_old_feedback_too(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings.from_env()
    old = NOW - dt.timedelta(days=settings.feedback_retention_days + 1)
    feedback = SqlFeedbackStore.from_url(settings.database_url, "salt", clock=lambda: old)
    feedback.record_unanswered("conversation-1", "what is the moon made of?")
    feedback.engine.dispose()
    assert retention.main([]) == 0
    assert "deleted 0 vote(s) and 1 unanswered question(s)" in capsys.readouterr().out


def test_the_purge_command_says_which_store_it_could_not_reach(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unreachable = "postgresql+psycopg2://nobody:secret@127.0.0.1:1/none"
    assert retention.main(["--tracker-store", unreachable]) == 2
    err = capsys.readouterr().err
    assert "Could not purge postgresql+psycopg2://nobody:***@127.0.0.1:1/none" in err and "secret" not in err


def test_the_daily_purge_deletes_idle_conversations_and_logs_what_it_did(
    env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = seed(env, {"fresh": 2, "old": 45})
    caplog.set_level(logging.INFO, logger="bot.retention")
    try:
        purge_once(Settings.from_env(), f"sqlite:///{env / 'tracker.db'}")
        assert senders(store) == {"fresh"}
    finally:
        store.engine.dispose()
    assert "deleted 1 conversation(s) older than 30 days" in caplog.text


def test_a_failed_daily_purge_is_logged_and_the_bot_goes_on(env: Path, caplog: pytest.LogCaptureFixture) -> None:
    purge_once(Settings.from_env(), "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    assert "Retention purge failed: OperationalError" in caplog.text


def test_the_daily_purge_runs_soon_after_start_then_every_day(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []
    monkeypatch.setattr(retention, "FIRST_PURGE_DELAY_S", (0.0, 0.0))
    monkeypatch.setattr(retention, "PURGE_INTERVAL_S", 0.05)
    monkeypatch.setattr(retention, "purge_once", lambda _settings, url: runs.append(url))

    async def run_a_while() -> None:
        task = asyncio.create_task(retention.daily_purge(Settings.from_env(), "sqlite:///x.db"))
        await asyncio.sleep(0.3)
        task.cancel()

    asyncio.run(run_a_while())
    assert len(runs) >= 2 and set(runs) == {"sqlite:///x.db"}


def test_the_tracker_stores_purged_by_default(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert retention.tracker_store_urls(Settings.from_env()) == []  # nothing written yet
    (env / "tracker.db").touch()
    monkeypatch.setenv("TRACKER_STORE_URL", "postgresql+psycopg2://127.0.0.1:5432/conversations")
    assert retention.tracker_store_urls(Settings.from_env()) == [
        f"sqlite:///{env / 'tracker.db'}",
        "postgresql+psycopg2://127.0.0.1:5432/conversations",
    ]


def test_each_rasa_server_purges_the_tracker_store_it_uses(tmp_path: Path) -> None:
    """`bot.rasa_server` finds the SQL store behind Rasa's wrappers and schedules the daily purge on it."""
    from types import SimpleNamespace

    from rasa.core.agent import Agent
    from rasa.core.tracker_store import InMemoryTrackerStore, TrackerStore
    from rasa.utils.endpoints import EndpointConfig

    from bot.conversation_store import stores_of
    from bot.rasa_server import start_daily_purge, tracker_store_url

    db = tmp_path / "tracker.db"
    # What Rasa builds from endpoints.yml's `tracker_store:` and wraps in the agent.
    built = TrackerStore.create(EndpointConfig(type="SQL", dialect="sqlite", db=str(db)), Domain.empty())
    agent = SimpleNamespace(tracker_store=Agent._create_tracker_store(built, Domain.empty()))
    try:
        assert tracker_store_url(agent) == f"sqlite:///{db}"
        scheduled: list[Any] = []
        # Sanic's `add_task` needs the running server's loop: the app here only records what it is given.
        app = SimpleNamespace(ctx=SimpleNamespace(agent=agent), add_task=scheduled.append)
        start_daily_purge(app, Settings.from_env())
        assert [task.__qualname__ for task in scheduled] == ["daily_purge"]
        assert scheduled[0].cr_frame.f_locals["tracker_url"] == f"sqlite:///{db}"
        scheduled[0].close()
    finally:
        for store in stores_of(built):
            store.engine.dispose()
    in_memory = Agent._create_tracker_store(InMemoryTrackerStore(Domain.empty()), Domain.empty())
    assert tracker_store_url(SimpleNamespace(tracker_store=in_memory)) is None
