"""Editing passages from the shell (#16 point 1): validated as the loader validates, saved as drafts, published.

Every test edits a temporary content folder (a copy of content/, or a small one), never content/ itself.
The loader stub records what each change would load into the database.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import itertools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.content.loader import ContentValidationError, load_bundle
from bot.content.records import ContentBundle
from bot.editing.accounts import Editor
from bot.editing.audit import AuditLog, entry_hash
from bot.editing.files import FOLD_WIDTH, PassageFile, folded, plain_entries
from bot.editing.forms import EditingError, PassageForm
from bot.editing.passages import PassageEditor
from bot.editing.review import detail
from bot.editing.workspace import Workspace
from tests.conftest import TODAY, valid_content_data, write_content

EDITOR = Editor("sam", "editor", "Sam Lee", "account")
CLINICIAN = Editor("priya", "clinician", "Dr Priya Shah, consultant in rehabilitation medicine", "account")
TOKEN = Editor("token", "editor", "the shared EDITOR_TOKEN", "token")
REAL_FILE = "passages/08-physiotherapy.yml"
REAL_ID = "physio-what-it-does"


class Loads:
    """Stands in for the database load: records each bundle a change would load."""

    def __init__(self) -> None:
        self.bundles: list[ContentBundle] = []

    def __call__(self, bundle: ContentBundle) -> tuple[int, dict[str, Any]]:
        self.bundles.append(bundle)
        return 200, {"ok": True, "message": "Loaded"}


def make_editor(
    folder: Path, tmp_path: Path, safety: tuple[str, ...] = (), today: dt.date = TODAY
) -> tuple[PassageEditor, Loads]:
    """The passage editor of `folder`; the real content's review dates need the real date as today."""
    loads = Loads()
    workspace = Workspace(folder, tmp_path / "var" / "editing.lock")
    audit = AuditLog(tmp_path / "var" / "audit.jsonl")
    return PassageEditor(workspace, audit, loads, today=lambda: today, safety_ids=safety), loads


@pytest.fixture
def small(tmp_path: Path) -> Path:
    sources, topics, passages = valid_content_data()
    topics["topics"].append({"id": "t3", "title": "Topic three"})
    return write_content(tmp_path / "content", sources, topics, {"01-first.yml": passages})


