"""bench.suite_time compares two test runs on the tests they share, not on their totals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.suite_time import compare, main, read_report, read_run, report


def _junit(folder: Path, tier: str, cases: dict[str, float], skipped: tuple[str, ...] = ()) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for ident, seconds in cases.items():
        module, name = ident.split("::")
        body = '<skipped message="no server"/>' if ident in skipped else ""
        rows.append(f'<testcase classname="{module}" name="{name}" time="{seconds}">{body}</testcase>')
    xml = f'<testsuites><testsuite name="pytest" tests="{len(cases)}">{"".join(rows)}</testsuite></testsuites>'
    (folder / f"{tier}.xml").write_text(xml, encoding="utf-8")


def test_a_report_gives_each_run_tests_time_and_leaves_skipped_tests_out(tmp_path: Path) -> None:
    _junit(tmp_path, "fast", {"tests.test_a::one": 1.5, "tests.test_a::two": 0.5}, skipped=("tests.test_a::two",))
    assert read_report(tmp_path / "fast.xml") == {"tests.test_a::one": 1.5}


def test_only_shared_tests_make_the_ratio_and_added_tests_are_counted_apart() -> None:
    old = {"m::a": 2.0, "m::b": 2.0, "m::gone": 5.0}
    new = {"m::a": 3.0, "m::b": 3.0, "m::new": 100.0}
    share = compare(old, new)
    assert (share.shared, share.old_seconds, share.new_seconds) == (2, 4.0, 6.0)
    assert share.ratio == pytest.approx(1.5)
    assert (share.removed, share.removed_seconds, share.added, share.added_seconds) == (1, 5.0, 1, 100.0)


def test_a_test_that_moved_tier_still_counts_as_shared_overall(tmp_path: Path) -> None:
    _junit(tmp_path / "old", "e2e", {"tests.t::x": 4.0})
    _junit(tmp_path / "new", "fast", {"tests.t::x": 1.0})
    figures = report(read_run(tmp_path / "old"), read_run(tmp_path / "new"))
    assert figures["overall"]["shared"] == 1 and figures["overall"]["ratio"] == 0.25
    assert figures["tiers"]["e2e"]["removed"] == 1 and figures["tiers"]["fast"]["added"] == 1


def test_the_files_that_changed_most_come_first(tmp_path: Path) -> None:
    _junit(tmp_path / "old", "fast", {"tests.a::x": 1.0, "tests.b::y": 1.0})
    _junit(tmp_path / "new", "fast", {"tests.a::x": 1.2, "tests.b::y": 9.0})
    figures = report(read_run(tmp_path / "old"), read_run(tmp_path / "new"))
    assert [row["module"] for row in figures["files"]] == ["tests.b", "tests.a"]


def test_an_empty_folder_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "old").mkdir()
    _junit(tmp_path / "new", "fast", {"tests.a::x": 1.0})
    assert main([str(tmp_path / "old"), str(tmp_path / "new")]) == 2
    assert "no JUnit report" in capsys.readouterr().err
