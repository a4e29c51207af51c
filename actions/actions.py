"""Custom Rasa actions: thin adapters between the tracker and `bot.service.BotService`.

rasa-sdk imports every module of this package (`--actions actions`, bot/server_commands.py) and instantiates
every non-abstract `Action` subclass with no arguments; they are all here. Nothing opens a database, a model
or an index at import time: the service is created on first use and shared by all actions of the process.
Tests pass an in-memory service to the constructor instead.

What an action reads from the tracker and the slot events it returns are in `actions/tracker_state.py`; every
message goes out through `actions/sending.py`'s `send`, which renders it with `bot.replies.render`, the one
function that turns a reply into data and text with the disclaimer, and sends a safe fallback for a reply it
refuses.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, FollowupAction, Restarted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.sending import in_language, send, send_greeting
from actions.tracker_state import (
    context_events,
    context_from,
    editor_preview,
    fallbacks_before,
    from_editor,
    language_of,
    latest_metadata,
    latest_text,
    nlu_of,
    opening_topic,
    shown_passages,
    term_ids,
)
from bot import constants as c
from bot.content.library import ContentUnavailable
from bot.context import Context, Turn
from bot.conversation import answer_pointer, more, safety_in_context
from bot.decision import Conversation, Decision, Then
from bot.decision import decide as decide_turn
from bot.factory import get_service
from bot.language import decide, explicit_choice
from bot.localise import localise
from bot.nlp.moves import MoveKind, move_from
from bot.overview import is_menu_request, overview_turn
from bot.replies import Reply, ReplyKind
from bot.safety import dosing_from, red_flag_from
from bot.safety_replies import human_help
from bot.service import BotService
from bot.wording import render_words, text

if TYPE_CHECKING:
    from bot.feedback import FeedbackStore


def follow(service: BotService, decision: Decision, text: str, terms: list[str], context: Context) -> Turn:
    """Carries out the decision's plan: the attempt to answer from the library, else what it says to say."""
    attempt = decision.attempt
    if attempt is not None:
        turn = service.answer_question(
            text,
            term_ids=terms if attempt.with_terms else None,
            context=context,
            followup=attempt.followup,
            min_score=None if attempt.margin is None else service.threshold * attempt.margin,
        )
        if turn.reply.kind == ReplyKind.ANSWER:
            return turn
    if decision.then == Then.SCOPE:
        return Turn(service.out_of_scope(), context)
    # The likely topics, or the give-up reply (`clarify` tries the library itself too; it finds nothing more).
    return service.clarify(text, context, attempts=1 if decision.then == Then.GIVE_UP else 0)


class ServiceAction(Action, ABC):
    """An action that asks the bot service for a reply and sends it, failing safely."""

    def __init__(self, service: BotService | None = None, feedback: FeedbackStore | None = None) -> None:
        self._service = service
        self._feedback = feedback

    @property
    def service(self) -> BotService:
        """The injected service, or the process-wide one created on first use."""
        if self._service is None:
            self._service = get_service()
        return self._service

    @property
    def feedback(self) -> FeedbackStore:
        """The injected feedback store, or the process-wide one created on first use."""
        if self._feedback is None:
            from bot.feedback import get_feedback_store  # opened on first use, never at import

            self._feedback = get_feedback_store()
        return self._feedback

    def note_turn(self, tracker: Tracker, reply: Reply) -> None:
        """Counts the turn by kind for the editors' traffic page (`bot.feedback.traffic`); editors' own are not.

        Only the kinds editors review are counted, and only emergency, dosing and unanswered turns keep their
        (scrubbed) words; the store never sees the conversation.
        """
        from bot.feedback.traffic import turn_kind  # with the store, on first use

        kind = turn_kind(reply.kind)
        if kind is not None and not from_editor(tracker):
            self.feedback.record_turn(kind, latest_text(tracker))

    def note_unanswered(self, tracker: Tracker, reply: Reply) -> None:
        """Keeps questions the library could not answer, so editors can see the gaps (`make report`).

        Editors testing answers in their shell are not patients: their questions and votes are not stored.
        """
        if from_editor(tracker):
            return
        if reply.kind in {ReplyKind.NO_ANSWER, ReplyKind.GIVE_UP} and latest_text(tracker).strip():
            self.feedback.record_unanswered(tracker.sender_id, latest_text(tracker))

    @abstractmethod
    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """Builds the reply and the events for this turn."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Sends the reply; if the content cannot be reached, says so plainly instead of failing silently."""
        preview = editor_preview(tracker)
        language = language_of(tracker)
        with self.service.turn(preview):  # one content snapshot for the whole turn
            try:
                if explicit_choice(latest_text(tracker)):
                    reply, events = self.service.topics_menu(), list[EventType]()
                    reply = dataclasses.replace(reply, text=text("language_chosen", language.effective))
                else:
                    reply, events = self.respond(tracker)
                reply, words = in_language(self.service, reply, language, latest_text(tracker))
            except ContentUnavailable:
                reply = self.service.unavailable()
                reply, words = localise(reply, language.effective), render_words(language.effective)
                events = []
        self.note_turn(tracker, reply)
        send(dispatcher, reply, preview, words)
        return events