@pytest.fixture
def real(tmp_path: Path) -> Path:
    """A copy of the real content folder."""
    return Path(shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content"))


def form(**fields: Any) -> PassageForm:
    base: dict[str, Any] = {
        "id": "p-new",
        "title": "A new passage",
        "topic": "t1",
        "text": "Stretching every day keeps stiff muscles longer.",
        "questions": ["Does stretching help?", "How often should I stretch?", "Why stretch stiff muscles?"],
        "sources": ["S1"],
        "rechecked": True,
    }
    return PassageForm.from_json({**base, **fields})


def opened(editor: PassageEditor, passage_id: str) -> dict[str, Any]:
    found = detail(editor.workspace, editor.audit, passage_id, editor.today(), editor.safety_ids)
    assert found is not None
    return found


def edit_of(editor: PassageEditor, passage_id: str, **changes: Any) -> PassageForm:
    """The form of an open passage with some fields changed, as the page sends it."""
    found = opened(editor, passage_id)
    return PassageForm.from_json({**found["fields"], "id": passage_id, "base_hash": found["hash"], **changes})


# -- the files stay as they were written -----------------------------------------------------------------


def test_every_real_passage_file_is_rewritten_byte_for_byte_when_nothing_changes() -> None:
    """The first, a middle and the last entry of every file (each rewrite re-reads the whole file)."""
    for path in sorted((PROJECT_ROOT / "content" / "passages").glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        file = PassageFile(text)
        for index in sorted({0, len(file.items) // 2, len(file.items) - 1}):
            file.replace(index, file.entry(index))
        assert file.text == text, path.name


def test_a_folded_text_keeps_its_unchanged_lines_and_wraps_the_changed_ones() -> None:
    old = PassageFile((PROJECT_ROOT / "content" / REAL_FILE).read_text()).entry(0)["text"]
    before = _lines(old)
    assert "move better." in before[1]
    new = folded(str(old).replace("move better.", "move and walk better, with less pain and less effort."), old)
    after = _lines(new)
    assert after[0] == before[0] and after[-3:] == before[2:], "the lines before and after the change are kept"
    assert all(len(line) <= FOLD_WIDTH for line in after[1:-3]) and len(after) == len(before) + 1
    assert " ".join(after) == str(new) and "walk better, with less pain" in str(new)
    assert folded("Short.", old) == "Short.", "a short text is one plain line"


def _lines(value: Any) -> list[str]:
    positions = getattr(value, "fold_pos", [])
    cuts = [-1, *positions, len(value)]
    return [str(value)[a + 1 : b] for a, b in itertools.pairwise(cuts)]


def test_an_edit_and_its_publication_change_only_that_passages_lines(real: Path, tmp_path: Path) -> None:
    editor, loads = make_editor(real, tmp_path, today=dt.date.today())
    original = (real / REAL_FILE).read_text()
    others = {p.name: p.read_text() for p in (real / "passages").glob("*.yml") if p.name != Path(REAL_FILE).name}
    text = opened(editor, REAL_ID)["fields"]["text"].replace("move better.", "move and walk better.")
    saved = editor.save(EDITOR, edit_of(editor, REAL_ID, text=text))
    assert saved["passage"] == f"{REAL_ID}.draft"
    diff = [line for line in difflib.unified_diff(original.splitlines(), (real / REAL_FILE).read_text().splitlines())]
    removed = [line for line in diff if line.startswith("-") and not line.startswith("---")]
    assert removed == [], "the pending edit adds lines; the published passage is untouched"
    assert f"+  - id: {REAL_ID}.draft" in diff and f"+    replaces: {REAL_ID}" in diff

    patients, preview = loads.bundles[-1].only_published(), loads.bundles[-1].with_pending_edits()
    assert "walk better" not in patients.passages[REAL_ID].text, "patients keep the published version"
    assert "walk better" in preview.passages[REAL_ID].text and f"{REAL_ID}.draft" not in preview.passages

    editor.publish(EDITOR, f"{REAL_ID}.draft", opened(editor, f"{REAL_ID}.draft")["hash"])
    after = (real / REAL_FILE).read_text()
    changed = [line for line in difflib.ndiff(original.splitlines(), after.splitlines()) if line[:1] in "+-"]
    removed = [line for line in changed if line.startswith("-")]
    added = " ".join(line[1:].strip() for line in changed if line.startswith("+"))
    assert len(removed) == 1 and "move better." in removed[0], "one line of the text changed, nothing else"
    assert added == removed[0][1:].strip().replace("move better.", "move and walk better.")
    assert "walk better" in loads.bundles[-1].only_published().passages[REAL_ID].text
    assert {p.name: p.read_text() for p in (real / "passages").glob("*.yml") if p.name in others} == others


# -- validation: the loader's checks, the loader's words --------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"rechecked": False}, id="no-review-date"),
        pytest.param({"topic": "nowhere"}, id="unknown-topic"),
        pytest.param({"sources": ["S1", "NOPE"]}, id="unknown-source"),
        pytest.param({"sources": ["S1", "S1"]}, id="source-twice"),
        pytest.param({"sources": []}, id="no-source"),
        pytest.param({"title": ""}, id="no-title"),
        pytest.param({"text": "   "}, id="no-text"),
        pytest.param({"questions": []}, id="no-questions"),
        pytest.param({"id": "p new!"}, id="bad-id"),
        pytest.param({"id": "p1"}, id="duplicate-id"),
        pytest.param({"review_every_months": 0}, id="zero-months"),
        pytest.param({"review_every_months": 37, "topic": "", "sources": []}, id="several"),
    ],
)
def test_a_new_passage_is_judged_by_the_loader_in_its_own_words(
    small: Path, tmp_path: Path, changes: dict[str, Any]
) -> None:
    editor, loads = make_editor(small, tmp_path)
    before = (small / "passages" / "01-first.yml").read_text()
    bad = form(file="passages/01-first.yml", **changes)
    with pytest.raises(EditingError) as caught:
        editor.save(EDITOR, bad)
    assert caught.value.status == 422 and loads.bundles == []
    assert (small / "passages" / "01-first.yml").read_text() == before, "nothing written"

    # The same entry written by hand, as an editor would in the file: `make content-check` says the same.
    by_hand = Path(shutil.copytree(small, tmp_path / "by-hand"))
    data = yaml.safe_load((by_hand / "passages" / "01-first.yml").read_text())
    entry: dict[str, Any] = {"id": bad.id, "topic": bad.topic, "title": bad.title, "text": bad.text}
    entry.update({"questions": list(bad.questions), "sources": list(bad.sources)})
    entry = {k: v for k, v in entry.items() if v not in ("", [])}
    if bad.rechecked:
        entry["reviewed"] = TODAY.isoformat()
    if bad.review_every_months is not None:
        entry["review_every_months"] = bad.review_every_months
    data["passages"].append({**entry, "status": "draft"})
    (by_hand / "passages" / "01-first.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ContentValidationError) as expected:
        load_bundle(by_hand, today=TODAY)
    assert [str(p) for p in caught.value.problems] == [str(p) for p in expected.value.problems]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"id": 5}, '"id" must be text'),
        ({"questions": "one\ntwo", "review_every_months": "x"}, '"review_every_months" must be a whole number'),
        ({"rechecked": "yes"}, '"rechecked" must be true or false'),
        ({"questions": [1, 2]}, '"questions" must be a list'),
        ({"text": "x" * 5001}, "at most 5000 characters"),
    ],
)
def test_a_malformed_form_is_refused_before_the_loader(data: dict[str, Any], message: str) -> None:
    with pytest.raises(EditingError) as caught:
        PassageForm.from_json({"id": "p", **data})
    assert caught.value.status == 400 and message in caught.value.message


