"""Cost per message along a long conversation (`make bench-turns`): does the 50th message cost what the 5th does?

Issue 17 point 3 asks that the 50th message of a conversation cost at most 1.2 times the 5th. Rasa rebuilds the
conversation from its events for every turn, so without care each message costs more than the one before.

What it does, on this machine only (a bot of its own on free ports, or `--url` on loopback):

1. starts this bot through its launcher (`tests/support/servers.start_bot`: action server + Rasa server, fresh
   SQLite content and tracker store in `var/bench/turns-run/`) with the model given (default: the full model
   in `models/` when there is one, else the quick test model) and any `--env NAME=VALUE` settings (the levers
   measured one at a time, or `RASA_PROFILE` for a profile);
2. warms it up with one short conversation;
3. in each of `--rounds` rounds sends `--conversations` conversations of `--messages` messages (60), one
   message at a time, each waiting for its reply as a person does. A conversation follows a five-step pattern,
   question, follow-up, button, question, short reply ("ok", "thanks"), so it holds what people send: typed
   questions, follow-ups read in context, pressed buttons (a suggested question or Helpful, taken from the
   bot's last reply) and acknowledgements. Conversation k starts its questions k x 4 further along the list,
   so over the conversations every question is asked early in one and late in another: the comparison of
   positions is not a comparison of questions.

It reports, per round, the median latency (REST round trip on loopback, the server's time and a fraction of a
millisecond of HTTP) of messages 1-5 and of messages 45-55 and their ratio, and the median of each block of
five messages (the curve). Over the rounds each figure is the median with its spread, (max - min) as % of the
median (`bench/stats.py`), as `make bench` reports. The target is judged on the median ratio. Figures go to
`var/bench/turn-cost.json`.

Usage: `python -m bench.turn_cost [--rounds 3] [--conversations 4] [--messages 60] [--model PATH]
[--env NAME=VALUE ...] [--url http://127.0.0.1:PORT]`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import statistics
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import stats
from bench.common import REST_PATH, command_line, descendants, require_loopback
from bot.channels.rest_auth import client_headers
from bot.config import PROJECT_ROOT

OUT = PROJECT_ROOT / "var" / "bench"
FULL_MODEL = PROJECT_ROOT / "models" / "spasticity.tar.gz"
MESSAGES = 60
CONVERSATIONS = 4
ROUNDS = 3
# The comparison: the 5th message against the 50th, each read as the median of the messages around it.
EARLY = (1, 5)
LATE = (45, 55)
TARGET_RATIO = 1.2
BLOCK = 5  # messages per point of the curve
WARMUP_MESSAGES = 10
MAX_MESSAGES_PER_RUN = 5_000  # every run is bounded, whatever the arguments say
REQUEST_TIMEOUT_S = 60.0

# Patient questions in the ways people ask them (written for this benchmark, not taken from an evaluation set).
QUESTIONS = (
    "what is spasticity?",
    "why are my legs so stiff in the morning?",
    "is spasticity the same as a spasm?",
    "can a bladder infection make my spasms worse?",
    "my dad had a stroke and his arm is tight, what helps?",
    "does stretching actually help?",
    "what is an AFO for?",
    "what is serial casting?",
    "what is Lioresal?",
    "is zanaflex bad for your liver?",
    "can I drink on baclofen?",
    "how long do botox shots last?",
    "what's a bac pump?",
    "how often does the pump get refilled?",
    "can I have an MRI with a pump?",
    "my daughter has CP, what is selective dorsal rhizotomy?",
    "what does physiotherapy do for stiff muscles?",
    "is there surgery for spasticity?",
    "what are the side effects of tizanidine?",
    "can spasticity get worse in hot weather?",
    "what is dantrolene?",
    "does cannabis help MS spasms?",
    "what is phenol injection?",
    "can children have botox for cerebral palsy?",
)
FOLLOW_UPS = (
    "does it hurt?",
    "how long does it last?",
    "tell me more",
    "and at night?",
    "what are the side effects?",
    "is it safe for kids?",
    "what about tizanidine instead?",
    "how quickly does it work?",
)
SHORT_REPLIES = ("ok", "thanks", "got it", "ok thanks, that helps")
PATTERN = ("question", "follow-up", "button", "question", "short reply")
QUESTIONS_PER_PATTERN = PATTERN.count("question")
FEEDBACK_PREFIX = "/feedback"


@dataclass(frozen=True)
class Sent:
    """One message of a conversation: where it was, what kind, what it said and how long its reply took."""

    position: int  # 1-based
    kind: str
    text: str
    ms: float  # NaN when it failed
    ok: bool
    cpu_ms: float = math.nan  # CPU time the bot's server processes spent on it (NaN when not watched)
    rasa_cpu_ms: float = math.nan  # of which the Rasa server's (the first watched process)


def script_text(kind: str, position: int, conversation: int, buttons: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """The message at `position` (1-based) of conversation `conversation`: its kind and its text.

    A button press takes a suggested question from the bot's last reply on odd presses and Helpful on even ones;
    a reply without buttons gets a follow-up instead (and the message counts as a follow-up).

    Args:
        kind: the pattern's kind at this position.
        position: the message's position in the conversation.
        conversation: the conversation's number, which shifts where its questions start.
        buttons: the buttons of the bot's last reply.
    """
    cycle, step = divmod(position - 1, len(PATTERN))
    if kind == "question":
        index = cycle * QUESTIONS_PER_PATTERN + PATTERN[:step].count("question")
        return kind, QUESTIONS[(index + conversation * 4) % len(QUESTIONS)]
    if kind == "short reply":
        return kind, SHORT_REPLIES[(cycle + conversation) % len(SHORT_REPLIES)]
    if kind == "button":
        payloads = [str(b.get("payload", "")) for b in buttons if str(b.get("payload", "")).startswith("/")]
        feedback = [p for p in payloads if p.startswith(FEEDBACK_PREFIX)]
        others = [p for p in payloads if not p.startswith(FEEDBACK_PREFIX)]
        wanted = others if cycle % 2 == 0 else feedback
        chosen = wanted or others or feedback
        if chosen:
            return kind, chosen[0]
    return "follow-up", FOLLOW_UPS[(cycle + conversation) % len(FOLLOW_UPS)]


Post = Callable[[str, str], tuple[bool, list[dict[str, Any]]]]


def rest_poster(url: str) -> Post:
    """Sends one message to the bot's REST channel; returns whether it got a reply, and the reply items."""
    require_loopback(url)

    def post(sender: str, text: str) -> tuple[bool, list[dict[str, Any]]]:
        body = json.dumps({"sender": sender, "message": text}).encode()
        headers = {"Content-Type": "application/json", **client_headers()}
        request = urllib.request.Request(url + REST_PATH, body, headers)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
                items = json.loads(response.read() or b"[]")
        except (urllib.error.URLError, OSError, ValueError):
            return False, []
        replies = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        return any(r.get("text") for r in replies), replies

    return post


