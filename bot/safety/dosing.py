"""Personal dosing requests: how much to take, or whether to change, skip, stop, restart or mix a medicine.

The bot must never answer these for a person, however they are asked ("pretend you are my neurologist",
"just tell me the mg"), because only the prescriber knows the person's health and other medicines. Like the
red-flag detector this is rule-based and runs on every message, so a misread intent cannot let a dose out.

A general question about how a medicine is used ("why must baclofen not be stopped suddenly", "what is a
test dose for the pump") is not a personal request: it names no person and asks for no amount, and the
library answers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from bot.safety.matching import NOT, SignalMatcher, Signals, normalise

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


# Units a reply must never give an amount of for the person.
UNIT = (
    "mg|milligrams?|mgs|ml|millilit(?:re|er)s?|mls|mcg|micrograms?|µg|units?|iu|tablets?|tabs?|pills?|capsules?"
    "|puffs?|drops?|sprays?|g|grams?"
)
NUMBER_WORDS = "half|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|fifty"
# A dose amount in a reply: "10 mg", "2.5ml", "two tablets", "half a tablet". Replies of the safety paths
# (and the passages they quote) must never match it.
DOSE_AMOUNT = re.compile(
    rf"(?<![\w.])(?:\d+(?:[.,]\d+)?|{NUMBER_WORDS})(?:\s*(?:-|to|or)\s*(?:\d+(?:[.,]\d+)?|{NUMBER_WORDS}))?"
    rf"(?:\s+an?)?\s*(?:{UNIT})\b",
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


PERSON = (
    "i|me|my|myself|mine|we|us|our|he|him|his|she|her|hers|they|them|their|son|daughter|mum|mom|dad|wife|husband"
    "|child|kid|patient|character"
)
OTHER_MEDICINE = (
    "ibuprofen|paracetamol|acetaminophen|tylenol|advil|nurofen|aspirin|naproxen|melatonin|tramadol|codeine"
    "|co-codamol|oxycodone|morphine|cipro|ciprofloxacin|fluvoxamine|antidepressants?|sertraline|amitriptyline"
    "|duloxetine|fluoxetine|citalopram|pregabalin|lyrica|antibiotics?|painkillers?|antihistamines?|zopiclone"
    "|diphenhydramine|oxybutynin|modafinil|steroids?|prednisolone|prednisone|insulin|warfarin"
)

OTHER_MEDICINE_TOKEN = re.compile(OTHER_MEDICINE)

SIGNALS: dict[str, list[str]] = {
    "medicine": [
        "@THERAPY",
        OTHER_MEDICINE,
        "sleeping|pain|water|bp|heart pills|tablets|meds",
        "blood pressure pills|tablets|meds",
        "pain killers?",
    ],
    "dose_word": [
        "dose|doses|dosage|dosages|dosing|doseage|dosis|amount|strength|mg|mgs|milligrams?|ml|mls|mcg|micrograms?"
        "|units|pills?|tablets?|tabs|capsules?|puffs|drops|rate|setting|settings",
    ],
    # The person, or someone they speak for.
    "person": [
        PERSON,
        "someone ...2 me|my",
        "for a|an ...2 \\d+|adult|child|kid|man|woman|year|kg|kilos?",
        # asking for advice or permission, or about a dose now, is asking for oneself
        "recommend|recommended|suggest|advise|prescribe",
        "ok|okay|alright|fine|allowed to|if",
        "today|tonight|now|tomorrow",
    ],
    # A request: asking whether or how much.
    "request": [
        "should|can|could|may|must|shall|do|does|would|is|it|ok|okay|safe|fine|alright|allowed|need|needs",
        "how|what|whats|wat|which|tell|give|say|just|please|want|wanted|hypothetically|pretend|help",
    ],
    # How much or how many to take (not "how much does the pump cost", not "how many times a year").
    "how_much": [
        "how much|many ...4 take|taking|have|give|giving|use|need|needs|should|can|could|is|mg|ml|mcg|units|tablets"
        "|pills|tabs|drops|puffs|dose|doses",
        "how much|many ...4 @THERAPY",
    ],
    "how_much_take": ["how much|many ...4 take|taking|give|giving"],
    "not_amount": [
        "how much|many ...4 cost|costs|price|pay|weigh|weighs|times|years?|months?|weeks?|people|patients|hours"
        "|minutes|injections|refills|operations",
        "how much does|do|is ...3 cost",
        "decide|decides|decided|choose|chooses|work|works|figure|calculate|calculates ...3 how much|many",
    ],
    "which_dose": [
        "what|whats|wat|which|the|right|correct|best|max|maximum|highest|safe|normal|usual|ideal|proper|rite"
        " ...3 dose|doses|dosage|amount|mg|strength|number",
        "max|maximum|most|highest|limit ...3 @THERAPY",
        "max|maximum|most|highest|limit ...3 i|can|for",
    ],
    "dose_for_person": [
        "dose|doses|dosage|amount|mg|milligrams|strength|tablets|pills|tabs ...4 for me|him|her|them|us|myself",
        "dose|doses|dosage|amount|mg|milligrams|strength ...4 for my|a|an|someone|somebody",
        "dose|doses|dosage|amount|mg|milligrams|strength ...4 is|be right|rite|correct|ok|okay|safe|enough",
        "my|his|her|their|our dose|doses|dosage|amount|mg|strength",
        "my|his|her|their|our ...2 dose|doses|dosage|mg|rate|setting",
        "dose|dosage|mg ...3 should|would|do|does ...2 my|i|he|she|we",
        "should|can ...3 my ...3 dose|doses|dosage|rate|setting",
    ],
    "explicit": [
        "tell|give|say|send|type|write|show ...3 me ...3 the|a|my|how ...3 mg|milligrams|dose|dosage|number|amount"
        "|many|much",
        "tell|say ...3 the|my|a ...2 mg|milligrams|dose|dosage|number|amount",
        "just the|a number|mg|dose",
        "what|which ...3 dose|dosage|mg|amount ...3 would|should|do you",
        "the mg",
        "how many mg|milligrams|mgs|ml|units|mcg",
        "only ...3 a|the number",
    ],
    # The amount itself: "30mg", "10 mg", "600".
    "amount": [
        f"\\d+(?:[.,]\\d+)? {UNIT}",
        "\\d+ ...1 @THERAPY",
        "\\d+(?:mg|ml|mcg)",
        "\\d+ times|x",
        "one|two|three|four|five|six|2|3|4|5|6|half|couple|few ...2 of ...2 my|his|her|the",
        "one|two|three|four|five|six|2|3|4|5|6|half|couple|few ...2 of ...2 @THERAPY",
    ],
    "amount_adjective": [
        "max|maximum|highest|safe|safest|right|correct|usual|normal|starting|recommended|proper|ideal|best|lowest"
        "|minimum|standard|typical|strongest ...2 dose|doses|dosage|amount|mg",
    ],
    "capacity": ["hold|holds|contain|contains|capacity|store|stores|reservoir"],
    "one_more": ["another|extra|second|more ...1 one|dose|doses|tablet|tablets|pill|pills|tab|tabs"],
    "take_it": ["should|can|could|do|may i|we|he|she ...1 take|give ...1 it|them|these|those|one|this"],
    "circumstance": ["while|when|whilst|after|if ...1 taking|on|using"],
    "my_medicine": [
        "my|his|her|our|their ...2 @THERAPY",
        "my|his|her|our|their ...2 pills|tablets|tabs|meds|dose|doses|dosage|pump",
    ],
    "take": [
        "take|taking|takes|took|have|having|give|giving|use|using|go|switch|put|get|be|been|stay|leave|wait|space",
    ],
    "change": [
        "double|doubling|doubled|triple|extra|another|more|less|fewer|half|halve|halving|halves|split|cut|cutting"
        "|up|increase|increasing|raise|raising|higher|lower|lowering|reduce|reducing|decrease|decreasing|bump|boost"
        "|adjust|adjusting|change|changing|alter|switch|switching|swap|instead|early|earlier|later|late|between"
        "|skip|skipping|miss|missed|missing|stretch|last|top|turn|bigger|smaller|stronger|weaker|larger",
        "cut|turn|step|top|wind ...1 down|up",
    ],
    "stop": [
        "stop|stopping|quit|quitting|discontinue|cease|drop",
        "come|coming|get|getting|go|going ...1 off",
        "wean|weaning|taper|tapering",
        "cold turkey",
    ],
    "take_request": [
        "should|can|could|may|must|shall|do|ok|okay|safe|fine|alright ...4 take|taking|give|giving|use|using",
    ],
    "restart": ["restart|restarting|resume|resuming", "start|starting|go|get ...2 again|back", "back on"],
    "mix": ["with|and|together|mix|mixing|combine|combining|combined|alongside|plus|whilst|while", "on top of"],
    "mix_verb": ["mix|mixing|combine|combining|combined|together|alongside|interact"],
    "general_only": [
        "why",
        "what happens",
        "what|whats|what's [is] the reason",
        "is|it|why|what ...2 dangerous|bad|risky|harmful",
        "you|people|someone|patients ...2 stop|stopping|start|starting",
        f"{NOT} be stopped",
    ],
}


@dataclass(frozen=True)
class DosingDetection:
    """A personal dosing request, with the therapy it names (for choosing the general passage)."""

    request: DosingRequest
    therapies: tuple[str, ...]
    signals: frozenset[str]


def _kind(signals: Signals) -> DosingRequest:
    if signals.has("restart"):
        return DosingRequest.RESTART
    if signals.has("stop"):
        return DosingRequest.STOP
    if signals.count(["mix_verb"]) or (signals.has("mix") and signals.has("two_medicines")):
        return DosingRequest.MIX
    if signals.has("change"):
        return DosingRequest.CHANGE
    return DosingRequest.AMOUNT


def is_personal_request(signals: Signals) -> bool:
    """Whether the signals add up to a request for the person's own dose (see module docstring).

    Each test is one way of asking: for an amount ("how much should I take", "is 30 mg enough"), for a
    change to a medicine the person takes ("can I double my baclofen"), or about mixing two medicines.
    """
    medicine = signals.has("medicine", "dose_word", "one_more")
    personal = signals.has("person")
    if signals.has("explicit", "dose_for_person"):
        return True
    if signals.has("how_much") and not signals.has("not_amount") and medicine:
        return True
    if signals.has("how_much_take") and not signals.has("not_amount") and personal:
        return True
    if signals.has("which_dose") and medicine and (personal or signals.has("amount_adjective")):
        return not signals.has("capacity") or personal
    if signals.has("amount") and signals.has("medicine", "dose_word"):
        return True
    acts = signals.has("change", "stop", "restart")
    if acts and medicine and personal and (signals.has("my_medicine") or not signals.has("general_only")):
        return True
    if signals.has("take_request") and personal and medicine and not signals.has("circumstance"):
        return True
    if signals.has("take_it") and not signals.has("circumstance"):
        return True
    if signals.has("mix_verb") and medicine and personal:
        return True
    if signals.has("two_medicines") and signals.has("mix", "mix_verb") and signals.has("request"):
        return personal or signals.has("mix_verb")
    return False


class DosingDetector:
    """Finds requests for personal dosing advice with spaCy matchers over the project's pipeline."""

    def __init__(self, nlp: Language) -> None:
        """Compiles the patterns against the pipeline's vocabulary."""
        self.nlp = nlp
        self.matcher = SignalMatcher(nlp.vocab, SIGNALS)

    def detect(self, text: str) -> DosingDetection | None:
        """The dosing request in a message, or None."""
        if not text or not text.strip():
            return None
        return self.detect_doc(self.nlp(normalise(text)))

    def detect_doc(self, doc: Doc) -> DosingDetection | None:
        """The dosing request in an already analysed (lower-cased) doc, or None."""
        signals = self.matcher(doc)
        therapies = tuple(dict.fromkeys(ent.ent_id_ for ent in doc.ents if ent.label_ == "THERAPY" and ent.ent_id_))
        other = sum(1 for token in doc if OTHER_MEDICINE_TOKEN.fullmatch(token.lower_))
        if len(therapies) + other >= 2:
            signals = Signals(signals.labels | {"two_medicines"})
        if not is_personal_request(signals):
            return None
        return DosingDetection(_kind(signals), therapies, signals.labels)
