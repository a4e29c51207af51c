"""Conversational moves ("ok", "go on", "the first one") and the turns that depend on the conversation.

The phrase patterns are checked directly; the NLU component on Rasa messages; "tell me more", pointers into the
last answer, comparisons and "and botox?" through the real library and the actions.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswerQuestion
from bot import constants as c
from bot.context import Context
from bot.conversation import answer_pointer, listed_treatments, more, rest_of, safety_in_context
from bot.nlp.move_classifier import ConversationMoveClassifier, misread_small_talk
from bot.nlp.moves import MOVE_KEY, Move, MoveKind, asks_something, is_elliptical, move_from, read_move
from bot.replies import ReplyKind
from bot.service import BotService


@pytest.fixture(scope="module")
def library(real_service: BotService) -> BotService:
    """The service over the real content (shared, read only)."""
    return real_service


# -- the phrases -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["ok", "Okay.", "ok got it", "got it 👍", "interesting", "that's interesting", "i see", "makes sense", "hmm", "k"],
)
def test_acknowledgements(text: str) -> None:
    assert read_move(text) == Move(MoveKind.ACKNOWLEDGE)


@pytest.mark.parametrize(
    "text",
    ["go on", "Go on then", "more please", "more on that pls", "tell me more", "can you tell me more about that?",
     "and?", "what else", "carry on", "i'd like to know more", "could you go into a bit more detail",
     "what do you mean by that?", "sorry i dont get it"],
)  # fmt: skip
def test_requests_for_more(text: str) -> None:
    assert read_move(text) == Move(MoveKind.MORE)


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("the first one you mentioned, how does it work", 0),
        ("what about the second one", 1),
        ("number 2", 1),
        ("option three please", 2),
        ("tell me about the last one", -1),
        ("the 2nd you listed", 1),
    ],
)
def test_pointers_into_a_list(text: str, index: int) -> None:
    assert read_move(text) == Move(MoveKind.ORDINAL, index)


@pytest.mark.parametrize(
    "text",
    [
        "ok so how does the pump work",  # a question that opens with "ok"
        "ok thanks",  # thanks, for the classifier
        "and at night?",  # an ellipsis, for retrieval
        "what else can i do about spasms",  # a question with a subject
        "is it the first time",
        "first things first, what is spasticity",
        "not helpful",
        "",
        "!!!",
    ],
)
def test_ordinary_messages_are_no_move(text: str) -> None:
    assert read_move(text) is None


def test_the_move_travels_in_the_parse_data_and_bad_values_are_ignored() -> None:
    move = Move(MoveKind.ORDINAL, 1)
    assert move_from({MOVE_KEY: move.as_parse_data()}) == move
    assert move_from({MOVE_KEY: {"kind": "dance"}}) is None
    assert move_from({MOVE_KEY: "more"}) is None
    assert move_from(None) is None


# -- the NLU component -----------------------------------------------------------------------------


def _message(text: str, intent: str, ranking: list[str]) -> Message:
    message = Message(data={TEXT: text})
    message.set(INTENT, {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 0.7}, add_to_output=True)
    entries = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 0.1} for name in ranking]
    message.set(INTENT_RANKING_KEY, entries, add_to_output=True)
    return message


@pytest.mark.parametrize(
    ("text", "predicted", "ranking", "expected"),
    [
        ("go on", c.INTENT_GOODBYE, [c.INTENT_GOODBYE, c.INTENT_ASK_QUESTION], c.INTENT_ASK_FOLLOWUP),
        ("ok", c.INTENT_ASK_QUESTION, [c.INTENT_ASK_QUESTION], c.INTENT_ACKNOWLEDGE),
        ("the second one", c.INTENT_OUT_OF_SCOPE, [c.INTENT_OUT_OF_SCOPE], c.INTENT_ASK_FOLLOWUP),
        # a question is never small talk: the best asking intent of the ranking, else a question
        ("and at night?", c.INTENT_GOODBYE, [c.INTENT_GOODBYE, c.INTENT_ASK_FOLLOWUP], c.INTENT_ASK_FOLLOWUP),
        ("and saunas", c.INTENT_ACKNOWLEDGE, [c.INTENT_ACKNOWLEDGE, c.INTENT_GREET], c.INTENT_ASK_QUESTION),
        ("see you around", c.INTENT_ACKNOWLEDGE, [c.INTENT_ACKNOWLEDGE, c.INTENT_GOODBYE], c.INTENT_GOODBYE),
        # a language choice is confirmed by the answering action (with the topics), never said goodbye to
        ("español", c.INTENT_GOODBYE, [c.INTENT_GOODBYE], c.INTENT_ASK_TOPIC),
        ("who shouldnt use it", c.INTENT_FEEDBACK_NOT_HELPFUL, [c.INTENT_OUT_OF_SCOPE], c.INTENT_OUT_OF_SCOPE),
        ("is there a cure", c.INTENT_BOT_CHALLENGE, [c.INTENT_BOT_CHALLENGE, c.INTENT_ASK_QUESTION], "ask_question"),
        # real small talk stays
        ("bye for now", c.INTENT_GOODBYE, [c.INTENT_GOODBYE], c.INTENT_GOODBYE),
        ("are you a real person?", c.INTENT_BOT_CHALLENGE, [c.INTENT_BOT_CHALLENGE], c.INTENT_BOT_CHALLENGE),
        ("that didn't help", c.INTENT_FEEDBACK_NOT_HELPFUL, [c.INTENT_FEEDBACK_NOT_HELPFUL], "feedback_not_helpful"),
    ],
)
def test_component_reads_moves_and_demotes_misread_small_talk(
    text: str, predicted: str, ranking: list[str], expected: str
) -> None:
    [result] = ConversationMoveClassifier().process([_message(text, predicted, ranking)])
    assert result.get(INTENT)[INTENT_NAME_KEY] == expected
    names = [r[INTENT_NAME_KEY] for r in result.get(INTENT_RANKING_KEY)]
    assert names[0] == expected and len(names) == len(set(names))
    assert (result.get(MOVE_KEY) is not None) == (read_move(text) is not None and expected != c.INTENT_ASK_TOPIC)


def test_small_talk_guards() -> None:
    assert asks_something("and at night?") and asks_something("what about kids")
    assert not asks_something("bye, take care")
    assert misread_small_talk(c.INTENT_ACKNOWLEDGE, "and saunas")
    assert misread_small_talk(c.INTENT_ACKNOWLEDGE, "see you around")
    assert read_move("ah i see now") == Move(MoveKind.ACKNOWLEDGE)
    assert not misread_small_talk(c.INTENT_THANKS, "and what about the pump?")  # thanks is left as it is


# -- turns that depend on the conversation ------------------------------------------------------------


def test_more_brings_a_passage_of_the_same_subject_not_yet_shown(library: BotService) -> None:
    first = library.answer_question("what is the modified ashworth scale")
    shown = list(first.reply.passage_ids)
    context = Context(first.context.topic, first.context.therapy, "what is the modified ashworth scale")
    seen = list(shown)
    answers = 0
    for _ in range(6):  # "go on", "go on", ...: each time something new about the subject, until it runs out
        turn = more(library, context, seen)
        if turn.reply.kind == ReplyKind.NO_ANSWER:
            break
        assert turn.reply.kind == ReplyKind.ANSWER
        assert not set(seen) & set(turn.reply.passage_ids), "never the same passage twice"
        assert library.bundle.passages[turn.reply.passage_ids[0]].topic == first.context.topic
        seen += turn.reply.passage_ids
        answers += 1
    assert answers >= 1 and turn.reply.kind == ReplyKind.NO_ANSWER, "something more, then it says it has no more"


def test_more_says_plainly_when_the_subject_is_exhausted(library: BotService) -> None:
    topic = "hydrotherapy" if "hydrotherapy" in library.bundle.topics else "positioning-and-other-therapies"
    everything = [p.id for p in library.bundle.published_passages()]
    turn = more(library, Context(topic, None, "what is hydrotherapy"), everything)
    assert turn.reply.kind == ReplyKind.NO_ANSWER and "all my library has" in turn.reply.text
    assert turn.reply.buttons, "topics to go on with"


def test_a_pointer_picks_a_treatment_the_last_answer_named_in_its_order(library: BotService) -> None:
    listing = library.answer_question("what medicines by mouth are there for spasticity")
    named = listed_treatments(library, list(listing.reply.passage_ids))
    assert len(named) >= 3 and named[0] == "baclofen"
    turn = answer_pointer(
        library, "the first one you mentioned, how does it work", 0, list(listing.reply.passage_ids), listing.context
    )
    assert turn is not None and turn.reply.kind == ReplyKind.ANSWER
    assert turn.context.topic == "baclofen"
    second = answer_pointer(library, "the second one", 1, list(listing.reply.passage_ids), listing.context)
    assert second is not None and second.context.topic == library.terms[named[1]].topic
    assert answer_pointer(library, "the ninth one", 8, list(listing.reply.passage_ids), listing.context) is None
    assert rest_of("the first one you mentioned, how does it work") == "how does it work"


@pytest.mark.parametrize(
    ("question", "context", "topics"),
    [
        ("whats the difference between baclofen and tizanidine", Context(), {"baclofen", "tizanidine"}),
        ("how does it compare to baclofen", Context("tizanidine", "tizanidine"), {"baclofen", "tizanidine"}),
        ("how is that different from baclofen", Context("dantrolene", "dantrolene"), {"baclofen", "dantrolene"}),
        ("how are baclofen tablets different from the pump", Context(), {"baclofen-pump"}),
    ],
)
def test_a_comparison_answers_about_both(
    library: BotService, question: str, context: Context, topics: set[str]
) -> None:
    turn = library.answer_question(question, context=context, followup=bool(context.topic))
    assert turn.reply.kind == ReplyKind.ANSWER
    answered = {library.bundle.passages[p].topic for p in turn.reply.passage_ids}
    assert answered == topics
    if len(topics) == 1:  # one passage that explains both
        text = library.bundle.passages[turn.reply.passage_ids[0]].text.lower()
        assert "tablets" in text and "pump" in text


@pytest.mark.parametrize(
    ("question", "previous", "topic", "words"),
    [
        ("and botox?", "how long does a phenol nerve block last", "botulinum-toxin", ["months"]),
        ("what about tizanidine instead", "baclofen side effects?", "tizanidine", ["side effect"]),
        ("what about baclofen then", "can sativex be used if im pregnant", "baclofen", ["pregnan"]),
        ("and what about with my pump?", "can i take my gabapentin abroad on holiday", "baclofen-pump", ["travel"]),
    ],
)
def test_an_ellipsis_asks_the_earlier_question_about_the_new_subject(
    library: BotService, question: str, previous: str, topic: str, words: list[str]
) -> None:
    before = library.answer_question(previous)
    context = Context(before.context.topic, before.context.therapy, previous)
    turn = library.answer_question(question, context=context, followup=True)
    passage = library.bundle.passages[turn.reply.passage_ids[0]]
    assert passage.topic == topic
    said = " ".join([passage.title, passage.text, *passage.questions]).lower()
    assert any(w in said for w in words), passage.id


def test_ellipsis_needs_an_opening_and_few_other_words() -> None:
    assert is_elliptical("and botox?", ["botulinum-toxin"], ["botulinum-toxin"])
    assert not is_elliptical("botox?", ["botulinum-toxin"], ["botulinum-toxin"])
    assert not is_elliptical(
        "and how does botox affect my walking and balance", ["botulinum-toxin", "affect", "walk", "balance"], ["x"]
    )


def _tracker(text: str, intent: str, slots: dict[str, Any], move: Move | None) -> Tracker:
    latest: dict[str, Any] = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    if move is not None:
        latest[MOVE_KEY] = move.as_parse_data()
    return Tracker("tester", slots, latest, [], False, None, {}, "action_listen")


def test_the_action_goes_on_from_what_was_shown_and_remembers_it(library: BotService) -> None:
    first = library.answer_question("how does the trial for a baclofen pump work")
    slots = {
        c.SLOT_TOPIC: first.context.topic,
        c.SLOT_THERAPY: first.context.therapy,
        c.SLOT_ANSWERED_QUESTION: "how does the trial for a baclofen pump work",
        c.SLOT_ANSWERED_PASSAGES: list(first.reply.passage_ids),
        c.SLOT_SHOWN_PASSAGES: ["spasticity-what-it-is", *first.reply.passage_ids],
    }
    dispatcher = CollectingDispatcher()
    events = ActionAnswerQuestion(library).run(
        dispatcher, _tracker("go on", c.INTENT_ASK_FOLLOWUP, slots, Move(MoveKind.MORE)), {}
    )
    shown = next(e["value"] for e in events if e["name"] == c.SLOT_SHOWN_PASSAGES)
    answered = next(e["value"] for e in events if e["name"] == c.SLOT_ANSWERED_PASSAGES)
    assert not set(answered) & set(first.reply.passage_ids)
    assert shown[: len(first.reply.passage_ids) + 1] == slots[c.SLOT_SHOWN_PASSAGES] and shown[-1] == answered[-1]
    # the subject stays the question the person asked, not "go on"
    assert SlotSet(c.SLOT_ANSWERED_QUESTION, slots[c.SLOT_ANSWERED_QUESTION]) in events
    assert "Sources:" in dispatcher.messages[0]["text"]


def test_shown_passages_are_capped(library: BotService) -> None:
    slots = {c.SLOT_SHOWN_PASSAGES: [f"p{i}" for i in range(40)]}
    events = ActionAnswerQuestion(library).run(
        CollectingDispatcher(), _tracker("what is spasticity", c.INTENT_ASK_QUESTION, slots, None), {}
    )
    shown = next(e["value"] for e in events if e["name"] == c.SLOT_SHOWN_PASSAGES)
    answered = next(e["value"] for e in events if e["name"] == c.SLOT_ANSWERED_PASSAGES)
    assert len(shown) == c.MAX_SHOWN and answered and shown[-len(answered) :] == answered, "oldest dropped first"
    assert answered[0] == "spasticity-what-it-is"


@pytest.mark.parametrize(
    ("question", "passage"),
    [
        ("my husband is being assessed for a baclofen pump, what actually is it", "baclofen-pump-what-it-is"),
        ("our daughter is down for SDR next year. what do they actually do in it", "rhizotomy-what-it-is"),
        ("the doctor mentioned tizanidine, what is that?", "tizanidine-what-it-is"),
    ],
)
def test_what_is_it_after_a_story_gets_the_treatments_overview(
    library: BotService, question: str, passage: str
) -> None:
    assert library.answer_question(question).reply.passage_ids[0] == passage


def test_a_named_treatment_is_not_answered_with_another_treatments_passage(library: BotService) -> None:
    """Tizanidine's liver passage matched "liver" best, but the question is about baclofen."""
    turn = library.answer_question("what does baclofen do to the liver")
    for passage_id in turn.reply.passage_ids:
        passage = library.bundle.passages[passage_id]
        assert passage.topic == "baclofen" or "baclofen" in library.ranker.passage_terms(passage), passage_id