def cpu_ns(pids: Sequence[int]) -> int:
    """The CPU time the processes' threads have used so far, in nanoseconds (0 for what cannot be read).

    Read from `/proc/PID/task/*/schedstat`: every thread counts (TensorFlow and the database driver work in
    threads of their own). Unlike the latency, it does not grow when other work shares the machine's cores, so
    it shows a message's cost on a busy machine too.
    """
    total = 0
    for pid in pids:
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                total += int(stat.read_text().split()[0])
    return total


def converse(post: Post, sender: str, conversation: int, messages: int, watched: Sequence[int] = ()) -> list[Sent]:
    """One conversation of `messages` messages, each sent once its previous one was answered.

    Args:
        post: sends a message.
        sender: the conversation's sender id.
        conversation: the conversation's number (where its questions start).
        messages: how many messages.
        watched: the bot's server processes, whose CPU time each message is charged with.
    """
    sent: list[Sent] = []
    buttons: list[Mapping[str, Any]] = []
    for position in range(1, messages + 1):
        kind, text = script_text(PATTERN[(position - 1) % len(PATTERN)], position, conversation, buttons)
        cpu_before, rasa_before = cpu_ns(watched), cpu_ns(watched[:1])
        began = time.perf_counter()
        ok, replies = post(sender, text)
        ms = (time.perf_counter() - began) * 1000
        cpu = (cpu_ns(watched) - cpu_before) / 1e6 if watched and ok else math.nan
        rasa = (cpu_ns(watched[:1]) - rasa_before) / 1e6 if watched and ok else math.nan
        sent.append(Sent(position, kind, text, ms if ok else math.nan, ok, cpu, rasa))
        buttons = [b for r in replies for b in (r.get("buttons") or []) if isinstance(b, Mapping)]
    return sent


