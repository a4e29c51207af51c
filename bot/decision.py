"""The dialogue decision: what the bot does with a classified message, in one pure function (`decide`).

The classifier proposes an intent; three things may overrule it, and they are all decided here:

1. **Safety** (always first). A red flag from the safety net's detectors makes the intent `emergency`, else a
   personal dosing request makes it `ask_dosing`, with confidence 1.0. The classifier's own `emergency` or
   `ask_dosing` that the detectors do not confirm becomes `ask_question` (it misfired on a quarter of ordinary
   first-person questions and on one medicine question in four: bot/safety/rasa_component.py has the figures),
   unless the configuration trusts it (`Trust`).
2. **The out-of-scope rescue.** The classifier learnt from short examples, so a long story or a message that
   names our terms can look like small talk to it. Such a message is answered from the library after all when
   a passage fits: with its terms at the usual bar, without terms only when it is long and a passage fits
   clearly (`LONG_MESSAGE_MARGIN` times the bar). A short message in a conversation with a subject ("and a
   grade 3?") is tried as a follow-up of that subject. Anything else gets the scope statement.
3. **The clarification.** When NLU (or the dialogue policies) is unsure, a message with words is answered if
   the library is sure; otherwise the bot asks which topic is meant, and after a clarification in a row it gives
   up gracefully (`Conversation.fallbacks`, the `fallbacks` slot: see domain.yml).

Where it runs (the README's "How it works" shows the whole path):

- in the Rasa server, by `bot.safety.rasa_component.SafetyNetClassifier`, last in the NLU pipeline: it uses
  the decision's intent, so the rules route an emergency or a dosing request whatever the classifier said;
- in the action server, by `action_out_of_scope` and `action_fallback` (actions/actions.py): they use the
  decision's plan (`attempt`, then `then`) with the conversation's subject and fallback count from the slots.

It is pure (no I/O, no model), and deciding again on its own result gives the same intent, so both places
agree. Conversational moves ("ok", "go on", "the first one") are read before it, by
`bot.nlp.move_classifier.ConversationMoveClassifier` (bot/nlp/moves.py); safety still wins over them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from enum import Enum

from bot.constants import (
    INTENT_ASK_DOSING,
    INTENT_ASK_QUESTION,
    INTENT_EMERGENCY,
    INTENT_NLU_FALLBACK,
    INTENT_OUT_OF_SCOPE,
)
from bot.text import has_words

SAFETY_INTENTS = (INTENT_EMERGENCY, INTENT_ASK_DOSING)

# The out-of-scope rescue. A message of this many words or more is a story rather than small talk; without
# a term of ours its best passage must score this many times the answer threshold (off-topic questions are
# short and fit nothing that well: the highest of the evaluation set's scored 0.26, this needs 0.33).
LONG_MESSAGE_WORDS = 10
LONG_MESSAGE_MARGIN = 1.5
# A message this short, or one a few words longer that refers back ("and that one?"), is read in the subject
# under discussion.
SHORT_FOLLOWUP_WORDS = 6
REFERS_BACK = re.compile(r"^(?:and|so|but|ok|okay)\b|\b(?:it|its|them|they|that|this|those|these|mine|one)\b")


class Then(str, Enum):
    """What the bot says when no attempt to answer is made or the attempt finds no passage."""

    ROUTE = "route"  # the action the rules give the intent (answer, emergency, refusal, small talk)
    SCOPE = "scope"  # the scope statement with topic buttons
    CLARIFY = "clarify"  # "is your question about one of these?" with the likely topics
    GIVE_UP = "give_up"  # a clarification in a row did not help: the main topics, ask in other words


@dataclass(frozen=True)
class Nlu:
    """What NLU made of the message: the intent, its confidence, the safety verdict and our terms in it.

    Attributes:
        intent: the intent predicted so far (None when the classifier gave none).
        confidence: its confidence.
        red_flag: the safety net found a red flag.
        dosing: the safety net found a personal dosing request.
        term_ids: canonical ids of the therapies, conditions and symptoms the entity ruler found.
    """

    intent: str | None
    confidence: float = 0.0
    red_flag: bool = False
    dosing: bool = False
    term_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conversation:
    """The little of the conversation the decision needs (the NLU component knows none of it).

    Attributes:
        topic: the topic under discussion (the `topic` slot).
        fallbacks: clarifications offered in a row just before this message (the `fallbacks` slot).
        fell_back: the fallback action runs: NLU or the dialogue policies were unsure of the message.
    """

    topic: str | None = None
    fallbacks: int = 0
    fell_back: bool = False


@dataclass(frozen=True)
class Trust:
    """Which of the classifier's safety intents are kept when the detectors do not confirm them (default none)."""

    emergency: bool = False
    dosing: bool = False