def test_an_ordinary_question_is_not_answered_with_an_emergency_passage_it_barely_fits(library: BotService) -> None:
    hits, _ = library.rank("my husband is being assessed for a baclofen pump, what is the assessment like")
    assert hits[0].passage.topic != "emergencies"
    hits, _ = library.rank("what are the warning signs of pump withdrawal")
    assert any("withdrawal" in h.passage.id for h in hits[:2]), "a clear match still wins"


BACLOFEN = Context("baclofen", "baclofen", "what is baclofen")
PUMP = Context("baclofen-pump", "baclofen-pump", "my daughter has an itb pump, how does it work")


@pytest.mark.parametrize(
    ("context", "text", "kind"),
    [
        (BACLOFEN, "should i stop it", ReplyKind.DOSING_REFUSAL),
        (BACLOFEN, "can i stop it now i feel better", ReplyKind.DOSING_REFUSAL),
        (BACLOFEN, "is it ok to just stop it", ReplyKind.DOSING_REFUSAL),
        (PUMP, "shes itchy all over, really hot and her spasms have come back hard", ReplyKind.EMERGENCY),
        # ordinary follow-ups about the same treatment are answered as usual
        (BACLOFEN, "how long does it take to work", None),
        (BACLOFEN, "can i drink alcohol with it", None),
        (BACLOFEN, "is it safe in pregnancy", None),
        (PUMP, "what happens if it runs out", None),
        (PUMP, "can i go on a plane with it", None),
        (PUMP, "how often is it refilled", None),
        (Context("assessment", None, "what is clonus"), "can i stop it just by trying really hard", None),
    ],
)
def test_a_message_is_read_for_safety_with_the_treatment_under_discussion(
    library: BotService, context: Context, text: str, kind: ReplyKind | None
) -> None:
    reply = safety_in_context(library, text, context)
    assert (reply.kind if reply else None) == kind


