"""Statistics of repeated benchmark rounds: median and spread, per-round ratios, and the verdict on a change.

One run of `make bench` differed from the next by 10-20% on the 2-core machine, so a single figure cannot show
a 10% change. `bench/run.py` therefore measures every bot in several rounds and reports each figure as the
median of the rounds with their range (min-max) and that range as a percentage of the median: the spread is
the noise the figure carries. The ratio this bot / stock is taken within each round, where both bots met the
same machine state, and only then summarised, so drift between rounds cancels out of it.

Two runs are compared figure by figure: the change of the median counts as above the noise only when it is
larger than the combined spread, half of each run's range added together (with the median inside each
range, that means the two ranges of rounds do not overlap). With one round a run has no spread, so no change
can be judged.

Pure functions of numbers and of the results layout `bench/run.py` writes; no I/O.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BETTER = "better"
WORSE = "worse"
WITHIN_NOISE = "within noise"
NOISE_UNKNOWN = "noise unknown"
# How the per-level figures are stored in a bot's record and how they are named in reports.
LEVEL_FIGURES: dict[str, str] = {"p50_ms": "p50 ms", "p95_ms": "p95 ms", "p99_ms": "p99 ms", "throughput": "msg/s"}
THROUGHPUT = LEVEL_FIGURES["throughput"]
MEMORY = "peak MB"


@dataclass(frozen=True)
class Summary:
    """One figure over the rounds: the measured values (not-measured ones dropped), median and range."""

    values: tuple[float, ...]
    median: float
    low: float
    high: float

    @property
    def rounds(self) -> int:
        """How many rounds measured the figure."""
        return len(self.values)

    @property
    def spread(self) -> float:
        """The range of the rounds (max - min), in the figure's unit."""
        return self.high - self.low

    @property
    def spread_pct(self) -> float:
        """The range as a percentage of the median; NaN with fewer than two rounds or a zero median."""
        if self.rounds < 2 or not self.median:
            return math.nan
        return self.spread / abs(self.median) * 100


@dataclass(frozen=True)
class Change:
    """One figure in two runs: the change of its median and whether it shows above both runs' noise."""

    old: Summary
    new: Summary
    change_pct: float
    noise_pct: float
    verdict: str


def is_missing(value: float | None) -> bool:
    """True for a figure that was not measured (None or NaN)."""
    return value is None or math.isnan(value)


def summarize(values: Iterable[float | None]) -> Summary:
    """The median and range of a figure's rounds, ignoring rounds that did not measure it.

    Args:
        values: one value per round; None or NaN where the round has none.

    Returns:
        The summary; median and range are NaN when no round measured the figure.
    """
    kept = tuple(float(v) for v in values if v is not None and not math.isnan(v))
    if not kept:
        return Summary((), math.nan, math.nan, math.nan)
    return Summary(kept, float(statistics.median(kept)), min(kept), max(kept))


def ratios(numerators: Sequence[float | None], denominators: Sequence[float | None]) -> list[float]:
    """The ratio of two bots' figure within each round (NaN where either is missing or the divisor is zero).

    Raises:
        ValueError: when the two do not have one value per round each.
    """
    if len(numerators) != len(denominators):
        raise ValueError(f"{len(numerators)} values against {len(denominators)}: one per round each")
    out: list[float] = []
    for top, bottom in zip(numerators, denominators, strict=True):
        if top is None or bottom is None or math.isnan(top) or math.isnan(bottom) or bottom == 0:
            out.append(math.nan)
        else:
            out.append(float(top) / float(bottom))
    return out


def higher_is_better(item: str) -> bool:
    """Whether a larger value of the figure is an improvement: throughput yes; latency, memory no."""
    return item.endswith(THROUGHPUT)


def compare(old: Summary, new: Summary, higher_better: bool) -> Change:
    """Judges the change of a figure's median between two runs against their combined spread.

    Args:
        old: the figure in the earlier run.
        new: the figure in the later run.
        higher_better: whether a larger value is an improvement (throughput) or not (latency, memory).

    Returns:
        The change in % of the old median, the combined spread in % of the old median, and the verdict:
        better or worse when the change is larger than the combined spread, within noise when not, noise
        unknown when either run has fewer than two rounds of the figure (or no old median to relate to).
    """
    if old.rounds == 0 or new.rounds == 0 or not old.median:
        return Change(old, new, math.nan, math.nan, NOISE_UNKNOWN)
    change = new.median - old.median
    change_pct = change / abs(old.median) * 100
    if old.rounds < 2 or new.rounds < 2:
        return Change(old, new, change_pct, math.nan, NOISE_UNKNOWN)
    noise = old.spread / 2 + new.spread / 2
    noise_pct = noise / abs(old.median) * 100
    if abs(change) <= noise:
        return Change(old, new, change_pct, noise_pct, WITHIN_NOISE)
    improved = (change > 0) == higher_better
    return Change(old, new, change_pct, noise_pct, BETTER if improved else WORSE)


def round_figures(rounds: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, list[float]]]:
    """Every figure of every bot, one value per round, from the rounds as `bench/run.py` records them.

    Args:
        rounds: each with "bots": bot name -> {"levels": {concurrency: {"p50_ms": ..., ...}},
            "peak_memory_mb": {process role: MB}}.

    Returns:
        bot -> figure name ("c10 p50 ms", "rasa server peak MB") -> its value in each round, NaN for a round
        in which the bot or the figure is missing, so that every list has one entry per round.
    """
    found: dict[str, dict[str, dict[int, float]]] = {}
    for index, one_round in enumerate(rounds):
        for bot, record in one_round.get("bots", {}).items():
            figures = found.setdefault(bot, {})
            for level, measured in record.get("levels", {}).items():
                for key, name in LEVEL_FIGURES.items():
                    figures.setdefault(f"c{level} {name}", {})[index] = _number(measured.get(key))
            for role, megabytes in record.get("peak_memory_mb", {}).items():
                figures.setdefault(f"{role} {MEMORY}", {})[index] = _number(megabytes)
    return {
        bot: {item: [by_round.get(i, math.nan) for i in range(len(rounds))] for item, by_round in figures.items()}
        for bot, figures in found.items()
    }


def ratio_figures(figures: Mapping[str, Mapping[str, Sequence[float]]], reference: str) -> dict[str, list[float]]:
    """Per-round ratios of every other bot's figures to the reference bot's same figure.

    Args:
        figures: as `round_figures` returns them.
        reference: the bot the others are divided by (the stock bot).

    Returns:
        "bot / reference: figure" -> the ratio in each round, for every figure both bots have.
    """
    base = figures.get(reference, {})
    out: dict[str, list[float]] = {}
    for bot, items in figures.items():
        if bot == reference:
            continue
        for item, values in items.items():
            if item in base:
                out[f"{bot} / {reference}: {item}"] = ratios(values, base[item])
    return out


def flat_figures(rounds: Sequence[Mapping[str, Any]], reference: str) -> dict[str, list[float]]:
    """Every figure of a run under one label ("bot: figure", "bot / reference: figure"), one value per round."""
    figures = round_figures(rounds)
    flat = {f"{bot}: {item}": list(values) for bot, items in figures.items() for item, values in items.items()}
    flat.update(ratio_figures(figures, reference))
    return flat


def _number(value: Any) -> float:
    """A stored figure as a float; NaN for anything else (null, text)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