# -- creating, editing, publishing -------------------------------------------------------------------------


def test_a_new_passage_is_a_draft_in_its_topics_file_or_a_new_numbered_one(small: Path, tmp_path: Path) -> None:
    editor, loads = make_editor(small, tmp_path)
    result = editor.save(EDITOR, form(review_note="Checked against S1."))
    assert result["ok"] and result["passage"] == "p-new"
    entry = plain_entries((small / "passages" / "01-first.yml").read_text())[-1]
    assert entry["status"] == "draft" and entry["reviewed"] == TODAY and entry["review_note"] == "Checked against S1."
    assert "p-new" not in loads.bundles[-1].only_published().passages
    editor.save(EDITOR, form(id="p-other", topic="t3"))
    assert plain_entries((small / "passages" / "02-t3.yml").read_text())[0]["id"] == "p-other"
    assert (small / "passages" / "02-t3.yml").read_text().startswith("# t3 (started in the editors' shell).")
    editor.save(EDITOR, form(id="p-picked", file="passages/02-t3.yml"))
    assert [e["id"] for e in plain_entries((small / "passages" / "02-t3.yml").read_text())] == ["p-other", "p-picked"]
    with pytest.raises(EditingError, match="not one of the passage files"):
        editor.save(EDITOR, form(id="p-elsewhere", file="../sources.yml"))


def test_reviewed_moves_only_when_the_editor_says_they_rechecked(small: Path, tmp_path: Path) -> None:
    editor, _ = make_editor(small, tmp_path)
    editor.save(EDITOR, edit_of(editor, "p2", text="Spasticity is stiffness that comes from nerve damage."))
    assert opened(editor, "p2")["reviewed"] == "2026-11-20", "changed, not re-checked: the date stays"
    assert opened(editor, "p2")["warnings"], "and the shell says the text changed after its last re-check"
    editor.save(EDITOR, edit_of(editor, "p2", text="Spasticity is stiffness from damaged nerves.", rechecked=True))
    assert opened(editor, "p2")["reviewed"] == TODAY.isoformat() and opened(editor, "p2")["warnings"] == []


def test_publishing_a_draft_and_a_pending_edit(small: Path, tmp_path: Path) -> None:
    editor, loads = make_editor(small, tmp_path)
    editor.publish(EDITOR, "p2", opened(editor, "p2")["hash"])
    assert "p2" in loads.bundles[-1].only_published().passages
    with pytest.raises(EditingError, match="already published"):
        editor.publish(EDITOR, "p2", opened(editor, "p2")["hash"])

    editor.save(EDITOR, edit_of(editor, "p1", title="First, edited", questions=["What is baclofen?", "Why?"]))
    assert opened(editor, "p1")["pending"] == "p1.draft"
    with pytest.raises(EditingError, match="already has a pending edit"):
        editor.save(EDITOR, edit_of(editor, "p1", title="A second edit"))
    editor.save(EDITOR, edit_of(editor, "p1.draft", title="First, edited again"))
    editor.publish(EDITOR, "p1.draft", opened(editor, "p1.draft")["hash"])
    published = loads.bundles[-1].passages["p1"]
    assert (published.title, published.questions) == ("First, edited again", ("What is baclofen?", "Why?"))
    assert "p1.draft" not in loads.bundles[-1].passages and published.published


