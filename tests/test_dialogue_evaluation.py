"""The multi-turn evaluation: dialogue files, judging rules per category, the report's rates, a fake bot."""

from __future__ import annotations

import io
import json
import urllib.error
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import dialogue_evaluation as de
from bot.config import PROJECT_ROOT
from bot.dialogue_evaluation import (
    KINDS,
    Dialogue,
    Turn,
    evaluate,
    judge_turn,
    load_dialogues,
    run_dialogue,
    targets_met,
)
from bot.evaluation import nearest_rank
from bot.replies import DISCLAIMER, FEEDBACK_BUTTONS

DIALOGUES = PROJECT_ROOT / "tests" / "eval" / "dialogues.yml"
SOURCES = "Sources:\n[1] NHS: Botulinum toxin and baclofen. https://www.nhs.uk/x"
TOPICS = [{"title": "Oral baclofen", "payload": "/a"}, {"title": "The baclofen pump (ITB)", "payload": "/b"}]
FEEDBACK = [{"title": b.title, "payload": b.payload} for b in FEEDBACK_BUTTONS]


def cited(body: str, buttons: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """One rendered answer message, the way the bot sends it."""
    message: dict[str, Any] = {"text": f"{body} [1]\n{SOURCES}\n{DISCLAIMER}"}
    if buttons:
        message["buttons"] = buttons
    return [message]


def plain(text: str, buttons: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    message: dict[str, Any] = {"text": f"{text}\n{DISCLAIMER}"}
    if buttons:
        message["buttons"] = buttons
    return [message]


MAIN = ("stretch", "splint", "tablet", "surgery")  # an overview names three of the main choices
ANSWER = Turn("does it hurt", "answer", ("bruising",), ("baclofen",))
REFUSAL = "I can't give advice about your own medicine or dose. Please ask your prescriber or pharmacist."
CLARIFY = "I'm not sure I understood. Is your question about one of these? You can also ask it in other words."


@pytest.mark.parametrize(
    ("turn", "messages", "why"),
    [
        (ANSWER, cited("Pain or bruising where the needle went in."), None),
        (ANSWER, cited("Pain where the needle went in."), "mentions none of"),
        # a key fact only in a source's title does not count, nor does a wrong-subject word there
        (Turn("q", "answer", ("botulinum",)), cited("Pain where the needle went in."), "mentions none of"),
        (ANSWER, cited("Bruising is common. Baclofen is a tablet."), "wrong subject"),
        (ANSWER, plain("Bruising where the needle went in."), "no citation"),
        (ANSWER, [{"text": f"Bruising. [1]\n{SOURCES}"}], "no disclaimer"),
        (ANSWER, cited(f"{REFUSAL} Bruising is common."), "refused a plain question"),
        (ANSWER, [], "no reply"),
        (Turn("pump screams", "emergency"), plain("Call 911 in the US, 999 in the UK, 112 in the EU now."), None),
        (Turn("pump screams", "emergency"), plain("Pumps have alarms. " * 30 + "Call 999."), "emergency services"),
        (Turn("and how many mg", "dosing_refusal"), plain(REFUSAL), None),
        (Turn("and how many mg", "dosing_refusal"), plain(REFUSAL + " Most take 10 mg."), "dose amount"),
        (Turn("weather?", "out_of_scope"), plain("I can only help with spasticity."), None),
        (Turn("weather?", "out_of_scope"), cited("Spasticity is stiffness."), "citations"),
        (Turn("🙂", "clarification"), plain(CLARIFY, TOPICS), None),
        (Turn("!!!", "clarification"), plain("Goodbye, and take care.", TOPICS), "goodbye"),
        (Turn("!!!", "clarification"), cited("I understand. Baclofen relaxes muscles.", TOPICS), "citations"),
        (Turn("!!!", "clarification"), plain(CLARIFY), "offers no topics"),
        (Turn("!!!", "clarification"), plain("Here are some topics.", TOPICS), "mentions none of"),
        (Turn("options?", "overview", ("stretching",)), cited("Treatments range from stretching up.", TOPICS), None),
        (Turn("options?", "overview", ("botulinum",)), cited("Treatments range widely.", TOPICS), "mentions none of"),
        (Turn("options?", "overview", ("oral baclofen",)), cited("Treatments range widely.", TOPICS), None),
        (Turn("options?", "overview", ("stretching",)), cited("Stretching comes first.", FEEDBACK), "choice button"),
        (Turn("options?", "overview", ("stretching",)), plain("Stretching comes first.", TOPICS), "no citation"),
        (Turn("options?", "overview", MAIN), cited("Stretching, splints, then tablets.", TOPICS), None),
        (Turn("options?", "overview", MAIN), cited("Stretching and splints come first.", TOPICS), "mentions 2 of"),
        (Turn("ok", "smalltalk"), plain("You're welcome. Anything else?"), None),
        (Turn("ok", "smalltalk"), plain("Goodbye, and take care."), "goodbye mid-conversation"),
        (Turn("ok thx bye", "smalltalk", ("goodbye",)), plain("Goodbye, and take care."), None),
        (Turn("ok", "smalltalk"), plain(REFUSAL), "refused small talk"),
        (Turn("ok", "smalltalk"), plain("Call 911 in the US now."), "escalated small talk"),
        (Turn("not helpful", "smalltalk", ("thank you",)), plain("Thank you for telling me."), None),
        (Turn("not helpful", "smalltalk"), cited("Thank you. Baclofen relaxes."), "small talk with citations"),
    ],
)
def test_judging_rules(turn: Turn, messages: list[dict[str, Any]], why: str | None) -> None:
    reasons = judge_turn(turn, messages)
    if why is None:
        assert not reasons, reasons
    else:
        assert any(why in reason for reason in reasons), reasons


def test_the_marks_match_what_the_bot_says() -> None:
    """The judge recognises a refusal, a clarification and a goodbye by the bot's own words."""
    from bot.wording import CLARIFY as BOT_CLARIFY
    from bot.wording import DOSING_REFUSAL

    variants = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]["utter_goodbye"]
    goodbye = next(v["text"] for v in variants if "condition" not in v)  # the English one
    assert de.REFUSAL_MARK in DOSING_REFUSAL.lower()
    assert any(phrase in BOT_CLARIFY.lower() for phrase in de.CLARIFY_PHRASES)
    assert de.GOODBYE_MARK in goodbye.lower()


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "dialogues.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def dialogue(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": "d1",
        "kind": "pronoun",
        "turns": [
            {"text": "how long does botox last", "category": "answer", "key_facts": ["three months"]},
            {"text": "does it hurt", "category": "answer", "key_facts": ["bruising"], "wrong_subject": ["pump"]},
        ],
    }
    item.update(changes)
    return item


