"""Floods a running bot from one address and measures what the flood does to everybody else's conversations.

    python -m bench.flood --url http://127.0.0.1:5005 [--seconds 20] [--attackers 4]

A few normal conversations (`--normal`, each from its own loopback address, 127.0.0.3 on) ask patient
questions at a person's pace over REST, first alone (the baseline) and then while attackers send as fast as
they can from `--attacker-address` (127.0.0.2, one address for all of them): bodies larger than any route
takes, messages from a new sender each time (each a new conversation, which the per-sender limit cannot
stop; with `REST_API_KEYS` set they have no key and get 401), and plain requests to the widget's page. The
normal conversations send `REST_API_KEY` when it is set, as the bot's own clients do. It prints the normal
conversations' latency p50/p95 without and with the flood, how many of their messages went unanswered, and
what the attackers got back (200, 401, 413, 429, other, connections closed). Against the scaled setup
(`make run-scaled`) the same flood meets nginx's limits first.

127.0.0.1 itself is never the source: the bot does not limit the machine's own clients there (bot/rasa_server.py).
Like the other benchmarks it only talks to this machine (the URL must resolve to loopback), and every loop is
bounded in time and in count.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import itertools
import json
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.common import OUR_FALLBACK_MESSAGES, REST_PATH, percentile, require_loopback
from bot.channels.rest_auth import client_headers

ATTACKER_ADDRESS = "127.0.0.2"
FIRST_NORMAL_ADDRESS = 3  # 127.0.0.3, 127.0.0.4, ...
# A person reads the answer before asking again; the normal conversations pause this long between messages.
THINK_TIME_S = 1.0
OVERSIZED_BYTES = 1_048_576
# Hard bounds, whatever the arguments say.
MAX_SECONDS = 300.0
MAX_ATTACK_REQUESTS = 2_000_000
ATTACKS = ("oversized", "new-senders", "page")


@dataclass
class Normal:
    """What the normal conversations saw in one phase."""

    latencies: list[float] = field(default_factory=list)
    unanswered: int = 0

    def summary(self) -> dict[str, Any]:
        """Latency percentiles in milliseconds, and counts."""
        return {
            "messages": len(self.latencies) + self.unanswered,
            "answered": len(self.latencies),
            "unanswered": self.unanswered,
            "p50_ms": round(percentile(self.latencies, 50) * 1000, 1),
            "p95_ms": round(percentile(self.latencies, 95) * 1000, 1),
        }


@dataclass
class Flood:
    """What the attackers got back: counts by status (200, 401, 413, 429, other) or "connection closed"."""

    statuses: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def sent(self) -> int:
        """Requests sent, answered or not."""
        return sum(self.statuses.values())

    def summary(self) -> dict[str, Any]:
        """Counts by status, and the rate."""
        return {
            "requests": self.sent,
            "per_second": round(self.sent / self.seconds, 1) if self.seconds else 0.0,
            "statuses": dict(sorted(self.statuses.items())),
        }


def _session(address: str, headers: dict[str, str] | None = None) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(local_addr=(address, 0), limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120)
    return aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers)


async def _converse(url: str, address: str, name: str, until: float, seen: Normal) -> None:
    """One person's conversation: a question, the answer, a pause; until `until`."""
    messages = itertools.cycle(OUR_FALLBACK_MESSAGES)
    async with _session(address, client_headers()) as session:  # REST_API_KEY, as the bot's own clients send
        while time.monotonic() < until:
            started = time.monotonic()
            try:
                async with session.post(url + REST_PATH, json={"sender": name, "message": next(messages)}) as answer:
                    replies = await answer.json(content_type=None) if answer.status == 200 else None
            except (aiohttp.ClientError, asyncio.TimeoutError):
                replies = None
            if isinstance(replies, list) and replies:
                seen.latencies.append(time.monotonic() - started)
            else:
                seen.unanswered += 1
            await asyncio.sleep(THINK_TIME_S)


async def _attack(url: str, session: aiohttp.ClientSession, kind: str, until: float, flood: Flood) -> None:
    """One attacker: the same kind of request, as fast as answers come back, until `until`."""
    oversized = b'{"sender": "x", "message": "' + b"a" * OVERSIZED_BYTES + b'"}'
    while time.monotonic() < until and flood.sent < MAX_ATTACK_REQUESTS:
        try:
            if kind == "oversized":
                request = session.post(url + REST_PATH, data=oversized, headers={"Content-Type": "application/json"})
            elif kind == "new-senders":
                body = {"sender": f"flood-{uuid.uuid4().hex}", "message": "what is spasticity?"}
                request = session.post(url + REST_PATH, json=body)
            else:
                request = session.get(url + "/webhooks/widget/")
            async with request as answer:
                await answer.read()
                code = answer.status
                flood.statuses[str(code) if code in (200, 401, 413, 429) else "other"] += 1
        except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError):
            # The server closes a connection whose oversized body it refused; that is a refusal too.
            flood.statuses["connection closed"] += 1


