"""How people ask, in English, for personal dosing advice (bot.safety.dosing): the words and the lines, as data.

The words are the alternatives the lines are made of; a placeholder of PLACEHOLDERS (`{MED}`, `{OBJ}`, `{PUMP}`,
`{CLINICIAN}`) stands for one pattern per alternative, and its alternatives hold the Spanish words too, so the
Spanish lines (dosing_es.py) use the same placeholders. Notation: bot.safety.matching.
"""

from __future__ import annotations

from bot.safety.matching import NOT
from bot.safety.signals.words_es import CLINICIAN_WORDS, MEDICINE
from bot.safety.signals.words_es import DOSE_WORDS as DOSE_WORDS_ES

# -- the words the patterns are made of ---------------------------------------------------------------

# Units of a dose amount; a reply must never give an amount of them for the person (bot.safety.dosing.DOSE_AMOUNT).
UNIT = (
    "mg|milligrams?|mgs|ml|millilit(?:re|er)s?|mls|mcg|micrograms?|µg|units?|iu|tablets?|tabs?|pills?|capsules?"
    "|puffs?|drops?|sprays?|g|grams?"
)

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
# The Spanish words join the same alternatives (words_es.py), so a placeholder still stands for the
# same number of patterns and both languages are matched in one pass.
MEDICINE_WORDS = f"{OTHER_MEDICINE}|meds|medicines?|medications?|tablets?|tabs?|pills?|capsules?|shots?|{MEDICINE}"
DOSE_WORDS = (
    "dose|doses|dosage|dosages|doseage|dosing|dosis|mg|mgs|milligrams?|ml|mls|mcg|micrograms?|units|puffs?|drops"
    f"|sprays?|rate|setting|settings|spoons?|spoonfuls?|teaspoons?|sachets?|syringes?|{DOSE_WORDS_ES}"
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
        f"nurse|nurses|team|clinic|specialist|therapist|they|{CLINICIAN_WORDS}",
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
# dosing_es.py; bot.safety.dosing merges both (SIGNAL_LINES).
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
