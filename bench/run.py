"""Benchmarks against stock Rasa, side by side, in alternating rounds (`make bench`): prints one table.

What it measures, in this order, on this machine only (every server on 127.0.0.1):

1. Training time of this bot (`python -m bot.training --force` into `var/bench/models`) and of the stock
   `rasa init` bot (`rasa init --no-prompt` into `var/bench/stock` the first time, `rasa train --force` after),
   once per bot.
2. In each of `--rounds` rounds (3 by default), each bot in turn (never both at once, so they do not share the
   two cores): start it, warm it up, measure per-message latency (p50/p95/p99) and throughput over REST at
   concurrency 1, 10 and 50, read the peak memory (VmHWM) of every server process, stop it. The stock bot
   goes first in odd rounds and last in even ones, so that the machine's drift falls on both alike. Each
   virtual user holds a conversation of five messages and waits for each reply, as a person does; this bot
   gets patient questions from the evaluation set, the stock bot the phrases of its own training data. The
   first message of each conversation starts a session, which for this bot calls the action server for the
   introduction.
3. Retrieval latency at 1k, 10k and 100k generated passages (`bench/retrieval.py`, in its own process), once.

Every figure is reported as the median of the rounds with their range and the range as a percentage of the
median (the noise it carries); the ratio this bot / stock is taken within each round and then summarised
(`bench/stats.py`). The per-round figures go to `var/bench/results.json` (and a dated copy in
`var/bench/runs/`), with the commit, date and core count; `--compare OLD` judges each figure's change against
an earlier run's file, above or within the noise.

This bot runs with `RECOMMENDED_ENV`, its process settings (`bot.config.PROCESS_ENV`: one TensorFlow/OpenMP
thread per process, see README section "Performance"); `--stock-tuned` adds a third bot, the stock bot with
the same settings, to separate what the settings buy from what our pipeline costs.
Figures taken while other work runs on the machine are noisy: the load average before each round is recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import stats
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
LEVELS = {1: 60, 10: 200, 50: 300}  # concurrency -> messages per round
# `--quick`: a check in a few minutes. Concurrency 50 keeps 250 messages, the fewest that still put 50
# five-message conversations in flight at once; fewer would measure a lower concurrency under its name.
QUICK_LEVELS = {1: 20, 10: 60, 50: 250}
DEFAULT_ROUNDS = 3
RETRIEVAL_SIZES = "1000,10000,100000"
QUICK_RETRIEVAL_SIZES = "1000,10000"
MESSAGES_PER_CONVERSATION = 5
WARMUP_MESSAGES = 10
STARTUP_TIMEOUT_S = 420.0
STOCK = "stock rasa init"
OURS = "this bot"
STOCK_TUNED = "stock, recommended env"
# The targets, judged on the median of the per-round ratios this bot / stock.
TARGET_P50_RATIO = 1.1  # p50 at concurrency 1 at most 1.1 x stock (issue #17 point 2)
TARGET_THROUGHPUT_RATIO = 2.0  # throughput at concurrency 10 and 50 at least twice stock's (issue #17 point 2)
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
        seconds = timed(
            [rasa_bin(), "init", "--no-prompt", "--init-dir", str(folder)],
            PROJECT_ROOT,
            log=OUT / "logs" / "stock-init.log",
        )
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


def schedule(bots: Sequence[str], rounds: int) -> list[list[str]]:
    """The order the bots are served in, round by round: as given in odd rounds, reversed in even ones.

    A machine drifts during a run (caches fill, other work starts or stops); a bot always served second would
    carry that drift in every round. Alternating the order gives every bot the same mean position over each
    pair of rounds.

    Args:
        bots: the bots, the stock bot first.
        rounds: how many rounds (at least one).

    Returns:
        One list of bot names per round, round 1 first.
    """
    return [list(bots) if number % 2 == 1 else list(reversed(bots)) for number in range(1, rounds + 1)]


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


def _finite(value: float) -> float | None:
    """A figure for JSON: None instead of NaN, which strict JSON readers refuse."""
    return None if math.isnan(value) else value


def bot_record(served: Served) -> dict[str, Any]:
    """What one bot measured in one round, in the layout `bench.stats.round_figures` reads."""
    return {
        "levels": {
            str(concurrency): {
                "sent": r.sent,
                "ok": r.ok,
                "errors": r.errors,
                "p50_ms": _finite(r.p(50)),
                "p95_ms": _finite(r.p(95)),
                "p99_ms": _finite(r.p(99)),
                "throughput": r.throughput,
                "wall_s": r.wall_s,
                "timed_out": r.timed_out,
                "error_samples": r.error_samples[:3],
            }
            for concurrency, r in served.results.items()
        },
        "peak_memory_mb": {role: _finite(mb) for role, mb in served.memory_mb.items()},
    }


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


def git_state() -> dict[str, Any]:
    """The commit measured, and whether the working tree had uncommitted changes to tracked files."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}


