"""The dialogue decision (bot/decision.py): every branch of `decide`, and where it runs.

Pure tests of the function first (no model, no content), then the two places that call it: the safety
component's one spaCy pass (it reads the doc `SpacyNLP` made) and the actions' fallback counter (the
`fallbacks` slot and its mapping in domain.yml).
"""

from __future__ import annotations

import asyncio
import copy
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bot import constants as c
from bot.decision import (
    LONG_MESSAGE_MARGIN,
    Attempt,
    Conversation,
    Decision,
    Nlu,
    Then,
    Trust,
    decide,
)

ASK, DOSING, EMERGENCY = c.INTENT_ASK_QUESTION, c.INTENT_ASK_DOSING, c.INTENT_EMERGENCY
OOS, FALLBACK = c.INTENT_OUT_OF_SCOPE, c.INTENT_NLU_FALLBACK
LONG_STORY = "had ms 8 yrs and some days my legs are like concrete by the evening"
SUBJECT = Conversation(topic="ashworth-scale")


# -- safety: the detectors decide, the classifier's own safety intents are not kept -------------------------


@pytest.mark.parametrize(
    ("nlu", "trust", "expected"),
    [
        # A red flag wins over everything, the dosing request included.
        (Nlu(ASK, 0.6, red_flag=True), None, Decision(EMERGENCY, 1.0, ASK, True, reason="red flag")),
        (Nlu(DOSING, 0.6, True, True), None, Decision(EMERGENCY, 1.0, DOSING, True, reason="red flag")),
        (Nlu(FALLBACK, 0.2, red_flag=True), None, Decision(EMERGENCY, 1.0, FALLBACK, True, reason="red flag")),
        (Nlu(None, 0.0, red_flag=True), None, Decision(EMERGENCY, 1.0, None, True, reason="red flag")),
        # Already the prediction: nothing replaced, but certain now.
        (Nlu(EMERGENCY, 0.7, red_flag=True), None, Decision(EMERGENCY, 1.0, None, True, reason="red flag")),
        (Nlu(ASK, 0.6, dosing=True), None, Decision(DOSING, 1.0, ASK, True, reason="dosing request")),
        (Nlu(OOS, 0.9, dosing=True), None, Decision(DOSING, 1.0, OOS, True, reason="dosing request")),
        (Nlu(DOSING, 0.8, dosing=True), None, Decision(DOSING, 1.0, None, True, reason="dosing request")),
        (Nlu(EMERGENCY, 0.8, dosing=True), None, Decision(DOSING, 1.0, EMERGENCY, True, reason="dosing request")),
        # A trusted classifier emergency stays, with its own confidence, over a dosing request.
        (
            Nlu(EMERGENCY, 0.8, dosing=True),
            Trust(emergency=True),
            Decision(EMERGENCY, 0.8, reason="trusted classifier emergency"),
        ),
        # Unconfirmed safety intents become questions with the classifier's confidence...
        (Nlu(EMERGENCY, 0.99), None, Decision(ASK, 0.99, EMERGENCY, reason="unconfirmed emergency")),
        (Nlu(DOSING, 0.55), None, Decision(ASK, 0.55, DOSING, reason="unconfirmed dosing")),
        (Nlu(DOSING, 0.55), Trust(emergency=True), Decision(ASK, 0.55, DOSING, reason="unconfirmed dosing")),
        # ... unless trusted.
        (Nlu(EMERGENCY, 0.99), Trust(emergency=True), Decision(EMERGENCY, 0.99)),
        (Nlu(DOSING, 0.55), Trust(dosing=True), Decision(DOSING, 0.55)),
        # Anything else is the classifier's.
        (Nlu(ASK, 0.8), None, Decision(ASK, 0.8)),
        (Nlu(c.INTENT_GREET, 0.95), None, Decision(c.INTENT_GREET, 0.95)),
    ],
)
def test_safety_step(nlu: Nlu, trust: Trust | None, expected: Decision) -> None:
    assert decide(nlu, "some message", trust=trust) == expected


@pytest.mark.parametrize("conversation", [None, Conversation(fell_back=True, fallbacks=3), SUBJECT])
def test_safety_wins_over_the_fallback_and_the_rescue(conversation: Conversation | None) -> None:
    for intent in (FALLBACK, OOS):
        decision = decide(Nlu(intent, 0.3, red_flag=True, term_ids=("baclofen",)), LONG_STORY, conversation)
        assert (decision.intent, decision.attempt, decision.then) == (EMERGENCY, None, Then.ROUTE)