def test_a_pending_edit_can_be_discarded_and_the_published_version_stays(small: Path, tmp_path: Path) -> None:
    editor, loads = make_editor(small, tmp_path)
    editor.save(EDITOR, edit_of(editor, "p1", text="A different text about baclofen."))
    editor.discard(EDITOR, "p1.draft", opened(editor, "p1.draft")["hash"])
    assert loads.bundles[-1].passages["p1"].text == "Baclofen relaxes stiff muscles."
    with pytest.raises(EditingError, match="withdraw it first"):
        editor.discard(EDITOR, "p1", opened(editor, "p1")["hash"])


def test_withdrawing_takes_a_passage_from_patients_but_never_a_safety_passage(small: Path, tmp_path: Path) -> None:
    editor, loads = make_editor(small, tmp_path, safety=("p1",))
    with pytest.raises(EditingError, match="safety passage"):
        editor.withdraw(EDITOR, "p1", opened(editor, "p1")["hash"])
    editor.publish(EDITOR, "p2", opened(editor, "p2")["hash"])
    editor.withdraw(EDITOR, "p2", opened(editor, "p2")["hash"])
    assert "p2" not in loads.bundles[-1].only_published().passages


def test_a_stale_form_is_refused_and_says_who_changed_the_passage(small: Path, tmp_path: Path) -> None:
    editor, _ = make_editor(small, tmp_path)
    stale = edit_of(editor, "p2", title="Mine")
    editor.save(Editor("ana", "editor", "Ana", "account"), edit_of(editor, "p2", title="Theirs"))
    with pytest.raises(EditingError) as caught:
        editor.save(EDITOR, stale)
    assert caught.value.status == 409 and "changed by ana at " in caught.value.message


def test_a_recheck_needs_a_note_and_sets_todays_date(small: Path, tmp_path: Path) -> None:
    editor, _ = make_editor(small, tmp_path)
    with pytest.raises(EditingError, match="Say what you checked"):
        editor.recheck(EDITOR, "p1", opened(editor, "p1")["hash"], "  ")
    editor.recheck(EDITOR, "p1", opened(editor, "p1")["hash"], "Checked every fact against S1.")
    entry = plain_entries((small / "passages" / "01-first.yml").read_text())[0]
    assert entry["reviewed"] == TODAY and entry["review_note"] == "Checked every fact against S1."
    assert entry["status"] == "published", "a re-check of the same text needs no new draft"


# -- clinical sign-off -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "confirmed", "status"),
    [(EDITOR, True, 403), (TOKEN, True, 403), (Editor("x", "clinician", "Dr X Y", "token"), True, 403),
     (CLINICIAN, False, 400)],
)  # fmt: skip
def test_only_a_clinicians_account_signs_off_and_only_when_they_confirm(
    small: Path, tmp_path: Path, who: Editor, confirmed: bool, status: int
) -> None:
    editor, loads = make_editor(small, tmp_path)
    with pytest.raises(EditingError) as caught:
        editor.sign_off(who, "p1", opened(editor, "p1")["hash"], "", confirmed)
    assert caught.value.status == status and loads.bundles == []


def test_a_sign_off_names_the_clinician_and_a_new_text_needs_a_new_one(small: Path, tmp_path: Path) -> None:
    editor, loads = make_editor(small, tmp_path)
    editor.sign_off(CLINICIAN, "p1", opened(editor, "p1")["hash"], "Approved for our service.", True)
    signed = loads.bundles[-1].passages["p1"].clinical_signoff
    assert signed is not None and (signed.by, signed.date, signed.note) == (
        CLINICIAN.display,
        TODAY,
        "Approved for our service.",
    )
    assert opened(editor, "p1")["signoff"]["counts"] is True
    editor.save(EDITOR, edit_of(editor, "p1", text="Baclofen relaxes stiff and tight muscles."))
    assert loads.bundles[-1].passages["p1.draft"].clinical_signoff is None, "the edit is not signed off"
    assert loads.bundles[-1].passages["p1"].clinical_signoff == signed, "the published version keeps its sign-off"
    editor.sign_off(CLINICIAN, "p1.draft", opened(editor, "p1.draft")["hash"], "", True)
    editor.save(EDITOR, edit_of(editor, "p1.draft", review_every_months=6))
    assert loads.bundles[-1].passages["p1.draft"].clinical_signoff is not None, "a review setting keeps it"
    editor.save(EDITOR, edit_of(editor, "p1.draft", title="Changed after the sign-off"))
    assert loads.bundles[-1].passages["p1.draft"].clinical_signoff is None
    editor.publish(EDITOR, "p1.draft", opened(editor, "p1.draft")["hash"])
    assert loads.bundles[-1].passages["p1"].clinical_signoff is None, "published without the old sign-off"


