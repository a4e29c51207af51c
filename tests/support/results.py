"""`python -m tests.support.results FILE...`: the test counts of each pytest tier and of the whole run.

`make test` runs pytest once per tier, each writing a JUnit report. This prints one line per report and a
last line `pytest: N passed, N failed, N skipped` over all of them, so the closing line of a CI log says how
many tests ran in every tier together. It exits 1 when a report is missing or unreadable, or counts a
failure or an error, and when the reports hold no test at all.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Counts:
    """Test counts of one report (or a sum of them)."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.passed + other.passed,
            self.failed + other.failed,
            self.skipped + other.skipped,
            self.seconds + other.seconds,
        )

    def line(self) -> str:
        """`N passed, N failed, N skipped`: the plain closing line CI reads."""
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"


def read(path: Path) -> Counts:
    """The counts of one pytest JUnit report (failures and errors both count as failed)."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = Counts()
    for suite in suites:
        tests = int(suite.get("tests", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        total = total + Counts(tests - failed - skipped, failed, skipped, float(suite.get("time", 0.0)))
    return total


def main(argv: list[str]) -> int:
    """Prints the counts; 0 when every report was read and none counts a failure."""
    total, ok = Counts(), True
    print("Tests per tier:")
    for name in argv:
        path = Path(name)
        try:
            counts = read(path)
        except (OSError, ET.ParseError) as exc:
            print(f"  {path.stem:<12} no report ({exc.__class__.__name__}: {exc})")
            ok = False
            continue
        print(f"  {path.stem:<12} {counts.line()} in {counts.seconds:.0f} s")
        total = total + counts
        ok = ok and counts.failed == 0
    if not argv:
        print("  no report: pytest did not run")
    print(f"pytest: {total.line()}")
    return 0 if ok and total.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
