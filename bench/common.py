"""Shared pieces of the load test and the benchmark: loopback checks, a bounded REST driver, percentiles.

Both tools only ever talk to servers on this machine: every URL they are given is checked to resolve to a
loopback address before the first request, and every request loop is bounded in count and in time, so a
typo can never turn them into a load generator against someone else's server.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import yaml

from bot.channels.rest_auth import client_headers
from bot.config import PROJECT_ROOT

REST_PATH = "/webhooks/rest/webhook"
REQUEST_TIMEOUT_S = 120.0
# The stock `rasa init` bot's own intents, in the words of its training data, for a like-for-like load.
STOCK_MESSAGES = (
    "hello",
    "good morning",
    "I am feeling very good",
    "I am sad",
    "not very good",
    "yes",
    "no",
    "goodbye",
    "are you a bot?",
    "very bad",
)
# A fallback when the evaluation set is missing: typical patient questions.
OUR_FALLBACK_MESSAGES = (
    "what is spasticity?",
    "what is a bac pump?",
    "how long do botox injections last?",
    "does it hurt?",
    "can I drink on baclofen?",
    "what is an AFO for?",
    "is zanaflex bad for your liver?",
    "does stretching actually help?",
)


class NotLoopback(ValueError):
    """A URL points somewhere other than this machine."""


def require_loopback(url: str) -> None:
    """Refuses any URL whose host does not resolve only to loopback addresses.

    Raises:
        NotLoopback: when the host is missing, unresolvable, or resolves to a non-loopback address.
    """
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return
    host = parts.hostname
    if not host:
        raise NotLoopback(f"{url!r} has no host")
    try:
        infos = socket.getaddrinfo(host, parts.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise NotLoopback(f"{host!r} does not resolve: {exc}") from exc
    addresses = {str(info[4][0]) for info in infos}
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise NotLoopback(f"{host!r} resolves to {sorted(addresses)}: only loopback servers may be loaded")


def our_messages(limit: int = 200) -> list[str]:
    """Patient questions from the visible evaluation set (realistic wording, typos included)."""
    path = PROJECT_ROOT / "tests" / "eval" / "questions.yml"
    try:
        items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except OSError:
        return list(OUR_FALLBACK_MESSAGES)
    texts = [str(i["text"]) for i in items if isinstance(i, dict) and i.get("text")]
    return texts[:limit] or list(OUR_FALLBACK_MESSAGES)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class RunResult:
    """What one bounded run of messages measured."""

    sent: int = 0
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    per_sender: dict[str, list[str]] = field(default_factory=dict)  # every message sent, in order
    error_samples: list[str] = field(default_factory=list)
    timed_out: bool = False

    @property
    def throughput(self) -> float:
        """Successful messages per second of wall time."""
        return self.ok / self.wall_s if self.wall_s > 0 else 0.0

    def p(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        return percentile(self.latencies, q) * 1000


def _clear_reply(payload: Any) -> bool:
    return isinstance(payload, list) and any(isinstance(m, dict) and (m.get("text") or m.get("image")) for m in payload)


async def drive(
    url: str,
    conversations: dict[str, list[str]],
    concurrency: int,
    max_seconds: float,
) -> RunResult:
    """Sends every conversation's messages in order, `concurrency` conversations at a time.

    A conversation's next message waits for the reply to the previous one, as a person would. The run stops
    starting new messages once `max_seconds` have passed (and says so), so it is bounded in time as well as
    in count.

    Args:
        url: the Rasa server's base URL (loopback only).
        conversations: sender id -> its messages, in order.
        concurrency: how many conversations are in progress at once.
        max_seconds: the time budget.

    Returns:
        Counts, latencies of the answered messages and, per sender, every message sent.
    """
    require_loopback(url)
    result = RunResult(per_sender={sender: [] for sender in conversations})
    pending: asyncio.Queue[str] = asyncio.Queue()
    for sender in conversations:
        pending.put_nowait(sender)
    started = time.monotonic()
    deadline = started + max_seconds
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def worker(session: aiohttp.ClientSession) -> None:
        while not pending.empty():
            sender = pending.get_nowait()
            for text in conversations[sender]:
                if time.monotonic() > deadline:
                    result.timed_out = True
                    return
                result.sent += 1
                result.per_sender[sender].append(text)
                began = time.monotonic()
                try:
                    body = {"sender": sender, "message": text}
                    async with session.post(url + REST_PATH, json=body, headers=client_headers()) as response:
                        body = await response.json(content_type=None)
                        good = response.status == 200 and _clear_reply(body)
                        problem = f"{response.status} {str(body)[:200]}"
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                    good, problem = False, f"{type(exc).__name__}: {exc}"
                if good:
                    result.ok += 1
                    result.latencies.append(time.monotonic() - began)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 10:
                        result.error_samples.append(f"{sender}: {problem}")

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    result.wall_s = time.monotonic() - started
    return result


def read_proc_status(pid: int) -> dict[str, str]:
    """The fields of /proc/<pid>/status (empty when the process is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in lines if ":" in line)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MB; NaN when it cannot be read."""
    raw = read_proc_status(pid).get("VmHWM", "").strip()
    return int(raw.split()[0]) / 1024 if raw else math.nan


def descendants(pid: int) -> list[int]:
    """Every live descendant process of `pid` (children first), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        ppid = read_proc_status(int(entry.name)).get("PPid", "").strip()
        if ppid.isdigit():
            parents.setdefault(int(ppid), []).append(int(entry.name))
    found: list[int] = []
    frontier = [pid]
    while frontier:
        children = parents.get(frontier.pop(), [])
        found.extend(children)
        frontier.extend(children)
    return found


def command_line(pid: int) -> str:
    """The process's command line, space-separated."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""
