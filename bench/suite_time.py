"""Is the test suite slower? `python -m bench.suite_time OLD_DIR NEW_DIR` compares two runs' JUnit reports.

A change that makes every test slower hides behind a suite that also gained tests: the total wall time
answers "how long does CI take", not "did the change slow the tests down". This compares the two runs test
by test. It reads every `*.xml` in each folder (the three tier reports `make test` writes under
`var/test-results/`), and prints:

- the tests both runs have: their summed time in each run and the ratio new/old, per tier and overall;
- the tests only one run has (added or removed since), counted and timed apart;
- the files whose shared tests grew or shrank the most, in seconds.

A test's time is pytest's (set-up, call and tear-down), so a session fixture's start-up counts against the
first test that uses it; the per-tier and overall sums are therefore the fair figures, the per-file lines a
guide to where the time went. Run both suites on the same idle machine, one after the other.
`--json` prints the same figures as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Run = dict[str, dict[str, float]]  # tier -> test id -> seconds


def read_report(path: Path) -> dict[str, float]:
    """Test id (`classname::name`) -> seconds of one JUnit report; skipped tests are left out."""
    times: dict[str, float] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("skipped") is not None:
            continue
        ident = f"{case.get('classname', '')}::{case.get('name', '')}"
        times[ident] = times.get(ident, 0.0) + float(case.get("time", 0.0))
    return times


def read_run(folder: Path) -> Run:
    """Every report in `folder`, keyed by its file name without `.xml` (the tier)."""
    reports = sorted(folder.glob("*.xml"))
    if not reports:
        raise FileNotFoundError(f"no JUnit report (*.xml) in {folder}")
    return {path.stem: read_report(path) for path in reports}


@dataclass(frozen=True)
class Share:
    """The shared tests' summed time in both runs, and the tests only one run has."""

    shared: int
    old_seconds: float
    new_seconds: float
    removed: int
    removed_seconds: float
    added: int
    added_seconds: float

    @property
    def ratio(self) -> float:
        """New over old on the shared tests (1.0 when neither took any time)."""
        return self.new_seconds / self.old_seconds if self.old_seconds else 1.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form with the ratio."""
        return {**self.__dict__, "ratio": round(self.ratio, 3)}


def compare(old: Mapping[str, float], new: Mapping[str, float]) -> Share:
    """The shared, removed and added tests of two id -> seconds tables."""
    shared = old.keys() & new.keys()
    removed = old.keys() - new.keys()
    added = new.keys() - old.keys()
    return Share(
        len(shared),
        sum(old[t] for t in shared),
        sum(new[t] for t in shared),
        len(removed),
        sum(old[t] for t in removed),
        len(added),
        sum(new[t] for t in added),
    )


def by_file(old: Mapping[str, float], new: Mapping[str, float]) -> list[tuple[str, float, float]]:
    """(test module, old seconds, new seconds) of the shared tests, biggest change in seconds first."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for ident in old.keys() & new.keys():
        module = ident.split("::", 1)[0]
        sums[module][0] += old[ident]
        sums[module][1] += new[ident]
    return sorted(((m, o, n) for m, (o, n) in sums.items()), key=lambda row: -abs(row[2] - row[1]))


def flatten(run: Run) -> dict[str, float]:
    """All tiers' tests in one table (a test that moved tier still matches itself)."""
    return {ident: seconds for tier in run.values() for ident, seconds in tier.items()}


def report(old_run: Run, new_run: Run, top: int = 12) -> dict[str, Any]:
    """The figures `main` prints: per tier, overall, and the files that changed most."""
    tiers = {
        tier: compare(old_run.get(tier, {}), new_run.get(tier, {})).to_dict() for tier in sorted(old_run | new_run)
    }
    old_all, new_all = flatten(old_run), flatten(new_run)
    files = [{"module": m, "old": round(o, 2), "new": round(n, 2)} for m, o, n in by_file(old_all, new_all)[:top]]
    return {"tiers": tiers, "overall": compare(old_all, new_all).to_dict(), "files": files}


def _line(name: str, share: Mapping[str, Any]) -> str:
    return (
        f"  {name:<8} shared {share['shared']:>5} tests  old {share['old_seconds']:7.1f} s  "
        f"new {share['new_seconds']:7.1f} s  new/old {share['ratio']:.3f}   "
        f"(removed {share['removed']} tests {share['removed_seconds']:.1f} s, "
        f"added {share['added']} tests {share['added_seconds']:.1f} s)"
    )


def main(argv: list[str] | None = None) -> int:
    """Prints the comparison; 2 when a folder holds no report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="folder of the old run's JUnit reports")
    parser.add_argument("new", type=Path, help="folder of the new run's JUnit reports")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    try:
        figures = report(read_run(args.old), read_run(args.new))
    except (OSError, ET.ParseError) as exc:
        print(f"cannot read the reports: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print("Shared tests' time, new run against old (pytest's per-test time):")
    for tier, share in figures["tiers"].items():
        print(_line(tier, share))
    print(_line("overall", figures["overall"]))
    print("Test files whose shared tests changed most (old -> new seconds):")
    for row in figures["files"]:
        print(f"  {row['module']:<50} {row['old']:7.1f} -> {row['new']:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