def test_the_answering_action_escalates_what_only_the_conversation_shows(library: BotService) -> None:
    slots = {c.SLOT_TOPIC: "baclofen-pump", c.SLOT_THERAPY: "baclofen-pump"}
    dispatcher = CollectingDispatcher()
    text = "shes itchy all over, really hot and her spasms have come back hard"
    ActionAnswerQuestion(library).run(dispatcher, _tracker(text, c.INTENT_ASK_QUESTION, slots, None), {})
    assert "911" in dispatcher.messages[0]["text"].split("\n")[0], "the emergency numbers come first"


@pytest.mark.parametrize("therapy", ["baclofen-pump", "baclofen", "botulinum-toxin", "tizanidine"])
def test_reading_in_context_keeps_false_alarms_on_the_near_misses_at_most_5_percent(
    library: BotService, therapy: str
) -> None:
    """The near-miss set read as if each message came in a talk about the treatment (the hardest case: a pump)."""
    from tests.test_safety import load_set

    messages = [m if isinstance(m, str) else m["text"] for m in load_set("near_misses")["messages"]]
    context = Context(therapy, therapy, "what is it")
    alarms = [m for m in messages if (r := safety_in_context(library, m, context)) and r.kind == ReplyKind.EMERGENCY]
    assert len(alarms) <= 0.05 * len(messages), alarms


@pytest.mark.parametrize(
    ("text", "kind"),
    [("show me the topics", ReplyKind.MENU), ("menu", ReplyKind.MENU), ("what about the battery", ReplyKind.ANSWER)],
)
def test_a_topic_request_without_a_topic_is_the_menu_only_when_it_asks_for_the_menu(
    library: BotService, text: str, kind: ReplyKind
) -> None:
    """In a talk about the pump, "what about the battery" asks about its battery; "show me the topics" is the menu.

    The classifier reads both as topic requests.
    """
    slots = {c.SLOT_TOPIC: "baclofen-pump", c.SLOT_THERAPY: "baclofen-pump", c.SLOT_ANSWERED_QUESTION: "what is it"}
    dispatcher = CollectingDispatcher()
    ActionAnswerQuestion(library).run(dispatcher, _tracker(text, c.INTENT_ASK_TOPIC, slots, None), {})
    sent = dispatcher.messages[0]["text"]
    assert ("Sources:" in sent) == (kind == ReplyKind.ANSWER), sent
