"""Custom Rasa actions: thin adapters between the tracker and `bot.service.BotService`.

rasa-sdk imports this module and instantiates every non-abstract `Action` subclass with no arguments, so
nothing here opens a database, a model or an index at import time: the service is created on first use and
shared by all actions of the process. Tests pass an in-memory service to the constructor instead.

Every message goes out through `send`, which renders it with `bot.replies.render`, the one function that
appends the disclaimer.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot import constants as c
from bot.replies import Reply, render
from bot.service import BotService, ContentUnavailable, Context, Turn, get_service

logger = logging.getLogger(__name__)


def send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    """Sends one reply; the rendering adds numbered sources and the disclaimer."""
    message = render(reply)
    dispatcher.utter_message(**message.as_kwargs())


def context_from(tracker: Tracker) -> Context:
    """The topic and therapy under discussion, from the slots."""
    return Context(topic=tracker.get_slot(c.SLOT_TOPIC), therapy=tracker.get_slot(c.SLOT_THERAPY))


def context_events(turn: Turn) -> list[EventType]:
    """Slot events that carry the conversation's new context."""
    return [SlotSet(c.SLOT_TOPIC, turn.context.topic), SlotSet(c.SLOT_THERAPY, turn.context.therapy)]


def term_ids(tracker: Tracker) -> list[str]:
    """Canonical ids of the terms Rasa found in the latest message."""
    entities: list[dict[str, Any]] = tracker.latest_message.get("entities") or []
    return [str(e["value"]) for e in entities if e.get("entity") in c.TERM_ENTITY_LABELS and e.get("value")]


def latest_text(tracker: Tracker) -> str:
    """The latest user message text (empty for a button payload without text)."""
    return str(tracker.latest_message.get("text") or "")


class ServiceAction(Action, ABC):
    """An action that asks the bot service for a reply and sends it, failing safely."""

    def __init__(self, service: BotService | None = None) -> None:
        self._service = service

    @property
    def service(self) -> BotService:
        """The injected service, or the process-wide one created on first use."""
        if self._service is None:
            self._service = get_service()
        return self._service

    @abstractmethod
    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """Builds the reply and the events for this turn."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Sends the reply; if the content cannot be reached, says so plainly instead of failing silently."""
        try:
            reply, events = self.respond(tracker)
        except ContentUnavailable:
            reply, events = self.service.unavailable(), []
        send(dispatcher, reply)
        return events


class ActionAnswerQuestion(ServiceAction):
    """Answers a question, a follow-up or a topic button from the content store."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_ANSWER_QUESTION

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """Retrieves with the entities and the conversation's topic; updates the topic slots."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        topic_id = next(tracker.get_latest_entity_values(c.ENTITY_TOPIC), None)
        if intent == c.INTENT_ASK_TOPIC and not topic_id:
            return self.service.topics_menu(), []
        turn = self.service.answer_question(
            latest_text(tracker),
            term_ids=term_ids(tracker),
            context=context_from(tracker),
            followup=intent == c.INTENT_ASK_FOLLOWUP,
            topic_id=topic_id,
        )
        return turn.reply, context_events(turn)


class ActionFallback(ActionAnswerQuestion):
    """Low NLU confidence: still try the library, and offer topics when nothing fits."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_FALLBACK


class ActionEmergency(ServiceAction):
    """Sends the person to emergency services at once, then gives the relevant safety passage."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_EMERGENCY

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """Emergency numbers first; the safety passage second."""
        return self.service.emergency(latest_text(tracker)), []


class ActionRefuseDosing(ServiceAction):
    """Refuses personal dosing advice, says why and who to ask, and offers general information."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_REFUSE_DOSING

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """The refusal with a relevant general passage when one exists."""
        return self.service.refuse_dosing(latest_text(tracker)), []


class ActionOutOfScope(ServiceAction):
    """Says what the bot covers, with topic buttons, instead of answering off-topic questions."""

    def name(self) -> str:
        """The action's name in the domain."""
        return c.ACTION_OUT_OF_SCOPE

    def respond(self, tracker: Tracker) -> tuple[Reply, list[EventType]]:
        """The scope statement."""
        return self.service.out_of_scope(), []


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
        events.append(ActionExecuted("action_listen"))
        return events
