"""What the tracker says about this turn, and the slot events that carry the conversation's new state.

Pure helpers for the actions (`actions/actions.py`): each reads the tracker (slots, the latest message and its
metadata) or turns a turn's result into `SlotSet` events. None opens anything or sends a message.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from bot import constants as c
from bot.channels.editor_preview import EDITOR_CHANNEL, EditorPreview, preview_request
from bot.config import get_settings
from bot.context import Context, Turn
from bot.decision import Nlu
from bot.language import CHANNEL, LANGUAGES, LanguageState, from_metadata
from bot.replies import ReplyKind
from bot.safety import dosing_from, red_flag_from

# Rasa's own slot with the metadata of the message that started the session.
SESSION_STARTED_METADATA = "session_started_metadata"


def language_of(tracker: Tracker) -> LanguageState:
    """The conversation's language as action_detect_language left it for this turn."""
    lang = tracker.get_slot(c.SLOT_LANGUAGE)
    pending = tracker.get_slot(c.SLOT_LANGUAGE_PENDING)
    if lang not in LANGUAGES:
        # The introduction is sent before any slot is set: Rasa keeps the first message's metadata for it.
        stamped = from_metadata(tracker.get_slot(SESSION_STARTED_METADATA))
        if stamped is not None:
            return LanguageState(stamped, CHANNEL)
    return LanguageState(
        lang if lang in LANGUAGES else None,
        tracker.get_slot(c.SLOT_LANGUAGE_SOURCE),
        pending if pending in LANGUAGES else None,
    )


def latest_metadata(tracker: Tracker) -> dict[str, Any]:
    """The metadata the channel sent with the latest message (language, editors' preview)."""
    user: dict[str, Any] = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    metadata = user.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def opening_topic(tracker: Tracker) -> str | None:
    """The topic id a page or a link asked to open the conversation on (`bot.payloads.TopicStart`), else None.

    Only a topic start counts: the channel marks it in the metadata, and its intent and entity are the topic
    button's. Whether the id is a topic the library knows is for the action to check.
    """
    if latest_metadata(tracker).get(c.METADATA_TOPIC_START) is not True:
        return None
    if (tracker.latest_message.get("intent") or {}).get("name") != c.INTENT_ASK_TOPIC:
        return None
    topic = next(tracker.get_latest_entity_values(c.ENTITY_TOPIC), None)
    return topic if isinstance(topic, str) else None


def from_editor(tracker: Tracker) -> bool:
    """Whether the message came from the editors' web shell rather than from a patient."""
    return tracker.get_latest_input_channel() == EDITOR_CHANNEL


def editor_preview(tracker: Tracker) -> EditorPreview | None:
    """The editors' preview (drafts, debug data) this message asks for; None for every patient message."""
    user: dict[str, Any] = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    return preview_request(
        tracker.get_latest_input_channel(),
        user.get("metadata"),
        tracker.sender_id,
        str(user.get("text") or ""),
        get_settings().editor_token,
    )


def context_from(tracker: Tracker) -> Context:
    """The topic and therapy under discussion, the question last answered and its passages, from the slots."""
    return Context(
        topic=tracker.get_slot(c.SLOT_TOPIC),
        therapy=tracker.get_slot(c.SLOT_THERAPY),
        previous=tracker.get_slot(c.SLOT_ANSWERED_QUESTION),
        answered=tuple(str(p) for p in tracker.get_slot(c.SLOT_ANSWERED_PASSAGES) or []),
    )


def shown_passages(tracker: Tracker) -> list[str]:
    """Every passage shown in this conversation so far, oldest first (at most `MAX_SHOWN`)."""
    return [str(p) for p in tracker.get_slot(c.SLOT_SHOWN_PASSAGES) or []]


def context_events(turn: Turn, question: str = "", shown: list[str] | None = None) -> list[EventType]:
    """Slot events that carry the conversation's new context and, after an answer, what was answered.

    Args:
        turn: the reply and the context it moves the conversation to.
        question: the question answered; after "tell me more" it stays the one the subject came from.
        shown: the passages shown before this turn; the answer's passages are added (newest last).
    """
    events: list[EventType] = [
        SlotSet(c.SLOT_TOPIC, turn.context.topic),
        SlotSet(c.SLOT_THERAPY, turn.context.therapy),
    ]
    if turn.reply.kind == ReplyKind.ANSWER:
        passages = list(turn.reply.passage_ids)
        earlier = [p for p in shown or [] if p not in passages]
        events += [
            # The service may keep the question with the subject it left unsaid ("and what sets them off?").
            SlotSet(c.SLOT_ANSWERED_QUESTION, turn.context.previous or question or None),
            SlotSet(c.SLOT_ANSWERED_PASSAGES, passages),
            SlotSet(c.SLOT_SHOWN_PASSAGES, [*earlier, *passages][-c.MAX_SHOWN :]),
        ]
    return events


def fallbacks_before(tracker: Tracker) -> int:
    """How many times in a row the bot was unsure just before this message (the `fallbacks` slot)."""
    try:
        return int(tracker.get_slot(c.SLOT_FALLBACKS) or 0)
    except (TypeError, ValueError):
        return 0


def nlu_of(tracker: Tracker) -> Nlu:
    """What NLU made of the latest message, as `bot.decision.decide` reads it."""
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    return Nlu(
        intent.get("name"),
        float(intent.get("confidence") or 0.0),
        red_flag=red_flag_from(latest) is not None,
        dosing=dosing_from(latest)[0] is not None,
        term_ids=tuple(term_ids(tracker)),
    )


def term_ids(tracker: Tracker) -> list[str]:
    """Canonical ids of the terms Rasa found in the latest message."""
    entities: list[dict[str, Any]] = tracker.latest_message.get("entities") or []
    return [str(e["value"]) for e in entities if e.get("entity") in c.TERM_ENTITY_LABELS and e.get("value")]


def latest_text(tracker: Tracker) -> str:
    """The latest user message text (empty for a button payload without text)."""
    return str(tracker.latest_message.get("text") or "")
