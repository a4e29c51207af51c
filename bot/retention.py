"""Old conversations and old feedback are deleted: `python -m bot.retention` (`make purge`) and daily in the bot.

A conversation is kept for `TRACKER_RETENTION_DAYS` (30 by default) after its last event, then every event of
it is deleted from Rasa's tracker store: the SQLite file `TRACKER_DB` of `make run`, or the PostgreSQL tracker
store of the scaled setup (`TRACKER_STORE_URL`). Both are Rasa 3.6's `SQLTrackerStore`, one row per event in
the table `events` with the conversation's `sender_id` and the event's Unix `timestamp`. Feedback has its own
retention (`FEEDBACK_RETENTION_DAYS`, bot/feedback/), purged here too, so one command and one daily job
cover everything the bot keeps about people.

Every Rasa server of the bot runs the purge once a day (`daily_purge`, started by bot/rasa_server.py): on
PostgreSQL the replicas take a transaction-scoped advisory lock first and only the one that gets it works, the
others skip; the deletion is idempotent in any case, so a replica that runs it again finds nothing to delete.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, delete, func, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings, get_settings
from bot.sql_engine import make_engine, redact

logger = logging.getLogger(__name__)

# Rasa 3.6's SQLTrackerStore table (rasa/core/tracker_store.py, `SQLEvent`): only the columns the purge reads.
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("timestamp", Float),
)
# Conversations deleted per statement, so that no IN list grows with the store.
BATCH = 500
# PostgreSQL advisory lock key taken by the replica that purges (any fixed 64-bit number; "spasticity" in hex).
ADVISORY_LOCK_KEY = 0x5370617374696369
# A running bot purges this often, the first time a few minutes after it starts (spread so replicas started
# together do not all scan at once; the lock makes all but one of them skip anyway).
PURGE_INTERVAL_S = 24 * 60 * 60
FIRST_PURGE_DELAY_S = (30.0, 300.0)


@dataclass(frozen=True)
class ConversationPurge:
    """What one purge of a tracker store did.

    Attributes:
        conversations: conversations deleted.
        events: their events deleted.
        skipped: another replica held the purge lock, so this one did nothing.
    """

    conversations: int = 0
    events: int = 0
    skipped: bool = False


def utc_now() -> dt.datetime:
    """The current time, timezone-aware (UTC)."""
    return dt.datetime.now(dt.timezone.utc)


def _batches(items: Sequence[str], size: int = BATCH) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _got_lock(conn: Connection) -> bool:
    """On PostgreSQL, the purge lock for this transaction (False: another replica purges now); elsewhere True."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.scalar(select(func.pg_try_advisory_xact_lock(ADVISORY_LOCK_KEY))))


def purge_conversations(engine: Engine, older_than: dt.datetime) -> ConversationPurge:
    """Deletes every conversation whose last event happened before `older_than`, in one transaction.

    A conversation that receives a message while the purge runs keeps that message: only events older than
    the cutoff are deleted. A store where Rasa has not created its table yet holds nothing to delete.

    Args:
        engine: an engine on Rasa's tracker store database (`bot.sql_engine.make_engine`).
        older_than: the cutoff (timezone-aware).
    """
    cutoff = older_than.timestamp()
    stale = select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id).having(func.max(EVENTS.c.timestamp) < cutoff)
    with engine.begin() as conn:
        if not inspect(conn).has_table(EVENTS.name):
            return ConversationPurge()
        if not _got_lock(conn):
            return ConversationPurge(skipped=True)
        senders = list(conn.scalars(stale))
        events = 0
        for batch in _batches(senders):
            deleted = conn.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(batch), EVENTS.c.timestamp < cutoff))
            events += deleted.rowcount or 0
    return ConversationPurge(len(senders), events)


def tracker_store_urls(settings: Settings) -> list[str]:
    """The tracker stores this installation may hold conversations in.

    The SQLite file of `make run` when it exists, and the PostgreSQL store of the scaled setup when one is
    configured (`TRACKER_STORE_URL`, or `DATABASE_URL` when that is PostgreSQL).
    """
    urls = [f"sqlite:///{settings.tracker_db}"] if settings.tracker_db.is_file() else []
    if settings.tracker_store_url:
        urls.append(settings.tracker_store_url)
    return urls


def purge_store(url: str, older_than: dt.datetime) -> ConversationPurge:
    """`purge_conversations` on the tracker store at `url`, with an engine of its own."""
    engine = make_engine(url)
    try:
        return purge_conversations(engine, older_than)
    finally:
        engine.dispose()


