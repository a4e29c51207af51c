"""Scrubbing stays linear: CPU time of `bot.feedback.privacy.scrub` on hostile inputs of growing length.

`python -m bench.scrub_cost` prints, for each input shape, the time at 1,000, 10,000 and 100,000 characters
and the ratio of each step (10x longer). A linear scrubber shows ratios near 10; a quadratic pattern shows
near 100 (the old e-mail pattern took 730 ms on 10,000 characters of "a.a.a..."). The shapes are the ones
each pattern could stumble on: long runs of what it starts with and never finishes. Timed here rather than
in a unit test, which would be flaky on a shared machine (issue 15, point 6).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from bench.safety_cost import time_rounds
from bot.feedback.privacy import prepare_question, scrub

SIZES = (1_000, 10_000, 100_000)
SHAPES: dict[str, Callable[[int], str]] = {
    "e-mail: a.a.a.a...": lambda n: ("a." * n)[:n],
    "spelt e-mail: a dot a dot ...": lambda n: ("a dot " * n)[:n],
    "spelt e-mail: x at a dot a dot ...": lambda n: ("x at " + "a dot " * n)[:n],
    "handle: @@@@...": lambda n: "@" * n,
    "url: www.www....": lambda n: ("www." * n)[:n],
    "digits and spaces: 1 1 1 ...": lambda n: ("1 " * n)[:n],
    "digits ending in a letter: 1 1 ... 1x": lambda n: ("1 " * n)[: n - 1] + "x",
    "url scheme: a.a.a...": lambda n: ("a." * n)[: n - 3] + "://",
    "record: mrn 1 1 1 ...": lambda n: ("mrn 1" + " 1" * n)[:n],
    "address: 12 a a a a ...": lambda n: ("12 " + "a " * n)[:n],
    "written dates: 3 march 3 march ...": lambda n: ("3 march " * n)[:n],
    "names: my name is my name is ...": lambda n: ("my name is " * n)[:n],
    "postcodes: a1a1a1...": lambda n: ("a1" * n)[:n],
    "an ordinary question, repeated": lambda n: ("my mum takes 10mg of baclofen, is that ok? " * n)[:n],
}


def seconds(function: Callable[[str], str], text: str, repeat: int = 3) -> float:
    """The best CPU seconds of `repeat` runs (`bench.safety_cost.time_rounds`, one text per round)."""
    return min(time_rounds(function, [text], repeat)) / 1e6


def main() -> None:
    """Prints the table."""
    print(f"{'input':<40}" + "".join(f"{n:>12,}" for n in SIZES) + "   ratios (each 10x longer)")
    worst = 0.0
    for name, make in SHAPES.items():
        times = [seconds(scrub, make(n)) for n in SIZES]
        ratios = [b / a if a > 0 else 0.0 for a, b in itertools.pairwise(times)]
        worst = max(worst, *ratios)
        cells = "".join(f"{t * 1000:>10.2f}ms" for t in times)
        print(f"{name:<40}{cells}   " + ", ".join(f"{r:.1f}" for r in ratios))
    capped = seconds(prepare_question, SHAPES["e-mail: a.a.a.a..."](100_000))
    print(f"\nWorst step ratio {worst:.1f} (10 is linear, 100 quadratic).")
    print(f"prepare_question on 100,000 characters (it scrubs at most 10,000): {capped * 1000:.2f} ms")


if __name__ == "__main__":
    main()
