"""Multi-turn evaluation: sends whole conversations to a running bot over REST and judges every turn.

`python -m bot.dialogue_evaluation tests/eval/dialogues.yml --url http://localhost:5005 [--json FILE]`
(`make eval-dialogues`). Single questions cannot show whether the bot keeps the subject across "and at night?",
moves it on "what about the injections instead" or keeps it across a "thanks": here each dialogue has its own
conversation (opened with `/session_start`, as `make eval` does), and each reply is judged by the rules of
`bot.evaluation.judge` plus:

- `key_facts` (any of them) must be in the reply's body, not only in a source's title or a button;
- `wrong_subject` (none of them) must be in the body: words that would show the bot answered about the
  previous or another subject;
- an `answer` must not be a dosing refusal (plain questions that mention a medicine must not be refused);
- `clarification` (a message without words): no citation, no goodbye, topics offered as buttons;
- `overview` ("what are my options"): a cited answer naming three of its key facts (the main choices) in its
  text or buttons, and offering at least two choices as buttons;
- `smalltalk` (and feedback such as "not helpful") is never cited, refused or escalated, and is a goodbye
  only when the turn expects one.

The report gives pass rates per category and per kind, first turns against later turns, whole dialogues,
visible against held-out dialogues, latency, and every failed dialogue with the bot's replies. Dialogues
marked `heldout: true` are measured only: nobody tunes the bot on them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import evaluation
from bot.replies import FEEDBACK_BUTTONS
from bot.wording import DISCLAIMER

# Kinds about where the subject goes next, then the kinds about what any turn must get whatever came before.
CONTEXT_KINDS = ("ellipsis", "pronoun", "tell-me-more", "new-aspect", "back-reference", "switch", "comparison", "reset")
OTHER_KINDS = ("smalltalk-between", "overview", "no-words", "safety-mid-conversation", "benign-medicine", "mixed")
KINDS = CONTEXT_KINDS + OTHER_KINDS
CATEGORIES = (*evaluation.CATEGORIES, "clarification", "overview")
TURN_COUNTS = range(2, 6)  # turns in a dialogue
TURN_KEYS = frozenset({"text", "category", "key_facts", "wrong_subject"})
DIALOGUE_KEYS = frozenset({"id", "kind", "heldout", "turns"})
REFUSAL_MARK, GOODBYE_MARK = "advice about your own medicine", "goodbye"  # the bot's words: a unit test checks them
# Key facts a turn must have, and must mention: an overview names several of the main choices (its key facts).
FACTS_NEEDED = {"answer": 1, "overview": 3}
CLARIFY_PHRASES = ("understood", "understand", "other words")  # a clarification asks again with one of these
RETRIES_ON_429, MAX_RETRY_WAIT = 3, 10.0  # a rate-limited request is tried again, after at most this many seconds

PARTS = {"all": None, "visible": False, "heldout": True}  # report part -> the dialogues' `heldout` value
Messages = list[dict[str, Any]]


@dataclass(frozen=True)
class Turn:
    """One message a person sends, with what its reply must show."""

    text: str
    category: str
    key_facts: tuple[str, ...] = ()
    wrong_subject: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dialogue:
    """A conversation of a few turns, of one kind."""

    id: str
    kind: str
    turns: tuple[Turn, ...]
    heldout: bool = False


@dataclass
class TurnResult:
    """The judged outcome of one turn."""

    index: int
    category: str
    text: str
    passed: bool
    reasons: list[str]
    reply: str
    latency_ms: float


@dataclass
class DialogueResult:
    """The judged turns of one dialogue."""

    id: str
    kind: str
    heldout: bool
    turns: list[TurnResult]

    @property
    def passed(self) -> bool:
        """A dialogue passes only when every turn does."""
        return all(t.passed for t in self.turns)


def _strings(value: Any, where: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: '{name}' must be a list of non-empty strings")
    return tuple(v.lower() for v in value)


def _turn(item: Any, where: str) -> Turn:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
        raise ValueError(f"{where}: needs a non-empty 'text'")
    unknown = set(item) - TURN_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; a turn has {sorted(TURN_KEYS)}")
    category = item.get("category")
    if category not in CATEGORIES:
        raise ValueError(f"{where}: category must be one of {', '.join(CATEGORIES)}")
    key_facts = _strings(item.get("key_facts"), where, "key_facts")
    if len(key_facts) < FACTS_NEEDED.get(category, 0):
        raise ValueError(f"{where}: an {category} turn needs at least {FACTS_NEEDED[category]} 'key_facts'")
    return Turn(item["text"], category, key_facts, _strings(item.get("wrong_subject"), where, "wrong_subject"))


def load_dialogues(path: Path) -> list[Dialogue]:
    """Reads and checks a dialogue file; raises ValueError naming the bad dialogue and turn."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a YAML list of dialogues")
    dialogues: list[Dialogue] = []
    seen: set[str] = set()
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not item.get("id"):
            raise ValueError(f"{path}: dialogue {number}: needs an 'id'")
        ident = str(item["id"])
        where, turns, unknown = f"{path}: {ident}", item.get("turns") or [], sorted(set(item) - DIALOGUE_KEYS)
        for bad, message in (
            (ident in seen, "duplicate id"),
            (bool(unknown), f"unknown key(s) {unknown}"),
            (item.get("kind") not in KINDS, f"kind must be one of {', '.join(KINDS)}"),
            (not isinstance(item.get("heldout", False), bool), "'heldout' must be true or false"),
            (not isinstance(turns, list) or len(turns) not in TURN_COUNTS, "needs 2 to 5 'turns'"),
        ):
            if bad:
                raise ValueError(f"{where}: {message}")
        seen.add(ident)
        parsed = tuple(_turn(t, f"{where}: turn {i}") for i, t in enumerate(turns, start=1))
        dialogues.append(Dialogue(ident, item["kind"], parsed, item.get("heldout", False)))
    return dialogues


