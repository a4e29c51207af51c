"""Personal dosing requests: how much to take, or whether to change, skip, stop, restart or mix a medicine.

The bot must never answer these for a person, however they are asked ("pretend you are my neurologist",
"just tell me the mg"), because only the prescriber knows the person's health and other medicines. Like the
red-flag detector this is rule-based and runs on every message, so a misread intent cannot let a dose out.

It decides from who asks for what, not from any change word anywhere (issue 12: "another stroke", "more
risk", "up the stairs", "how much physio" were refused). Two ways of asking are refused:

- an amount of a medicine, whoever it is for ("how much baclofen", "what dose of dysport", "is 30 mg too
  much"): the library never states a dose;
- a person asking for themselves or someone they care for (I, my, he, she, my son...) to act on a medicine
  or its dose: the verb's object must be the medicine or the dose ("double my baclofen", "stop my diazepam",
  "go back on tizanidine", "take my diazepam with my baclofen"), or the request is to take or give the
  medicine, which asks when, how often or how much.

spaCy's blank pipeline has no parser, so "the verb's object" is adjacency: the object must follow the verb
within two tokens (`double ...2 {OBJ}`), and physiotherapy, splints or an operation are no object (they have
no dose). A general question ("why must baclofen not be stopped suddenly", "what happens if you stop
baclofen", "what is a test dose for the pump") names no person's medicine and asks for no amount, and the
library answers it; a "why" question asks for a reason, which the library gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from bot.safety.matching import SignalMatcher, Signals, merge_signals
from bot.safety.signals.dosing_en import ENGLISH_SIGNAL_LINES, PLACEHOLDERS, UNIT
from bot.safety.signals.dosing_es import DOSING_SIGNAL_LINES
from bot.safety.signals.words_es import EXPLANATION_OPENING, SPANISH_TERMS, THERAPY_TERMS

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


class DosingRequest(str, Enum):
    """What the person asked to do with a dose; the refusal explains why each needs the prescriber."""

    AMOUNT = "amount"
    CHANGE = "change"
    STOP = "stop"
    RESTART = "restart"
    MIX = "mix"


NUMBER_WORDS = "half|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|fifty"
# A dose amount in a reply: "10 mg", "2.5ml", "two tablets", "half a tablet" (the English units are the
# dosing lines' UNIT). Replies of the safety paths (and the passages they quote) must never match it.
# The same in Spanish ("10 miligramos", "dos pastillas", "media pastilla", "2,5 ml"), for Spanish replies.
UNIT_ES = (
    "miligramos?|mililitros?|microgramos?|unidades|comprimidos?|pastillas?|tabletas?|c[aá]psulas?|gotas?"
    "|inhalaciones|pulverizaciones|gramos?"
)
NUMBER_WORDS_ES = "media|medio|un|una|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce|quince|veinte|treinta"
_AMOUNT = rf"\d+(?:[.,]\d+)?|{NUMBER_WORDS}|{NUMBER_WORDS_ES}"
DOSE_AMOUNT = re.compile(
    rf"(?<![\w.])(?:{_AMOUNT})(?:\s*(?:-|to|or|a|o)\s*(?:{_AMOUNT}))?"
    rf"(?:\s+an?)?\s*(?:{UNIT}|{UNIT_ES})\b",
    re.IGNORECASE,
)


# Words added to the retrieval query of a refusal so that the general passage fits the request: asking to
# stop baclofen brings "why baclofen must never be stopped suddenly".
PASSAGE_HINTS: dict[DosingRequest, str] = {
    DosingRequest.STOP: "stop stopping suddenly withdrawal",
    DosingRequest.RESTART: "stop stopping suddenly restart",
    DosingRequest.MIX: "mixing other medicines together",
    DosingRequest.CHANGE: "dose start low go slow",
    DosingRequest.AMOUNT: "dose start low go slow",
}


def states_dose(text: str) -> bool:
    """Whether a text states a dose amount (numbers with mg, ml, mcg, tablets, units, puffs or drops)."""
    return DOSE_AMOUNT.search(text or "") is not None


# The ways of asking are data: bot/safety/signals/dosing_en.py (with the words and placeholders) and
# dosing_es.py. Every message is matched against both languages' lines in one pass, whatever its language.
SIGNAL_LINES: dict[str, list[str]] = merge_signals(ENGLISH_SIGNAL_LINES, DOSING_SIGNAL_LINES)
# Signals read from how the message opens, which the token patterns cannot see.
OPENINGS: dict[str, re.Pattern[str]] = {
    # A "why" or "how come" ("¿por qué...?") question asks for a reason; the library gives it, and never a dose.
    "explanation": re.compile(rf"^(?:why|how come)\b(?! not\b)|{EXPLANATION_OPENING.pattern}"),
    # A message that opens with the dose asks for it: "dose of tizanidine for sleep?", "¿dosis de baclofeno?".
    "dose_first": re.compile(r"^[¿\s]*(?:dose|doses|dosage|dosing|dosis)\b"),
}


def expand(line: str) -> list[str]:
    """The patterns one line of SIGNAL_LINES stands for: one per alternative of each placeholder it uses.

    Examples:
        "stop ...2 {PUMP}" gives "stop ...2 @baclofen-pump" and "stop ...2 pump|pumps|itb".
    """
    items = [[item] if item not in PLACEHOLDERS else list(PLACEHOLDERS[item]) for item in line.split()]
    patterns = [""]
    for choices in items:
        patterns = [f"{done} {choice}".strip() for done in patterns for choice in choices]
    return patterns


SIGNALS: dict[str, list[str]] = merge_signals(
    {name: [pattern for line in lines for pattern in expand(line)] for name, lines in SIGNAL_LINES.items()},
    # Spanish names of the therapies, so a Spanish refusal still names the medicine ("baclofeno" is baclofen).
    {name: patterns for name, patterns in SPANISH_TERMS.items() if name in THERAPY_TERMS},
)


@dataclass(frozen=True)
class DosingDetection:
    """A personal dosing request, with the therapy it names (for choosing the general passage)."""

    request: DosingRequest
    therapies: tuple[str, ...]
    signals: frozenset[str]


def asks_for_amount(signals: Signals) -> bool:
    """Whether the message asks how much of a medicine (for anyone: the library never gives a dose).

    "how much baclofen should i take", "what dose of dysport", "whats the max baclofen", "is 30 mg too much";
    not "how much does the pump cost", "how much physio" or "what is the maximum dose the pump can hold".
    """
    drug = signals.has("drug")
    if signals.has("explicit", "dose_for_person") or (signals.has("unit_amount") and signals.has("person")):
        return True
    if signals.has("how_much") and drug and not signals.has("not_amount"):
        return True
    if signals.has("how_much_take") and signals.has("person") and not signals.has("not_amount"):
        return True
    if signals.has("dose_of", "dose_setting", "dose_first", "advice_change") and drug:
        return True
    if signals.has("which_dose") and drug and signals.has("person"):
        return True
    if signals.has("amount_adjective") and drug:
        return not signals.has("capacity") or signals.has("person")
    if signals.has("daily_amount") and (drug or signals.has("take")) and signals.has("person"):
        return True
    return signals.has("amount") and drug


def asks_to_act_on_a_dose(signals: Signals) -> bool:
    """Whether a person asks to change, stop, restart or mix their medicine (see module docstring).

    The action must fall on a medicine or its dose ("up my baclofen", not "up the stairs"; "stop my
    diazepam", not "stop the spasms"), and someone must be asking for themselves or for someone they care
    for. A question about what happens in general ("what happens if you stop baclofen") is not a request,
    unless it is about the person's own medicine ("is it bad if i stop my baclofen"); a "why" question asks
    for a reason, which the library gives.
    """
    if signals.has("explanation"):
        return False
    # Taking two medicines together is asked for someone, whoever is named: "is it safe to use X and Y together".
    if signals.has("two_together") and signals.has("mix_verb") and signals.has("take"):
        return not signals.has("general_only")
    if not signals.has("person"):
        return False
    acts = signals.has("change_dose", "stop_dose", "restart_dose")
    acts = acts or (signals.has("take_request") and not signals.has("circumstance"))
    mixes = signals.has("two_together") and signals.has("mix_verb", "take")
    if not (acts or mixes) or not signals.has("drug", "dose_word", "implied_dose"):
        return False
    return signals.has("owned", "asks_self") or not signals.has("general_only")


def _kind(signals: Signals) -> DosingRequest:
    if signals.has("restart_dose"):
        return DosingRequest.RESTART
    if signals.has("stop_dose"):
        return DosingRequest.STOP
    if signals.has("two_together") and signals.has("mix_verb", "take"):
        return DosingRequest.MIX
    if signals.has("change_dose", "advice_change"):
        return DosingRequest.CHANGE
    return DosingRequest.AMOUNT


def is_personal_request(signals: Signals) -> bool:
    """Whether the signals add up to a dosing request: an amount, or an action on the person's medicine."""
    return asks_for_amount(signals) or asks_to_act_on_a_dose(signals)


class DosingDetector:
    """Finds requests for personal dosing advice with spaCy matchers over the project's pipeline."""

    def __init__(self, nlp: Language) -> None:
        """Compiles the patterns against the pipeline's vocabulary."""
        self.nlp = nlp
        self.matcher = SignalMatcher(nlp.vocab, SIGNALS)

    def detect_doc(self, doc: Doc) -> DosingDetection | None:
        """The dosing request in an already analysed (lower-cased) doc, or None."""
        signals = self.matcher(doc)
        named = [ent.ent_id_ for ent in doc.ents if ent.label_ == "THERAPY" and ent.ent_id_]
        named += [label.removeprefix("@") for label in sorted(signals.labels & THERAPY_TERMS)]
        therapies = tuple(dict.fromkeys(named))
        opening = {name for name, pattern in OPENINGS.items() if pattern.match(doc.text)}
        signals = Signals(signals.labels | opening)
        if not is_personal_request(signals):
            return None
        return DosingDetection(_kind(signals), therapies, signals.labels)