def load_results(path: Path) -> dict[str, Any]:
    """A saved results file; one written before rounds existed (a single run) reads as one round."""
    data: dict[str, Any] = json.loads(path.read_text())
    if not isinstance(data.get("rounds"), list):
        data = {**data, "rounds": [{"round": 1, "bots": data.get("bots", {})}]}
    return data


def fmt(value: float | None, digits: int = 0) -> str:
    """A number for the table; '-' when it was not measured."""
    return "-" if stats.is_missing(value) else f"{value:.{digits}f}"


def pct(value: float) -> str:
    """A percentage for the table; '-' when there is none (one round)."""
    return "-" if stats.is_missing(value) else f"{value:.0f}%"


def span(summary: stats.Summary, digits: int) -> str:
    """A figure's range over the rounds, 'min–max'."""
    if summary.rounds == 0:
        return "-"
    return f"{summary.low:.{digits}f}–{summary.high:.{digits}f}"


def digits_for(item: str, ratio: bool = False) -> int:
    """How many decimals a figure is shown with: ratios 2, throughput 1, milliseconds and MB none."""
    return 2 if ratio else 1 if stats.higher_is_better(item) else 0


def table(data: Mapping[str, Any]) -> str:
    """The benchmark table as text, from the results as `main` writes them to results.json."""
    rounds = data["rounds"]
    figures = stats.round_figures(rounds)
    ratio_rows = stats.ratio_figures(figures, STOCK)
    bots = [bot for bot in data.get("bots", list(figures)) if bot in figures]
    levels = [str(level) for level in data.get("levels", {})]
    names = list(stats.LEVEL_FIGURES.values())
    lines = [
        f"Per-message latency and throughput over REST (loopback; each bot alone on the machine), "
        f"{len(rounds)} round(s)",
        "Each cell: the median of the rounds, then the spread (max - min) as % of the median.",
        f"{'bot':<24}{'conc':>5}{'msgs':>6}{'errors':>7}" + "".join(f"{name:>14}" for name in names),
    ]
    for bot in bots:
        for level in levels:
            summaries = [stats.summarize(figures[bot].get(f"c{level} {name}", [])) for name in names]
            errors = sum(r["bots"][bot]["levels"].get(level, {}).get("errors", 0) for r in rounds if bot in r["bots"])
            timed_out = any(
                r["bots"][bot]["levels"].get(level, {}).get("timed_out") for r in rounds if bot in r["bots"]
            )
            msgs = f"{data['levels'][level]}{'*' if timed_out else ''}"
            lines.append(
                f"{bot:<24}{level:>5}{msgs:>6}{errors:>7}"
                + "".join(
                    f"{fmt(s.median, digits_for(name)):>8}{pct(s.spread_pct):>6}"
                    for name, s in zip(names, summaries, strict=True)
                )
            )
    lines += ["", "Range over the rounds (min–max)"]
    lines.append(f"{'bot':<24}{'conc':>5}" + "".join(f"{name:>16}" for name in names))
    for bot in bots:
        for level in levels:
            cells = [
                span(stats.summarize(figures[bot].get(f"c{level} {name}", [])), digits_for(name)) for name in names
            ]
            lines.append(f"{bot:<24}{level:>5}" + "".join(f"{cell:>16}" for cell in cells))
    for bot in bots:
        if bot == STOCK or not any(label.startswith(f"{bot} / ") for label in ratio_rows):
            continue
        lines += ["", f"{bot} / {STOCK}, taken within each round: median [min–max]"]
        lines.append(f"{'':<24}{'conc':>5}" + "".join(f"{name:>20}" for name in names))
        for level in levels:
            cells = []
            for name in names:
                summary = stats.summarize(ratio_rows.get(f"{bot} / {STOCK}: c{level} {name}", []))
                cells.append(f"{fmt(summary.median, 2)} [{span(summary, 2)}]" if summary.rounds else "-")
            lines.append(f"{'':<24}{level:>5}" + "".join(f"{cell:>20}" for cell in cells))
    lines += targets(ratio_rows)
    lines += ["", "Peak memory (VmHWM) per process, MB: median [min–max]"]
    for bot in bots:
        for item, values in figures[bot].items():
            if item.endswith(stats.MEMORY):
                summary = stats.summarize(values)
                role = item.removesuffix(" " + stats.MEMORY)
                lines.append(f"  {bot + ': ' + role:<40}{fmt(summary.median):>7}  [{span(summary, 0)}]")
    lines += ["", "Retrieval (generated passages, search only; one process, one run)"]
    lines.append(f"{'passages':>10}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'peak MB':>9}")
    for row in data.get("retrieval", []):
        lines.append(
            f"{int(row['passages']):>10}{fmt(row['build_s'], 1):>9}{fmt(row['p50_ms'], 2):>9}"
            f"{fmt(row['p95_ms'], 2):>9}{fmt(row['p99_ms'], 2):>9}{fmt(row['peak_rss_mb']):>9}"
        )
    lines += ["", "Training time (wall, this machine, once)"]
    lines += [f"  {name:<24}{fmt(seconds, 1):>8} s" for name, seconds in data.get("training_s", {}).items()]
    orders = "; ".join(
        f"{r.get('round', i + 1)}: {' then '.join(r.get('order', []))} (load {fmt(r.get('load_before'), 1)})"
        for i, r in enumerate(rounds)
    )
    env = data.get("recommended_env", RECOMMENDED_ENV)
    lines += [
        "",
        f"Rounds: {orders}.",
        f"Commit {str(data.get('commit', 'unknown'))[:12]}{' (uncommitted changes)' if data.get('dirty') else ''}, "
        f"{data.get('date', '?')}, {data.get('cores', '?')} cores. * = the level hit its time budget in a round.",
        f"This bot's model: {data.get('model', '?')}. Its settings: {' '.join(f'{k}={v}' for k, v in env.items())}.",
    ]
    return "\n".join(lines)