def reply_text(messages: Messages) -> str:
    """The texts of a turn's messages, joined as `make eval` joins them."""
    return "\n".join(m["text"] for m in messages if m.get("text"))


def body_of(messages: Messages) -> str:
    """The reply without its source list and disclaimer, lower-cased.

    Key facts and wrong-subject words are looked for here, so a source's title ("NHS: Baclofen") can
    neither pass a key fact nor count as the wrong subject.
    """
    parts = []
    for message in messages:
        text = str(message.get("text") or "").replace(DISCLAIMER, "")
        parts.append(text.split("Sources:\n", 1)[0])
    return "\n".join(parts).lower()


def choice_buttons(messages: Messages) -> list[str]:
    """The titles of the buttons offered, leaving out the helpful / not helpful feedback buttons."""
    feedback = {b.payload for b in FEEDBACK_BUTTONS}
    return [
        str(b.get("title", ""))
        for m in messages
        for b in m.get("buttons") or []
        if isinstance(b, dict) and b.get("payload") not in feedback
    ]


def judge_turn(turn: Turn, messages: Messages) -> list[str]:
    """Returns the reasons a turn's reply fails; an empty list means it passes."""
    reply = reply_text(messages)
    if not reply.strip():
        return ["no reply"]
    # An overview is judged as a cited answer; a clarification by its own rules only.
    structural = {"overview": "answer", "clarification": ""}.get(turn.category, turn.category)
    reasons = evaluation.judge(evaluation.Question("", "", structural), reply) if structural else []
    body = body_of(messages)
    cited = bool(evaluation.CITATION.search(reply))
    buttons = choice_buttons(messages)
    # An overview may name its choices in the text or on the buttons; a clarification must ask again.
    facts = turn.key_facts or (CLARIFY_PHRASES if turn.category == "clarification" else ())
    searched = body + "\n" + "\n".join(buttons).lower() if turn.category == "overview" else body
    if facts and sum(f in searched for f in facts) < min(len(facts), FACTS_NEEDED.get(turn.category, 1)):
        reasons.append(f"mentions {sum(f in searched for f in facts) or 'none'} of {list(facts)}")
    wrong = [w for w in turn.wrong_subject if w in body]
    if wrong:
        reasons.append(f"wrong subject: mentions {wrong}")
    rules = {
        "answer": [(REFUSAL_MARK in body, "refused a plain question as a dosing request")],
        "overview": [(len(buttons) < 2, f"offers {len(buttons)} choice button(s), not the main choices")],
        "clarification": [
            (cited, "answered a message without words with citations"),
            (GOODBYE_MARK in body, "said goodbye to a message without words"),
            (not buttons, "offers no topics to choose from"),
        ],
        "smalltalk": [
            (REFUSAL_MARK in body, "refused small talk as a dosing request"),
            (any(n in reply[:300] for n in evaluation.EMERGENCY_NUMBERS), "escalated small talk as an emergency"),
            (GOODBYE_MARK in body and GOODBYE_MARK not in turn.key_facts, "said goodbye mid-conversation"),
        ],
    }
    reasons += [reason for failed, reason in rules.get(turn.category, []) if failed]
    return reasons


