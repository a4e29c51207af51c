"""Load test: many conversations at once, then proof from the tracker store that nothing was lost or doubled.

`python -m bench.load --url http://127.0.0.1:8080 --tracker-db postgresql+psycopg2://127.0.0.1:5432/db`
(`make load-test`) sends `--messages` messages spread over `--conversations` conversations, `--concurrency`
conversations at a time, each conversation's messages in order (a person waits for the reply). Then it reads
the tracker store's `events` table directly and checks, for every conversation, that the user messages stored
are exactly the ones sent, in the order sent: none lost, none duplicated, none reordered. Reading
the database rather than Rasa's HTTP API means a replica that answered from a stale or private copy of the
conversation cannot hide it.

Hard bounds: at most 50,000 messages and one hour whatever the arguments say, the run stops starting
messages when its time budget is spent, and both the bot URL and the database must be on this machine.
Exit status 0 only with zero errors and an exact match.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from itertools import cycle, islice
from pathlib import Path
from typing import Any

from bench.common import RunResult, drive, our_messages, require_loopback
from bot.channels.conversation_ids import REST, SEPARATOR, rest_sender

MAX_MESSAGES = 50_000
MAX_SECONDS = 3600.0


@dataclass
class StoreCheck:
    """What the tracker store holds for the run's conversations, against what was sent."""

    conversations_expected: int
    conversations_stored: int
    user_events: int
    bot_events: int
    lost: int
    duplicated: int
    reordered: int
    mismatched_conversations: list[str]

    @property
    def exact(self) -> bool:
        """True when every conversation holds exactly the messages sent, once each, in order."""
        return not (self.lost or self.duplicated or self.reordered or self.mismatched_conversations)


def plan(run_id: str, messages: int, conversations: int) -> dict[str, list[str]]:
    """Spreads `messages` over `conversations` (as evenly as possible), each with a different start."""
    pool = our_messages()
    base, extra = divmod(messages, conversations)
    out: dict[str, list[str]] = {}
    for index in range(conversations):
        count = base + (1 if index < extra else 0)
        start = (index * 7) % len(pool)
        texts = list(islice(cycle(pool[start:] + pool[:start]), count))
        # A counter makes every message of a conversation unique, so order and duplicates are checkable.
        out[f"load-{run_id}-{index:05d}"] = [f"{text} (#{n})" for n, text in enumerate(texts, start=1)]
    return out


def stored_user_texts(database_url: str, prefix: str) -> tuple[dict[str, list[str]], int]:
    """User message texts per conversation, in event order, and the number of bot events, from `events`.

    The REST channel keeps a conversation under `rest:<integrator>:<sender>` (`local` without an API key, the
    key's name with `REST_API_KEY`); the result is keyed by the sender the load test sent.
    """
    from sqlalchemy import text

    from bot.sql_engine import make_engine

    require_loopback(database_url)
    engine = make_engine(database_url)
    users: dict[str, list[str]] = {}
    bots = 0
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT sender_id, type_name, data FROM events WHERE sender_id LIKE :pattern "
                    "ORDER BY sender_id, timestamp, id"
                ),
                {"pattern": f"{REST}{SEPARATOR}%{SEPARATOR}{prefix}%"},  # any integrator
            )
            for key, kind, data in rows:
                sender = rest_sender(key)
                if kind == "user":
                    users.setdefault(sender, []).append(str(json.loads(data).get("text")))
                elif kind == "bot":
                    bots += 1
    finally:
        engine.dispose()
    return users, bots


