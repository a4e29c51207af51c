"""Starts the real scaled bot (bot/scaled.py: nginx, Rasa and action replicas) for integration tests.

The session starts one scaled bot (`cluster` in tests/conftest.py, through `start_fault_cluster`) on its own
PostgreSQL schema and Redis key prefix, so runs never touch each other's data, behind fault proxies that the
fault tests cut and restore. The tests read the tracker store straight from PostgreSQL to check what the
replicas wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT
from bot.scaled import READY_LINE
from tests.support.fault_proxy import FaultProxy
from tests.support.servers import API_TOKEN, STARTUP_TIMEOUT_S, RunningBot

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://127.0.0.1:5432/test")
REDIS_URL = "redis://127.0.0.1:6379/1"


def with_schema(url: str, schema: str) -> str:
    """The URL with libpq's search_path set to `schema`."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@contextlib.contextmanager
def postgres_schema(url: str = POSTGRES_URL) -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards; yields its name.

    Raises:
        sqlalchemy.exc.OperationalError: when PostgreSQL is not reachable (callers skip or fail on it).
    """
    from sqlalchemy import text
    from sqlalchemy.future import create_engine

    schema = f"scaled_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, future=True)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield schema
    finally:
        with contextlib.suppress(Exception), admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def load_content(database_url: str) -> None:
    """Loads the real content into the database, as `make content` does."""
    from bot.content.loader import load_bundle
    from bot.content.store import SqlContentStore

    store = SqlContentStore.from_url(database_url)
    store.replace(load_bundle(PROJECT_ROOT / "content"))
    store.engine.dispose()


def tracker_events(database_url: str, sender: str) -> list[dict[str, Any]]:
    """The events Rasa stored for the REST conversation `sender`, in the order the tracker store keeps them (by id).

    The tests send from this machine without an API key, so the conversation's key is `rest:local:<sender>`
    (bot.channels.conversation_ids).
    """
    from sqlalchemy import text
    from sqlalchemy.future import create_engine

    from bot.channels.conversation_ids import LOCAL_INTEGRATOR, rest_key

    engine = create_engine(database_url, future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id"),
                {"sender": rest_key(LOCAL_INTEGRATOR, sender)},
            ).scalars()
            return [json.loads(row) for row in rows]
    finally:
        engine.dispose()


def start_scaled(
    folder: Path,
    model: Path,
    database_url: str,
    lock_prefix: str,
    replicas: int = 2,
    extra_env: Mapping[str, str] | None = None,
    wait_ready: bool = True,
) -> RunningBot:
    """Starts `python -m bot.scaled` on free ports; content and tracker share `database_url`.

    With `wait_ready=False` it returns at once (for tests that watch the start-up itself).

    Raises:
        RuntimeError: when the bot is not ready within the start-up timeout (with its last output).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rasa_port, action_port = _port_block(replicas), _port_block(replicas)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TRACKER_STORE_URL": database_url,
        "LOCK_STORE_URL": REDIS_URL,
        "LOCK_KEY_PREFIX": lock_prefix,
        "TRACKER_DB": str(folder / "unused-tracker.db"),
        "RASA_PORT": str(rasa_port),
        "ACTION_PORT": str(action_port),
        "RASA_API_TOKEN": API_TOKEN,
        "REST_MAX_IN_FLIGHT": "1000",  # the hammer sends many messages of one sender at once on purpose
        "REST_RATE_PER_MINUTE": "0",
        **(extra_env or {}),
    }
    env.pop("ACTION_ENDPOINT_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.scaled", "--model", str(model), "--replicas", str(replicas), "--wait", "120"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    bot = RunningBot(process, rasa_port, action_port, folder, env)
    drained = threading.Event()

    def drain() -> None:  # keep reading so the servers never block on a full pipe
        for line in process.stdout or []:
            bot.output.append(line)
        drained.set()

    threading.Thread(target=drain, daemon=True).start()
    if wait_ready:
        wait_for_line(bot, READY_LINE, STARTUP_TIMEOUT_S)
    return bot


def wait_for_line(bot: RunningBot, needle: str, timeout: float, after: int = 0) -> int:
    """Waits until the bot's output (from line `after`) contains `needle`; returns that line's index.

    Raises:
        RuntimeError: when the process exits or time runs out first (with the last output).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for index in range(after, len(bot.output)):
            if needle in bot.output[index]:
                return index
        if bot.process.poll() is not None:
            break
        time.sleep(0.2)
    bot.process.poll()
    raise RuntimeError(
        f"No {needle!r} in the scaled bot's output (exit {bot.process.returncode}):\n" + "".join(bot.output[-80:])
    )


def _port_block(size: int) -> int:
    """A port p such that p .. p + size are free right now (nginx takes p, the replicas p + 1 ...).

    Chosen below Linux's ephemeral range (32768 and up), where the kernel never hands out the local ports of
    outgoing connections: a block picked there was once taken by a client socket before a replica could bind.
    """
    import random

    from tests.support.servers import port_is_free

    rng = random.Random()
    for _ in range(500):
        base = rng.randrange(20000, 32000 - size)
        if all(port_is_free(base + i) for i in range(size + 1)):
            return base
    raise RuntimeError("No block of free ports")


def replica_pids(bot: RunningBot, *patterns: str) -> list[int]:
    """The pids of the scaled bot's children whose command line contains every pattern (e.g. "rasa_sdk")."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if int(stat[1]) == bot.process.pid and all(p in cmdline for p in patterns):
            found.append(int(entry.name))
    return sorted(found)


def check_turns(events: list[dict[str, Any]], received: Mapping[str, list[str | None]]) -> None:
    """Asserts that the stored conversation is the sent messages, each once, each followed by its own replies.

    `received` maps every message sent to the bot texts its sender got back over HTTP. A turn is a user event
    and what follows it up to the next user event; the first turn also owns the session's greeting, which Rasa
    stores before the first message.
    """
    user_positions = [i for i, e in enumerate(events) if e["event"] == "user"]
    stored = [events[i]["text"] for i in user_positions]
    assert sorted(stored) == sorted(received), (
        f"a message was lost or stored twice: stored {sorted(stored)}, sent {sorted(received)}"
    )
    for n, position in enumerate(user_positions):
        end = user_positions[n + 1] if n + 1 < len(user_positions) else len(events)
        opening = events[:position] if n == 0 else []
        turn = events[position:end]
        bot_texts = [e.get("text") for e in (*opening, *turn) if e["event"] == "bot"]
        assert bot_texts == received[turn[0]["text"]], f"turn {n} holds other replies than its sender received"
        last_action = [e for e in turn if e["event"] == "action"][-1]
        assert last_action["name"] == "action_listen", f"turn {n} was cut short by another message"
    timestamps = [e["timestamp"] for e in events]
    assert timestamps == sorted(timestamps), "events were stored out of order"


@dataclass
class Faulty:
    """The running scaled bot, the proxies in front of its PostgreSQL and Redis, and what start-up printed."""

    bot: RunningBot
    direct_url: str
    pg: FaultProxy
    redis: FaultProxy
    startup: str


@contextlib.contextmanager
def start_fault_cluster(folder: Path, model: Path) -> Iterator[Faulty]:
    """Starts the scaled bot while PostgreSQL and Redis are cut off (behind proxies), then lets them through.

    So the first fault, "the database and Redis are unavailable at start", is part of starting it: the
    start-up output it printed while waiting is kept in `Faulty.startup`.

    Raises:
        sqlalchemy.exc.OperationalError: when PostgreSQL is not reachable (the caller skips or fails on it).
    """
    with postgres_schema() as schema:
        direct = with_schema(POSTGRES_URL, schema)
        pg, redis = FaultProxy("127.0.0.1", 5432), FaultProxy("127.0.0.1", 6379)
        bot: RunningBot | None = None
        try:
            load_content(direct)
            pg.cut()
            redis.cut()
            proxied = with_schema(f"postgresql+psycopg2://127.0.0.1:{pg.port}/test", schema)
            bot = start_scaled(
                folder,
                model,
                proxied,
                f"f{uuid.uuid4().hex[:8]}",
                extra_env={"LOCK_STORE_URL": f"redis://127.0.0.1:{redis.port}/1"},
                wait_ready=False,
            )
            waiting = wait_for_line(bot, "Waiting for services that do not answer yet", 120)
            time.sleep(3)  # it keeps waiting while they stay away
            assert not any(READY_LINE in line for line in bot.output)
            pg.restore()
            redis.restore()
            ready = wait_for_line(bot, READY_LINE, 400, after=waiting)
            yield Faulty(bot, direct, pg, redis, "".join(bot.output[waiting : ready + 1]))
        finally:
            if bot is not None:
                bot.stop()
            pg.close()
            redis.close()