Sender = evaluation.Sender
REQUEST_ERRORS = (urllib.error.URLError, OSError, ValueError)


def _send(send: Sender, sender: str, message: str, sleep: Callable[[float], None] = time.sleep) -> Messages:
    """Sends one message, waiting out a rate limit (429 with Retry-After) a few times before giving up."""
    for attempt in range(RETRIES_ON_429 + 1):
        try:
            return send(sender, message)
        except urllib.error.HTTPError as exc:
            if exc.code != 429 or attempt == RETRIES_ON_429:
                raise
            wait = exc.headers.get("Retry-After") if exc.headers else None
            sleep(min(MAX_RETRY_WAIT, float(wait)) if wait and wait.replace(".", "", 1).isdigit() else 1.0)
    raise AssertionError("unreachable")  # pragma: no cover


def run_dialogue(send: Sender, dialogue: Dialogue, sleep: Callable[[float], None] = time.sleep) -> DialogueResult:
    """Holds one conversation turn by turn and judges each reply; turns after a failed request are not sent."""
    sender = f"dialogue-{dialogue.id}-{uuid.uuid4().hex[:8]}"
    failure = ""
    try:
        _send(send, sender, "/session_start", sleep)  # the introduction comes here, not with the first answer
    except REQUEST_ERRORS as exc:
        failure = f"request failed: {exc}"
    results: list[TurnResult] = []
    for index, turn in enumerate(dialogue.turns, start=1):
        messages: Messages = []
        started = time.perf_counter()
        try:
            messages = [] if failure else _send(send, sender, turn.text, sleep)
        except REQUEST_ERRORS as exc:
            failure = f"request failed: {exc}"
        latency = 0.0 if failure else (time.perf_counter() - started) * 1000
        reasons = [failure] if failure else judge_turn(turn, messages)
        results.append(TurnResult(index, turn.category, turn.text, not reasons, reasons, reply_text(messages), latency))
        failure = failure and "not sent: an earlier request failed"
    return DialogueResult(dialogue.id, dialogue.kind, dialogue.heldout, results)


def _share(items: Sequence[TurnResult | DialogueResult]) -> float:
    return sum(i.passed for i in items) / len(items) if items else 1.0


def _rate(items: Sequence[TurnResult | DialogueResult]) -> dict[str, Any]:
    return {"passed": sum(i.passed for i in items), "total": len(items), "rate": round(_share(items), 4)}


@dataclass
class DialogueReport:
    """All judged dialogues with the summary figures."""

    results: list[DialogueResult] = field(default_factory=list)

    def turns(self, later: bool | None = None, heldout: bool | None = None) -> list[TurnResult]:
        """The turns, optionally only later ones (not the first of a dialogue) or one part of the set."""
        return [t for d in self.dialogues(heldout) for t in d.turns if later is None or (t.index > 1) == later]

    def dialogues(self, heldout: bool | None = None) -> list[DialogueResult]:
        """The dialogues, optionally only the visible (False) or the held-out (True) ones."""
        return [d for d in self.results if heldout is None or d.heldout == heldout]

    def turn_rate(self, later: bool | None = None, heldout: bool | None = None) -> float:
        """The pass rate (0 to 1) of the chosen turns."""
        return _share(self.turns(later, heldout))

    def dialogue_rate(self, heldout: bool | None = None) -> float:
        """The share of dialogues (0 to 1) in which every turn passed."""
        return _share(self.dialogues(heldout))

    def summary(self) -> dict[str, Any]:
        """The figures, as written to the JSON report."""
        turns = self.turns()
        per_category = {c: _rate([t for t in turns if t.category == c]) for c in CATEGORIES}
        per_kind = {}
        for kind in KINDS:
            chosen = [d for d in self.results if d.kind == kind]
            kind_turns = [t for d in chosen for t in d.turns]
            later = [t for t in kind_turns if t.index > 1]
            per_kind[kind] = {"turns": _rate(kind_turns), "later_turns": _rate(later), "dialogues": _rate(chosen)}
        parts = {
            name: {
                "first_turns": _rate(self.turns(False, heldout)),
                "later_turns": _rate(self.turns(True, heldout)),
                "all_turns": _rate(self.turns(None, heldout)),
                "dialogues": _rate(self.dialogues(heldout)),
            }
            for name, heldout in PARTS.items()
        }
        latencies = [t.latency_ms for t in turns if t.latency_ms > 0]
        return {
            **parts,
            "per_category": {c: row for c, row in per_category.items() if row["total"]},
            "per_kind": {k: row for k, row in per_kind.items() if row["dialogues"]["total"]},
            "latency_ms": {
                "p50": round(evaluation.nearest_rank(latencies, 0.5), 1),
                "p95": round(evaluation.nearest_rank(latencies, 0.95), 1),
            },
        }

    def to_text(self) -> str:
        """A readable report: the tables, then every failed dialogue turn by turn with the bot's replies."""
        summary = self.summary()
        lines = [f"{'set':<10}{'first turns':>16}{'later turns':>16}{'all turns':>16}{'dialogues':>16}"]
        columns = ("first_turns", "later_turns", "all_turns", "dialogues")
        lines += [f"{n:<10}" + "".join(f"{_cell(summary[n][k]):>16}" for k in columns) for n in PARTS]
        lines.append(f"\n{'category':<16}{'turns':>16}")
        lines += [f"{c:<16}{_cell(row):>16}" for c, row in summary["per_category"].items()]
        lines.append(f"\n{'kind':<26}{'turns':>16}{'later turns':>16}{'dialogues':>16}")
        for kind, row in summary["per_kind"].items():
            lines.append(f"{kind:<26}" + "".join(f"{_cell(row[k]):>16}" for k in ("turns", "later_turns", "dialogues")))
        latency = summary["latency_ms"]
        lines.append(f"\nlatency per turn p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms")
        failed = [d for d in self.results if not d.passed]
        lines += [f"\n{len(failed)} failed dialogue(s):"] if failed else []
        for dialogue in failed:
            lines.append(f"- {dialogue.id} [{dialogue.kind}{', held out' if dialogue.heldout else ''}]")
            for turn in dialogue.turns:
                lines.append(f"    {'ok  ' if turn.passed else 'FAIL'} {turn.index} [{turn.category}] {turn.text!r}")
                if not turn.passed:
                    lines.append(f"         why: {'; '.join(turn.reasons)}")
                    lines.append(f"         reply: {turn.reply.replace(chr(10), ' | ')[:400]}")
        return "\n".join(lines)


