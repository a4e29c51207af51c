"""Intent payloads ("/greet", '/ask_topic{"topic": "baclofen"}') count only when the bot offered them.

Rasa reads any message that starts with "/" as an intent payload: its `RegexMessageHandler` runs after the NLU
pipeline and replaces the whole parse with the intent and entities written in the text. A person who types
"/ask_question@1 my pump is alarming" would get an answer from the library instead of the emergency reply,
and "/ask_question@1 how much baclofen should I take" would skip the dosing refusal, because the safety net's
verdict is thrown away with the rest of the parse (security review, finding 8).

`bot.rasa_patches.payload_check` (installed in every Rasa server) wraps `MessageProcessor.parse_message`, the
one step every channel's message passes through (REST, Socket.IO, Telegram, the editors' shell, and Rasa's own
HTTP API), and asks `read` here, with the conversation's tracker, how a message starting with "/" is read:

- **offered**: it equals a button or quick reply of the bot's last turn. Only what the bot wrote itself gets
  through, so there is nothing in it for the safety net to read. Equal means the same intent (names are
  case-sensitive, as in Rasa), the same entities (the JSON compared as data, so spacing does not matter) and
  nothing else: outer whitespace is ignored, a confidence ("@1") or any trailing text is not.
- **conversation control**: exactly "/restart" or "/session_start", Rasa's own intents for starting again.
  They carry no words at all, and API clients rely on them (`bot.evaluation` opens each conversation with
  "/session_start"; the e2e tests restart with "/restart"). Anything more ("/restart@1 my pump is
  alarming") is not control and is read as text.
- **channel command**: a `ChannelCommand`, which only a channel's code can create (no client can send a
  Python object), for a bare intent with no entities. Telegram turns its own /start, /topics and /restart
  into these; a typed "/..." never reaches Rasa from Telegram otherwise. A `TopicStart` is the one channel
  command with an entity: a page or a link that opens the conversation on a topic (Telegram's
  `/start <topic-id>`, the widget's `data-topic`) sends the topic button's own payload,
  '/ask_topic{"topic": "<id>"}', with an id of the content's id shape, or nothing at all. The value is never
  an intent name and never reaches the NLU; the action checks it against the topics it knows.
- **read as text**: anything else that starts with "/". The NLU pipeline gets the text without its leading
  slashes (and whitespace between them), so the "/" counts as the punctuation it is, the classifier and the
  safety net read every word, and Rasa finds no payload. The parse keeps the person's text and entity offsets
  into it.

"The bot's last turn" is every bot message since the person's previous message, plus the introduction of a
session when that message opened the session: Rasa logs the introduction just before the message that started
the session, although it was sent in reply to it. An introduction being logged right now, for the message
being read, is not part of it: the person has not seen it yet. Rasa's SQL tracker store loads a conversation
only from its latest `SessionStarted` on, which leaves out that introduction and the restart note (both are
logged just before it); so when a payload is not found among the loaded events and they begin at a session
start, the earlier events are read from the store once (`with_earlier_events`). Only messages starting with
"/" that would otherwise be read as text pay for that query.

The socket.io widget sends no command of its own (its greeting is drawn by the page), and the editors' shell
sends only what the person typed or a pressed button's payload, so neither needs an exception.
"""

from __future__ import annotations

import enum
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.constants import ACTION_SESSION_START_NAME, USER_INTENT_RESTART, USER_INTENT_SESSION_START
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, UserUttered

from bot.constants import ENTITY_TOPIC, INTENT_ASK_TOPIC, METADATA_TOPIC_START
from bot.content.fields import ID_PATTERN

logger = logging.getLogger(__name__)

# Exact texts honoured on every channel without being offered (see the module docstring).
CONVERSATION_CONTROL = frozenset(
    INTENT_MESSAGE_PREFIX + name for name in (USER_INTENT_RESTART, USER_INTENT_SESSION_START)
)
# Rasa's pattern for a payload (`YAMLStoryReader._regex_message_pattern`): "/" intent, an optional "@confidence",
# optional JSON entities, the rest. Rasa's stops at a line break and drops what follows; here that is part of
# the rest, so a payload with a second line never equals an offered one.
PAYLOAD = re.compile(r"^/(?P<intent>[^{@]+)(?P<confidence>@[0-9.]+)?(?P<entities>{.+})?(?P<rest>.*)", re.DOTALL)
BARE_INTENT = re.compile(r"[a-z][a-z0-9_]*")
# What the NLU is spared of a payload read as text: every leading slash, and whitespace around them.
_LEADING = re.compile(r"[\s/]*")
# Where a bot message's data keeps the choices it offers.
_CHOICE_KEYS = ("buttons", "quick_replies")