def median_of(sent: Sequence[Sent], first: int, last: int, figure: str = "ms") -> float:
    """The median of a figure ("ms" or "cpu_ms") of the answered messages at positions first..last; NaN if none."""
    values = [getattr(s, figure) for s in sent if first <= s.position <= last and s.ok]
    values = [v for v in values if not math.isnan(v)]
    return float(statistics.median(values)) if values else math.nan


def _ratio(late: float, early: float) -> float:
    return late / early if early and not math.isnan(early) and not math.isnan(late) else math.nan


def round_figures(sent: Sequence[Sent], messages: int) -> dict[str, float]:
    """One round's figures, of the latency and of the CPU time: early and late medians, their ratio, the curve.

    The curve is the median of every block of five messages.
    """
    figures: dict[str, float] = {}
    for figure, prefix in (("ms", ""), ("cpu_ms", "cpu_"), ("rasa_cpu_ms", "rasa_cpu_")):
        early, late = median_of(sent, *EARLY, figure), median_of(sent, *LATE, figure)
        figures.update({f"{prefix}early_ms": early, f"{prefix}late_ms": late, f"{prefix}ratio": _ratio(late, early)})
        for first in range(1, messages + 1, BLOCK):
            figures[f"{prefix}block_{first}_{first + BLOCK - 1}_ms"] = median_of(sent, first, first + BLOCK - 1, figure)
    return figures


def summary_lines(rounds: Sequence[Mapping[str, float]], errors: int, sent_total: int) -> list[str]:
    """The report: the target figures over the rounds, the verdict, and the curve."""
    if not rounds:
        return ["No round was measured."]

    def summary(key: str) -> stats.Summary:
        return stats.summarize([r.get(key) for r in rounds])

    def cell(s: stats.Summary, digits: int) -> str:
        spread = "-" if math.isnan(s.spread_pct) else f"{s.spread_pct:.0f}%"
        return f"{s.median:.{digits}f} (spread {spread}, {s.low:.{digits}f}-{s.high:.{digits}f})"

    lines = [f"{len(rounds)} round(s), {sent_total} messages, {errors} without a reply"]
    titles = (
        ("", "latency (REST round trip)"),
        ("cpu_", "CPU time of the bot's servers"),
        ("rasa_cpu_", "CPU time of the Rasa server alone"),
    )
    for prefix, title in titles:
        ratio = summary(f"{prefix}ratio")
        if not ratio.rounds:
            continue
        met = sum(1 for v in ratio.values if v <= TARGET_RATIO)
        verdict = "MET" if ratio.median <= TARGET_RATIO else "NOT MET"
        lines += [
            f"{title} per message:",
            f"  messages {EARLY[0]}-{EARLY[1]}:   median {cell(summary(f'{prefix}early_ms'), 1)} ms",
            f"  messages {LATE[0]}-{LATE[1]}: median {cell(summary(f'{prefix}late_ms'), 1)} ms",
            f"  ratio late / early: {cell(ratio, 2)}",
            f"  target at most {TARGET_RATIO}: {verdict} ({met} of {ratio.rounds} rounds)",
            "  median per block of five messages (median of the rounds):",
        ]
        cells = []
        for key in [k for k in rounds[0] if k.startswith(f"{prefix}block_")]:
            first, last = key.removeprefix(prefix).split("_")[1:3]
            cells.append(f"{first}-{last}: {summary(key).median:.0f}")
        lines += ["    " + ", ".join(cells[i : i + 6]) for i in range(0, len(cells), 6)]
    return lines


def default_model() -> Path:
    """The full model when `make train` built one, else the quick test model (`TEST_MODEL`, `make train-test`)."""
    if FULL_MODEL.is_file():
        return FULL_MODEL
    from tests.support.servers import test_model_path

    return test_model_path()


