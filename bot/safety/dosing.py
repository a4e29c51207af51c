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

from bot.safety import spanish
from bot.safety.matching import NOT, SignalMatcher, Signals, merge_signals

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


# -- the words the patterns are made of ---------------------------------------------------------------

# Medicines the terminology knows (a physiotherapy, a splint or an operation has no dose), and other medicines
# people take alongside them.
DRUG_TERMS = (
    "@baclofen|@tizanidine|@dantrolene|@benzodiazepines|@gabapentin|@cannabinoids|@cbd-products"
    "|@synthetic-cannabinoids|@clonidine|@carbamazepine|@oxcarbazepine|@antispasticity-medicines|@botulinum-toxin"
    "|@nerve-blocks|@itb-trial|@medicine|@opioid|@liquid"
)
OTHER_MEDICINE = (
    "ibuprofen|paracetamol|acetaminophen|tylenol|advil|nurofen|aspirin|naproxen|melatonin|tramadol|codeine"
    "|co-codamol|oxycodone|morphine|cipro|ciprofloxacin|fluvoxamine|antidepressants?|sertraline|amitriptyline"
    "|duloxetine|fluoxetine|citalopram|pregabalin|lyrica|antibiotics?|painkillers?|antihistamines?|zopiclone"
    "|diphenhydramine|oxybutynin|modafinil|steroids?|prednisolone|prednisone|insulin|warfarin|clonazepam|lorazepam"
)
# The Spanish words join the same alternatives (bot/safety/spanish.py), so a placeholder still stands for the
# same number of patterns and both languages are matched in one pass.
MEDICINE_WORDS = (
    f"{OTHER_MEDICINE}|meds|medicines?|medications?|tablets?|tabs?|pills?|capsules?|shots?|{spanish.MEDICINE}"
)
DOSE_WORDS = (
    "dose|doses|dosage|dosages|doseage|dosing|dosis|mg|mgs|milligrams?|ml|mls|mcg|micrograms?|units|puffs?|drops"
    f"|sprays?|rate|setting|settings|spoons?|spoonfuls?|teaspoons?|sachets?|syringes?|{spanish.DOSE_WORDS}"
)
PUMP_WORDS = "pump|pumps|itb"
# Treatments that have no dose: "how much physio", "switch physio", "stop wearing his splints".
NO_DOSE_TERMS = (
    "@physiotherapy|@stretching|@occupational-therapy|@orthoses|@serial-casting|@hydrotherapy|@standing-frame"
    "|@electrical-stimulation|@positioning|@complementary-therapies|@rhizotomy|@orthopaedic-surgery|@operation"
)
# Placeholders a pattern line may use. A terminology term and a word cannot share one token slot of the
# notation, so a line with `{MED}` stands for one pattern per alternative.
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "{MED}": (DRUG_TERMS, MEDICINE_WORDS),  # a medicine, by name or as "my tablets"
    "{OBJ}": (DRUG_TERMS, MEDICINE_WORDS, DOSE_WORDS),  # a medicine or its dose: what a dose change acts on
    "{PUMP}": ("@baclofen-pump", PUMP_WORDS),
    "{CLINICIAN}": (
        "@doctor",
        "@physiotherapy",
        f"nurse|nurses|team|clinic|specialist|therapist|they|{spanish.CLINICIAN_WORDS}",
    ),
}

# Who the medicine is for: the person, someone they care for, or a person described for a dose.
# Not "son" alone: in Spanish it is "are" ("¿cuáles son los efectos...?"); "my son" has its "my" (and see below).
PERSON = (
    "i|im|i'm|ive|id|me|my|myself|mine|we|us|our|he|hes|him|his|she|shes|her|hers|their|daughter"
    "|daughters|mum|mums|mom|moms|dad|dads|wife|wifes|husband|husbands|child|kid|patient|character"
)
OWNER = "my|his|her|their|our|your|mums?|dads?|sons?|daughters?|wifes?|husbands?"
# Verbs that change a dose when their object is a medicine or a dose ("double my baclofen", "lower the dose").
CHANGE_VERB = (
    "double|doubling|triple|halve|halving|split|splitting|cut|cutting|increase|increasing|raise|raising|lower"
    "|lowering|reduce|reducing|decrease|decreasing|bump|bumping|boost|boosting|adjust|adjusting|change|changing"
    "|alter|altering|skip|skipping|miss|missing|swap|swapping|switch|switching|space|spacing|spread|replace|replacing"
    "|substitute"
)
OTHER_TAKE = "have|having|use|using|pop|popping|try|trying|swallow"
STOP_VERB = "stop|stopping|quit|quitting|discontinue|discontinuing|cease|drop|dropping|ditch|ditching"
TAKE_VERB = "take|taking|give|giving"
POSSESSIVE = "mine|hers|his|theirs|ours"
NUMBER = "\\d+(?:[.,]\\d+)?|two|three|four|five|six|seven|eight|ten|couple|few"