def check_store(result: RunResult, database_url: str, prefix: str) -> StoreCheck:
    """Compares the tracker store with every message sent (answered or not: an error must not hide a loss)."""
    stored, bots = stored_user_texts(database_url, prefix)
    lost = duplicated = reordered = 0
    mismatched: list[str] = []
    for sender, sent in result.per_sender.items():
        held = stored.get(sender, [])
        sent_counts, held_counts = Counter(sent), Counter(held)
        lost_here = sum((sent_counts - held_counts).values())
        extra_here = sum((held_counts - sent_counts).values())
        lost += lost_here
        duplicated += extra_here
        if not lost_here and not extra_here and held != sent:
            reordered += 1
        if held != sent:
            mismatched.append(sender)
    strangers = set(stored) - set(result.per_sender)
    mismatched.extend(sorted(strangers))
    return StoreCheck(
        conversations_expected=len(result.per_sender),
        conversations_stored=len(stored),
        user_events=sum(len(v) for v in stored.values()),
        bot_events=bots,
        lost=lost,
        duplicated=duplicated,
        reordered=reordered,
        mismatched_conversations=mismatched[:20],
    )


def report(args: argparse.Namespace, result: RunResult, store: StoreCheck | None) -> str:
    """The load test's figures as text."""
    lines = [
        f"Load test against {args.url}: {args.messages} messages over {args.conversations} conversations, "
        f"concurrency {args.concurrency}",
        f"  sent {result.sent}, replied {result.ok}, errors {result.errors}"
        + (" (time budget ran out)" if result.timed_out else ""),
        f"  wall {result.wall_s:.1f} s, throughput {result.throughput:.1f} msg/s, latency p50 {result.p(50):.0f} ms, "
        f"p95 {result.p(95):.0f} ms, p99 {result.p(99):.0f} ms",
    ]
    lines += [f"  error: {e}" for e in result.error_samples]
    if store is not None:
        lines += [
            f"  tracker store: {store.conversations_stored}/{store.conversations_expected} conversations, "
            f"{store.user_events} user events for {result.sent} messages sent, {store.bot_events} bot events",
            f"  lost {store.lost}, duplicated {store.duplicated}, reordered conversations {store.reordered}: "
            + ("EXACT MATCH" if store.exact else f"MISMATCH in {store.mismatched_conversations}"),
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Runs the load test; exit status 0 only with no errors and an exact tracker-store match."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--url", required=True, help="Rasa (or load balancer) base URL on this machine")
    parser.add_argument("--tracker-db", required=True, help="SQLAlchemy URL of the tracker store (loopback)")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=1800.0, help=f"time budget (at most {MAX_SECONDS:.0f})")
    parser.add_argument("--settle-seconds", type=float, default=2.0, help="pause before reading the store")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if not 0 < args.messages <= MAX_MESSAGES:
        parser.error(f"--messages must be between 1 and {MAX_MESSAGES}")
    if not 0 < args.conversations <= args.messages:
        parser.error("--conversations must be between 1 and --messages")
    if not 0 < args.concurrency <= 200:
        parser.error("--concurrency must be between 1 and 200")
    args.max_seconds = min(args.max_seconds, MAX_SECONDS)
    require_loopback(args.url)
    require_loopback(args.tracker_db)
    run_id = uuid.uuid4().hex[:8]
    conversations = plan(run_id, args.messages, args.conversations)
    print(f"Run {run_id}: sending...", flush=True)
    result = asyncio.run(drive(args.url.rstrip("/"), conversations, args.concurrency, args.max_seconds))
    time.sleep(args.settle_seconds)
    store = check_store(result, args.tracker_db, f"load-{run_id}-")
    text = report(args, result, store)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        summary: dict[str, Any] = {
            "run_id": run_id,
            "sent": result.sent,
            "ok": result.ok,
            "errors": result.errors,
            "timed_out": result.timed_out,
            "wall_s": result.wall_s,
            "throughput": result.throughput,
            "p50_ms": result.p(50),
            "p95_ms": result.p(95),
            "p99_ms": result.p(99),
            "store": store.__dict__,
        }
        args.json.write_text(json.dumps(summary, indent=2))
    complete = result.sent == args.messages and not result.timed_out
    return 0 if complete and result.errors == 0 and store.exact else 1


if __name__ == "__main__":
    sys.exit(main())
