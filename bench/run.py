"""Benchmarks against stock Rasa, side by side in one run (`make bench`): prints one table.

What it measures, in this order, on this machine only (every server on 127.0.0.1):

1. Training time of this bot (`python -m bot.training --force` into `var/bench/models`) and of the stock
   `rasa init` bot (`rasa init --no-prompt` into `var/bench/stock` the first time, `rasa train --force` after).
2. Per-message latency (p50/p95/p99) and throughput over REST at concurrency 1, 10 and 50, each bot in turn
   (never both at once, so they do not share the two cores), after a warm-up. Each virtual user holds a
   conversation of five messages and waits for each reply, as a person does; this bot gets patient questions
   from the evaluation set, the stock bot the phrases of its own training data. The first message of each
   conversation starts a session, which for this bot calls the action server for the introduction.
3. Retrieval latency at 1k, 10k and 100k generated passages (`bench/retrieval.py`, in its own process).
4. Peak memory (VmHWM) of every server process, read just before it is stopped.

This bot runs with `RECOMMENDED_ENV`, its process settings (`bot.config.PROCESS_ENV`: one TensorFlow/OpenMP
thread per process, see README section "Performance"); `--stock-tuned` adds a third row set, the stock bot
with the same settings, to separate what the settings buy from what our pipeline costs.
Figures taken while other work runs on the machine are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    STOCK_MESSAGES,
    RunResult,
    command_line,
    descendants,
    drive,
    our_messages,
    peak_rss_mb,
)
from bot.config import PROCESS_ENV, PROJECT_ROOT

OUT = PROJECT_ROOT / "var" / "bench"
TEST_MODEL = PROJECT_ROOT / "var" / "models-test" / "spasticity.tar.gz"
LEVELS = {1: 60, 10: 200, 50: 300}  # concurrency -> messages
MESSAGES_PER_CONVERSATION = 5
WARMUP_MESSAGES = 10
STARTUP_TIMEOUT_S = 420.0
# This bot's process settings (bot.config.PROCESS_ENV: one TensorFlow/OpenMP thread per process, Sanic's
# keep-alive), the same the launcher and the Kubernetes manifests set; `--stock-tuned` gives them to stock Rasa.
RECOMMENDED_ENV = dict(PROCESS_ENV)


@dataclass
class Served:
    """A bot under test: its URL, the process ids to watch, and how to stop it."""

    name: str
    url: str
    pids: dict[str, int]
    stop: Callable[[], None]
    messages: list[str]
    results: dict[int, RunResult] = field(default_factory=dict)
    memory_mb: dict[str, float] = field(default_factory=dict)


def free_port() -> int:
    """A free TCP port on loopback."""
    from tests.support.servers import free_port as pick

    return pick()


def timed(command: list[str], cwd: Path, env: Mapping[str, str] | None = None, log: Path | None = None) -> float:
    """Runs a command to completion and returns its wall time; raises when it fails."""
    started = time.monotonic()
    log = log or OUT / "logs" / f"{Path(command[2] if len(command) > 2 else command[0]).name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as handle:
        code = subprocess.call(command, cwd=cwd, env=dict(env or os.environ), stdout=handle, stderr=subprocess.STDOUT)
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit {code}; see {log}")
    return time.monotonic() - started


def rasa_bin() -> str:
    """The `rasa` command of this virtualenv."""
    return str(Path(sys.executable).with_name("rasa"))


def train_stock(folder: Path, train: bool) -> tuple[Path, float]:
    """The stock `rasa init` bot: created (and trained) the first time, retrained with `--train`."""
    seconds = math.nan
    if not (folder / "domain.yml").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        seconds = timed([rasa_bin(), "init", "--no-prompt", "--init-dir", str(folder)], PROJECT_ROOT)
    elif train:
        seconds = timed(
            [rasa_bin(), "train", "--force", "--out", "models", "--fixed-model-name", "stock"],
            folder,
            log=OUT / "logs" / "stock-train.log",
        )
    models = sorted((folder / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise RuntimeError(f"no stock model in {folder / 'models'}")
    return models[-1], seconds


def train_ours(train: bool) -> tuple[Path, float, str]:
    """This bot's full model in var/bench/models (trained with `--train`), else the quick test model."""
    model = OUT / "models" / "spasticity.tar.gz"
    seconds = math.nan
    if train:
        seconds = timed(
            [sys.executable, "-m", "bot.training", "--out", str(model.parent), "--force"],
            PROJECT_ROOT,
            log=OUT / "logs" / "ours-train.log",
        )
    if model.is_file():
        return model, seconds, "full model (var/bench/models)"
    return TEST_MODEL, seconds, "quick test model (var/models-test, capped epochs)"


