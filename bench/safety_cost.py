"""Per-message cost of the safety net: mean microseconds of `SafetyNet.check` over the safety sets.

`python -m bench.safety_cost` prints the cost over the English sets (tests/safety/*.yml), the Spanish sets
(tests/safety/es/*.yml) and both, as a table and as one JSON line. Issue 13 asks that adding Spanish detection
cost at most 10% more per message; a timed unit test would be flaky on a shared two-core machine, so the
figure is measured here, before and after a change, on the same machine and reported by hand.

What is timed is exactly what the Rasa component runs on every message: normalising the text, the project's
spaCy pipeline (tokenizer, lookup lemmatizer, terminology entity ruler) and both detectors. The clock is the
process's CPU time, not wall-clock time: on a shared two-core machine the wall clock mostly measures the
other processes (rounds varied by 40%), while CPU time varied by under 1%. Each round runs every message
once; the best and the median round are reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT

SETS = PROJECT_ROOT / "tests" / "safety"


def _texts(value: Any) -> list[str]:
    """The message texts of one set section, whether written as plain strings or as `{text: ...}` items."""
    if isinstance(value, dict):
        return [text for part in value.values() for text in _texts(part)]
    if isinstance(value, list):
        return [item["text"] if isinstance(item, dict) else str(item) for item in value]
    return []


def load_messages(folder: Path) -> list[str]:
    """Every message of every set file directly in `folder` (all sections, held-out ones included)."""
    texts: list[str] = []
    for path in sorted(folder.glob("*.yml")):
        texts.extend(_texts(yaml.safe_load(path.read_text(encoding="utf-8"))))
    return texts


def time_rounds(check: Any, texts: Sequence[str], rounds: int) -> list[float]:
    """Mean CPU microseconds per message of each round (one call of `check` per message per round)."""
    means = []
    for _ in range(rounds):
        start = time.process_time()
        for text in texts:
            check(text)
        means.append((time.process_time() - start) / len(texts) * 1e6)
    return means


# Messages at the 1,000-character cap that once made the detectors slow, against a normal one as long
# (issue 15, point 3: a hostile message may cost no more than a normal one). Each is timed alone.
CAP = 1000
NORMAL = "my mum takes baclofen and since yesterday she is very sleepy and confused, is that a side effect? "
HOSTILE = {
    "normal question, repeated to the cap": NORMAL,
    "itb itb itb ...": "itb ",
    "bac, bac, bac, ...": "bac, ",
    "pump pump pump ...": "pump ",
    "pump alarm pump alarm ...": "pump alarm ",
    "stop baclofen stop baclofen ...": "stop baclofen ",
    "itb bac pump ms itb bac ...": "itb bac pump ms ",
}


def hostile(net: Any, rounds: int) -> dict[str, float]:
    """Best CPU milliseconds of one check of each hostile message (and the normal one), at the cap."""
    times = {}
    for name, unit in HOSTILE.items():
        text = (unit * (CAP // len(unit) + 1))[:CAP]
        times[name] = round(min(time_rounds(net.check, [text], rounds)) / 1000, 2)
    return times


def main(argv: list[str] | None = None) -> int:
    """Builds the pipeline from the terminology, warms it up, then times the English and Spanish sets."""
    parser = argparse.ArgumentParser(prog="python -m bench.safety_cost", description=__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds over each set (default 7)")
    parser.add_argument("--hostile", action="store_true", help="time the hostile messages instead of the sets")
    args = parser.parse_args(argv)

    from bot.nlp.pipeline import build_pipeline
    from bot.nlp.terminology import load_terms
    from bot.safety import SafetyNet

    net = SafetyNet(build_pipeline(load_terms(PROJECT_ROOT / "content" / "terminology.yml")))
    sets = {"english": load_messages(SETS), "spanish": load_messages(SETS / "es")}
    sets["both"] = sets["english"] + sets["spanish"]
    time_rounds(net.check, sets["both"], 1)  # warm-up: lexemes, regex caches
    if args.hostile:
        times = hostile(net, args.rounds)
        normal = times["normal question, repeated to the cap"]
        for name, ms in times.items():
            print(f"{name:40} {ms:8.2f} ms  {ms / normal:5.2f} x the normal one")
        print(json.dumps({"safety_cost_hostile_ms": times}))
        return 0

    result: dict[str, Any] = {}
    for name, texts in sets.items():
        if not texts:
            continue
        means = time_rounds(net.check, texts, args.rounds)
        result[name] = {
            "messages": len(texts),
            "best_us": round(min(means), 1),
            "median_us": round(statistics.median(means), 1),
        }
    for name, row in result.items():
        print(
            f"{name:8} {row['messages']:5d} messages  best {row['best_us']:8.1f} µs  median {row['median_us']:8.1f} µs"
        )
    print(json.dumps({"safety_cost_us_per_message": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
