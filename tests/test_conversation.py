"""Conversation behaviour of the actions: follow-up buttons, feedback, clarification, give-up, context.

Hermetic: the in-memory content store with the small corpus (tests/conftest.py) and the in-memory feedback store.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.actions import ActionAnswerQuestion, ActionFallback, ActionRecordFeedback
from actions.tracker_state import fallbacks_before
from bot import constants as c
from bot.context import Context
from bot.feedback import InMemoryFeedbackStore
from bot.replies import DISCLAIMER, FEEDBACK_BUTTONS, ReplyKind, passage_payload
from bot.service import BotService
from bot.suggestions import followups
from bot.wording import CLARIFY, GIVE_UP
from tests.test_actions import make_tracker, run

FEEDBACK_TITLES = [b.title for b in FEEDBACK_BUTTONS]


@pytest.fixture
def feedback() -> InMemoryFeedbackStore:
    return InMemoryFeedbackStore()


def titles(message: dict[str, Any]) -> list[str]:
    return [b["title"] for b in message.get("buttons", [])]


def test_an_answer_offers_related_questions_from_the_content_then_feedback(service: BotService) -> None:
    messages, _ = run(ActionAnswerQuestion(service), make_tracker("what is baclofen"))
    buttons = messages[0]["buttons"]
    suggested, votes = buttons[:-2], buttons[-2:]
    assert 2 <= len(suggested) <= 3
    assert [b["title"] for b in votes] == FEEDBACK_TITLES
    # Each suggestion is a lay question of another passage, and asks for exactly that passage.
    passages = service.bundle.passages
    for button in suggested:
        passage_id = button["payload"].split('"passage": "')[1].rstrip('"}')
        assert button["payload"] == passage_payload(passage_id)
        assert passage_id != "baclofen-what-it-is"
        assert button["title"] in passages[passage_id].questions
    # The next passage of the same topic comes first when the answer showed only one.
    alone = followups(service, [passages["baclofen-what-it-is"]], [])
    assert alone[0].title == "What are the side effects of baclofen?"


def test_suggestions_never_offer_drafts_or_emergency_passages(service: BotService) -> None:
    for question in ("what is baclofen", "how is the pump refilled", "does botox hurt", "what is spasticity"):
        turn = service.answer_question(question)
        for button in turn.reply.buttons[:-2]:
            passage_id = button.payload.split('"passage": "')[1].rstrip('"}')
            assert passage_id != "draft-passage"
            assert service.bundle.passages[passage_id].topic != "emergencies"


def test_pressing_a_suggested_question_answers_that_passage(service: BotService) -> None:
    entities = [{"entity": c.ENTITY_PASSAGE, "value": "botox-side-effects"}]
    tracker = make_tracker('/ask_topic{"passage": "botox-side-effects"}', c.INTENT_ASK_TOPIC, entities)
    messages, events = run(ActionAnswerQuestion(service), tracker)
    assert messages[0]["text"].startswith("Side effects of botulinum toxin")
    assert messages[0]["text"].endswith(DISCLAIMER)
    assert SlotSet(c.SLOT_TOPIC, "botulinum-toxin") in events
    assert SlotSet(c.SLOT_ANSWERED_PASSAGES, ["botox-side-effects"]) in events
    assert SlotSet(c.SLOT_ANSWERED_QUESTION, "What are the side effects of botulinum toxin?") in events


def test_a_suggested_draft_or_unknown_passage_is_not_shown_to_patients(service: BotService) -> None:
    for passage_id in ("draft-passage", "no-such-passage"):
        entities = [{"entity": c.ENTITY_PASSAGE, "value": passage_id}]
        tracker = make_tracker(f'/ask_topic{{"passage": "{passage_id}"}}', c.INTENT_ASK_TOPIC, entities)
        messages, _ = run(ActionAnswerQuestion(service), tracker)
        assert "Draft text" not in messages[0]["text"]
        assert messages[0]["text"].endswith(DISCLAIMER)


def test_feedback_is_stored_against_the_last_answer_once(service: BotService, feedback: InMemoryFeedbackStore) -> None:
    _, events = run(ActionAnswerQuestion(service, feedback), make_tracker("does botox hurt?"))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots[c.SLOT_ANSWERED_QUESTION] == "does botox hurt?"
    tracker = make_tracker("/feedback_not_helpful", c.INTENT_FEEDBACK_NOT_HELPFUL, slots=slots)
    messages, events = run(ActionRecordFeedback(service, feedback), tracker)
    assert "will see that this answer did not help" in messages[0]["text"]
    assert titles(messages[0]), "topics are offered again after an unhelpful answer"
    assert messages[0]["text"].endswith(DISCLAIMER)
    assert len(feedback.votes) == 1
    vote = feedback.votes[0]
    assert vote.helpful is False and list(vote.passage_ids) == slots[c.SLOT_ANSWERED_PASSAGES]
    assert vote.conversation != "tester", "the sender id is stored only as a salted hash"
    assert SlotSet(c.SLOT_ANSWERED_PASSAGES, None) in events
    # A second press with the slots cleared stores nothing more.
    cleared = make_tracker("/feedback_helpful", c.INTENT_FEEDBACK_HELPFUL, slots={})
    messages, _ = run(ActionRecordFeedback(service, feedback), cleared)
    assert "glad it helped" in messages[0]["text"]
    assert len(feedback.votes) == 1


def test_unanswered_questions_are_stored_for_editors(service: BotService, feedback: InMemoryFeedbackStore) -> None:
    run(ActionAnswerQuestion(service, feedback), make_tracker("how do I renew my passport"))
    run(ActionAnswerQuestion(service, feedback), make_tracker("what is baclofen"))
    assert [u.question for u in feedback.unanswered] == ["how do I renew my passport"]


def fallback_tracker(text: str, fallbacks: float | None = None) -> Tracker:
    """A low-confidence message, after `fallbacks` fallbacks in a row (the `fallbacks` slot)."""
    latest = {"text": text, "intent": {"name": c.INTENT_NLU_FALLBACK, "confidence": 0.2}, "entities": []}
    slots = {} if fallbacks is None else {c.SLOT_FALLBACKS: fallbacks}
    return Tracker("tester", slots, latest, [{"event": "user", "text": text}], False, None, {}, "action_listen")


@pytest.mark.parametrize(("slot", "expected"), [(None, 0), (0.0, 0), (1.0, 1), (2.0, 2), ("bad", 0)])
def test_fallbacks_are_read_from_the_slot(slot: Any, expected: int) -> None:
    assert fallbacks_before(fallback_tracker("zzz", slot)) == expected


@pytest.mark.parametrize(("before", "after"), [(None, 1.0), (1.0, 2.0)])
def test_the_fallback_action_counts_itself_in_the_slot(
    service: BotService, feedback: InMemoryFeedbackStore, before: float | None, after: float
) -> None:
    _, events = run(ActionFallback(service, feedback), fallback_tracker("qwerty uiop", before))
    assert events[-1] == SlotSet(c.SLOT_FALLBACKS, after)


def test_low_confidence_first_clarifies_with_likely_topics_then_gives_up(
    service: BotService, feedback: InMemoryFeedbackStore
) -> None:
    messages, _ = run(ActionFallback(service, feedback), fallback_tracker("baclofen pump thing?? hmm"))
    assert messages[0]["text"].startswith(CLARIFY[:20]) or "Sources:" in messages[0]["text"]
    messages, _ = run(ActionFallback(service, feedback), fallback_tracker("qwerty uiop"))
    assert messages[0]["text"].startswith(CLARIFY)
    assert 2 <= len(titles(messages[0])) <= 3
    assert messages[0]["text"].endswith(DISCLAIMER)
    messages, _ = run(ActionFallback(service, feedback), fallback_tracker("qwerty uiop", 1.0))
    assert messages[0]["text"].startswith(GIVE_UP)
    assert titles(messages[0]) == ["What spasticity is", "Botulinum toxin", "The baclofen pump"]
    assert messages[0]["text"].endswith(DISCLAIMER)
    assert [u.question for u in feedback.unanswered] == ["qwerty uiop"]


def test_clarification_prefers_the_topics_the_library_finds(service: BotService) -> None:
    turn = service.clarify("pump", Context(), attempts=0)
    if turn.reply.kind.value == "clarify":
        assert turn.reply.buttons[0].title == "The baclofen pump"
    else:
        assert "pump" in turn.reply.text.lower()


@pytest.mark.parametrize(
    ("first", "followup", "topic", "expected"),
    [
        ("how does botox work", "does it hurt?", "botulinum-toxin", "pain where it was injected"),
        ("what is baclofen", "what are the side effects?", "baclofen", "Common side effects of baclofen"),
        ("how often is the pump refilled", "how is it done?", "baclofen-pump", "refilled with a needle"),
    ],
)
def test_follow_ups_resolve_to_the_topic_under_discussion(
    service: BotService, first: str, followup: str, topic: str, expected: str
) -> None:
    turn = service.answer_question(first)
    assert turn.context.topic == topic
    second = service.answer_question(followup, context=turn.context, followup=True)
    assert expected in second.reply.text
    assert second.context.topic == topic


def test_what_about_the_pump_switches_topic(service: BotService) -> None:
    turn = service.answer_question("what is baclofen")
    switched = service.answer_question("what about the pump?", context=turn.context, followup=True)
    assert switched.context.topic == "baclofen-pump"
    assert switched.context.therapy == "baclofen-pump"


def test_restart_clears_the_conversation_and_introduces_a_new_session(service: BotService) -> None:
    from rasa_sdk.events import FollowupAction, Restarted, SessionStarted

    from actions.actions import ActionRestart

    messages, events = run(ActionRestart(service), make_tracker("/restart", "restart"))
    assert messages[0]["text"].startswith("Starting again") and "automated assistant" in messages[0]["text"]
    assert messages[0]["text"].endswith(DISCLAIMER)
    assert titles(messages[0]) == ["What spasticity is", "Botulinum toxin", "The baclofen pump", "Español"]
    # Rasa runs `action_listen` next: no policy is asked about the cleared conversation (see ActionRestart).
    assert events == [Restarted(), SessionStarted(), FollowupAction("action_listen")]


def test_editors_votes_and_gaps_are_not_stored_as_patients(
    service: BotService, feedback: InMemoryFeedbackStore
) -> None:
    def editor_tracker(text: str, intent: str, slots: dict[str, Any] | None = None) -> Tracker:
        latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
        events = [{"event": "user", "text": text, "input_channel": "editor"}]
        return Tracker("editor-1", slots or {}, latest, events, False, None, {}, "action_listen")

    run(ActionAnswerQuestion(service, feedback), editor_tracker("how do I renew my passport", c.INTENT_ASK_QUESTION))
    slots = {c.SLOT_ANSWERED_PASSAGES: ["botox-side-effects"], c.SLOT_ANSWERED_QUESTION: "does botox hurt"}
    run(ActionRecordFeedback(service, feedback), editor_tracker("/feedback_helpful", c.INTENT_FEEDBACK_HELPFUL, slots))
    assert feedback.unanswered == [] and feedback.votes == []


def test_a_message_without_words_is_never_answered_not_even_from_the_context(service: BotService) -> None:
    context = Context(topic="baclofen", therapy="baclofen", previous="What is baclofen?")
    for text in ("!!!", "🙂🙂", "?"):
        assert service.clarify(text, context, attempts=0).reply.kind == ReplyKind.CLARIFY


def test_a_new_aspect_of_the_subject_is_read_with_the_subject_of_the_last_question(real_service: BotService) -> None:
    real = real_service
    first = real.answer_question("what causes spasms at night")
    context = Context(first.context.topic, first.context.therapy, previous="what causes spasms at night")
    follow = real.answer_question("and what sets it off?", context=context, followup=True)
    assert follow.reply.kind == ReplyKind.ANSWER and follow.context.topic == "triggers"
    assert set(follow.reply.passage_ids).isdisjoint(first.reply.passage_ids), "a new aspect, not the same answer"


def _after(service: BotService, first: str) -> Context:
    """The context after `first` was answered, as the actions keep it in slots."""
    turn = service.answer_question(first)
    assert turn.reply.kind == ReplyKind.ANSWER, first
    return Context(turn.context.topic, turn.context.therapy, first, tuple(turn.reply.passage_ids))


@pytest.mark.parametrize(
    ("first", "follow_up", "expected"),
    [
        # a new aspect of the same subject: not the passage just shown again
        (
            "my husband is being assessed for a baclofen pump, what actually is it",
            "how do they put it in",
            "baclofen-pump-implant-operation",
        ),
        (
            "my husband is being assessed for a baclofen pump, what actually is it",
            "is it permanent or can they take it out again",
            "baclofen-pump-removal",
        ),
        ("what is dantrolene", "how would i know if the liver was in trouble", "dantrolene-liver-warning-signs"),
        # the group the medicine belongs to answers when the medicine has no passage of its own on it
        ("does tizanidine make u sleepy", "and with a couple of beers?", "oral-medicines-mixing-sedatives"),
        # an aspect word ("physio") is not a new subject: SDR stays the subject
        ("what are the risks of SDR", "and physio after?", "rhizotomy-aftercare"),
        # nothing asked but the subject: the passage just shown answers it
        (
            "why do my spasms get so much worse when its cold out",
            "anything i can do about that myself?",
            "triggers-cold-weather",
        ),
    ],
)
def test_a_follow_up_is_answered_about_the_subject_and_its_new_aspect(
    real_service: BotService, first: str, follow_up: str, expected: str
) -> None:
    turn = real_service.answer_question(follow_up, context=_after(real_service, first), followup=True)
    assert turn.reply.kind == ReplyKind.ANSWER and turn.reply.passage_ids[0] == expected


@pytest.mark.parametrize(
    "announced",
    [
        "new question, what is the tardieu scale",
        "unrelated but what is the tardieu scale",
        "ok forget that, what is the tardieu scale",
        "different question: what is the tardieu scale",
    ],
)
def test_a_message_that_announces_a_new_subject_is_read_without_the_old_one(
    real_service: BotService, announced: str
) -> None:
    turn = real_service.answer_question(announced, context=_after(real_service, "what does tizanidine do"))
    assert turn.reply.kind == ReplyKind.ANSWER
    assert real_service.bundle.passages[turn.reply.passage_ids[0]].topic == "assessment"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what is SDR", "rhizotomy-what-it-is"),
        ("how does sativex work", "cannabinoids-what-is-sativex"),
        ("my sister has cp, what is an AFO", "splints-what-orthoses-are"),
        ("what is baclofen used for", "baclofen-uses-and-forms"),  # asks more than what it is: ranked as usual
    ],
)
def test_asking_what_a_treatment_is_gets_its_overview_after_any_story(
    real_service: BotService, question: str, expected: str
) -> None:
    assert real_service.answer_question(question).reply.passage_ids[0] == expected


def test_a_topic_of_many_things_implies_no_treatment(real_service: BotService) -> None:
    """After "what is clonus" nothing is being taken: "can I stop it?" asks about the clonus, not a medicine."""
    from bot.conversation import safety_in_context

    context = _after(real_service, "what is clonus")
    assert context.therapy is None
    assert safety_in_context(real_service, "can i stop it just by trying really hard", context) is None
    pump = _after(real_service, "how does a baclofen pump work")
    assert pump.therapy == "baclofen-pump", "a treatment's own topic still implies the treatment"
    refusal = safety_in_context(real_service, "should i stop it", _after(real_service, "what does baclofen do"))
    assert refusal is not None and refusal.kind == ReplyKind.DOSING_REFUSAL