def wait_until_up(url: str, alive: Callable[[], bool], timeout: float = STARTUP_TIMEOUT_S) -> None:
    """Polls the URL until it answers 200; raises if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the server for {url} exited during start-up")
        with contextlib.suppress(urllib.error.URLError, OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(1)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f} s")


def start_stock(name: str, folder: Path, model: Path, extra_env: Mapping[str, str]) -> Served:
    """`rasa run` of the stock bot (in-memory tracker and lock store, its defaults) on a free port."""
    port = free_port()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **extra_env}
    log = (OUT / "logs" / f"{name.replace(' ', '-')}.log").open("w")
    process = subprocess.Popen(
        [rasa_bin(), "run", "--model", str(model), "--port", str(port), "--interface", "127.0.0.1"],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def stop() -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()

    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", lambda: process.poll() is None)
    except RuntimeError:
        stop()
        raise
    return Served(name, url, {"rasa server": process.pid}, stop, list(STOCK_MESSAGES))


def start_ours(name: str, model: Path, extra_env: Mapping[str, str]) -> Served:
    """This bot through its launcher (action server + Rasa server), content and tracker on fresh SQLite."""
    from tests.support.servers import start_bot

    folder = OUT / "ours-run"
    if folder.exists():
        for child in folder.iterdir():
            if child.is_file():
                child.unlink()
    bot = start_bot(folder, model, extra_env=dict(extra_env))
    pids: dict[str, int] = {}
    for pid in descendants(bot.process.pid):
        line = command_line(pid)
        if "bot.rasa_server run" in line:
            pids["rasa server"] = pid
        elif "rasa_sdk" in line:
            pids["action server"] = pid

    def stop() -> None:
        bot.stop()

    return Served(name, bot.url, pids, stop, our_messages())


def conversations(prefix: str, messages: list[str], total: int) -> dict[str, list[str]]:
    """`total` messages as conversations of `MESSAGES_PER_CONVERSATION`, cycling through `messages`."""
    out: dict[str, list[str]] = {}
    for index in range(0, total, MESSAGES_PER_CONVERSATION):
        count = min(MESSAGES_PER_CONVERSATION, total - index)
        out[f"{prefix}-{index // MESSAGES_PER_CONVERSATION:04d}"] = [
            messages[(index + n) % len(messages)] for n in range(count)
        ]
    return out


def measure(served: Served, levels: Mapping[int, int], max_seconds: float) -> None:
    """Warms the bot up, then runs each concurrency level; records results and peak memory."""
    asyncio.run(drive(served.url, conversations("warm", served.messages, WARMUP_MESSAGES), 1, 120))
    for concurrency, total in levels.items():
        prefix = f"bench-c{concurrency}-{time.time_ns() % 10**8}"
        result = asyncio.run(drive(served.url, conversations(prefix, served.messages, total), concurrency, max_seconds))
        served.results[concurrency] = result
        print(
            f"  {served.name}: concurrency {concurrency}: {result.ok}/{result.sent} ok, "
            f"p50 {result.p(50):.0f} ms, {result.throughput:.1f} msg/s",
            flush=True,
        )
    served.memory_mb = {role: peak_rss_mb(pid) for role, pid in served.pids.items()}


@contextlib.contextmanager
def serving(start: Callable[[], Served]) -> Iterator[Served]:
    """Starts a bot and always stops it."""
    served = start()
    try:
        yield served
    finally:
        served.stop()


def retrieval(sizes: list[int]) -> list[dict[str, float]]:
    """Runs bench/retrieval.py in its own process (clean peak memory) and collects its lines."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.retrieval", *map(str, sizes)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    ).stdout
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def fmt(value: float, digits: int = 0) -> str:
    """A number for the table; '-' when it was not measured."""
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def table(
    bots: list[Served],
    training: dict[str, float],
    retrieval_rows: list[dict[str, float]],
    model_note: str,
) -> str:
    """The benchmark table as text."""
    lines = [
        "Per-message latency and throughput over REST (loopback; each bot alone on the machine)",
        f"{'bot':<26}{'conc':>5}{'msgs':>6}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'msg/s':>8}",
    ]
    for served in bots:
        for concurrency, r in served.results.items():
            lines.append(
                f"{served.name:<26}{concurrency:>5}{r.sent:>6}{r.errors:>7}{fmt(r.p(50)):>9}{fmt(r.p(95)):>9}"
                f"{fmt(r.p(99)):>9}{fmt(r.throughput, 1):>8}"
            )
    stock = next((b for b in bots if b.name == "stock rasa init"), None)
    ours = next((b for b in bots if b.name == "this bot"), None)
    if stock and ours and 1 in stock.results and 1 in ours.results and 10 in stock.results and 10 in ours.results:
        ratio = ours.results[1].p(50) / stock.results[1].p(50)
        speed = ours.results[10].throughput / max(stock.results[10].throughput, 1e-9)
        lines += [
            f"Target p50 (concurrency 1) <= 1.3 x stock: {ratio:.2f} x -> {'MET' if ratio <= 1.3 else 'NOT MET'}",
            f"Target throughput (concurrency 10) >= stock: {speed:.2f} x -> {'MET' if speed >= 1 else 'NOT MET'}",
        ]
    lines += ["", "Retrieval (generated passages, search only; one process)"]
    lines.append(f"{'passages':>10}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'peak MB':>9}")
    for row in retrieval_rows:
        lines.append(
            f"{int(row['passages']):>10}{fmt(row['build_s'], 1):>9}{fmt(row['p50_ms'], 2):>9}"
            f"{fmt(row['p95_ms'], 2):>9}{fmt(row['p99_ms'], 2):>9}{fmt(row['peak_rss_mb']):>9}"
        )
    lines += ["", "Training time (wall, this machine)"]
    lines += [f"  {name:<24}{fmt(seconds, 1):>8} s" for name, seconds in training.items()]
    lines += ["", "Peak memory (VmHWM) per process"]
    for served in bots:
        for role, mb in served.memory_mb.items():
            lines.append(f"  {served.name + ': ' + role:<40}{fmt(mb):>7} MB")
    lines += [
        "",
        f"This bot's model: {model_note}. Its settings: {' '.join(f'{k}={v}' for k, v in RECOMMENDED_ENV.items())}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Runs the whole benchmark and prints the table; writes var/bench/results.json too."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--no-train", action="store_true", help="reuse the models (training time not measured)")
    parser.add_argument("--stock-tuned", action="store_true", help="also run the stock bot with RECOMMENDED_ENV")
    parser.add_argument("--sizes", default="1000,10000,100000", help="retrieval sizes, comma-separated")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the message counts (0.1..3)")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="time budget per concurrency level")
    args = parser.parse_args(argv)
    scale = min(max(args.scale, 0.1), 3.0)
    levels = {c: max(c, int(n * scale)) for c, n in LEVELS.items()}
    (OUT / "logs").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    training: dict[str, float] = {}
    print("Training...", flush=True)
    stock_dir = OUT / "stock"
    stock_model, training["stock rasa init"] = train_stock(stock_dir, not args.no_train)
    our_model, training["this bot"], model_note = train_ours(not args.no_train)
    bots: list[Served] = []
    plans: list[tuple[str, Callable[[], Served]]] = [
        ("stock rasa init", lambda: start_stock("stock rasa init", stock_dir, stock_model, {})),
        ("this bot", lambda: start_ours("this bot", our_model, RECOMMENDED_ENV)),
    ]
    if args.stock_tuned:
        plans.append(
            (
                "stock, recommended env",
                lambda: start_stock("stock, recommended env", stock_dir, stock_model, RECOMMENDED_ENV),
            )
        )
    for name, start in plans:
        print(f"Serving {name}...", flush=True)
        with serving(start) as served:
            measure(served, levels, args.max_seconds)
            bots.append(served)
    print("Retrieval...", flush=True)
    try:
        rows = retrieval([int(s) for s in args.sizes.split(",") if s.strip()])
    except (subprocess.SubprocessError, OSError) as exc:  # the other figures are still worth printing
        print(f"Retrieval benchmark failed: {exc}", flush=True)
        rows = []
    text = table(bots, training, rows, model_note)
    print("\n" + text)
    print(
        f"\n(bench took {time.monotonic() - started:.0f} s; "
        f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    summary: dict[str, Any] = {
        "training_s": training,
        "bots": {
            b.name: {
                "levels": {
                    str(c): {"sent": r.sent, "errors": r.errors, "p50_ms": r.p(50), "p95_ms": r.p(95),
                             "p99_ms": r.p(99), "throughput": r.throughput}
                    for c, r in b.results.items()
                },
                "peak_memory_mb": b.memory_mb,
            }
            for b in bots
        },
        "retrieval": rows,
        "model": model_note,
        "recommended_env": RECOMMENDED_ENV,
    }  # fmt: skip
    (OUT / "results.json").write_text(json.dumps(summary, indent=2, default=str))
    (OUT / "results.txt").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