def targets(ratio_rows: Mapping[str, Sequence[float]]) -> list[str]:
    """The issue's targets, judged on the median of the per-round ratios, and whether every round met them."""
    lines = []
    checks = (
        (
            f"p50 (concurrency 1) <= {TARGET_P50_RATIO} x stock",
            f"c1 {stats.LEVEL_FIGURES['p50_ms']}",
            TARGET_P50_RATIO,
            False,
        ),
        *(
            (
                f"throughput (concurrency {c}) >= {TARGET_THROUGHPUT_RATIO} x stock",
                f"c{c} {stats.THROUGHPUT}",
                TARGET_THROUGHPUT_RATIO,
                True,
            )
            for c in (10, 50)
        ),
    )
    for title, item, bound, at_least in checks:
        summary = stats.summarize(ratio_rows.get(f"{OURS} / {STOCK}: {item}", []))
        if not summary.rounds:
            continue

        def met(value: float, bound: float = bound, at_least: bool = at_least) -> bool:
            return value >= bound if at_least else value <= bound

        verdict = "MET" if met(summary.median) else "NOT MET"
        count = sum(met(v) for v in summary.values)
        every = "met in every round" if count == summary.rounds else f"met in {count} of {summary.rounds} rounds"
        lines.append(f"Target {title}: median {summary.median:.2f} x ({span(summary, 2)}) -> {verdict}, {every}")
    return ["", *lines] if lines else []


def describe(data: Mapping[str, Any]) -> str:
    """One line naming a run: its commit, date and rounds."""
    commit = str(data.get("commit", "unknown"))[:12] + ("+changes" if data.get("dirty") else "")
    return f"commit {commit}, {data.get('date', '?')}, {len(data['rounds'])} round(s)"


