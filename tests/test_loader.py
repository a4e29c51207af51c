"""The content loader: every validation error names file, item and problem; loads are atomic and idempotent."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.content.loader import ContentValidationError, load_bundle, unofficial_host
from bot.content.store import SqlContentStore, count_rows
from tests.conftest import TODAY, valid_content_data


def _broken(mutate: Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], None]) -> tuple[Any, Any, Any]:
    sources, topics, passages = (copy.deepcopy(d) for d in valid_content_data())
    mutate(sources, topics, passages)
    return sources, topics, passages


def _folder(factory: Callable[..., Path], mutate: Callable[..., None]) -> Path:
    sources, topics, passages = _broken(mutate)
    return factory(sources, topics, {"a.yml": passages})


def _set(path: str, value: Any) -> Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], None]:
    """Sets passages[0] (p:...), sources[0] (s:...) or topics[0] (t:...) field to value."""
    kind, key = path.split(":")

    def mutate(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> None:
        target = {"p": passages["passages"], "s": sources["sources"], "t": topics["topics"]}[kind][0]
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value

    return mutate


def _duplicate_passage(_s: dict[str, Any], _t: dict[str, Any], p: dict[str, Any]) -> None:
    p["passages"][1]["id"] = "p1"


CASES = [
    pytest.param(_set("p:sources", ["NOPE"]), "a.yml", "p1", "unknown source 'NOPE'", id="unknown-source"),
    pytest.param(_set("p:sources", None), "a.yml", "p1", "missing source", id="missing-source"),
    pytest.param(_set("p:sources", []), "a.yml", "p1", "missing source", id="empty-sources"),
    pytest.param(_duplicate_passage, "a.yml", "p1", "duplicate id", id="duplicate-id"),
    pytest.param(_set("p:text", "   "), "a.yml", "p1", "empty 'text'", id="empty-text"),
    pytest.param(_set("p:text", None), "a.yml", "p1", "missing 'text'", id="missing-text"),
    pytest.param(_set("s:url", "htps//nhs uk"), "sources.yml", "S1", "malformed URL", id="malformed-url"),
    pytest.param(_set("s:url", "ftp://example.org/x"), "sources.yml", "S1", "malformed URL", id="non-http-url"),
    pytest.param(
        _set("s:url", "https://nhshighland-dev-stg.azurewebsites.net/baclofen"),
        "sources.yml",
        "S1",
        "development, staging or test server",
        id="staging-host",
    ),
    pytest.param(
        _set("s:url", "https://vdocuments.mx/lioresal-intrathecal.html"),
        "sources.yml",
        "S1",
        "cite the publisher's own page",
        id="copy-site",
    ),
    pytest.param(_set("p:reviewed", "2031-01-01"), "a.yml", "p1", "in the future", id="future-review"),
    pytest.param(_set("p:reviewed", "yesterday"), "a.yml", "p1", "YYYY-MM-DD", id="bad-date"),
    pytest.param(_set("p:topic", "nowhere"), "a.yml", "p1", "unknown topic 'nowhere'", id="unknown-topic"),
    pytest.param(_set("p:status", "live"), "a.yml", "p1", "status must be", id="bad-status"),
    pytest.param(_set("p:questions", None), "a.yml", "p1", "missing 'questions'", id="no-questions"),
    pytest.param(_set("p:review_note", ["a", "list"]), "a.yml", "p1", "'review_note' must be text", id="note-list"),
    pytest.param(_set("p:clinical_signoff", "Dr A"), "a.yml", "p1", "must be a mapping", id="signoff-text"),
    pytest.param(
        _set("p:clinical_signoff", {"date": "2026-11-01"}), "a.yml", "p1", "'clinical_signoff': missing 'by'",
        id="signoff-no-name",
    ),
    pytest.param(
        _set("p:clinical_signoff", {"by": "TBD", "date": "2026-11-01"}), "a.yml", "p1", "must name the clinician",
        id="signoff-placeholder",
    ),
    pytest.param(
        _set("p:clinical_signoff", {"by": "Dr Asha Rao, rehabilitation consultant"}), "a.yml", "p1",
        "'clinical_signoff': missing 'date'", id="signoff-no-date",
    ),
    pytest.param(
        _set("p:clinical_signoff", {"by": "Dr Asha Rao, consultant", "date": "2031-01-01"}), "a.yml", "p1",
        "in the future", id="signoff-future",
    ),
    pytest.param(
        _set("p:clinical_signoff", {"by": "Dr Asha Rao, consultant", "date": "2026-11-01", "dated": "x"}),
        "a.yml", "p1", "unknown key 'dated'", id="signoff-typo",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "file", "item", "problem"), CASES)
def test_each_validation_error_names_file_item_and_problem(
    content_factory: Callable[..., Path], mutate: Any, file: str, item: str, problem: str
) -> None:
    folder = _folder(content_factory, mutate)
    with pytest.raises(ContentValidationError) as caught:
        load_bundle(folder, today=TODAY)
    matching = [p for p in caught.value.problems if p.file.endswith(file) and p.item == item and problem in p.problem]
    assert matching, f"expected {file}: {item}: {problem!r}, got {[str(p) for p in caught.value.problems]}"
    assert f"{matching[0].file}: {item}: " in str(caught.value)


def test_invalid_yaml_reports_the_line(content_factory: Callable[..., Path]) -> None:
    folder = content_factory(passages={"bad.yml": "passages:\n  - id: p1\n    text: [unclosed\n"})
    with pytest.raises(ContentValidationError) as caught:
        load_bundle(folder, today=TODAY)
    problem = caught.value.problems[0]
    assert problem.file == "passages/bad.yml"
    assert problem.item.startswith("line ")
    assert "invalid YAML" in problem.problem


def test_wrong_shape_is_reported_not_crashed(content_factory: Callable[..., Path]) -> None:
    folder = content_factory(passages={"a.yml": {"passages": ["just a string", 42]}})
    with pytest.raises(ContentValidationError) as caught:
        load_bundle(folder, today=TODAY)
    assert {p.item for p in caught.value.problems} == {"item 1", "item 2"}


def test_duplicate_ids_across_files_name_the_first_file(content_factory: Callable[..., Path]) -> None:
    _s, _t, passages = valid_content_data()
    folder = content_factory(passages={"a.yml": passages, "b.yml": passages})
    with pytest.raises(ContentValidationError) as caught:
        load_bundle(folder, today=TODAY)
    assert any(
        p.file == "passages/b.yml" and "first defined in passages/a.yml" in p.problem for p in caught.value.problems
    )


def test_all_problems_are_reported_at_once(content_factory: Callable[..., Path]) -> None:
    def mutate(sources: dict[str, Any], topics: dict[str, Any], passages: dict[str, Any]) -> None:
        passages["passages"][0]["topic"] = "nowhere"
        passages["passages"][1]["text"] = ""
        sources["sources"][1]["url"] = "not a url"

    folder = _folder(content_factory, mutate)
    with pytest.raises(ContentValidationError) as caught:
        load_bundle(folder, today=TODAY)
    assert len(caught.value.problems) == 3


def test_valid_folder_loads_with_order_and_status(content_factory: Callable[..., Path]) -> None:
    bundle = load_bundle(content_factory(), today=TODAY)
    assert list(bundle.passages) == ["p1", "p2"]
    assert bundle.passages["p2"].sources == ("S2", "S1")
    assert [p.id for p in bundle.published_passages()] == ["p1"]
    assert [t.id for t in bundle.main_topics()] == ["t1"]


def _store(tmp_path: Path) -> SqlContentStore:
    return SqlContentStore.from_url(f"sqlite:///{tmp_path / 'db.sqlite'}")


def test_cli_load_is_idempotent_and_removes_deleted_passages(
    content_factory: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.content.__main__ import main

    folder = content_factory()
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["load", "--content-dir", str(folder), "--database-url", url]) == 0
    assert main(["load", "--content-dir", str(folder), "--database-url", url]) == 0
    assert "no changes" in capsys.readouterr().out.splitlines()[-1]
    _s, _t, passages = valid_content_data()
    passages["passages"] = passages["passages"][:1]
    (folder / "passages" / "a.yml").write_text(__import__("yaml").safe_dump(passages))
    assert main(["load", "--content-dir", str(folder), "--database-url", url]) == 0
    store = SqlContentStore.from_url(url)
    assert list(store.snapshot(include_drafts=True).passages) == ["p1"]


def test_cli_bad_file_leaves_database_as_it_was(
    content_factory: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.content.__main__ import main

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    good = content_factory()
    assert main(["load", "--content-dir", str(good), "--database-url", url]) == 0
    before = SqlContentStore.from_url(url).snapshot(include_drafts=True)
    bad = _folder(content_factory, _set("p:sources", ["NOPE"]))
    assert main(["load", "--content-dir", str(bad), "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert "database is unchanged" in err and "unknown source 'NOPE'" in err
    assert SqlContentStore.from_url(url).snapshot(include_drafts=True) == before


def test_cli_reports_a_dead_database_clearly(
    content_factory: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.content.__main__ import main

    code = main(
        ["load", "--content-dir", str(content_factory()), "--database-url", "postgresql+psycopg2://127.0.0.1:1/none"]
    )
    assert code == 2
    assert "Could not write to the content database" in capsys.readouterr().err


def test_the_projects_content_is_valid_and_complete() -> None:
    bundle = load_bundle(PROJECT_ROOT / "content")
    published = bundle.published_passages()
    assert len(published) >= 25
    for passage in published:
        assert passage.sources, passage.id
        assert len(passage.questions) >= 3, passage.id
    required = {
        "what-is-spasticity", "causes", "triggers", "physiotherapy", "baclofen", "tizanidine",
        "botulinum-toxin", "baclofen-pump", "rhizotomy",
    }  # fmt: skip
    assert required <= {p.topic for p in published}


def test_sqlite_database_is_counted_after_load(content_factory: Callable[..., Path], tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.replace(load_bundle(content_factory(), today=TODAY))
    assert count_rows(store) == {"sources": 2, "topics": 2, "passages": 2}


SIGNOFF = {"by": "Dr Asha Rao, consultant in rehabilitation medicine", "date": "2026-11-10", "note": "Checked ITB"}


def _with_review_data(_s: dict[str, Any], _t: dict[str, Any], passages: dict[str, Any]) -> None:
    passages["passages"][0]["review_note"] = "Re-checked every sentence against S1 (NHS baclofen page)."
    passages["passages"][0]["clinical_signoff"] = dict(SIGNOFF)


def test_review_note_and_signoff_are_optional_and_kept(content_factory: Callable[..., Path]) -> None:
    bundle = load_bundle(_folder(content_factory, _with_review_data), today=TODAY)
    first, second = bundle.passages["p1"], bundle.passages["p2"]
    assert first.review_note == "Re-checked every sentence against S1 (NHS baclofen page)."
    assert first.clinical_signoff is not None
    assert (first.clinical_signoff.by, first.clinical_signoff.date.isoformat(), first.clinical_signoff.note) == (
        SIGNOFF["by"], SIGNOFF["date"], SIGNOFF["note"],
    )  # fmt: skip
    assert second.review_note is None and second.clinical_signoff is None


def test_review_data_survives_a_database_round_trip(
    content_factory: Callable[..., Path], sql_store: SqlContentStore
) -> None:
    store = sql_store
    bundle = load_bundle(_folder(content_factory, _with_review_data), today=TODAY)
    store.replace(bundle)
    assert store.snapshot(include_drafts=True) == bundle
    assert store.replace(bundle).changed == 0


def test_a_database_from_before_review_data_is_upgraded_by_the_next_load(
    content_factory: Callable[..., Path], sql_store: SqlContentStore
) -> None:
    from sqlalchemy import inspect as sql_inspect

    store = sql_store
    store.replace(load_bundle(content_factory(), today=TODAY))
    new_columns = ("review_note", "signoff_by", "signoff_on", "signoff_note")
    with store.engine.begin() as connection:  # the table as the previous release created it
        for column in new_columns:
            connection.exec_driver_sql(f"ALTER TABLE content_passages DROP COLUMN {column}")
    # A bot running the new code reads the old database at once: the columns are added on the first read.
    assert list(store.snapshot(include_drafts=True).passages) == ["p1", "p2"]
    bundle = load_bundle(_folder(content_factory, _with_review_data), today=TODAY)
    report = store.replace(bundle)
    assert report.updated["passages"] == 1
    columns = {c["name"] for c in sql_inspect(store.engine).get_columns("content_passages")}
    assert set(new_columns) <= columns
    assert store.snapshot(include_drafts=True) == bundle


# -- the emergency protocol --------------------------------------------------------------------------


def _protocol_entry(flag: str) -> dict[str, Any]:
    return {
        "flag": flag, "title": f"About {flag}", "urgency": "emergency", "signs": ["a sign"],
        "immediate": ["Call emergency services now."], "call": "emergency services now", "sources": ["S1"],
        "immediate_es": ["Llame ahora a los servicios de emergencia."],
        "reviewed": "2026-11-20", "mentions": ["never written anywhere"], "must_say": [["emergency"]],
    }  # fmt: skip


def _protocol_folder(factory: Callable[..., Path], change: Callable[[list[dict[str, Any]]], None]) -> Path:
    from bot.safety.red_flags import RedFlag

    entries = [_protocol_entry(flag.value) for flag in RedFlag]
    change(entries)
    folder = factory()
    (folder / "emergency_protocol.yml").write_text(__import__("yaml").safe_dump({"protocol": entries}))
    return folder


def _entry(key: str, value: Any) -> Callable[[list[dict[str, Any]]], None]:
    def change(entries: list[dict[str, Any]]) -> None:
        entries[0][key] = value

    return change


PROTOCOL_CASES = [
    pytest.param(lambda e: e.pop(), "general", "red flag has no protocol entry", id="missing-flag"),
    pytest.param(_entry("flag", "pump-explodes"), "pump-explodes", "unknown red flag", id="unknown-flag"),
    pytest.param(_entry("urgency", "soonish"), "pump-alarm", "urgency must be one of", id="bad-urgency"),
    pytest.param(_entry("immediate", []), "pump-alarm", "missing 'immediate'", id="no-steps"),
    pytest.param(_entry("sources", ["NOPE"]), "pump-alarm", "unknown source 'NOPE'", id="unknown-source"),
    pytest.param(_entry("mentions", ["beep(("]), "pump-alarm", "invalid regular expression", id="bad-pattern"),
    pytest.param(_entry("must_say", ["pump team"]), "pump-alarm", "list of lists", id="flat-must-say"),
    pytest.param(_entry("reviewed", None), "pump-alarm", "missing 'reviewed'", id="not-reviewed"),
    pytest.param(
        _entry("clinical_signoff", {"by": "writers", "date": "2026-11-01"}), "pump-alarm", "must name the clinician",
        id="signoff-placeholder",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("change", "item", "problem"), PROTOCOL_CASES)
def test_protocol_validation_errors_name_file_item_and_problem(
    content_factory: Callable[..., Path], change: Any, item: str, problem: str
) -> None:
    folder = _protocol_folder(content_factory, change)
    with pytest.raises(ContentValidationError) as caught:
        load_bundle(folder, today=TODAY)
    found = [p for p in caught.value.problems if p.file == "emergency_protocol.yml" and p.item == item]
    assert any(problem in p.problem for p in found), [str(p) for p in caught.value.problems]


def test_a_complete_protocol_loads_and_a_missing_one_is_not_required_of_small_folders(
    content_factory: Callable[..., Path],
) -> None:
    from bot.content.loader import load_protocol
    from bot.safety.red_flags import RedFlag

    folder = _protocol_folder(content_factory, lambda entries: None)
    bundle = load_bundle(folder, today=TODAY)
    protocol = load_protocol(folder, bundle.sources, today=TODAY)
    assert set(protocol) == {flag.value for flag in RedFlag}
    assert load_bundle(content_factory(), today=TODAY).passages  # no protocol file: nothing to check
    with pytest.raises(ContentValidationError, match="file is missing"):
        load_protocol(content_factory(), bundle.sources, today=TODAY)


def test_a_passage_that_breaks_the_protocol_fails_the_load(content_factory: Callable[..., Path]) -> None:
    def change(entries: list[dict[str, Any]]) -> None:
        entries[0]["mentions"] = ["relaxes stiff muscles"]  # p1's text describes "pump-alarm" now

    with pytest.raises(ContentValidationError) as caught:
        load_bundle(_protocol_folder(content_factory, change), today=TODAY)
    problems = caught.value.problems
    assert {(p.file, p.item) for p in problems} == {("passages/a.yml", "p1")}
    assert any("fastest route is no route at all; the protocol says emergency" in p.problem for p in problems)
    assert any("leaves out an immediate step: say one of ['emergency']" in p.problem for p in problems)


@pytest.mark.parametrize(
    ("url", "flagged"),
    [
        ("https://staging.medscape.com/article/1", True),
        ("https://sit.mimsdev.com/drug/gabapentin", True),
        ("https://uat.taylorfrancis.com/books/1", True),
        ("https://nhshighland-dev-stg.azurewebsites.net/x", True),
        ("https://studylib.net/doc/6876502/x", True),
        ("https://www.scribd.com/document/1", True),
        ("https://www.pocketpills.com/drugs/dantrolene", True),
        ("http://www.healthofchildren.com/S/Spasticity.html", True),
        ("https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=1", False),
        ("https://www.nhs.uk/medicines/baclofen/", False),
        ("https://spine-pinderfields.org.uk/x", False),
        ("https://periop-handbook.ukclinicalpharmacy.org/drug/baclofen", False),
        ("https://www.developmentaldisabilities.org/x", False),
    ],
)
def test_development_staging_and_copy_hosts_cannot_be_cited(url: str, flagged: bool) -> None:
    assert (unofficial_host(url) is not None) is flagged