class ActionAnswerQuestion(ServiceAction):
    """Answers a question, a follow-up or a topic button from the content store."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_ANSWER_QUESTION

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """A conversation opened on a topic the library has no overview of gets the usual greeting, nothing else.

        A page or a link may name any id of the right shape (`bot.payloads.TopicStart`): an unknown one must not
        turn into a search for its words or a menu of guesses, but look like any other start.
        """
        topic = opening_topic(tracker)
        if topic is not None and not self.opens_on(topic, tracker):
            send_greeting(dispatcher)
            return []
        return super().run(dispatcher, tracker, domain)

    def opens_on(self, topic: str, tracker: Tracker) -> bool:
        """Whether the library can open on `topic`: a topic of its content with a published overview."""
        with self.service.turn(editor_preview(tracker)):
            try:
                return self.service.bundle.topic_overview(topic) is not None
            except ContentUnavailable:  # the greeting needs no content
                return False

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """Retrieves with the entities and the conversation's topic; updates the topic slots."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        topic_id = next(tracker.get_latest_entity_values(c.ENTITY_TOPIC), None)
        passage_id = next(tracker.get_latest_entity_values(c.ENTITY_PASSAGE), None)
        if passage_id:
            chosen = self.service.answer_passage(str(passage_id), context_from(tracker))
            if chosen is not None:
                question = self.service.bundle.question_of(str(passage_id))
                return chosen.reply, context_events(chosen, question, shown_passages(tracker))
        context = context_from(tracker)
        shown = shown_passages(tracker)
        urgent = safety_in_context(self.service, latest_text(tracker), context)
        if urgent is not None:
            return urgent, []
        move = move_from(tracker.latest_message)
        if move is not None and move.kind == MoveKind.MORE and (context.previous or context.topic):
            last = [str(p) for p in tracker.get_slot(c.SLOT_ANSWERED_PASSAGES) or []]
            turn = more(self.service, context, shown, last or None)
            return turn.reply, context_events(turn, context.previous or "", shown)
        if move is not None and move.kind == MoveKind.ORDINAL and move.index is not None:
            last = [str(p) for p in tracker.get_slot(c.SLOT_ANSWERED_PASSAGES) or []] or shown[-2:]
            pointed = answer_pointer(self.service, latest_text(tracker), move.index, last, context)
            if pointed is not None:
                return pointed.reply, context_events(pointed, latest_text(tracker), shown)
        if intent == c.INTENT_ASK_TOPIC and not topic_id:
            # "What are my options?" reads like a request for the menu; it gets the treatment overview instead.
            overview = overview_turn(self.service, latest_text(tracker), term_ids(tracker))
            if overview is not None:
                return overview.reply, context_events(overview, latest_text(tracker), shown)
            # "Tell me about the injections": answered from the library when it can be; "show me the topics"
            # and anything the library cannot answer get the menu.
            if not is_menu_request(latest_text(tracker)):
                turn = self.service.answer_question(latest_text(tracker), term_ids=term_ids(tracker), context=context)
                if turn.reply.kind == ReplyKind.ANSWER:
                    return turn.reply, context_events(turn, latest_text(tracker), shown)
            return self.service.topics_menu(), []
        turn = self.service.answer_question(
            latest_text(tracker),
            term_ids=term_ids(tracker),
            context=context,
            followup=intent == c.INTENT_ASK_FOLLOWUP,
            topic_id=topic_id,
        )
        self.note_unanswered(tracker, turn.reply)
        return turn.reply, context_events(turn, latest_text(tracker), shown)


class ActionFallback(ServiceAction):
    """Low NLU confidence: answer if the library is sure, else offer likely topics, then give up gracefully."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_FALLBACK

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """Follows `bot.decision.decide` for an unsure message, and counts the fallback in the `fallbacks` slot."""
        text, context = latest_text(tracker), context_from(tracker)
        urgent = safety_in_context(self.service, text, context)
        if urgent is not None:
            return urgent, []
        count = fallbacks_before(tracker)
        decision = decide_turn(nlu_of(tracker), text, Conversation(context.topic, count, fell_back=True))
        turn = follow(self.service, decision, text, term_ids(tracker), context)
        self.note_unanswered(tracker, turn.reply)
        events = context_events(turn, text, shown_passages(tracker))
        return turn.reply, [*events, SlotSet(c.SLOT_FALLBACKS, float(count + 1))]


class ActionRecordFeedback(ServiceAction):
    """Stores "helpful / not helpful" for the last answer and thanks the person."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_RECORD_FEEDBACK

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """Records the vote against the last answer's question and passages, once per answer.

        A reason button ("not helpful" with a `reason`) adds the reason to that vote, stored a moment ago,
        and is never a second vote.
        """
        from bot.feedback.traffic import reason_from  # with the store, on first use

        helpful = (tracker.latest_message.get("intent") or {}).get("name") == c.INTENT_FEEDBACK_HELPFUL
        reason = None if helpful else reason_from(next(tracker.get_latest_entity_values(c.ENTITY_REASON), None))
        if reason is not None:
            if not from_editor(tracker):
                self.feedback.record_reason(tracker.sender_id, reason)
            return self.service.feedback_thanks(False, reason_given=True), []
        passages = tracker.get_slot(c.SLOT_ANSWERED_PASSAGES) or []
        question = tracker.get_slot(c.SLOT_ANSWERED_QUESTION) or ""
        if passages and not from_editor(tracker):
            self.feedback.record_feedback(tracker.sender_id, str(question), [str(p) for p in passages], helpful)
        # The passages are cleared so that pressing the button twice does not count twice; the question stays,
        # so a follow-up after the feedback is still read in the conversation's subject.
        events: list[EventType] = [SlotSet(c.SLOT_ANSWERED_PASSAGES, None)]
        return self.service.feedback_thanks(helpful), events


