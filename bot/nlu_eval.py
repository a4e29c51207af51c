"""NLU cross-validation: intent macro-F1 and out-of-scope F1 over k folds of `data/nlu.yml` (`make nlu-cv`).

Runs Rasa's own `rasa test nlu --cross-validation` with the project's effective config (the same one
`make train` uses: SpacyNLP pointed at the built pipeline, the safety component included), then reads Rasa's
intent report and prints a table per intent. Exits non-zero when the figures are under the targets, so the
numbers cannot quietly get worse.

Usage: `python -m bot.nlu_eval [--folds 5] [--epochs N] [--config FILE] [--min-macro-f1 0.92] [--min-oos-f1 0.85]`;
`--config` tries a candidate pipeline without touching `config.yml`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT, VAR_DIR, get_settings
from bot.constants import INTENT_OUT_OF_SCOPE
from bot.training import effective_config

OUT_DIR = VAR_DIR / "results" / "nlu-cv"


def read_report(path: Path) -> dict[str, Any]:
    """Rasa's intent report (`intent_report.json`) as written by `rasa test nlu`."""
    return dict(json.loads(path.read_text(encoding="utf-8")))


def summarise(report: dict[str, Any]) -> tuple[float, float, list[tuple[str, float, float, float, int]]]:
    """Macro-F1 over the intents, the out-of-scope F1, and one row per intent (precision, recall, F1, support).

    The macro average is Rasa's own (`macro avg`), so the figure matches what `rasa test` prints.
    """
    rows = [
        (name, float(v["precision"]), float(v["recall"]), float(v["f1-score"]), int(v["support"]))
        for name, v in sorted(report.items())
        if isinstance(v, dict) and "f1-score" in v and name not in {"macro avg", "weighted avg", "micro avg"}
    ]
    macro = float(report["macro avg"]["f1-score"])
    oos = float(report.get(INTENT_OUT_OF_SCOPE, {}).get("f1-score", 0.0))
    return macro, oos, rows


def table(macro: float, oos: float, rows: list[tuple[str, float, float, float, int]]) -> str:
    """A plain-text table of the figures."""
    lines = [f"{'intent':<22}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    lines += [f"{n:<22}{p:>10.3f}{r:>10.3f}{f:>10.3f}{s:>10d}" for n, p, r, f, s in rows]
    lines.append(f"{'macro avg F1':<22}{macro:>40.3f}")
    lines.append(f"{'out_of_scope F1':<22}{oos:>40.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Runs the cross-validation and checks the targets."""
    parser = argparse.ArgumentParser(prog="python -m bot.nlu_eval", description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=None, help="cap on DIET epochs (quicker, less exact)")
    parser.add_argument("--min-macro-f1", type=float, default=0.92)
    parser.add_argument("--min-oos-f1", type=float, default=0.85)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml", help="the config to judge")
    args = parser.parse_args(argv)
    settings = get_settings()
    if not (settings.nlp_dir / "meta.json").is_file():
        print(f"No spaCy pipeline at {settings.nlp_dir}: run `make pipeline` first.", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    config_file = args.out / "config.yml"
    config = effective_config(args.config, args.epochs, settings.nlp_dir)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    command = [
        sys.executable, "-m", "rasa", "test", "nlu",
        "--nlu", str(PROJECT_ROOT / "data" / "nlu.yml"),
        "--config", str(config_file),
        "--cross-validation", "--folds", str(args.folds),
        "--out", str(args.out),
    ]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(command, cwd=PROJECT_ROOT, check=False)
    if result.returncode != 0:
        print("Cross-validation failed; see Rasa's output above.", file=sys.stderr)
        return result.returncode
    macro, oos, rows = summarise(read_report(args.out / "intent_report.json"))
    print(f"\nNLU cross-validation, {args.folds} folds, {time.monotonic() - started:.0f} s:\n")
    print(table(macro, oos, rows))
    ok = macro >= args.min_macro_f1 and oos >= args.min_oos_f1
    verdict = "met" if ok else "NOT met"
    print(f"\nTargets: macro-F1 >= {args.min_macro_f1}, out_of_scope F1 >= {args.min_oos_f1}: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
