"""The benchmark's statistics (`bench/stats.py`) and round schedule: medians, spreads, ratios, verdicts."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from bench import stats
from bench.run import OURS, STOCK, comparison, load_results, schedule, table

NAN = math.nan


@pytest.mark.parametrize(
    ("values", "median", "low", "high", "spread_pct"),
    [
        ([40.0], 40.0, 40.0, 40.0, NAN),  # one round: no spread to speak of
        ([30.0, 50.0], 40.0, 30.0, 50.0, 50.0),  # even count: mean of the middle two
        ([36.0, 44.0, 40.0], 40.0, 36.0, 44.0, 20.0),  # odd count: the middle one
        ([4.0, 1.0, 3.0, 2.0], 2.5, 1.0, 4.0, 120.0),
        ([50.0, NAN, 30.0, None], 40.0, 30.0, 50.0, 50.0),  # rounds that did not measure it are left out
        ([7.0, 7.0, 7.0], 7.0, 7.0, 7.0, 0.0),
    ],
)
def test_summary_is_the_median_and_range_of_the_rounds(
    values: list[float | None], median: float, low: float, high: float, spread_pct: float
) -> None:
    summary = stats.summarize(values)
    assert (summary.median, summary.low, summary.high) == (median, low, high)
    assert summary.rounds == sum(1 for v in values if v is not None and not math.isnan(v))
    if math.isnan(spread_pct):
        assert math.isnan(summary.spread_pct)
    else:
        assert summary.spread_pct == pytest.approx(spread_pct)


@pytest.mark.parametrize("values", [[], [NAN], [None, NAN]])
def test_a_figure_no_round_measured_has_no_median(values: list[float | None]) -> None:
    summary = stats.summarize(values)
    assert summary.rounds == 0
    assert math.isnan(summary.median) and math.isnan(summary.spread_pct)


def test_a_zero_median_has_no_spread_percentage() -> None:
    assert math.isnan(stats.summarize([0.0, 0.0, 0.0]).spread_pct)


@pytest.mark.parametrize(
    ("ours", "stock", "expected"),
    [
        ([40.0], [20.0], [2.0]),
        ([40.0, 45.0, 50.0], [40.0, 50.0, 40.0], [1.0, 0.9, 1.25]),
        ([40.0, NAN, None], [20.0, 10.0, 10.0], [2.0, NAN, NAN]),
        ([40.0, 30.0], [0.0, None], [NAN, NAN]),
    ],
)
def test_ratios_are_taken_within_each_round(
    ours: list[float | None], stock: list[float | None], expected: list[float]
) -> None:
    got = stats.ratios(ours, stock)
    assert len(got) == len(expected)
    for value, want in zip(got, expected, strict=True):
        assert (math.isnan(value) and math.isnan(want)) or value == pytest.approx(want)


def test_ratios_need_one_value_per_round_from_each_bot() -> None:
    with pytest.raises(ValueError, match="one per round"):
        stats.ratios([1.0, 2.0], [1.0])


def test_a_per_round_ratio_cancels_drift_that_hits_both_bots() -> None:
    # The machine is twice as slow in round 2: each bot's figure spreads by 100%, their ratio not at all.
    ours, stock = [44.0, 88.0, 44.0], [40.0, 80.0, 40.0]
    assert stats.summarize(ours).spread_pct == pytest.approx(100.0)
    ratio = stats.summarize(stats.ratios(ours, stock))
    assert ratio.median == pytest.approx(1.1)
    assert ratio.spread_pct == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("old", "new", "higher_better", "verdict", "change_pct", "noise_pct"),
    [
        # latency down 20%, ranges 20 and 10 wide: noise 15 -> better
        ([100.0, 110.0, 90.0], [80.0, 85.0, 75.0], False, stats.BETTER, -20.0, 15.0),
        ([100.0, 110.0, 90.0], [120.0, 125.0, 115.0], False, stats.WORSE, 20.0, 15.0),
        # throughput: up is better, down is worse
        ([20.0, 21.0, 19.0], [25.0, 26.0, 24.0], True, stats.BETTER, 25.0, 10.0),
        ([20.0, 21.0, 19.0], [15.0, 16.0, 14.0], True, stats.WORSE, -25.0, 10.0),
        # a 5% change in runs that vary by 40% and 20% is noise, whichever way it goes
        ([100.0, 120.0, 80.0], [95.0, 105.0, 85.0], False, stats.WITHIN_NOISE, -5.0, 30.0),
        ([100.0, 120.0, 80.0], [105.0, 115.0, 95.0], True, stats.WITHIN_NOISE, 5.0, 30.0),
        # a change exactly as large as the combined spread is not above it
        ([100.0, 105.0, 95.0], [110.0, 115.0, 105.0], False, stats.WITHIN_NOISE, 10.0, 10.0),
        # even round counts on both sides
        # even round counts: medians 11 and 21.5, ranges 2 and 3
        ([10.0, 12.0], [20.0, 22.0, 21.0, 23.0], True, stats.BETTER, 95.45, 22.73),
    ],
)
def test_a_change_counts_only_above_the_combined_spread(
    old: list[float], new: list[float], higher_better: bool, verdict: str, change_pct: float, noise_pct: float
) -> None:
    change = stats.compare(stats.summarize(old), stats.summarize(new), higher_better)
    assert change.verdict == verdict
    assert change.change_pct == pytest.approx(change_pct, abs=0.01)
    assert change.noise_pct == pytest.approx(noise_pct, abs=0.01)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ([100.0], [50.0]),  # one round each: a halving, but the noise is unknown
        ([100.0, 101.0, 99.0], [50.0]),
        ([100.0], [50.0, 51.0, 49.0]),
    ],
)
def test_with_a_single_round_the_noise_is_unknown(old: list[float], new: list[float]) -> None:
    change = stats.compare(stats.summarize(old), stats.summarize(new), higher_better=False)
    assert change.verdict == stats.NOISE_UNKNOWN
    assert change.change_pct == pytest.approx(-50.0)
    assert math.isnan(change.noise_pct)


@pytest.mark.parametrize(("old", "new"), [([], [1.0, 2.0]), ([1.0, 2.0], []), ([0.0, 0.0], [1.0, 1.0])])
def test_without_an_old_median_to_relate_to_nothing_is_judged(old: list[float], new: list[float]) -> None:
    change = stats.compare(stats.summarize(old), stats.summarize(new), higher_better=True)
    assert change.verdict == stats.NOISE_UNKNOWN
    assert math.isnan(change.change_pct)


@pytest.mark.parametrize(
    ("item", "higher"),
    [("c10 msg/s", True), ("c1 p50 ms", False), ("c50 p99 ms", False), ("rasa server peak MB", False)],
)
def test_only_throughput_improves_upwards(item: str, higher: bool) -> None:
    assert stats.higher_is_better(item) is higher


def level(p50: float, throughput: float, errors: int = 0) -> dict[str, Any]:
    return {
        "sent": 60,
        "errors": errors,
        "p50_ms": p50,
        "p95_ms": p50 * 1.5,
        "p99_ms": p50 * 2,
        "throughput": throughput,
    }


def bot(p50: float, throughput: float, memory: dict[str, float | None]) -> dict[str, Any]:
    return {"levels": {"1": level(p50, throughput)}, "peak_memory_mb": memory}


def three_rounds(scale: float = 1.0) -> list[dict[str, Any]]:
    """Stock 40/44/36 ms, this bot 44/44/45 ms: per-round ratios 1.1, 1.0, 1.25."""
    stock_p50 = (40.0, 44.0, 36.0)
    ours_p50 = (44.0, 44.0, 45.0)
    rounds = []
    for index, order in enumerate(schedule([STOCK, OURS], 3)):
        rounds.append(
            {
                "round": index + 1,
                "order": order,
                "load_before": 0.5,
                "bots": {
                    STOCK: bot(stock_p50[index] * scale, 25.0 / scale, {"rasa server": 1000.0}),
                    OURS: bot(ours_p50[index] * scale, 26.0 / scale, {"rasa server": 900.0, "action server": 700.0}),
                },
            }
        )
    return rounds


def test_round_figures_give_every_figure_one_value_per_round() -> None:
    rounds = three_rounds()
    del rounds[1]["bots"][OURS]  # this bot failed to start in round 2
    figures = stats.round_figures(rounds)
    assert figures[STOCK]["c1 p50 ms"] == [40.0, 44.0, 36.0]
    assert figures[STOCK]["c1 p99 ms"] == [80.0, 88.0, 72.0]
    assert figures[STOCK]["c1 msg/s"] == [25.0, 25.0, 25.0]
    assert figures[OURS]["c1 p50 ms"][::2] == [44.0, 45.0] and math.isnan(figures[OURS]["c1 p50 ms"][1])
    assert figures[OURS]["action server peak MB"][0] == 700.0
    assert "action server peak MB" not in figures[STOCK]


def test_ratio_figures_divide_by_the_stock_bot_for_the_figures_both_have() -> None:
    ratio = stats.ratio_figures(stats.round_figures(three_rounds()), STOCK)
    assert ratio[f"{OURS} / {STOCK}: c1 p50 ms"] == pytest.approx([1.1, 1.0, 1.25])
    assert ratio[f"{OURS} / {STOCK}: rasa server peak MB"] == pytest.approx([0.9, 0.9, 0.9])
    assert not any("action server" in label or label.startswith(STOCK) for label in ratio)


@pytest.mark.parametrize(
    ("rounds", "expected"),
    [
        (1, [["stock", "ours"]]),
        (2, [["stock", "ours"], ["ours", "stock"]]),
        (3, [["stock", "ours"], ["ours", "stock"], ["stock", "ours"]]),
        (4, [["stock", "ours"], ["ours", "stock"], ["stock", "ours"], ["ours", "stock"]]),
    ],
)
def test_the_round_order_alternates_stock_first_on_odd_rounds(rounds: int, expected: list[list[str]]) -> None:
    assert schedule(["stock", "ours"], rounds) == expected


@pytest.mark.parametrize("rounds", [2, 4, 6])
def test_over_pairs_of_rounds_every_bot_has_the_same_mean_position(rounds: int) -> None:
    bots = ["stock", "ours", "stock tuned"]
    order = schedule(bots, rounds)
    assert all(sorted(one) == sorted(bots) for one in order)
    positions = {b: sum(one.index(b) for one in order) / rounds for b in bots}
    assert set(positions.values()) == {1.0}


def results(rounds: list[dict[str, Any]], commit: str) -> dict[str, Any]:
    return {
        "commit": commit,
        "dirty": False,
        "date": "2026-12-07T10:00:00+00:00",
        "cores": 2,
        "levels": {"1": 60},
        "bots": [STOCK, OURS],
        "rounds": rounds,
        "training_s": {STOCK: 86.0, OURS: None},
        "retrieval": [],
        "model": "quick test model",
    }


def test_the_table_shows_median_spread_range_and_per_round_ratio() -> None:
    text = table(results(three_rounds(), "abc"))
    row = next(line for line in text.splitlines() if line.startswith(STOCK) and "%" in line)
    assert row.split()[3:9] == ["1", "60", "0", "40", "20%", "60"]  # p50 median 40, spread (44-36)/40
    assert "36–44" in text
    assert "1.10 [1.00–1.25]" in text  # the per-round ratios' median and range
    assert "Target p50 (concurrency 1) <= 1.1 x stock: median 1.10 x (1.00–1.25) -> MET, met in 2 of 3 rounds" in text
    assert "1: stock rasa init then this bot" in text and "2: this bot then stock rasa init" in text


def test_comparison_judges_each_figure_and_the_ratios() -> None:
    # The same runs, but everything 30% slower: every latency worse, throughput worse, the ratios unchanged.
    text = comparison(results(three_rounds(), "old"), results(three_rounds(scale=1.3), "new"))
    lines = {line.split("  ")[0]: line for line in text.splitlines()}
    assert lines[f"{STOCK}: c1 p50 ms"].rstrip().endswith(stats.WORSE)
    assert "+30.0%" in lines[f"{STOCK}: c1 p50 ms"]
    assert lines[f"{OURS}: c1 msg/s"].rstrip().endswith(stats.WORSE)
    assert lines[f"{OURS} / {STOCK}: c1 p50 ms"].rstrip().endswith(stats.WITHIN_NOISE)
    reverse = comparison(results(three_rounds(scale=1.3), "old"), results(three_rounds(), "new"))
    assert next(line for line in reverse.splitlines() if line.startswith(f"{STOCK}: c1 p50 ms")).endswith(stats.BETTER)


def test_a_results_file_from_before_rounds_reads_as_one_round(tmp_path: Path) -> None:
    single = {"bots": {STOCK: bot(36.0, 26.1, {"rasa server": 1179.0})}, "training_s": {STOCK: 86.0}}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(single))
    data = load_results(path)
    assert stats.round_figures(data["rounds"])[STOCK]["c1 p50 ms"] == [36.0]
    assert stats.NOISE_UNKNOWN in comparison(data, results(three_rounds(), "new"))


def test_comparison_says_when_the_runs_sent_different_message_counts() -> None:
    quick = {**results(three_rounds(), "new"), "levels": {"1": 20}}
    assert "different messages per level" in comparison(results(three_rounds(), "old"), quick)
    assert "different messages per level" not in comparison(
        results(three_rounds(), "old"), results(three_rounds(), "new")
    )