class ActionEmergency(ServiceAction):
    """Sends the person to emergency services at once, then gives the relevant safety passage."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_EMERGENCY

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """Emergency numbers first; the safety passage for the red flag the safety net found second."""
        return self.service.emergency(latest_text(tracker), red_flag_from(tracker.latest_message)), []


class ActionRefuseDosing(ServiceAction):
    """Refuses personal dosing advice, says why and who to ask, and offers general information."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_REFUSE_DOSING

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """The refusal with a general passage fitting what was asked (stop, mix, ...) when one exists."""
        request, therapies = dosing_from(tracker.latest_message)
        return self.service.refuse_dosing(latest_text(tracker), request, therapies), []


class ActionOutOfScope(ServiceAction):
    """Says what the bot covers, with topic buttons; answers after all when the library fits (bot.decision)."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_OUT_OF_SCOPE

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """The scope statement, unless `bot.decision.decide` rescues the message and the library answers it."""
        text, context = latest_text(tracker), context_from(tracker)
        urgent = safety_in_context(self.service, text, context)
        if urgent is not None:
            return urgent, []
        # "What is a symptom diary?": a lay word with a topic of its own names a subject of ours too.
        terms = [*term_ids(tracker), *self.service.ranker.topical_words(text)]
        nlu = dataclasses.replace(nlu_of(tracker), term_ids=tuple(terms))
        decision = decide_turn(nlu, text, Conversation(context.topic))
        turn = follow(self.service, decision, text, terms, context)
        if turn.reply.kind == ReplyKind.ANSWER:
            return turn.reply, context_events(turn, text, shown_passages(tracker))
        return turn.reply, []


class ActionAskHuman(ServiceAction):
    """Answers "can I talk to someone?": a person to talk to if the deployment names one, else the care team."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_ASK_HUMAN

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """Who can talk with them (`HUMAN_HELP_*`), and the emergency and crisis numbers; no slot changes."""
        return human_help(), []


class ActionSessionStart(ServiceAction):
    """Starts every new conversation with a short introduction that says the bot is automated."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_SESSION_START

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """The introduction, then the events Rasa expects at the start of a session."""
        return self.service.introduction(), []

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Introduces the bot; the session starts even if the content cannot be reached."""
        events: list[EventType] = [SessionStarted()]
        super().run(dispatcher, tracker, domain)
        events.append(ActionExecuted(c.ACTION_LISTEN))
        return events


class ActionRestart(ServiceAction):
    """Restart: clears the conversation (slots and history) and starts a new session with the introduction.

    Rasa's default restart only clears; the next message would then skip the introduction, because the
    conversation is no longer empty. The events below are the same as a fresh session's, ending with the
    bot listening: `FollowupAction` makes Rasa run `action_listen` next instead of asking the policies, whose
    rules (one per intent) have nothing to say about a cleared conversation (without it the rule policy's
    fallback answered, over and over, until Rasa's circuit breaker stopped it).
    """

    def name(self) -> str:
        """The default action's name, which this overrides."""
        return c.ACTION_RESTART

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """The restart note with the introduction, then a cleared conversation in a new session."""
        return self.service.restarted(), [Restarted(), SessionStarted(), FollowupAction(c.ACTION_LISTEN)]


class ActionDetectLanguage(Action):
    """Keeps the conversation's language after every message (the `language` slot's custom mapping).

    Rasa runs it before choosing the reply, so the reply, the domain's Spanish responses and the next turns
    all see the language this message settled (bot.language: explicit choice, then channel, then detection).
    It needs no content and no database, so it stays cheap.
    """

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_DETECT_LANGUAGE

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Slot events for whatever changed; nothing when the language stays as it was."""
        before = language_of(tracker)
        after = decide(before, latest_text(tracker), latest_metadata(tracker))
        events: list[EventType] = []
        for slot, old, new in (
            (c.SLOT_LANGUAGE, before.lang, after.lang),
            (c.SLOT_LANGUAGE_SOURCE, before.source, after.source),
            (c.SLOT_LANGUAGE_PENDING, before.pending, after.pending),
        ):
            if old != new:
                events.append(SlotSet(slot, new))
        return events
