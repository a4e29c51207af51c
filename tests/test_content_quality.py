"""The library itself: sourced, readable, and never telling anyone to change a medicine or take a dose."""

from __future__ import annotations

import re

import pytest

from bot.config import PROJECT_ROOT
from bot.content.loader import load_bundle
from bot.content.protocol import check_against_protocol, describes, load_protocol, number_problems, protocol_problems
from bot.content.records import ContentBundle, PassageRecord, ProtocolEntry
from bot.content.report import GRADE_TARGET, ContentReport, fact_sheet_sections, readability
from bot.evaluation import DOSE_AMOUNT
from bot.safety.red_flags import RedFlag
from tests.conftest import TODAY, missing

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
        missing(f"the fact sheet is not beside the project ({FACT_SHEET})")
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


# -- the emergency protocol --------------------------------------------------------------------------

# The passage audit finding C1 quoted, as it was: "not usually" emergencies, same-day route, with a pump.
C1_TEXT = (
    "Call your doctor or care team the same day about the signs below. They are not usually 911, 999 or 112 "
    "emergencies, but they should not wait. Call if spasticity suddenly gets much worse for no clear reason. "
    "Also call if your pump gives a single repeating beep."
)
# Audit finding C2: dysreflexia without first aid.
C2_TEXT = (
    "Call 911 in the US, 999 in the UK or 112 in the EU now. Signs of autonomic dysreflexia are a sudden pounding "
    "headache and sweating. If your spinal team gave you a plan for this, follow it while help comes."
)


@pytest.fixture(scope="module")
def protocol(bundle: ContentBundle) -> dict[str, ProtocolEntry]:
    return load_protocol(PROJECT_ROOT / "content", bundle.sources)


def test_the_protocol_covers_every_red_flag_with_sourced_steps_and_no_dose(
    protocol: dict[str, ProtocolEntry], bundle: ContentBundle
) -> None:
    assert set(protocol) == {flag.value for flag in RedFlag}
    for entry in protocol.values():
        assert entry.signs and entry.immediate and entry.call and entry.review_note, entry.flag
        assert set(entry.sources) <= set(bundle.sources), entry.flag
        for step in entry.immediate:
            assert not DOSE_AMOUNT.search(step) and not INSTRUCTION.search(step), (entry.flag, step)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(C1_TEXT, "describes 'pump-withdrawal' but its fastest route is same-day", id="C1-slower-route"),
        pytest.param(C2_TEXT, "leaves out an immediate step: say one of ['sit up'", id="C2-no-first-aid"),
        pytest.param(
            "A two-tone alarm from the pump is not an emergency. Call the pump clinic now.",
            "calls a sign of 'pump-alarm' not urgent",
            id="downplayed",
        ),
        pytest.param(
            "Watch for trouble swallowing, speaking or breathing after botox injections.",
            "describes 'toxin-spread' but its fastest route is no route at all",
            id="no-route",
        ),
    ],
)
def test_the_protocol_check_catches_the_audits_findings(
    protocol: dict[str, ProtocolEntry], text: str, expected: str
) -> None:
    passage = PassageRecord("x", "emergencies", "x", text, ("q",), ("NHS-URGENT",), TODAY)
    problems = protocol_problems(protocol, passage)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    "passage_id", ["emergency-autonomic-dysreflexia", "emergency-urgent-call-doctor", "emergency-itb-withdrawal"]
)
def test_the_fixed_emergency_passages_follow_the_protocol(
    protocol: dict[str, ProtocolEntry], bundle: ContentBundle, passage_id: str
) -> None:
    passage = bundle.passages[passage_id]
    assert any(describes(entry, passage.text) for entry in protocol.values())
    assert protocol_problems(protocol, passage) == []


def test_every_published_passage_follows_the_protocol(
    protocol: dict[str, ProtocolEntry], bundle: ContentBundle
) -> None:
    assert check_against_protocol(protocol, bundle.published_passages()) == []


# -- review data in the editors' report ----------------------------------------------------------------


def test_the_report_lists_passages_awaiting_signoff_and_overdue_reviews() -> None:
    import datetime as dt

    from bot.content.records import ClinicalSignoff

    def passage(ident: str, reviewed: dt.date, signed: dt.date | None = None, months: int = 12) -> PassageRecord:
        signoff = ClinicalSignoff("Dr A. Example, consultant", signed) if signed else None
        return PassageRecord(
            ident, "t", ident, "Text.", ("q",), ("S",), reviewed, clinical_signoff=signoff, review_every_months=months
        )

    today = dt.date(2026, 12, 6)
    passages = [
        passage("signed", dt.date(2026, 11, 1), signed=dt.date(2026, 11, 20)),
        passage("signed-before-last-change", dt.date(2026, 11, 25), signed=dt.date(2026, 11, 20)),
        passage("never-signed", dt.date(2026, 11, 25)),
        passage("old", dt.date(2025, 11, 1), signed=dt.date(2025, 11, 2)),
        passage("six-monthly", dt.date(2026, 5, 1), signed=dt.date(2026, 5, 1), months=6),
        passage("three-yearly", dt.date(2024, 1, 1), signed=dt.date(2024, 1, 1), months=36),
    ]
    report = ContentReport(ContentBundle(passages={p.id: p for p in passages}), today)
    assert report.awaiting_signoff() == ["signed-before-last-change", "never-signed"]
    # Due review_every_months after `reviewed`: 2026-11-01 (35 days late) and 2026-11-01 (35), not the 3-yearly.
    assert report.overdue_reviews() == [("old", 35), ("six-monthly", 35)]
    text = report.to_text()
    assert "Awaiting clinical sign-off (2 of 6)" in text and "  old  (35 days overdue)" in text
    assert "Emergency protocol" not in text  # no protocol given: nothing to list


def test_the_report_lists_protocol_entries_awaiting_signoff(
    protocol: dict[str, ProtocolEntry], bundle: ContentBundle
) -> None:
    import dataclasses
    import datetime as dt

    from bot.content.records import ClinicalSignoff

    signed = dict(protocol)
    entry = signed["stroke"]
    signed["stroke"] = dataclasses.replace(
        entry, clinical_signoff=ClinicalSignoff("Dr A. Example, stroke physician", entry.reviewed)
    )
    report = ContentReport(bundle, dt.date(2026, 12, 6), protocol=signed)
    assert "stroke" not in report.protocol_awaiting_signoff()
    assert f"Emergency protocol entries awaiting clinical sign-off ({len(signed) - 1} of {len(signed)})" in (
        report.to_text()
    )


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Call 999 in the UK or 911 in the US now.", True),  # audit (c)1: 112 left out
        ("Call 911 in the US, 999 in the UK or 112 in the EU now.", False),
        ("US: call or text 988; UK: Samaritans 116 123; EU: 112.", False),  # the crisis lines
        ("Stretch every day.", False),
    ],
)
def test_emergency_numbers_are_given_together(text: str, flagged: bool) -> None:
    assert bool(number_problems(text)) is flagged