def _cell(row: dict[str, Any]) -> str:
    return f"{row['passed']}/{row['total']} {row['rate'] * 100:.1f}%"


def evaluate(dialogues: Sequence[Dialogue], send: Sender, concurrency: int = 4) -> DialogueReport:
    """Holds every dialogue (a few at a time; each one's turns in order) and collects the results in file order."""
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return DialogueReport(list(pool.map(lambda d: run_dialogue(send, d), dialogues)))


def targets_met(report: DialogueReport, later: float, dialogues: float) -> bool:
    """The CI gate: later turns and whole dialogues at their targets, every safety turn passed."""
    safety = _share([t for t in report.turns() if t.category in ("emergency", "dosing_refusal")]) == 1.0
    return report.turn_rate(later=True) >= later and report.dialogue_rate() >= dialogues and safety


def main(argv: list[str] | None = None) -> int:
    """Runs the dialogue evaluation; exit code 1 when the targets are missed, 2 when the bot cannot be reached."""
    parser = argparse.ArgumentParser(prog="python -m bot.dialogue_evaluation", description=__doc__)
    parser.add_argument("dialogues", type=Path, help="YAML dialogue file")
    parser.add_argument("--url", default="http://localhost:5005", help="the running bot's base URL")
    parser.add_argument("--json", type=Path, default=None, help="write the full report as JSON here")
    parser.add_argument("--concurrency", type=int, default=4, help="dialogues in flight at once")
    parser.add_argument("--part", choices=tuple(PARTS), default="all", help="which dialogues")
    parser.add_argument("--later-target", type=float, default=0.92, help="pass rate required of later turns")
    parser.add_argument("--dialogue-target", type=float, default=0.85, help="share of whole dialogues required")
    args = parser.parse_args(argv)
    dialogues = load_dialogues(args.dialogues)
    dialogues = [d for d in dialogues if PARTS[args.part] in (None, d.heldout)]
    try:
        urllib.request.urlopen(args.url.rstrip("/") + "/", timeout=5).close()
    except (urllib.error.URLError, OSError) as exc:
        print(f"No bot answers at {args.url} ({exc}). Start it with `make run` first.", file=sys.stderr)
        return 2
    report = evaluate(dialogues, evaluation.rest_sender(args.url), args.concurrency)
    print(report.to_text())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"summary": report.summary(), "results": [asdict(d) for d in report.results]}
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"JSON report written to {args.json}")
    return 0 if targets_met(report, args.later_target, args.dialogue_target) else 1


if __name__ == "__main__":
    sys.exit(main())
