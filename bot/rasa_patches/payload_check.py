"""A message that looks like an intent payload counts only when the bot offered it (`MessageProcessor.parse_message`).

**What.** Rasa reads any message starting with "/" as an intent payload: its `RegexMessageHandler`, the last
node of the NLU graph, replaces the whole parse with the intent and entities written in the text. Here
`MessageProcessor.parse_message` (rasa/core/processor.py), the one step every channel's message passes through,
is wrapped: a message starting with "/" is decided by `bot.payloads.read` with the conversation's tracker. An
offered button, "/restart", "/session_start" or a channel's own command goes to Rasa's method unchanged; any
other payload is parsed by Rasa's method without its leading slashes, so the classifier and the safety net read
every word and no payload is found, and the parse then gets the person's text back (entity offsets moved to
match). Messages not starting with "/" go straight to Rasa's method.

**Why.** "/ask_question@1 my pump is alarming" was answered from the library instead of with the emergency
reply, and "/ask_question@1 how much baclofen should I take" skipped the dosing refusal, because the safety
net's verdict was thrown away with the rest of the parse (security review, finding 8).

**Measured.** Every unoffered payload of the security review is read as text over REST, Socket.IO, Telegram
and the editors' shell (tests/test_payload_safety.py, e2e tier); a message that does not start with "/" costs
one `str.startswith`. Contract: `tests/test_rasa_patches.py::test_payload_check_*` (Rasa's own graph end,
`RegexMessageHandler`, takes the typed payload; the patched method differs from Rasa's only for payloads nobody
offered).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.nlu.constants import ENTITIES, TEXT

from bot.payloads import (
    ChannelCommand,
    Reading,
    TopicStart,
    offered_payloads,
    read,
    text_to_read,
    with_earlier_events,
)

logger = logging.getLogger(__name__)

_original_parse_message: Any = None


async def _reading(processor: Any, message: UserMessage, tracker: Any) -> Reading:
    """How the processor's message is read, looking before the loaded events only when that could change it."""
    text, command = message.text or "", isinstance(message, ChannelCommand)
    start = isinstance(message, TopicStart)
    if tracker is None:  # a parse without a conversation (`/model/parse`): nothing was offered
        return read(text, frozenset(), channel_command=command, topic_start=start)
    reading = read(text, offered_payloads(tracker.events), channel_command=command, topic_start=start)
    if reading is Reading.READ_AS_TEXT:
        events = await with_earlier_events(getattr(processor, "tracker_store", None), tracker)
        if len(events) > len(tracker.events):
            reading = read(text, offered_payloads(events), channel_command=command, topic_start=start)
    return reading


async def parse_message(
    self: Any, message: UserMessage, tracker: Any = None, only_output_properties: bool = True
) -> dict[str, Any]:
    """`MessageProcessor.parse_message`, with a payload nobody offered read as text.

    Rasa's own method runs on a copy of the message without its leading slashes; the parse then gets the
    person's text back, and its entity offsets are moved to match it.
    """
    text = message.text or ""
    if not text.strip().startswith(INTENT_MESSAGE_PREFIX):  # most messages: no tracker walk at all
        plain: dict[str, Any] = await _original_parse_message(self, message, tracker, only_output_properties)
        return plain
    reading = await _reading(self, message, tracker)
    if reading is not Reading.READ_AS_TEXT:
        logger.debug("Intent payload honoured (%s)", reading.value)
        honoured: dict[str, Any] = await _original_parse_message(self, message, tracker, only_output_properties)
        return honoured
    shown, offset = text_to_read(text)
    if not shown:  # only slashes: Rasa finds no intent in that, so there is nothing to take away
        kept: dict[str, Any] = await _original_parse_message(self, message, tracker, only_output_properties)
        return kept
    logger.info("A message that looks like an intent payload the bot did not offer is read as text")
    copy = UserMessage(
        shown,
        message.output_channel,
        message.sender_id,
        input_channel=message.input_channel,
        message_id=message.message_id,
        metadata=message.metadata,
    )
    parse_data: dict[str, Any] = await _original_parse_message(self, copy, tracker, only_output_properties)
    if parse_data.get(TEXT) == copy.text:  # not cut by MessageLengthGuard: offsets point into the person's text
        parse_data[TEXT] = text
        for entity in parse_data.get(ENTITIES) or []:
            for key in ("start", "end"):
                if isinstance(entity.get(key), int):
                    entity[key] += offset
    return parse_data


def rasa_original() -> Any:
    """Rasa's own `MessageProcessor.parse_message`, whether or not the wrapper is installed."""
    from rasa.core.processor import MessageProcessor

    return _original_parse_message or MessageProcessor.parse_message


def install() -> None:
    """Wraps `MessageProcessor.parse_message`; calling it again does nothing."""
    global _original_parse_message
    from rasa.core.processor import MessageProcessor

    if MessageProcessor.parse_message is parse_message:
        return
    _original_parse_message = MessageProcessor.parse_message
    MessageProcessor.parse_message = parse_message