def comparison(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """Each figure both runs have: old median, new median, change, combined noise and the verdict."""
    before = stats.flat_figures(old["rounds"], STOCK)
    after = stats.flat_figures(new["rounds"], STOCK)
    labels = [label for label in after if label in before]
    width = max((len(label) for label in labels), default=10) + 2
    lines = [
        f"Change from {describe(old)}",
        f"         to {describe(new)}",
        "A change is above the noise when it exceeds half of each run's range of rounds, added together.",
        *(
            [f"Note: the runs sent different messages per level ({old.get('levels')} against {new.get('levels')})."]
            if old.get("levels") != new.get("levels")
            else []
        ),
        f"{'figure':<{width}}{'old':>9}{'new':>9}{'change':>9}{'noise':>8}  verdict",
    ]
    counts: dict[str, int] = {}
    for label in labels:
        item = label.rsplit(": ", 1)[1]
        change = stats.compare(
            stats.summarize(before[label]), stats.summarize(after[label]), stats.higher_is_better(item)
        )
        digits = digits_for(item, ratio=" / " in label.rsplit(": ", 1)[0])
        counts[change.verdict] = counts.get(change.verdict, 0) + 1
        change_pct = "-" if stats.is_missing(change.change_pct) else f"{change.change_pct:+.1f}%"
        noise = "-" if stats.is_missing(change.noise_pct) else f"±{change.noise_pct:.0f}%"
        lines.append(
            f"{label:<{width}}{fmt(change.old.median, digits):>9}{fmt(change.new.median, digits):>9}"
            f"{change_pct:>9}{noise:>8}  {change.verdict}"
        )
    lines.append("Verdicts: " + ", ".join(f"{count} {verdict}" for verdict, count in sorted(counts.items())))
    return "\n".join(lines)


def write_results(data: Mapping[str, Any]) -> Path:
    """Writes results.json (the latest run) and a dated copy under runs/ to compare with later; returns the copy."""
    text = json.dumps(data, indent=2, default=str)
    (OUT / "results.json").write_text(text)
    stamp = str(data["date"]).replace(":", "").replace("-", "")[:15]
    copy = OUT / "runs" / f"{stamp}-{str(data['commit'])[:8]}.json"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(text)
    return copy


def main(argv: list[str] | None = None) -> int:
    """Runs the whole benchmark and prints the table; writes var/bench/results.json too."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="rounds of every bot (default 3)")
    parser.add_argument("--quick", action="store_true", help="20/60/250 messages per level, retrieval to 10k only")
    parser.add_argument("--compare", type=Path, metavar="OLD", help="judge each figure's change from this results file")
    parser.add_argument("--new", type=Path, metavar="NEW", help="with --compare: compare NEW with OLD, run nothing")
    parser.add_argument("--no-train", action="store_true", help="reuse the models (training time not measured)")
    parser.add_argument("--stock-tuned", action="store_true", help="also run the stock bot with RECOMMENDED_ENV")
    parser.add_argument("--sizes", help=f"retrieval sizes, comma-separated ('' skips; default {RETRIEVAL_SIZES})")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the message counts (0.1..3)")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="time budget per concurrency level")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.new and not args.compare:
        parser.error("--new needs --compare OLD")
    for path in (args.compare, args.new):
        if path is not None and not path.is_file():
            parser.error(f"no results file {path}")
    if args.compare and args.new:
        print(comparison(load_results(args.compare), load_results(args.new)))
        return 0
    old = load_results(args.compare) if args.compare else None  # read first: a bad path fails before the run
    scale = min(max(args.scale, 0.1), 3.0)
    levels = {c: max(c, int(n * scale)) for c, n in (QUICK_LEVELS if args.quick else LEVELS).items()}
    sizes_text = args.sizes if args.sizes is not None else QUICK_RETRIEVAL_SIZES if args.quick else RETRIEVAL_SIZES
    (OUT / "logs").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    data: dict[str, Any] = {
        "schema": 2,
        **git_state(),
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "levels": {str(c): n for c, n in levels.items()},
        "quick": args.quick,
        "complete": False,
        "recommended_env": RECOMMENDED_ENV,
    }
    print("Training...", flush=True)
    stock_dir = OUT / "stock"
    stock_model, stock_seconds = train_stock(stock_dir, not args.no_train)
    our_model, our_seconds, data["model"] = train_ours(not args.no_train)
    data["training_s"] = {STOCK: _finite(stock_seconds), OURS: _finite(our_seconds)}
    plans: dict[str, Callable[[], Served]] = {
        STOCK: lambda: start_stock(STOCK, stock_dir, stock_model, {}),
        OURS: lambda: start_ours(OURS, our_model, RECOMMENDED_ENV),
    }
    if args.stock_tuned:
        plans[STOCK_TUNED] = lambda: start_stock(STOCK_TUNED, stock_dir, stock_model, RECOMMENDED_ENV)
    data["bots"] = list(plans)
    data["rounds"] = []
    for number, order in enumerate(schedule(list(plans), args.rounds), start=1):
        load = os.getloadavg()[0]
        print(f"Round {number}/{args.rounds}: {' then '.join(order)} (load average {load:.1f})", flush=True)
        one_round: dict[str, Any] = {"round": number, "order": order, "load_before": load, "bots": {}}
        for name in order:
            print(f"Serving {name}...", flush=True)
            with serving(plans[name]) as served:
                measure(served, levels, args.max_seconds)
            one_round["bots"][name] = bot_record(served)
        data["rounds"].append(one_round)
        write_results(data)  # a failure in a later round keeps the rounds measured so far
    print("Retrieval...", flush=True)
    sizes = [int(s) for s in sizes_text.split(",") if s.strip()]
    try:
        data["retrieval"] = retrieval(sizes) if sizes else []
    except (subprocess.SubprocessError, OSError) as exc:  # the other figures are still worth printing
        print(f"Retrieval benchmark failed: {exc}", flush=True)
        data["retrieval"] = []
    data["complete"] = True
    copy = write_results(data)
    text = table(data)
    if old is not None:
        text += "\n\n" + comparison(old, data)
    print("\n" + text)
    print(
        f"\n(bench took {time.monotonic() - started:.0f} s; load average now {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores; figures in {OUT / 'results.json'} and {copy})"
    )
    (OUT / "results.txt").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
