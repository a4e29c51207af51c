"""Red-flag detection: is this message an emergency from section 24 of the fact sheet, and which one?

The detector runs on every message whatever intent the classifier chose, so a misread intent cannot hide an
emergency. It is deliberately rule-based: every rule is a readable line that a clinician can review, and a
missed emergency is fixed by adding a pattern and a test message, not by retraining.

A category fires when the message shows the signs the category needs (a pump *and* an alarm; botulinum toxin
*and* trouble swallowing, speaking or breathing). A message framed as a general question ("what is baclofen
withdrawal", "can botox cause trouble swallowing") is not flagged, unless it also describes something
happening to someone now ("is it normal that my son can't swallow after botox"). Suicidal thoughts and
self-harm are flagged however they are phrased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from bot.safety.matching import SignalMatcher, Signals, merge_signals
from bot.safety.signals.red_flags_en import ENGLISH_SIGNALS
from bot.safety.signals.red_flags_es import RED_FLAG_SIGNALS
from bot.safety.signals.words_es import QUESTION_OPENING, SPANISH_TERMS

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


class RedFlag(str, Enum):
    """The kinds of emergency the bot escalates at once (fact sheet section 24)."""

    PUMP_ALARM = "pump-alarm"
    PUMP_WITHDRAWAL = "pump-withdrawal"
    PUMP_INFECTION = "pump-infection"
    ORAL_WITHDRAWAL = "oral-withdrawal"
    OVERDOSE = "overdose"
    SEDATIVES_OPIOIDS = "sedatives-opioids"
    TIZANIDINE_FAINTING = "tizanidine-fainting"
    TOXIN_SPREAD = "toxin-spread"
    AUTONOMIC_DYSREFLEXIA = "autonomic-dysreflexia"
    CHEST_PAIN = "chest-pain"
    STROKE = "stroke"
    SUICIDE_SELF_HARM = "suicide-self-harm"
    GENERAL = "general"


# The safety passage (content/passages/24-emergencies.yml) that goes with each red flag. GENERAL has none:
# the service then picks the closest emergency passage, or gives the numbers and crisis lines alone.
PASSAGE_FOR: dict[RedFlag, str | None] = {
    RedFlag.PUMP_ALARM: "emergency-pump-two-tone-alarm",
    RedFlag.PUMP_WITHDRAWAL: "emergency-itb-withdrawal",
    RedFlag.PUMP_INFECTION: "emergency-pump-infection-or-leak",
    RedFlag.ORAL_WITHDRAWAL: "emergency-oral-baclofen-stopped-suddenly",
    RedFlag.OVERDOSE: "emergency-baclofen-overdose",
    RedFlag.SEDATIVES_OPIOIDS: "emergency-sedatives-with-opioids",
    RedFlag.TIZANIDINE_FAINTING: "emergency-tizanidine-fainting",
    RedFlag.TOXIN_SPREAD: "emergency-botulinum-toxin-spread",
    RedFlag.AUTONOMIC_DYSREFLEXIA: "emergency-autonomic-dysreflexia",
    RedFlag.CHEST_PAIN: "emergency-chest-pain-or-stroke",
    RedFlag.STROKE: "emergency-chest-pain-or-stroke",
    RedFlag.SUICIDE_SELF_HARM: "emergency-suicidal-thoughts",
    RedFlag.GENERAL: None,
}

# The ways of saying each sign are data: bot/safety/signals/red_flags_en.py and red_flags_es.py.
# Every message is matched against both languages' lines in one pass (a Spanish or Spanglish message that a
# language detector would misread is still caught).
SIGNALS: dict[str, list[str]] = merge_signals(ENGLISH_SIGNALS, RED_FLAG_SIGNALS, SPANISH_TERMS)
# Signals read from how a sentence opens, which the token patterns cannot see: a Spanish question often has
# no "¿" and opens with "que", "como" or "cuanto" ("que es la abstinencia del baclofeno").
OPENINGS: dict[str, re.Pattern[str]] = {"question": QUESTION_OPENING}


@dataclass(frozen=True)
class Rule:
    """A red flag and the signal groups it needs: at least one signal from every group, none of `unless`.

    `any_framing` rules hold however the message is framed: a question about what to do in an overdose is
    answered with what to do now, not with background facts.
    """

    flag: RedFlag
    needs: tuple[tuple[str, ...], ...]
    unless: tuple[str, ...] = ()
    any_framing: bool = False

    def holds(self, signals: Signals) -> bool:
        """True when every group is present and no excluding signal is."""
        return all(signals.has(*group) for group in self.needs) and not signals.has(*self.unless)


# Checked in order; the first rule that holds names the red flag. More specific dangers come first, so a
# pump wound with a fever is an infection before it is withdrawal.
RULES: tuple[Rule, ...] = (
    Rule(RedFlag.SUICIDE_SELF_HARM, (("suicidal",),)),
    Rule(RedFlag.SUICIDE_SELF_HARM, (("self_hurt",),), unless=("accident",)),
    # "Me corto" is cutting oneself, unless what is cut is a tablet, the nails or the hair.
    Rule(RedFlag.SUICIDE_SELF_HARM, (("self_cut",),), unless=("cut_object",)),
    Rule(RedFlag.PUMP_INFECTION, (("wound",), ("wound_sign",), ("pump",))),
    Rule(RedFlag.PUMP_INFECTION, (("pump_swelling",),)),
    Rule(RedFlag.PUMP_INFECTION, (("pump_device",), ("meningitis_sign",)), unless=("sci",)),
    Rule(
        RedFlag.PUMP_ALARM,
        (("pump_device",), ("alarm_sounding",), ("unsure_alarm",), ("alarm_active", "happening_now")),
        any_framing=True,
    ),
    Rule(RedFlag.PUMP_ALARM, (("two_tone",), ("alarm_sounding", "pump_device")), unless=("not_two_tone",)),
    Rule(
        RedFlag.PUMP_ALARM,
        (("pump_device",), ("alarm_sounding",), ("alarm_active", "happening_now")),
        unless=("single_beep", "no_pump"),
    ),
    Rule(RedFlag.OVERDOSE, (("dose_increased",), ("very_sleepy", "depressed"))),
    # Before pump withdrawal: a spinal cord injury with a pounding headache or sweating is dysreflexia even when
    # the person also has a pump (sweating is a sign of both; the headache and the injury level decide).
    Rule(RedFlag.AUTONOMIC_DYSREFLEXIA, (("ad_term",),)),
    Rule(RedFlag.AUTONOMIC_DYSREFLEXIA, (("sci",), ("ad_headache",))),
    Rule(RedFlag.PUMP_WITHDRAWAL, (("pump_device",), ("withdrawal_sign", "@withdrawal")), unless=("no_pump",)),
    Rule(
        RedFlag.PUMP_WITHDRAWAL, (("pump",), ("pump_failed",), ("withdrawal_sign", "@withdrawal")), unless=("no_pump",)
    ),
    Rule(
        RedFlag.SEDATIVES_OPIOIDS,
        (("sedative",), ("opioid",), ("depressed", "very_sleepy", "breath_trouble", "@drowsiness")),
    ),
    Rule(
        RedFlag.TOXIN_SPREAD,
        (("botulinum",), ("swallow_trouble", "breath_trouble", "speech_trouble", "weak_all_over")),
    ),
    Rule(RedFlag.OVERDOSE, (("took_too_much",), ("medicine", "@overdose"))),
    Rule(RedFlag.OVERDOSE, (("overdose_help",),), any_framing=True),
    Rule(RedFlag.OVERDOSE, (("child",), ("ingested",)), any_framing=True),
    Rule(RedFlag.OVERDOSE, (("depressed",), ("medicine", "pump"))),
    Rule(RedFlag.OVERDOSE, (("very_sleepy",), ("took_too_much", "pump"))),
    Rule(RedFlag.TIZANIDINE_FAINTING, (("tizanidine",), ("fainting",))),
    Rule(RedFlag.ORAL_WITHDRAWAL, (("stopped_med",), ("@baclofen",), ("withdrawal_sign", "@withdrawal"))),
    Rule(RedFlag.AUTONOMIC_DYSREFLEXIA, (("sci",), ("ad_sign", "ad_headache"))),
    Rule(RedFlag.CHEST_PAIN, (("chest_pain",),)),
    Rule(RedFlag.STROKE, (("face_droop", "sudden_weakness", "stroke_now"),)),
    Rule(RedFlag.STROKE, (("speech_trouble",),), unless=("botulinum",)),
    Rule(RedFlag.GENERAL, (("general_emergency", "depressed", "breath_trouble"),)),
    # Trouble swallowing tablets is an everyday problem (is there a liquid?), not choking or a toxin's spread.
    Rule(RedFlag.GENERAL, (("swallow_trouble",),), unless=("pill_swallowing",)),
    Rule(RedFlag.GENERAL, (("new_confusion",),)),
)

# Flagged however the message is framed: someone asking "what's the point in living" is not asking for facts.
ALWAYS: frozenset[RedFlag] = frozenset({RedFlag.SUICIDE_SELF_HARM})


@dataclass(frozen=True)
class Detection:
    """A red flag found in a message, with the signals that led to it (for logs and tests)."""

    flag: RedFlag
    signals: frozenset[str]

    @property
    def passage_id(self) -> str | None:
        """The safety passage for this red flag, if it has one."""
        return PASSAGE_FOR[self.flag]


def describes_now(signals: Signals) -> bool:
    """Whether the message tells of something happening to someone rather than asking about a subject.

    Either a time or a call for help ("now", "since this morning", "help") or a person in some state ("my son
    is", "he can't") counts. A conditional ("what should I do if the pump alarm goes off", "how many can I take
    before it's an overdose") asks about a possible future: then only a time or call for help together with a
    person in some state counts.
    """
    if signals.has("happening_now") and not (signals.has("conditional") and not signals.has("person_state")):
        return True
    return signals.has("person_state") and not signals.has("conditional")


class RedFlagDetector:
    """Finds section-24 emergencies in a message with spaCy matchers over the project's pipeline."""

    def __init__(self, nlp: Language) -> None:
        """Compiles the patterns against the pipeline's vocabulary.

        Args:
            nlp: the project's spaCy pipeline (its entity ruler supplies the terminology ids).
        """
        self.nlp = nlp
        self.matcher = SignalMatcher(nlp.vocab, SIGNALS)

    def detect_doc(self, doc: Doc) -> Detection | None:
        """The red flag in an already analysed (lower-cased) doc, or None."""
        signals = self.matcher(doc)
        opening = {name for name, pattern in OPENINGS.items() if pattern.search(doc.text)}
        if opening:
            signals = Signals(signals.labels | opening)
        for rule in RULES:
            if not rule.holds(signals):
                continue
            if rule.any_framing or rule.flag in ALWAYS or not signals.has("question", "if_clause"):
                return Detection(rule.flag, signals.labels)
            if describes_now(signals):
                return Detection(rule.flag, signals.labels)
        return None
