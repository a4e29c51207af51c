"""The library itself: sourced, readable, and never telling anyone to change a medicine or take a dose."""

from __future__ import annotations

import re

import pytest

from bot.config import PROJECT_ROOT
from bot.content.loader import load_bundle
from bot.content.records import ContentBundle
from bot.content.report import GRADE_TARGET, ContentReport, fact_sheet_sections, readability
from bot.evaluation import DOSE_AMOUNT

MEDICINE_WORDS = (
    r"(?:dose|doses|medicine|medicines|tablet|tablets|pill|pills|baclofen|tizanidine|dantrolene|diazepam|"
    r"gabapentin|spray|sprays|injection|injections|pump setting)"
)
VERBS = r"(?:take|stop|start|increase|reduce|lower|raise|double|skip|cut down|come off|restart)"
INSTRUCTION = re.compile(rf"(?:^|[.!?]\s+){VERBS}\b[^.!?]*\b{MEDICINE_WORDS}\b", re.IGNORECASE)
FACT_SHEET = PROJECT_ROOT.parent / "shared" / "research" / "medical-facts.md"


@pytest.fixture(scope="module")
def bundle() -> ContentBundle:
    return load_bundle(PROJECT_ROOT / "content")


def test_at_least_120_published_passages_each_sourced_with_three_questions(bundle: ContentBundle) -> None:
    published = bundle.published_passages()
    assert len(published) >= 120
    assert all(p.sources and len(p.questions) >= 3 for p in published)


def test_no_passage_states_a_dose_amount(bundle: ContentBundle) -> None:
    found = {p.id: m.group(0) for p in bundle.passages.values() if (m := DOSE_AMOUNT.search(p.text))}
    assert not found


def test_no_passage_tells_the_reader_to_change_a_medicine(bundle: ContentBundle) -> None:
    found = {p.id: m.group(0).strip() for p in bundle.passages.values() if (m := INSTRUCTION.search(p.text))}
    assert not found


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Stop taking baclofen if you feel sleepy.", True),
        ("It helps. Double the dose at night.", True),
        ("Take 10 mg twice a day.", True),
        ("Never stop baclofen suddenly; your prescriber lowers the dose slowly.", False),
        ("Take the pump ID card with you.", False),
    ],
)
def test_the_content_checks_catch_what_they_should(text: str, flagged: bool) -> None:
    assert bool(INSTRUCTION.search(text) or DOSE_AMOUNT.search(text)) is flagged


def test_most_passages_read_at_grade_eight_or_below(bundle: ContentBundle) -> None:
    grades = [readability(p.text) for p in bundle.published_passages()]
    within = sum(g <= GRADE_TARGET for g in grades) / len(grades)
    assert within >= 0.9, f"only {within:.0%} of passages at grade {GRADE_TARGET} or below"
    assert max(grades) <= 10


def test_every_fact_sheet_section_has_a_passage(bundle: ContentBundle) -> None:
    sections = fact_sheet_sections(FACT_SHEET)
    if not sections:
        pytest.skip(f"the fact sheet is not beside the project ({FACT_SHEET})")
    report = ContentReport(bundle, __import__("datetime").date.today(), sections)
    assert set(sections) == set(range(1, 25))
    assert report.uncovered_sections() == []


def test_sources_are_official_pages_or_say_what_they_are(bundle: ContentBundle) -> None:
    # A copy, mirror or secondary page is allowed only when the source's note says so.
    suspicious = ("vdocuments", "studylib", "scribd", "yumpu", "staging", "mimsdev", "mairievillerslamontagne")
    unlabelled = [
        s.id for s in bundle.sources.values() if any(h in s.url for h in suspicious) and not (s.note or "").strip()
    ]
    assert not unlabelled