# -- the out-of-scope rescue ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "terms", "conversation", "attempt", "reason"),
    [
        ("is baclofen ok with gout", ("baclofen",), Conversation(), Attempt(with_terms=True), "names our terms"),
        # A story without terms: answered only when a passage fits clearly better than the threshold.
        (LONG_STORY, (), Conversation(), Attempt(with_terms=True, margin=LONG_MESSAGE_MARGIN), "a long story"),
        # Exactly ten words is long already.
        ("one two three four five six seven eight nine ten", (), None, Attempt(True, margin=1.5), "a long story"),
        # Short, in a conversation with a subject: tried as a follow-up of that subject.
        ("and a grade 3?", (), SUBJECT, Attempt(followup=True), "short, in the subject"),
        ("one two three four five six", (), SUBJECT, Attempt(followup=True), "short, in the subject"),
        # Seven to nine words when it refers back (ten or more is a story).
        ("so what does that one mean for mum", (), SUBJECT, Attempt(followup=True), "short, in the subject"),
        # Not short and no reference back: the scope statement.
        ("what time does the big game start", (), SUBJECT, None, "out of scope"),
        # No subject: nothing to read a short message in.
        ("and a grade 3?", (), Conversation(), None, "out of scope"),
        ("what time is sunset", (), None, None, "out of scope"),
    ],
)
def test_out_of_scope_rescue(
    text: str, terms: tuple[str, ...], conversation: Conversation | None, attempt: Attempt | None, reason: str
) -> None:
    decision = decide(Nlu(OOS, 0.8, term_ids=terms), text, conversation)
    assert (decision.intent, decision.attempt, decision.then, decision.reason) == (OOS, attempt, Then.SCOPE, reason)


def test_a_long_message_that_refers_back_is_still_a_story() -> None:
    text = "so what does that one mean for my mum next week"  # 11 words
    decision = decide(Nlu(OOS, 0.8), text, SUBJECT)
    assert decision.attempt == Attempt(with_terms=True, margin=LONG_MESSAGE_MARGIN)


# -- the clarification ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nlu", "text", "conversation", "attempt", "then"),
    [
        # NLU unsure: answered if the library is sure, else the likely topics...
        (Nlu(FALLBACK, 0.3), "baclofen pump thing?? hmm", None, Attempt(), Then.CLARIFY),
        # ... and after a fallback in a row, the give-up reply.
        (Nlu(FALLBACK, 0.3), "qwerty uiop", Conversation(fallbacks=1), Attempt(), Then.GIVE_UP),
        (Nlu(FALLBACK, 0.3), "qwerty uiop", Conversation(fallbacks=4), Attempt(), Then.GIVE_UP),
        # A message without words asks nothing: never answered, not even from the subject.
        (Nlu(FALLBACK, 0.0), "!!!", SUBJECT, None, Then.CLARIFY),
        (Nlu(None, 0.0), "🙂🙂", Conversation(fell_back=True), None, Then.CLARIFY),
        # The policies were unsure (the fallback action runs whatever the intent).
        (Nlu(ASK, 0.9), "zzz", Conversation(fell_back=True, fallbacks=1), Attempt(), Then.GIVE_UP),
        (Nlu(OOS, 0.9), "what time is it", Conversation(fell_back=True), Attempt(), Then.CLARIFY),
    ],
)
def test_clarification(
    nlu: Nlu, text: str, conversation: Conversation | None, attempt: Attempt | None, then: Then
) -> None:
    decision = decide(nlu, text, conversation)
    assert (decision.intent, decision.attempt, decision.then) == (nlu.intent, attempt, then)
    assert decision.reason == ("unsure again: give up" if then == Then.GIVE_UP else "unsure: clarify")


@pytest.mark.parametrize("intent", [ASK, c.INTENT_ASK_FOLLOWUP, c.INTENT_GREET, c.INTENT_ACKNOWLEDGE])
def test_other_intents_are_routed_by_the_rules(intent: str) -> None:
    decision = decide(Nlu(intent, 0.9, term_ids=("baclofen",)), LONG_STORY, Conversation(topic="x", fallbacks=2))
    assert (decision.intent, decision.attempt, decision.then) == (intent, None, Then.ROUTE)


@pytest.mark.parametrize(
    "nlu",
    [
        Nlu(ASK, 0.6, red_flag=True),
        Nlu(EMERGENCY, 0.9, dosing=True),
        Nlu(DOSING, 0.4),
        Nlu(EMERGENCY, 0.9),
        Nlu(OOS, 0.8, term_ids=("botox",)),
        Nlu(FALLBACK, 0.2),
    ],
)
def test_deciding_again_gives_the_same_intent(nlu: Nlu) -> None:
    """The NLU component decides first and the actions decide again on its result: they must agree."""
    first = decide(nlu, "a message")
    again = decide(Nlu(first.intent, first.confidence, nlu.red_flag, nlu.dosing, nlu.term_ids), "a message")
    assert (again.intent, again.confidence, again.then) == (first.intent, first.confidence, first.then)


# -- one spaCy pass: the safety component reads SpacyNLP's doc ---------------------------------------------


@pytest.fixture(scope="module")
def net(safety_parts: tuple[Any, Any]) -> Any:
    """The safety net over the pipeline built from the real terminology (shared with tests/test_safety.py)."""
    return safety_parts[0]


class _NoParse:
    """Stands in for the pipeline: the same vocabulary, but parsing again fails the test."""

    def __init__(self, nlp: Any) -> None:
        self.vocab = nlp.vocab

    def __call__(self, text: str) -> Any:
        raise AssertionError(f"parsed again: {text!r}")