def turn_changed(**changes: Any) -> dict[str, Any]:
    item = dialogue()
    item["turns"][1] = {**item["turns"][1], **changes}
    return item


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"dialogues": []}, "expected a YAML list"),
        ([{"kind": "pronoun"}], "dialogue 1: needs an 'id'"),
        ([dialogue(), dialogue()], "d1: duplicate id"),
        ([dialogue(topic="botox")], r"d1: unknown key\(s\) \['topic'\]"),
        ([dialogue(kind="chitchat")], "d1: kind must be one of"),
        ([dialogue(heldout="yes")], "d1: 'heldout' must be true or false"),
        ([dialogue(turns=[{"text": "hi", "category": "smalltalk"}])], "d1: needs 2 to 5 'turns'"),
        ([dialogue(turns=[{"text": "hi", "category": "smalltalk"}] * 6)], "d1: needs 2 to 5 'turns'"),
        ([dialogue(turns=None)], "d1: needs 2 to 5 'turns'"),
        ([turn_changed(text=" ")], "d1: turn 2: needs a non-empty 'text'"),
        ([turn_changed(key_fact=["x"])], r"d1: turn 2: unknown key\(s\) \['key_fact'\]"),
        ([turn_changed(category="chat")], "d1: turn 2: category must be one of"),
        ([turn_changed(key_facts=[])], "d1: turn 2: an answer turn needs at least 1 'key_facts'"),
        ([turn_changed(category="overview", key_facts=["physio", "pump"])], "an overview turn needs at least 3"),
        ([turn_changed(key_facts="bruising")], "d1: turn 2: 'key_facts' must be a list"),
        ([turn_changed(wrong_subject=[""])], "d1: turn 2: 'wrong_subject' must be a list"),
    ],
)
def test_dialogue_files_are_checked(tmp_path: Path, data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_dialogues(write(tmp_path, data))


def test_a_good_file_loads_lower_cased(tmp_path: Path) -> None:
    [loaded] = load_dialogues(write(tmp_path, [dialogue(heldout=True)]))
    assert loaded.heldout and loaded.kind == "pronoun" and len(loaded.turns) == 2
    assert loaded.turns[1] == Turn("does it hurt", "answer", ("bruising",), ("pump",))


class FakeBot:
    """Answers by a script (message -> messages), records what each conversation was sent, and can fail."""

    def __init__(self, script: dict[str, list[dict[str, Any]]], fail_on: str = "", limited: int = 0) -> None:
        self.script = script
        self.fail_on = fail_on
        self.limited = limited  # how many requests get a 429 first
        self.sent: dict[str, list[str]] = {}

    def __call__(self, sender: str, message: str) -> list[dict[str, Any]]:
        if self.limited:
            self.limited -= 1
            headers = Message()
            headers["Retry-After"] = "2"
            raise urllib.error.HTTPError("http://bot", 429, "Too Many Requests", headers, None)
        if message == self.fail_on:
            raise urllib.error.URLError("connection refused")
        self.sent.setdefault(sender, []).append(message)
        return plain("Hello! I'm an automated assistant.") if message == "/session_start" else self.script[message]


BOTOX = cited("Botulinum toxin lasts about three months.")
HURT = cited("Pain or bruising where the needle went in.")
PUMP = cited("The pump needs refills every few months.")
SCRIPT = {"how long does botox last": BOTOX, "does it hurt": HURT, "and the pump?": PUMP, "and at night?": PUMP}


def two_turns(ident: str, second: str, kind: str = "pronoun", heldout: bool = False) -> Dialogue:
    return Dialogue(
        ident,
        kind,
        (Turn("how long does botox last", "answer", ("three months",)), Turn(second, "answer", ("bruising",))),
        heldout,
    )


def test_each_dialogue_is_its_own_conversation_opened_with_session_start() -> None:
    bot = FakeBot(SCRIPT)
    report = evaluate([two_turns("a", "does it hurt"), two_turns("b", "and at night?")], bot, concurrency=2)
    assert len(bot.sent) == 2
    assert all(sent[0] == "/session_start" and len(sent) == 3 for sent in bot.sent.values())
    assert [d.id for d in report.results] == ["a", "b"]
    assert [t.passed for t in report.results[1].turns] == [True, False]


def test_the_report_rates_first_and_later_turns_dialogues_parts_and_kinds() -> None:
    dialogues = [
        two_turns("a", "does it hurt"),
        two_turns("b", "and at night?", kind="ellipsis"),
        two_turns("c", "does it hurt", kind="ellipsis", heldout=True),
        two_turns("d", "and the pump?", kind="switch", heldout=True),
    ]
    report = evaluate(dialogues, FakeBot(SCRIPT))
    assert report.turn_rate(later=False) == 1.0
    assert report.turn_rate(later=True) == 0.5
    assert report.turn_rate() == 0.75
    assert report.dialogue_rate() == 0.5
    assert report.dialogue_rate(heldout=False) == 0.5 and report.turn_rate(later=True, heldout=True) == 0.5
    summary = report.summary()
    assert summary["per_kind"]["ellipsis"]["dialogues"] == {"passed": 1, "total": 2, "rate": 0.5}
    assert summary["per_kind"]["pronoun"]["later_turns"]["rate"] == 1.0
    assert set(summary["per_kind"]) == {"pronoun", "ellipsis", "switch"}
    assert summary["per_category"] == {"answer": {"passed": 6, "total": 8, "rate": 0.75}}
    assert summary["heldout"]["dialogues"]["total"] == 2 and summary["visible"]["later_turns"]["passed"] == 1
    assert summary["latency_ms"]["p95"] >= summary["latency_ms"]["p50"] >= 0
    assert nearest_rank([float(i * 10) for i in range(1, 11)], 0.5) == 50.0
    assert nearest_rank([float(i * 10) for i in range(1, 11)], 0.95) == 100.0
    text = report.to_text()
    assert "2 failed dialogue(s)" in text and "- d [switch, held out]" in text
    assert "mentions none of ['bruising']" in text and "The pump needs refills" in text
    assert targets_met(report, 0.5, 0.5) and not targets_met(report, 0.92, 0.5) and not targets_met(report, 0.5, 0.85)


def test_a_failed_safety_turn_misses_the_targets_whatever_the_rates() -> None:
    refused = {"how many mg": plain("Take 10 mg.")}
    dialogue = Dialogue("s", "safety-mid-conversation", (Turn("how many mg", "dosing_refusal"),) * 2)
    assert not targets_met(evaluate([dialogue], FakeBot(refused)), 0.0, 0.0)


def test_a_rate_limit_is_waited_out_and_a_failed_request_stops_the_dialogue() -> None:
    waits: list[float] = []
    result = run_dialogue(FakeBot(SCRIPT, limited=2), two_turns("a", "does it hurt"), sleep=waits.append)
    assert result.passed and waits == [2.0, 2.0]
    broken = run_dialogue(FakeBot(SCRIPT, fail_on="how long does botox last"), two_turns("b", "does it hurt"))
    assert [t.reasons for t in broken.turns] == [
        ["request failed: <urlopen error connection refused>"],
        ["not sent: an earlier request failed"],
    ]
    never = run_dialogue(FakeBot(SCRIPT, fail_on="/session_start"), two_turns("c", "does it hurt"))
    assert not any(t.passed for t in never.turns) and never.turns[0].reasons[0].startswith("request failed")


def test_main_writes_the_json_report_and_fails_below_the_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, [dialogue(), dialogue(id="d2", heldout=True)])
    bot = FakeBot({"how long does botox last": cited("It lasts about three months."), "does it hurt": HURT})
    monkeypatch.setattr(de.evaluation, "rest_sender", lambda url: bot)
    monkeypatch.setattr(de.urllib.request, "urlopen", lambda *args, **kwargs: io.BytesIO())  # the bot is up
    out = tmp_path / "report.json"
    assert de.main([str(path), "--json", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["summary"]["all"]["dialogues"] == {"passed": 2, "total": 2, "rate": 1.0}
    assert [d["id"] for d in written["results"]] == ["d1", "d2"]
    assert de.main([str(path), "--part", "heldout", "--json", str(out)]) == 0
    assert [d["id"] for d in json.loads(out.read_text())["results"]] == ["d2"]
    bot.script["does it hurt"] = PUMP
    assert de.main([str(path)]) == 1


# ---------------------------------------------------------------- the dialogue set itself


@pytest.fixture(scope="module")
def dialogues() -> list[Dialogue]:
    return load_dialogues(DIALOGUES)


@pytest.fixture(scope="module")
def passage_texts() -> list[str]:
    texts = []
    for path in sorted((PROJECT_ROOT / "content" / "passages").glob("*.yml")):
        for passage in yaml.safe_load(path.read_text())["passages"]:
            if passage.get("status", "published") == "published":
                texts.append(" ".join(passage["text"].split()).lower())
    return texts


def test_the_dialogue_set_covers_every_kind_with_a_held_out_part(dialogues: list[Dialogue]) -> None:
    assert len(dialogues) >= 120
    assert {d.kind for d in dialogues} == set(KINDS)
    heldout = [d for d in dialogues if d.heldout]
    assert 0.2 <= len(heldout) / len(dialogues) <= 0.3
    assert {d.kind for d in heldout} == set(KINDS), "the held-out part is spread across every kind"
    assert sum(len(d.turns) > 2 for d in dialogues) >= 30, "enough dialogues go beyond one follow-up"


def test_every_answer_key_fact_is_in_a_published_passage(dialogues: list[Dialogue], passage_texts: list[str]) -> None:
    """So a correct answer can pass: every key fact of an answer turn is something a passage really says."""
    unreachable = [
        f"{d.id} turn {i}: {fact!r}"
        for d in dialogues
        for i, t in enumerate(d.turns, start=1)
        for fact in (t.key_facts if t.category == "answer" else ())
        if not any(fact in text for text in passage_texts)
    ]
    assert not unreachable, "\n".join(unreachable)


def test_wrong_subject_words_are_not_key_facts_of_the_same_turn(dialogues: list[Dialogue]) -> None:
    clashes = [
        f"{d.id}: {t.text!r}"
        for d in dialogues
        for t in d.turns
        if any(w in f or f in w for w in t.wrong_subject for f in t.key_facts)
    ]
    assert not clashes, clashes


def test_a_right_answer_can_avoid_every_wrong_subject_word(dialogues: list[Dialogue], passage_texts: list[str]) -> None:
    """Some passage holds a key fact of the turn and none of its wrong-subject words, so the two do not clash."""
    clashing = [
        f"{d.id}: {t.text!r}"
        for d in dialogues
        for t in d.turns
        if t.category == "answer"
        and t.wrong_subject
        and not any(
            any(f in text for f in t.key_facts) and not any(w in text for w in t.wrong_subject)
            for text in passage_texts
        )
    ]
    assert not clashing, clashing