class Reading(enum.Enum):
    """How a message is read."""

    TEXT = "text"  # it does not start with "/": the NLU reads it, as always
    OFFERED = "offered"
    CONVERSATION_CONTROL = "conversation control"
    CHANNEL_COMMAND = "channel command"
    READ_AS_TEXT = "read as text"  # it looks like a payload that nobody offered

    @property
    def is_payload(self) -> bool:
        """True when Rasa may take the intent and entities written in the message."""
        return self in (Reading.OFFERED, Reading.CONVERSATION_CONTROL, Reading.CHANNEL_COMMAND)


@dataclass(frozen=True)
class Payload:
    """A payload's parts, normalised so that two spellings of the same payload compare equal."""

    intent: str
    confidence: str
    entities: str
    rest: str


def parse_payload(text: str) -> Payload | None:
    """Splits a payload as Rasa does; None when the text is not one.

    The entities are compared as data: valid JSON is rewritten with sorted keys and no spacing, anything else
    is kept as written (Rasa ignores entities it cannot decode, but two different strings stay different here).
    """
    match = PAYLOAD.match(text.strip())
    if match is None:
        return None
    raw = match.group("entities") or ""
    try:
        entities = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")) if raw else ""
    except (ValueError, RecursionError):  # a deeply nested "JSON" typed to break the parser is just text
        entities = raw
    return Payload(
        match.group("intent").strip(), match.group("confidence") or "", entities, match.group("rest").strip()
    )


def last_turn(events: Iterable[Event]) -> list[Event]:
    """The events of the bot's last turn as the person saw it (see the module docstring)."""
    events = list(events)
    users = [i for i, event in enumerate(events) if isinstance(event, UserUttered)]
    latest = users[-1] if users else -1
    turn = events[latest + 1 :]
    starting = [i for i, event in enumerate(turn) if _is_session_start(event)]
    if starting:  # a session starting for the message being read: its introduction is not seen yet
        turn = turn[: starting[0]]
    if latest >= 0:
        before = events[(users[-2] + 1 if len(users) > 1 else 0) : latest]
        started = [i for i, event in enumerate(before) if _is_session_start(event)]
        if started and any(isinstance(event, SessionStarted) for event in before[started[-1] :]):
            turn = before[started[-1] :] + turn  # the latest message opened a session: its introduction counts
    return turn


def _is_session_start(event: Event) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME


def offered_payloads(events: Iterable[Event]) -> frozenset[str]:
    """The payloads of the buttons and quick replies of the bot's last turn."""
    payloads = set()
    for event in last_turn(events):
        if not isinstance(event, BotUttered):
            continue
        for key in _CHOICE_KEYS:
            choices = (event.data or {}).get(key)
            for choice in choices if isinstance(choices, list) else []:
                payload = choice.get("payload") if isinstance(choice, dict) else None
                if isinstance(payload, str) and payload.strip():
                    payloads.add(payload.strip())
    return frozenset(payloads)


def read(text: str, offered: Iterable[str], channel_command: bool = False, topic_start: bool = False) -> Reading:
    """Decides how a message is read (see the module docstring).

    Args:
        text: the message as the channel passed it on.
        offered: the payloads of the bot's last turn (`offered_payloads`).
        channel_command: the message is a `ChannelCommand`, made by a channel's own code.
        topic_start: the message is a `TopicStart` (a channel command too), the one with an entity.
    """
    stripped = text.strip()
    if not stripped.startswith(INTENT_MESSAGE_PREFIX):
        return Reading.TEXT
    if stripped in offered:
        return Reading.OFFERED
    typed = parse_payload(stripped)
    if typed is not None and any(parse_payload(p) == typed for p in offered if p.startswith(INTENT_MESSAGE_PREFIX)):
        return Reading.OFFERED
    if channel_command and BARE_INTENT.fullmatch(stripped[len(INTENT_MESSAGE_PREFIX) :]):
        return Reading.CHANNEL_COMMAND
    if channel_command and topic_start and topic_of_start(stripped) is not None:
        return Reading.CHANNEL_COMMAND
    if stripped in CONVERSATION_CONTROL:
        return Reading.CONVERSATION_CONTROL
    return Reading.READ_AS_TEXT