def test_the_safety_verdict_reads_spacynlps_doc_without_parsing_again(net: Any) -> None:
    from bot.safety.rasa_component import verdict_for

    text = "My son\u2019s pump is making a two-tone alarm, ¿qué hago?"
    doc = net.nlp(_spacy_text(text))  # what the bot's SpacyNLP puts on the message
    lazy = copy.copy(net)
    lazy.nlp = cast(Any, _NoParse(net.nlp))
    assert verdict_for(lazy, text, doc) == net.check(text)
    assert verdict_for(lazy, text, doc).is_emergency


@pytest.mark.parametrize(
    "text",
    [
        "¿Qué pasa si dejo de tomar el baclofeno de golpe?",  # accents: the detectors read them folded
        "can\u2019t   breathe since the botox",  # a curly apostrophe and spaces
        "she mixes her tablets up, is that dangerous",  # "mix up" is read "muddle"
    ],
)
def test_a_doc_of_another_text_is_not_read_the_text_is_parsed_again(net: Any, text: str) -> None:
    """Rasa's own SpacyNLP parses the lower-cased text: its doc of these differs from the detectors' form."""
    from bot.safety.rasa_component import verdict_for

    assert verdict_for(net, text, net.nlp(text.lower())) == net.check(text)


def _spacy_text(text: str) -> str:
    """The text the bot's SpacyNLP (bot/rasa_patches/spacy_text.py) parses."""
    from bot.rasa_patches.spacy_text import SpacyNLP

    return SpacyNLP._preprocess_text(cast(Any, SimpleNamespace(_config={"case_sensitive": False})), text)


def test_safety_set_messages_get_the_same_verdict_from_spacynlps_doc_parsed_once(net: Any) -> None:
    """A fifth of the English and Spanish sets, accents included (`python -m bench.nlu_passes` checks them all)."""
    from bench.safety_cost import SETS, load_messages
    from bot.safety.rasa_component import verdict_for

    texts = [*load_messages(SETS), *load_messages(SETS / "es")][::5]
    lazy = copy.copy(net)
    lazy.nlp = cast(Any, _NoParse(net.nlp))
    differing = [t for t in texts if t.strip() and verdict_for(lazy, t, net.nlp(_spacy_text(t))) != net.check(t)]
    assert len(texts) > 300 and differing == []


def test_the_component_builds_its_detectors_on_spacynlps_pipeline(net: Any) -> None:
    from rasa.nlu.constants import SPACY_DOCS
    from rasa.nlu.utils.spacy_utils import SpacyModel
    from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.safety.rasa_component import SafetyNetClassifier

    component = SafetyNetClassifier(SafetyNetClassifier.get_default_config())
    text = "how much baclofen should i take"
    message = Message(data={TEXT: text})
    message.set(SPACY_DOCS[TEXT], net.nlp(text))
    message.set(INTENT, {INTENT_NAME_KEY: ASK, PREDICTED_CONFIDENCE_KEY: 0.7}, add_to_output=True)
    [result] = component.process([message], SpacyModel(model=net.nlp, model_name="test"))
    assert component.net.nlp is net.nlp, "one pipeline in the process, not a second copy"
    assert result.get(INTENT)[INTENT_NAME_KEY] == DOSING


# -- the fallback counter: a slot, not a scan of the events -------------------------------------------------


def test_the_fallbacks_slot_is_reset_by_any_message_nlu_reads() -> None:
    from rasa.shared.core.domain import Domain

    from bot.config import PROJECT_ROOT

    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    [slot] = [s for s in domain.slots if s.name == c.SLOT_FALLBACKS]
    assert not slot.influence_conversation
    assert slot.initial_value == 0
    assert slot.mappings == [{"type": "from_intent", "value": 0, "not_intent": [FALLBACK]}]


@pytest.mark.parametrize(("intent", "before", "after"), [(FALLBACK, 2.0, 2.0), (c.INTENT_GREET, 2.0, 0), (ASK, 1.0, 0)])
def test_rasa_applies_the_mapping_before_the_action(intent: str, before: float, after: float) -> None:
    """Rasa's own slot extraction, run on the real domain: only an unsure message keeps the count."""
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.config import PROJECT_ROOT

    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_events(
        "tester",
        [SlotSet(c.SLOT_FALLBACKS, before), UserUttered("hmm", {"name": intent, "confidence": 0.9})],
        slots=domain.slots,
    )
    # Only the language slot's custom action would need the action server; it is not what this checks.
    domain_without_custom = Domain.from_dict(
        {**domain.as_dict(), "slots": {c.SLOT_FALLBACKS: domain.as_dict()["slots"][c.SLOT_FALLBACKS]}}
    )
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    events = asyncio.run(ActionExtractSlots(None).run(CollectingOutputChannel(), nlg, tracker, domain_without_custom))
    for event in events:
        tracker.update(event)
    assert tracker.get_slot(c.SLOT_FALLBACKS) == after