def purge_feedback(settings: Settings, older_than: dt.datetime) -> tuple[int, int]:
    """Deletes feedback recorded before `older_than`; returns how many votes and unanswered questions."""
    from bot.feedback.fail_soft import sql_store_from_settings

    store = sql_store_from_settings(settings)
    try:
        report = store.purge(older_than)
    finally:
        store.engine.dispose()
    return report.votes, report.unanswered


def purge_once(settings: Settings, tracker_url: str, now: dt.datetime | None = None) -> None:
    """One run of the running bot's daily purge: its own tracker store, then the feedback; failures are logged.

    Args:
        settings: the retentions and the feedback database.
        tracker_url: the tracker store the server itself uses.
        now: the current time (tests pass one).
    """
    now = now or utc_now()
    try:
        if settings.tracker_retention_days > 0:
            done = purge_store(tracker_url, now - dt.timedelta(days=settings.tracker_retention_days))
            if not done.skipped:
                logger.info(
                    "Retention: deleted %d conversation(s) older than %d days (%d events)",
                    done.conversations,
                    settings.tracker_retention_days,
                    done.events,
                )
        votes, unanswered = purge_feedback(settings, now - dt.timedelta(days=settings.feedback_retention_days))
        logger.info("Retention: deleted %d vote(s) and %d unanswered question(s)", votes, unanswered)
    except SQLAlchemyError as exc:  # the next day tries again; the conversation goes on meanwhile
        logger.warning("Retention purge failed: %s: %s", exc.__class__.__name__, getattr(exc, "orig", exc))


async def daily_purge(settings: Settings, tracker_url: str) -> None:
    """Runs `purge_once` a few minutes after start, then every day, in a worker thread (never on the loop)."""
    await asyncio.sleep(random.uniform(*FIRST_PURGE_DELAY_S))  # spreads replicas started together
    while True:
        await asyncio.get_running_loop().run_in_executor(None, purge_once, settings, tracker_url)
        await asyncio.sleep(PURGE_INTERVAL_S)


def _non_negative(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _purge_stores(urls: Sequence[str], cutoff: dt.datetime) -> int:
    """Purges each tracker store, saying what it did; returns 2 if one could not be reached, else 0."""
    status = 0
    for url in urls:
        try:
            done = purge_store(url, cutoff)
        except SQLAlchemyError as exc:
            reason = f"{exc.__class__.__name__}: {getattr(exc, 'orig', exc)}".strip()
            print(f"Could not purge {redact(url)}: {reason}", file=sys.stderr)
            status = 2
            continue
        if done.skipped:
            print(f"{redact(url)}: skipped, another process is purging it now.")
        else:
            print(
                f"{redact(url)}: deleted {done.conversations} conversation(s) ({done.events} events) idle since "
                f"before {cutoff:%Y-%m-%d %H:%M:%S} UTC."
            )
    return status


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.retention`: purges expired conversations and feedback now; returns the exit code."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot.retention", description=__doc__)
    parser.add_argument(
        "--days",
        type=_non_negative,
        default=None,
        help="delete conversations idle for longer than this many days (default: TRACKER_RETENTION_DAYS); "
        "0 deletes them all",
    )
    parser.add_argument(
        "--tracker-store", action="append", default=None, help="SQLAlchemy URL of a tracker store (repeatable)"
    )
    args = parser.parse_args(argv)
    now = utc_now()
    days = settings.tracker_retention_days if args.days is None else args.days
    status = 0
    if args.days is None and days == 0:
        print("TRACKER_RETENTION_DAYS is 0: conversations are kept; none deleted.")
    else:
        # A cutoff a moment in the future makes `--days 0` delete what was written a moment ago as well.
        cutoff = now - dt.timedelta(days=days) + dt.timedelta(seconds=1)
        status = _purge_stores(args.tracker_store or tracker_store_urls(settings), cutoff)
    feedback_cutoff = now - dt.timedelta(days=settings.feedback_retention_days)
    try:
        votes, unanswered = purge_feedback(settings, feedback_cutoff)
    except SQLAlchemyError as exc:
        print(f"Could not purge feedback in {redact(settings.database_url)}: {exc.__class__.__name__}", file=sys.stderr)
        return 2
    print(
        f"Feedback: deleted {votes} vote(s) and {unanswered} unanswered question(s) recorded before "
        f"{feedback_cutoff:%Y-%m-%d %H:%M:%S} UTC (FEEDBACK_RETENTION_DAYS={settings.feedback_retention_days})."
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