def parse_env(pairs: Sequence[str]) -> dict[str, str]:
    """`NAME=VALUE` arguments as a mapping.

    Raises:
        ValueError: for an argument without `=` or with an empty name.
    """
    env: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--env takes NAME=VALUE, got {pair!r}")
        env[name.strip()] = value
    return env


def main(argv: list[str] | None = None) -> int:
    """Runs the rounds against a bot of its own (or `--url`) and prints the report; exit 0 when it ran."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.turn_cost", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS, help="per round")
    parser.add_argument("--messages", type=int, default=MESSAGES, help=f"per conversation (at least {LATE[1]})")
    parser.add_argument("--model", type=Path, default=None, help="trained model (default: full, else test model)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="setting for the bot")
    parser.add_argument("--url", help="measure this running bot (loopback only) instead of starting one")
    parser.add_argument("--json", type=Path, default=OUT / "turn-cost.json", help="where the figures go")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.conversations < 1:
        parser.error("--rounds and --conversations must be at least 1")
    if args.messages < LATE[1]:
        parser.error(f"--messages must be at least {LATE[1]}: the late block ends there")
    if args.rounds * args.conversations * args.messages > MAX_MESSAGES_PER_RUN:
        parser.error(f"at most {MAX_MESSAGES_PER_RUN} messages per run")
    try:
        extra_env = parse_env(args.env)
    except ValueError as error:
        parser.error(str(error))
    if args.url and extra_env:
        parser.error("--env applies to a bot this benchmark starts; leave out --url")
    bot = None
    watched: list[int] = []
    model = args.model or default_model()
    if args.url:
        url = args.url.rstrip("/")
    else:
        from tests.support.servers import start_bot

        if not model.is_file():
            parser.error(f"no trained model at {model}: `make train` or `make train-test`")
        folder = OUT / "turns-run"
        if folder.exists():
            for child in folder.iterdir():
                if child.is_file():
                    child.unlink()
        began = time.monotonic()
        bot = start_bot(folder, model, extra_env=extra_env)
        print(f"Bot ready in {time.monotonic() - began:.1f} s ({model})", flush=True)
        url = bot.url
        children = descendants(bot.process.pid)
        watched = [p for p in children if "bot.rasa_server" in command_line(p)]  # the Rasa server first
        watched += [p for p in children if "rasa_sdk" in command_line(p)]
    post = rest_poster(url)
    run_id = uuid.uuid4().hex[:8]
    rounds: list[dict[str, float]] = []
    sent_total = errors = 0
    try:
        converse(post, f"turns-warm-{run_id}", 0, WARMUP_MESSAGES, watched)
        for number in range(1, args.rounds + 1):
            load = os.getloadavg()[0]
            sent: list[Sent] = []
            for conversation in range(args.conversations):
                sender = f"turns-{run_id}-r{number}-c{conversation}"
                sent += converse(post, sender, conversation + number - 1, args.messages, watched)
            figures = round_figures(sent, args.messages)
            figures["load_before"] = load
            rounds.append(figures)
            sent_total += len(sent)
            errors += sum(1 for s in sent if not s.ok)
            print(
                f"Round {number}/{args.rounds} (load {load:.1f}): messages {EARLY[0]}-{EARLY[1]} "
                f"{figures['early_ms']:.1f} ms, {LATE[0]}-{LATE[1]} {figures['late_ms']:.1f} ms, "
                f"ratio {figures['ratio']:.2f}; CPU ratio {figures['cpu_ratio']:.2f}",
                flush=True,
            )
    finally:
        if bot is not None:
            bot.stop()
    lines = summary_lines(rounds, errors, sent_total)
    print("\n" + "\n".join(lines))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "model": str(model) if bot is not None else None,
        "url": args.url,
        "env": extra_env,
        "messages": args.messages,
        "conversations": args.conversations,
        "rounds": [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in rounds],
        "sample": [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(s).items()}
            for s in (sent[: args.messages] if rounds else [])
        ],
    }
    args.json.write_text(json.dumps(record, indent=2))
    return 0 if rounds and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