# Each signal is one way of saying something, one readable line per pattern (notation: bot.safety.matching).
# A line with a placeholder of PLACEHOLDERS stands for one pattern per alternative. The Spanish lines are in
# bot/safety/spanish.py and are merged in below (SIGNAL_LINES).
ENGLISH_SIGNAL_LINES: dict[str, list[str]] = {
    # A medicine is named (not physiotherapy, stretching, splints or an operation: they have no dose).
    "drug": ["{MED}", "{PUMP}"],
    "dose_word": [DOSE_WORDS],
    # "i was told 10mg": a dose amount with its unit.
    "unit_amount": [f"\\d+(?:[.,]\\d+)? {UNIT}", "\\d+(?:mg|ml|mcg)"],
    # The person asking, or someone they ask for.
    "person": [
        PERSON,
        "a|the|your|cp|grand son|sons",
        "someone|somebody ...2 me|my|like",
        "for a|an ...2 \\d+|adult|child|kid|man|woman|year|kg|kilos?",
        # asking for advice or permission, or about a dose now, is asking for oneself
        "recommend|recommended|suggest|advise|prescribe",
        "ok|okay|alright|fine|allowed",
        "today|tonight|now|tomorrow",
    ],
    # -- asking for an amount ---------------------------------------------------------------------------
    # "how much baclofen", "how many mg", "how much should i take" (not "how much does the pump cost").
    "how_much": [
        "{MED} ...2 how much|many",
        "how much|many ...2 {OBJ}",
        "how much|many ...4 take|taking|give|giving|use|cut|reduce|drop|should|can|could",
    ],
    # "4 a day": an amount per day, with a taking verb or a medicine.
    "daily_amount": ["\\d+|two|three|four|five|six|eight a|per|each day|night|week|morning|evening"],
    # "how much should my son take": the medicine is implied, the person is not.
    "how_much_take": ["how much|many ...4 take|taking|give|giving|have"],
    "not_amount": [
        "how much|many ...4 cost|costs|price|pay|weigh|weighs|times|years?|months?|weeks?|days?|people|patients"
        "|hours|minutes|injections|refills|operations|sessions",
        "how much does|do|is ...3 cost",
        f"how much|many [more] {NO_DOSE_TERMS}",
        "decide|decides|decided|choose|chooses|work|works|figure|calculate|calculates ...3 how much|many",
    ],
    # "what dose of dysport", "which dose", "what mg of tizanidine", "what dose do i start at".
    "dose_of": [
        "what|whats|wat|which dose|doses|dosage|mg|strength|amount|number of|for|should|do|would|is",
        "what|whats|wat|which ...2 dose|doses|dosage|mg|amount of|for",
    ],
    "which_dose": [
        "what|whats|wat|which|right|correct|best|ideal|proper|rite ...3 dose|doses|dosage|amount|mg|strength|number",
    ],
    "amount_adjective": [
        "max|maximum|highest|safe|safest|right|correct|usual|normal|starting|recommended|proper|ideal|best|lowest"
        "|minimum|standard|typical|strongest|adult|childs|children's|childrens|good ...2 dose|doses|dosage|amount|mg"
        "|number|units",
        "max|maximum|most|highest|limit ...1 {MED}",
    ],
    # "what should the pump be set to"
    "dose_setting": ["what|how ...6 set|programmed ...1 to|at"],
    "capacity": ["hold|holds|contain|contains|capacity|store|stores|reservoir"],
    "dose_for_person": [
        "dose|doses|dosage|amount|mg|milligrams|strength|tablets|pills|tabs ...4 for me|him|her|them|us|myself",
        "dose|doses|dosage|amount|mg|milligrams|strength ...4 for my|a|an|someone|somebody",
        "dose|doses|dosage|amount|mg|milligrams|strength ...4 is|be right|rite|correct|ok|okay|safe|enough",
        "my|his|her|their|our dose|doses|dosage|amount|mg|strength",
        "{MED} ...1 enough",
        "what|whats ...1 too much|many|little ...1 {OBJ}",
        "my|his|her|their|our ...2 dose|doses|dosage|mg|rate|setting",
        "dose|dosage|mg ...3 should|would|do|does ...2 my|i|he|she|we",
        "should|can ...3 my ...3 dose|doses|dosage|rate|setting",
    ],
    "explicit": [
        "tell|give|say|send|type|write|show ...3 me ...3 the|a|my|how ...3 mg|milligrams|dose|dosage|number|amount"
        "|many|much",
        "tell|say ...3 the|my|a ...2 mg|milligrams|dose|dosage|number|amount",
        "tell|give|say|send|show me ...3 mg|milligrams|dose|dosage|doses|number|amount",
        "just the|a number|mg|dose",
        "what|which ...3 dose|dosage|mg|amount ...3 would|should|do you",
        "the mg",
        "how many mg|milligrams|mgs|ml|units|mcg",
        "only ...3 a|the number",
    ],
    # The amount itself: "30mg", "10 mg", "2 tizanidine", "two of my tablets", "3 times a day".
    "amount": [
        f"\\d+(?:[.,]\\d+)? {UNIT}",
        "\\d+(?:mg|ml|mcg)",
        f"{NUMBER} {{OBJ}}",
        f"{NUMBER} of [{OWNER}|the|these|those] {{OBJ}}",
        "\\d+ times|x",
        "every \\d+|few|couple|other ...1 hours?|hrs|days?",
    ],
    # -- acting on a medicine or its dose: the object of the verb is the medicine or the dose ---------------
    "change_dose": [
        # a change verb whose object is the medicine or its dose: "double my baclofen", "lower the dose"
        f"{CHANGE_VERB} ...2 {{OBJ}}",
        f"{CHANGE_VERB} ...2 amount|strength|number of ...2 {{OBJ}}",
        f"{CHANGE_VERB}|space ...1 it|them|out",
        "i|we|he|she|they|to|you|just|ill|i'll|will|gonna|wanna|can|could|should|may|might up|upping ...2 {OBJ}",
        "cut|cutting|step|stepping|wind|winding down|back [on] ...2 {OBJ}",
        "cut|cutting|step|stepping back|down",
        "chop|chopping ...2 {OBJ}",
        "{OBJ} ...1 in half|2|two|quarters|halves",
        "double|doubling up",
        "doubling|halving|tripling",
        "go|going|move|moving up|down a|one ...1 dose|doses|notch|level|tablet",
        "get|getting|go|going|build|building|work|working|move up to ...3 {OBJ}",
        f"{OWNER} ...2 {{OBJ}} ...2 go|goes|be|get|come ...1 up|down|higher|lower|increased|reduced|upped|changed",
        "bigger|higher|lower|smaller|stronger|weaker|larger ...2 dose|doses|dosage",
        "have|having|get|getting ...3 {OBJ} ...1 doubled|halved|increased|reduced|upped|lowered|raised|adjusted",
        # skipping or missing one: "skip my dantrolene", "miss a day of tizanidine", "if i dont take it today"
        "skip|skipping|miss|missing a|one ...1 day|night|week|morning|evening of ...1 {OBJ}",
        f"if|should|could|can|shall ...2 {NOT} take|give|have ...2 {{OBJ}}",
        "miss|missed|forget|forgot|forgotten ...2 dose|doses|tablets?|pills?|meds",
        "what|how ...3 do ...2 about|with ...3 {OBJ}",
        # more or less of it: "take a bit more", "give my dad more baclofen" (not "need more tablets"),
        # "an extra valium", "one more baclofen", "should i have two"
        f"{TAKE_VERB}|{OTHER_TAKE} ...3 more|less|extra|another|fewer|double|half|twice",
        "extra|another|second|double|bigger|smaller [of] [my|his|her|their|the] {OBJ}",
        "one|two|1|2 more|extra {OBJ}",
        "less|fewer [of] [my|his|her|their|the] {OBJ}",
        "more|less {OBJ} or",
        f"{TAKE_VERB}|have ...2 another|extra|second one",
        "take|taking|give|giving|have|having \\d+|two|three|four|five|six|both",
        "twice|double|half|three ...1 as often",
        # someone else's medicine: "can i give my son some of my baclofen", "can i borrow my mums baclofen"
        f"{TAKE_VERB}|borrow|share|sharing|use ...3 some|any|bit|one of ...2 {{OBJ}}",
        "borrow|borrowing|share|sharing ...2 {OBJ}",
        # when or how often: "take my evening tizanidine early", "take it now or wait", "take them all at night",
        # "only on bad days", "when the spasms start", "before or after food", "move the 2pm one to 5"
        f"{TAKE_VERB} ...4 early|earlier|later|sooner|now|tonight|all|again|twice",
        f"{TAKE_VERB}|have|having ...2 {{OBJ}} ...2 early|earlier|later|sooner|now|tonight",
        f"{TAKE_VERB} ...4 when|whenever|as|if|only ...2 need|needed|want|like",
        f"{TAKE_VERB} ...4 on|for ...1 bad|good|worse|some|certain days|nights|weeks",
        f"{TAKE_VERB} ...3 {{OBJ}} ...1 when|whenever ...2 spasms|spasm|stiff|stiffness|bad|worse|pain|needed",
        f"{TAKE_VERB} ...4 before|after|with|without|in|at|on ...2 food|meals?|eating|breakfast|bed|bedtime|morning"
        "|night|evening|empty",
        f"{TAKE_VERB}|skip|miss ...3 {OWNER}|the|this|next|tonights|todays ...1 dose|doses|one|ones",
        f"what time|when ...3 {TAKE_VERB}",
        "how often ...3 take|give|use|have",
        "have|need to take|give ...2 {OBJ} ...2 every|forever|always|each",
        "leave|wait|space ...3 between ...3 {OBJ}",
        "move|moving|shift|shifting ...3 one|dose|doses|tablet|tablets|pill|pills",
        # the pump's dose: "turn up my pump", "adjust my pump rate", "could my pump be set higher"
        f"{CHANGE_VERB}|turn|turning|put|putting ...2 {{PUMP}} dose|rate|setting|settings|up|down|higher|lower|myself"
        "|himself|herself|ourselves",
        "turn|turning|bump|put ...1 up|down ...2 {PUMP}",
        "my|his|her|their|our {PUMP} ...4 set|turned|put|programmed ...1 higher|lower|up|down",
        "{PUMP} dose|rate|setting|settings ...2 put|turned|set|moved ...1 up|down|higher|lower",
    ],
    "stop_dose": [
        "leave|leaving off|out ...2 {OBJ}",
        f"{STOP_VERB} ...2 {{PUMP}}",
        "give|giving up ...2 {OBJ}",
        f"{NOT} need|needs|want|wants ...2 {{OBJ}} ...2 anymore|any|now|again",
        f"{NOT} bother|bothering ...2 {{OBJ}}",
        "go|going|manage|try|trying|cope ...2 without ...2 {OBJ}",
        "keep|continue|carry ...2 taking|giving|using|on ...2 {OBJ}",
        "or ...2 stop|quit",
        f"{STOP_VERB} ...2 {{OBJ}}",
        f"{STOP_VERB} ...1 it|them|taking|using|giving",
        "come|coming|get|getting|go|going ...1 off ...2 {OBJ}",
        # the medicine named earlier in the conversation: "can i come off it now" (read with it: bot.conversation)
        "come|coming|get|getting ...1 off it|them",
        "come|coming|get|getting|go|going ...1 off ...2 {PUMP}",
        "wean|weaning|taper|tapering|withdraw|withdrawing ...3 {OBJ}",
        f"wean|weaning|taper|tapering off|down|from [{OWNER}|it|them]",
        "cold turkey",
    ],
    "restart_dose": [
        "back to ...3 {OBJ}",
        "restart|restarting|resume|resuming ...3 {OBJ}",
        "back on ...2 {OBJ}",
        "start|starting ...3 {OBJ} ...1 again|back",
        "start|starting ...2 again|back",
        "where ...2 left off",
        "restart|restarting|resume|resuming ...3 {PUMP}",
    ],
    # Asking whether to take or give one's medicine is asking when, how often or how much ("can i take my
    # baclofen at lunch as well", "should i give him his baclofen tonight"), unless it asks about doing
    # something else while taking it ("can i drive while taking baclofen").
    "take_request": [
        f"should|can|could|may|shall|ok|okay|safe|fine|alright ...3 {TAKE_VERB} ...2 {{OBJ}}",
        # the medicine named earlier in the conversation: "can i take mine with the cipro"
        f"should|can|could|may|shall|ok|okay|safe|fine|alright ...3 {TAKE_VERB} {POSSESSIVE}",
    ],
    "circumstance": [
        "while|when|whilst|after|if ...1 taking|on|using",
        "on|in|at|through|to ...2 school|nursery|work|camp",
        # taking it somewhere: "can i take my sativex abroad", "should i take my baclofen to the hospital"
        "abroad|customs|airport|plane|flight|flying|holiday|holidays|trip|luggage|suitcase|hospital",
        "@travel",
    ],
    # Advice on the size of a dose, for whoever: "should the botox dose be bigger next time".
    "advice_change": [
        "should|could|would ...3 {OBJ} ...2 be|go|get ...1 bigger|higher|lower|smaller|stronger|weaker|increased"
        "|reduced|upped|doubled|halved|raised|lowered|changed",
    ],
    # The object left implicit: "can i take another one", "should i double up", "take it with food".
    "implied_dose": [
        f"{TAKE_VERB}|have double|twice|triple|half",
        "more|less|higher|lower than ...3 leaflet|label|prescribed|prescription|recommended",
        "doubling|halving|tripling",
        f"{TAKE_VERB}|have ...2 another|extra|second one",
        "double|doubling up",
        f"{TAKE_VERB} it|them",
        # "stop taking mine", "quit using them", "cold turkey": stopping what one takes is stopping a medicine
        f"{TAKE_VERB}|using {POSSESSIVE}",
        f"{STOP_VERB} taking|using",
        "cold turkey",
    ],
    # Two medicines together ("baclofen with my diazepam", "tizanidine and cipro").
    "two_together": [
        "{MED} ...3 with|and|plus|alongside|together ...3 {MED}",
        "{MED} ...3 as well as ...3 {MED}",
        "{MED} ...3 on top of ...3 {MED}",
        f"{TAKE_VERB} it|them|{POSSESSIVE} ...2 with|and|alongside ...3 {{MED}}",
    ],
    "mix_verb": ["mix|mixing|combine|combining|together|alongside|interact"],
    "take": [f"{TAKE_VERB}|have|having|use|using"],
    # The person asks about themselves: "should i", "can he".
    "asks_self": ["should|shall|can|could|may i|we|he|she"],
    # The object is the person's own medicine ("my baclofen", "her dose").
    "owned": [f"{OWNER} ...2 {{OBJ}}", f"{OWNER} ...2 {{PUMP}}"],
    # A question about what happens, or what is risky, in general ("what happens if you stop baclofen").
    "general_only": [
        "what happens",
        "what|whats|what's [is] the reason",
        "is|it|what ...2 dangerous|bad|risky|harmful",
        "you|people|someone|patients ...2 stop|stopping|start|starting",
        f"{NOT} be stopped",
        # a clinician's plan the person asks about: "my consultant wants to change me from tablets to the pump"
        "{CLINICIAN} ...2 want|wants|wanted|going|plan|plans|planning|said|says|decided|suggested ...1 to",
    ],
}
# Every message is matched against both languages' lines in one pass, whatever language it seems to be in.
SIGNAL_LINES: dict[str, list[str]] = merge_signals(ENGLISH_SIGNAL_LINES, spanish.DOSING_SIGNAL_LINES)
# Signals read from how the message opens, which the token patterns cannot see.
OPENINGS: dict[str, re.Pattern[str]] = {
    # A "why" or "how come" ("¿por qué...?") question asks for a reason; the library gives it, and never a dose.
    "explanation": re.compile(rf"^(?:why|how come)\b(?! not\b)|{spanish.EXPLANATION_OPENING.pattern}"),
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
    {name: patterns for name, patterns in spanish.SPANISH_TERMS.items() if name in spanish.THERAPY_TERMS},
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
        named += [label.removeprefix("@") for label in sorted(signals.labels & spanish.THERAPY_TERMS)]
        therapies = tuple(dict.fromkeys(named))
        opening = {name for name, pattern in OPENINGS.items() if pattern.match(doc.text)}
        signals = Signals(signals.labels | opening)
        if not is_personal_request(signals):
            return None
        return DosingDetection(_kind(signals), therapies, signals.labels)