def text_to_read(text: str) -> tuple[str, int]:
    """The text the NLU reads for a payload read as text, and how many characters were taken off its start."""
    cut = _LEADING.match(text)
    start = cut.end() if cut else 0
    return text[start:], start


async def with_earlier_events(tracker_store: Any, tracker: Any) -> list[Event]:
    """The tracker's events, preceded by what the store holds before them when they begin at a session start.

    The earlier events are those the store keeps before the `SessionStarted` the tracker begins with (found by
    its timestamp); when the store cannot say, the tracker's own events are all there is.
    """
    events = list(tracker.events)
    if not events or not isinstance(events[0], SessionStarted) or tracker_store is None:
        return events
    try:
        full = await tracker_store.retrieve_full_tracker(tracker.sender_id)
    except Exception:  # the payload is then read as text, which is the safe side
        logger.exception("Could not read the earlier events of a conversation")
        return events
    earlier = list(full.events) if full is not None else []
    start = events[0].timestamp
    for index in range(len(earlier) - 1, -1, -1):
        if isinstance(earlier[index], SessionStarted) and earlier[index].timestamp == start:
            return earlier[:index] + events
    return events


class ChannelCommand(UserMessage):
    """A channel's own command turned into an intent (Telegram's /start is "/greet"); honoured unoffered.

    Only code creates it, so a client cannot pass one off: what a person types arrives as a `UserMessage`.
    """

    def __init__(
        self, intent: str, output_channel: OutputChannel | None, sender_id: str | None, input_channel: str | None
    ) -> None:
        """A message whose text is "/<intent>"; the intent must be a bare name (no entities, no confidence).

        Raises:
            ValueError: the intent is not a bare lower-case name.
        """
        if not BARE_INTENT.fullmatch(intent):
            raise ValueError(f"A channel command is a bare intent name, not {intent!r}")
        super().__init__(INTENT_MESSAGE_PREFIX + intent, output_channel, sender_id, input_channel=input_channel)


def is_topic_id(value: object) -> bool:
    """Whether `value` has the shape of a content id (`bot.content.fields.ID_PATTERN`): the only start value sent on.

    Telegram's deep-link parameters (letters, digits, "_" and "-", at most 64) and the widget's `data-topic` are
    checked with it before anything is sent to Rasa; whether such an id is a topic is for the action to say.
    """
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


def topic_start_text(topic: str) -> str:
    """The text of a topic start: the topic button's payload (`bot.replies.topic_payload`) for `topic`."""
    return f"{INTENT_MESSAGE_PREFIX}{INTENT_ASK_TOPIC}{json.dumps({ENTITY_TOPIC: topic})}"


def topic_of_start(text: str) -> str | None:
    """The topic of a text that is exactly a topic start's payload for a well-formed id; None for anything else."""
    typed = parse_payload(text)
    if typed is None or typed.intent != INTENT_ASK_TOPIC or typed.confidence or typed.rest:
        return None
    try:
        entities = json.loads(typed.entities) if typed.entities else None
    except ValueError:
        return None
    if not isinstance(entities, dict) or set(entities) != {ENTITY_TOPIC}:
        return None
    topic = entities[ENTITY_TOPIC]
    return topic if is_topic_id(topic) else None


class TopicStart(ChannelCommand):
    """A page or a link opening the conversation on a topic: Telegram's `/start <topic-id>`, the widget's data-topic.

    Its text is the topic button's payload for the id, and its metadata marks it as a start
    (`METADATA_TOPIC_START`), so the action greets as usual when the id is not a topic it knows instead of
    treating it as a stale button. Only code creates it, from a value that passed `is_topic_id`.
    """

    def __init__(
        self,
        topic: str,
        output_channel: OutputChannel | None,
        sender_id: str | None,
        input_channel: str | None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """A topic start for `topic`, with the channel's metadata (the page's or the app's language) kept.

        Raises:
            ValueError: `topic` does not have the shape of a content id.
        """
        if not is_topic_id(topic):
            raise ValueError("A topic start needs a content id (letters, digits, '.', '_', '-'; at most 64)")
        UserMessage.__init__(
            self,
            topic_start_text(topic),
            output_channel,
            sender_id,
            input_channel=input_channel,
            metadata={**(metadata or {}), METADATA_TOPIC_START: True},
        )