def test_every_change_is_logged_with_the_hashes_of_the_entry(small: Path, tmp_path: Path) -> None:
    editor, _ = make_editor(small, tmp_path)
    first = opened(editor, "p2")
    editor.save(EDITOR, edit_of(editor, "p2", title="Second, edited"))
    editor.publish(EDITOR, "p2", opened(editor, "p2")["hash"])
    editor.sign_off(CLINICIAN, "p2", opened(editor, "p2")["hash"], "", True)
    log = editor.audit.entries()
    assert [(e["editor"], e["action"], e["passage"]) for e in log] == [
        ("priya", "sign-off", "p2"), ("sam", "publish", "p2"), ("sam", "edit", "p2"),
    ]  # fmt: skip
    assert log[2]["before"] == first["hash"] and log[2]["after"] == log[1]["before"] == log[2]["after"]
    assert (
        log[0]["after"]
        == opened(editor, "p2")["hash"]
        == entry_hash(plain_entries((small / "passages/01-first.yml").read_text())[1])
    )
    assert editor.audit.verify() == []


# -- the new fields in the loader and the store -----------------------------------------------------------


def _with(change: Callable[[list[dict[str, Any]]], None], content_factory: Callable[..., Path]) -> list[str]:
    sources, topics, passages = valid_content_data()
    passages = copy.deepcopy(passages)
    change(passages["passages"])
    try:
        load_bundle(content_factory(sources, topics, {"a.yml": passages}), today=TODAY)
    except ContentValidationError as exc:
        return [str(p) for p in exc.problems]
    return []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda p: p[0].update(review_every_months=6), None),
        (lambda p: p[0].update(review_every_months=0), "a.yml: p1: 'review_every_months' must be a whole number"),
        (lambda p: p[0].update(review_every_months=37), "of months from 1 to 36"),
        (lambda p: p[0].update(review_every_months="12"), "'review_every_months' must be a whole number"),
        (lambda p: p[0].update(review_every_months=True), "'review_every_months' must be a whole number"),
        (lambda p: p[1].update(replaces="p1"), None),
        (lambda p: p[1].update(replaces="p1", status="published"), "p2: 'replaces' is for a draft"),
        (lambda p: p[1].update(replaces="nope"), "p2: 'replaces' names an unknown passage 'nope'"),
        (lambda p: p[1].update(replaces="p2"), "'replaces' names the passage itself"),
        (lambda p: p.append({**p[1], "id": "p3", "replaces": "p2"}) or p[1].update(replaces="p1"),
         "itself an edit"),
        (lambda p: p.append({**p[1], "id": "p3", "replaces": "p1"}) or p[1].update(replaces="p1"),
         "already has a pending edit (p2)"),
    ],
)  # fmt: skip
def test_the_loader_checks_the_review_interval_and_pending_edits(
    content_factory: Callable[..., Path], change: Callable[[list[dict[str, Any]]], None], problem: str | None
) -> None:
    problems = _with(change, content_factory)
    assert (problems == []) if problem is None else any(problem in p for p in problems), problems


def test_the_store_keeps_the_review_interval_and_the_pending_edit(sql_store: Any, small: Path) -> None:
    sources, topics, passages = valid_content_data()
    passages["passages"][0]["review_every_months"] = 6
    passages["passages"][1]["replaces"] = "p1"
    bundle = load_bundle(write_content(small.parent / "stored", sources, topics, {"a.yml": passages}), today=TODAY)
    sql_store.replace(bundle)
    assert sql_store.snapshot(include_drafts=True) == bundle
    assert sql_store.replace(bundle).changed == 0, "an unchanged load changes nothing"
    preview = sql_store.snapshot(include_drafts=True).with_pending_edits()
    assert preview.passages["p1"].text == bundle.passages["p2"].text and "p2" not in preview.passages
