"""The emergency protocol in Spanish: every row's immediate steps, one for one, and the loader that holds them.

Spanish speakers get the emergency replies in Spanish with the protocol's steps (issue 13, point 3), so each row
of `content/emergency_protocol.yml` carries `immediate_es`: the English `immediate` steps in Spanish, the same
count in the same order, with no dose and no number the English step does not give.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.content.loader import ContentValidationError, load_bundle, load_protocol
from bot.content.records import ContentBundle, ProtocolEntry, Urgency
from bot.content.store import SqlContentStore
from bot.safety.dosing import states_dose
from bot.safety.red_flags import RedFlag
from tests.conftest import TODAY

CONTENT = PROJECT_ROOT / "content"
NUMBER = re.compile(r"\d[\d-]*(?: \d+)*")
PLACEHOLDER = re.compile(r"\{\w+\}")
# A Spanish step telling someone to take, stop or change a medicine (the English steps are held to the same in
# tests/test_content_quality.py): the protocol sends people for help, it never acts on a medicine for them.
ES_VERBS = (
    r"(?:tome|tomen|t[óo]mese|deje de tomar|suspenda|aumente|suba|baje|reduzca|duplique|s[áa]ltese|"
    r"vuelva a tomar|empiece a tomar|d[ée]le|administre)"
)
ES_MEDICINE = r"(?:dosis|medicamentos?|medicinas?|pastillas?|comprimidos?|baclofeno|tizanidina|diazepam|gabapentina)"
ES_INSTRUCTION = re.compile(rf"(?:^|[.!?;]\s+){ES_VERBS}\b[^.!?]*\b{ES_MEDICINE}\b", re.IGNORECASE)
REVIEW_SENTENCE = "Spanish steps (immediate_es) mirror the English ones"


@pytest.fixture(scope="module")
def bundle() -> ContentBundle:
    return load_bundle(CONTENT)


@pytest.fixture(scope="module")
def protocol(bundle: ContentBundle) -> dict[str, ProtocolEntry]:
    return load_protocol(CONTENT, bundle.sources)


# -- the real protocol ---------------------------------------------------------------------------------


def test_every_row_has_one_spanish_step_for_each_english_step(protocol: dict[str, ProtocolEntry]) -> None:
    assert set(protocol) == {flag.value for flag in RedFlag}
    for entry in protocol.values():
        assert entry.immediate_es, entry.flag
        assert len(entry.immediate_es) == len(entry.immediate), entry.flag
        for english, spanish in zip(entry.immediate, entry.immediate_es, strict=True):
            assert spanish and spanish != english, (entry.flag, spanish)


def test_the_spanish_steps_give_no_dose_and_no_medicine_instruction(protocol: dict[str, ProtocolEntry]) -> None:
    for entry in protocol.values():
        for step in entry.immediate_es:
            assert not states_dose(step), (entry.flag, step)
            assert not ES_INSTRUCTION.search(step), (entry.flag, step)


def test_the_spanish_steps_give_exactly_the_numbers_of_the_english_ones(protocol: dict[str, ProtocolEntry]) -> None:
    """No number where the English says "emergency services": the reply adds the numbers per country.

    Where the English names the numbers, through `{emergency_numbers}`, `{crisis_lines}` or `{poison_help}`,
    the Spanish has the same placeholder: the reply fills it with the Spanish list.
    """
    for entry in protocol.values():
        for english, spanish in zip(entry.immediate, entry.immediate_es, strict=True):
            assert NUMBER.findall(spanish) == NUMBER.findall(english), (entry.flag, spanish)
            assert PLACEHOLDER.findall(spanish) == PLACEHOLDER.findall(english), (entry.flag, spanish)
            if "emergency services" in english.lower():
                assert "servicios de emergencia" in spanish.lower(), (entry.flag, spanish)
            if "emergency department" in english.lower():
                assert "urgencias" in spanish.lower(), (entry.flag, spanish)


def test_a_step_shared_by_rows_has_the_same_spanish_everywhere(protocol: dict[str, ProtocolEntry]) -> None:
    """The CPR and recovery-position steps read the same whichever emergency the reply is for."""
    spanish_for: dict[str, set[str]] = {}
    for entry in protocol.values():
        for english, spanish in zip(entry.immediate, entry.immediate_es, strict=True):
            spanish_for.setdefault(english, set()).add(spanish)
    assert {english: found for english, found in spanish_for.items() if len(found) > 1} == {}


def test_each_review_note_says_the_spanish_still_needs_a_bilingual_clinician(
    protocol: dict[str, ProtocolEntry],
) -> None:
    for entry in protocol.values():
        note = entry.review_note or ""
        assert REVIEW_SENTENCE in note and "bilingual clinician's review" in note, entry.flag
        assert entry.clinical_signoff is None, entry.flag  # the writers never sign off


def test_every_step_in_the_file_is_plain_text() -> None:
    """An unquoted step with ": " in it is a mapping to YAML, and would reach people as `{'...': '...'}`."""
    data = yaml.safe_load((CONTENT / "emergency_protocol.yml").read_text(encoding="utf-8"))
    for row in data["protocol"]:
        for key in ("signs", "immediate", "immediate_es"):
            assert all(isinstance(step, str) for step in row[key]), (row["flag"], key)


# -- the loader ------------------------------------------------------------------------------------------


def _entry(flag: str) -> dict[str, Any]:
    return {
        "flag": flag, "title": f"About {flag}", "urgency": "emergency", "signs": ["a sign"],
        "immediate": ["Call emergency services now.", "Stay with them."],
        "immediate_es": ["Llame ahora a los servicios de emergencia.", "Quédese con la persona."],
        "call": "emergency services now", "sources": ["S1"], "reviewed": "2026-11-20",
        "mentions": ["never written anywhere"], "must_say": [["emergency"]],
    }  # fmt: skip


def _folder(factory: Callable[..., Path], change: Callable[[dict[str, Any]], None]) -> Path:
    """A small content folder whose protocol has every red flag, the first row changed by `change`."""
    entries = [_entry(flag.value) for flag in RedFlag]
    change(entries[0])
    folder = factory()
    text = yaml.safe_dump({"protocol": entries}, allow_unicode=True)
    (folder / "emergency_protocol.yml").write_text(text, encoding="utf-8")
    return folder


def _problems(factory: Callable[..., Path], change: Callable[[dict[str, Any]], None]) -> list[str]:
    """What `load_protocol` (the service's reader) reports for the protocol after `change`."""
    sources = load_bundle(factory(), today=TODAY).sources  # the same sources, without a protocol to fail
    with pytest.raises(ContentValidationError) as caught:
        load_protocol(_folder(factory, change), sources, today=TODAY)
    return [str(p) for p in caught.value.problems]


def test_a_complete_small_protocol_loads_with_its_spanish_steps(content_factory: Callable[..., Path]) -> None:
    folder = _folder(content_factory, lambda entry: None)
    protocol = load_protocol(folder, load_bundle(folder, today=TODAY).sources, today=TODAY)
    assert protocol["pump-alarm"].immediate_es == (
        "Llame ahora a los servicios de emergencia.",
        "Quédese con la persona.",
    )


REJECTIONS = [
    pytest.param(
        lambda e: e.pop("immediate_es"),
        "missing 'immediate_es': list the immediate steps in Spanish, one for each English step",
        id="missing",
    ),
    pytest.param(
        lambda e: e.update(immediate_es=[]),
        "missing 'immediate_es': list the immediate steps in Spanish, one for each English step",
        id="empty",
    ),
    pytest.param(
        lambda e: e["immediate_es"].pop(),
        "'immediate_es' has 1 steps but 'immediate' has 2: write one Spanish step for each English step",
        id="fewer-steps",
    ),
    pytest.param(
        lambda e: e["immediate_es"].append("Tranquilícela."),
        "'immediate_es' has 3 steps but 'immediate' has 2",
        id="more-steps",
    ),
    pytest.param(
        lambda e: e["immediate_es"].__setitem__(1, "Dele 10 mg de diazepam."),
        "'immediate_es' step 2 states a dose amount: the protocol never gives a dose",
        id="dose-es",
    ),
    pytest.param(
        lambda e: e["immediate"].__setitem__(1, "Give 5 ml of the liquid."),
        "'immediate' step 2 states a dose amount: the protocol never gives a dose",
        id="dose-en",
    ),
    pytest.param(
        lambda e: e["immediate_es"].__setitem__(1, {"En EE. UU.": "llame al 1-800-222-1222."}),
        "'immediate_es' entry 2 is not plain text: put an entry that has ': ' in it in quotes",
        id="unquoted-colon",
    ),
]


@pytest.mark.parametrize(("change", "problem"), REJECTIONS)
def test_the_loader_rejects_a_row_naming_its_flag(
    content_factory: Callable[..., Path], change: Callable[[dict[str, Any]], None], problem: str
) -> None:
    problems = _problems(content_factory, change)
    assert any(p.startswith(f"emergency_protocol.yml: pump-alarm: {problem}") for p in problems), problems


def test_the_whole_load_fails_too(content_factory: Callable[..., Path]) -> None:
    """`make content-check` loads the bundle, which parses the protocol with it."""
    with pytest.raises(ContentValidationError, match="pump-alarm: missing 'immediate_es'"):
        load_bundle(_folder(content_factory, lambda e: e.pop("immediate_es")), today=TODAY)


# -- round trips -------------------------------------------------------------------------------------------


def test_the_service_path_through_the_content_store_keeps_the_spanish_steps(
    bundle: ContentBundle, protocol: dict[str, ProtocolEntry], tmp_path: Path
) -> None:
    """The store's snapshot, then the protocol read against its sources, as a running bot does it.

    The content database carries no protocol: `BotService.protocol` reads it from the content folder against
    the sources of its store snapshot. That path keeps `immediate_es` as written.
    """
    store = SqlContentStore.from_url(f"sqlite:///{tmp_path / 'content.db'}")
    try:
        store.replace(bundle)
        snapshot = store.snapshot()
    finally:
        store.engine.dispose()
    assert not hasattr(snapshot, "protocol")  # if the store ever carries it, round-trip it here
    from_store = load_protocol(CONTENT, snapshot.sources)
    assert from_store == protocol
    raw = yaml.safe_load((CONTENT / "emergency_protocol.yml").read_text(encoding="utf-8"))
    for row in raw["protocol"]:
        assert from_store[row["flag"]].immediate_es == tuple(" ".join(s.split()) for s in row["immediate_es"])


def _from_json(data: dict[str, Any]) -> ProtocolEntry:
    import datetime as dt

    typed = {"urgency", "reviewed", "must_say"}
    rest: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k not in typed}
    return ProtocolEntry(
        **rest,
        urgency=Urgency(data["urgency"]),
        reviewed=dt.date.fromisoformat(data["reviewed"]),
        must_say=tuple(tuple(group) for group in data["must_say"]),
    )


def test_json_and_copies_keep_the_spanish_steps(protocol: dict[str, ProtocolEntry]) -> None:
    for entry in protocol.values():
        text = json.dumps(dataclasses.asdict(entry), default=str, ensure_ascii=False)
        assert _from_json(json.loads(text)) == entry
        assert dataclasses.replace(entry, reviewed=TODAY).immediate_es == entry.immediate_es


def test_a_protocol_written_back_to_yaml_loads_the_same(
    bundle: ContentBundle, protocol: dict[str, ProtocolEntry], tmp_path: Path
) -> None:
    """An editor's tool that rewrites the file (a dump of the loaded rows) must not lose the Spanish steps."""
    rows = []
    for entry in protocol.values():
        plain = json.loads(json.dumps(dataclasses.asdict(entry), default=str, ensure_ascii=False))
        rows.append({key: value for key, value in plain.items() if value is not None})
    (tmp_path / "emergency_protocol.yml").write_text(
        yaml.safe_dump({"protocol": rows}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    assert load_protocol(tmp_path, bundle.sources) == protocol
