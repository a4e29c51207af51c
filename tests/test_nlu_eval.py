"""bot.nlu_eval: the repeated cross-validation's arithmetic and its seeded Rasa command."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu_eval import average, rasa_cv_command, summarise


def test_summarise_reads_rasas_report() -> None:
    report = {
        "greet": {"precision": 1.0, "recall": 0.5, "f1-score": 0.667, "support": 4},
        "out_of_scope": {"precision": 0.8, "recall": 0.8, "f1-score": 0.8, "support": 10},
        "accuracy": 0.9,
        "macro avg": {"precision": 0.9, "recall": 0.65, "f1-score": 0.733, "support": 14},
        "weighted avg": {"precision": 0.86, "recall": 0.71, "f1-score": 0.76, "support": 14},
    }
    macro, oos, rows = summarise(report)
    assert (macro, oos) == (0.733, 0.8)
    assert [r[0] for r in rows] == ["greet", "out_of_scope"]


def test_average_is_the_per_intent_mean_over_runs() -> None:
    first = [("greet", 1.0, 0.5, 0.6, 4), ("thanks", 0.5, 0.5, 0.5, 2)]
    second = [("greet", 0.5, 1.0, 0.8, 4), ("thanks", 1.0, 1.0, 1.0, 2)]
    assert average([first, second]) == [
        ("greet", 0.75, 0.75, pytest.approx(0.7), 4),
        ("thanks", 0.75, 0.75, 0.75, 2),
    ]


def test_each_repeat_seeds_the_folds(tmp_path: Path) -> None:
    command = rasa_cv_command(7, tmp_path / "nlu.yml", tmp_path / "config.yml", 5, tmp_path / "out")
    assert "numpy.random.seed(7)" in command[2]
    assert command[3:5] == ["test", "nlu"] and "--cross-validation" in command
    assert command[command.index("--folds") + 1] == "5"