async def _warm_up(url: str) -> None:
    """Asks every question once, unmeasured: the first answers load models and build the search index."""
    async with _session(f"127.0.0.{FIRST_NORMAL_ADDRESS}", client_headers()) as session:
        for message in OUR_FALLBACK_MESSAGES:
            body = {"sender": f"flood-warm-up-{uuid.uuid4().hex[:8]}", "message": message}
            async with session.post(url + REST_PATH, json=body) as answer:
                await answer.read()


async def phase(url: str, seconds: float, normal: int, attackers: int, attacker_address: str) -> tuple[Normal, Flood]:
    """Runs the normal conversations, and the attackers if any, for `seconds`."""
    until = time.monotonic() + seconds
    seen, flood = Normal(), Flood()
    run = uuid.uuid4().hex[:8]
    tasks = [
        _converse(url, f"127.0.0.{FIRST_NORMAL_ADDRESS + i}", f"flood-normal-{run}-{i}", until, seen)
        for i in range(normal)
    ]
    started = time.monotonic()
    async with _session(attacker_address) as session:
        tasks += [_attack(url, session, ATTACKS[i % len(ATTACKS)], until, flood) for i in range(attackers)]
        await asyncio.gather(*tasks)
    flood.seconds = time.monotonic() - started
    return seen, flood


async def run(
    url: str, seconds: float, normal: int = 3, attackers: int = 4, attacker_address: str = ATTACKER_ADDRESS
) -> dict[str, Any]:
    """The baseline, then the flood, each `seconds` long; returns what both measured."""
    require_loopback(url)
    source = ipaddress.ip_address(attacker_address)
    if not source.is_loopback or attacker_address in ("127.0.0.1", "::1"):
        raise ValueError(f"--attacker-address must be a loopback address other than 127.0.0.1, got {attacker_address}")
    seconds = min(seconds, MAX_SECONDS)
    await _warm_up(url)
    baseline, _ = await phase(url, seconds, normal, 0, attacker_address)
    flooded, flood = await phase(url, seconds, normal, attackers, attacker_address)
    return {
        "url": url,
        "seconds_per_phase": seconds,
        "normal_conversations": normal,
        "attackers": attackers,
        "attacker_address": attacker_address,
        "baseline": baseline.summary(),
        "under_flood": flooded.summary(),
        "flood": flood.summary(),
    }


def report(result: dict[str, Any]) -> str:
    """The result as a few lines for a person."""
    base, under, flood = result["baseline"], result["under_flood"], result["flood"]
    statuses = ", ".join(f"{code}: {count}" for code, count in flood["statuses"].items())
    return (
        f"Normal conversations ({result['normal_conversations']}, one message per {THINK_TIME_S:.0f} s each):\n"
        f"  alone:       p50 {base['p50_ms']} ms, p95 {base['p95_ms']} ms "
        f"({base['answered']} answered, {base['unanswered']} unanswered)\n"
        f"  under flood: p50 {under['p50_ms']} ms, p95 {under['p95_ms']} ms "
        f"({under['answered']} answered, {under['unanswered']} unanswered)\n"
        f"Flood ({result['attackers']} attackers from {result['attacker_address']}, "
        f"{result['seconds_per_phase']:.0f} s): {flood['requests']} requests ({flood['per_second']}/s): {statuses}"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line; returns the exit code (1 when a normal message went unanswered under the flood)."""
    parser = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005", help="the running bot (loopback only)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase (at most 300)")
    parser.add_argument("--normal", type=int, default=3, help="normal conversations")
    parser.add_argument("--attackers", type=int, default=4, help="attackers, all from --attacker-address")
    parser.add_argument("--attacker-address", default=ATTACKER_ADDRESS, help="a loopback address, not 127.0.0.1")
    parser.add_argument("--json", help="also write the result here")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.url, args.seconds, args.normal, args.attackers, args.attacker_address))
    print(report(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2)
    return 1 if result["under_flood"]["unanswered"] else 0


if __name__ == "__main__":
    sys.exit(main())