@dataclass(frozen=True)
class Attempt:
    """Answer from the library first; only when no passage clears the bar does `Decision.then` apply.

    Attributes:
        with_terms: pass the message's term ids to retrieval.
        followup: read the message as a follow-up of the subject under discussion.
        margin: the best passage must score this many times the answer threshold (None: the threshold).
    """

    with_terms: bool = False
    followup: bool = False
    margin: float | None = None


@dataclass(frozen=True)
class Decision:
    """The intent the rules route, and for the out-of-scope and fallback actions what they do.

    Attributes:
        intent: the intent after the safety override.
        confidence: its confidence (1.0 when the safety net decided it).
        replaced: the intent the safety override replaced, if it replaced one.
        by_safety: the safety net's detectors decided the intent (an emergency or a dosing request).
        attempt: try to answer from the library first (None: do not).
        then: what to say otherwise.
        reason: which branch decided, in words (for the logs and the tests).
    """

    intent: str | None
    confidence: float
    replaced: str | None = None
    by_safety: bool = False
    attempt: Attempt | None = None
    then: Then = Then.ROUTE
    reason: str = "classifier"


def decide(nlu: Nlu, text: str, conversation: Conversation | None = None, trust: Trust | None = None) -> Decision:
    """Decides the intent and, for out-of-scope and unsure messages, what to try and what to say.

    Args:
        nlu: the classifier's intent and the safety net's verdict.
        text: the message as the person wrote it (after the length guard).
        conversation: the subject and the fallback count; None in the NLU component, which has no tracker.
        trust: which unconfirmed safety intents of the classifier to keep.

    Returns:
        The decision; see the module docstring for the order of the rules.
    """
    conversation = conversation or Conversation()
    safe = _safety(nlu, trust or Trust())
    if safe.intent in SAFETY_INTENTS:
        return safe
    if conversation.fell_back or safe.intent == INTENT_NLU_FALLBACK:
        attempt = Attempt() if has_words(text) else None  # "!!!" or "🙂" asks nothing: never answered
        if conversation.fallbacks >= 1:
            return dataclasses.replace(safe, attempt=attempt, then=Then.GIVE_UP, reason="unsure again: give up")
        return dataclasses.replace(safe, attempt=attempt, then=Then.CLARIFY, reason="unsure: clarify")
    if safe.intent == INTENT_OUT_OF_SCOPE:
        return _rescue(safe, nlu.term_ids, text, conversation.topic)
    return safe


def _safety(nlu: Nlu, trust: Trust) -> Decision:
    """The safety override alone: the intent the rules route, with no plan."""
    predicted = nlu.intent
    if nlu.red_flag:
        return Decision(INTENT_EMERGENCY, 1.0, _if_changed(predicted, INTENT_EMERGENCY), True, reason="red flag")
    if nlu.dosing:
        if predicted == INTENT_EMERGENCY and trust.emergency:
            return Decision(INTENT_EMERGENCY, nlu.confidence, reason="trusted classifier emergency")
        return Decision(
            INTENT_ASK_DOSING, 1.0, _if_changed(predicted, INTENT_ASK_DOSING), True, reason="dosing request"
        )
    if predicted == INTENT_EMERGENCY and not trust.emergency:
        return Decision(INTENT_ASK_QUESTION, nlu.confidence, predicted, reason="unconfirmed emergency")
    if predicted == INTENT_ASK_DOSING and not trust.dosing:
        return Decision(INTENT_ASK_QUESTION, nlu.confidence, predicted, reason="unconfirmed dosing")
    return Decision(predicted, nlu.confidence)


def _if_changed(predicted: str | None, target: str) -> str | None:
    return None if predicted == target else predicted


def _rescue(safe: Decision, term_ids: tuple[str, ...], text: str, topic: str | None) -> Decision:
    """The out-of-scope rescue: which attempt to answer, if any, before the scope statement."""
    words = len(text.split())
    if term_ids:
        return dataclasses.replace(safe, attempt=Attempt(with_terms=True), then=Then.SCOPE, reason="names our terms")
    if words >= LONG_MESSAGE_WORDS:
        attempt = Attempt(with_terms=True, margin=LONG_MESSAGE_MARGIN)
        return dataclasses.replace(safe, attempt=attempt, then=Then.SCOPE, reason="a long story")
    if topic and (
        words <= SHORT_FOLLOWUP_WORDS or (words <= LONG_MESSAGE_WORDS + 4 and REFERS_BACK.search(text.lower()))
    ):
        attempt = Attempt(followup=True)
        return dataclasses.replace(safe, attempt=attempt, then=Then.SCOPE, reason="short, in the subject")
    return dataclasses.replace(safe, then=Then.SCOPE, reason="out of scope")
