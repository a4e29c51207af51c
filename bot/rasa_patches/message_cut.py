"""A pasted essay is cut before Rasa stores it, not only before NLU reads it (`_handle_message_with_tracker`).

**What.** `MessageProcessor._handle_message_with_tracker` (rasa/core/processor.py) is where every message
becomes a `UserUttered` event in the conversation, whatever the channel (REST, Socket.IO, Telegram, the
editors' shell, the HTTP API's `/conversations/{id}/messages`). Here it is wrapped: a message longer than
`MAX_MESSAGE_CHARS` + 1 characters is replaced, before Rasa's method runs, by a copy whose text is what the
length guard would have left (`bot.nlp.length_guard.MessageLengthGuard`: whitespace collapsed, then cut to
`MAX_MESSAGE_CHARS` + 1, one character more than the bot reads, so the answering action still sees that the
message was cut and says so). Everything else about the message (sender, channel, id, metadata) is kept, and
shorter messages go to Rasa's method untouched.

**Why.** The length guard shortens only the copy NLU reads; Rasa stores `message.text`, the original, in the
`UserUttered` event (security review, finding 3). A client could store up to a megabyte per message over
Socket.IO, and every later turn of that conversation, and its history in the widget, loads it again.

**Measured.** A 100,000-character message leaves a 1,001-character `UserUttered` in the tracker, where Rasa's
method stores all 100,000 (tests/test_rasa_patches.py::test_message_cut_*); the answer and its "your message
was cut" note are unchanged because the guard cut the same text before. A message within the limit costs one
`len()`.
"""

from __future__ import annotations

import copy
from typing import Any

from rasa.core.channels.channel import UserMessage

from bot.text import SPACED, clip, normalise

_original: Any = None


def stored_text(text: str, limit: int) -> str:
    """What is kept of a message the bot reads `limit` characters of: as the length guard cuts it.

    Args:
        text: the message as the channel received it.
        limit: `MAX_MESSAGE_CHARS`; one character more is kept, so that the cut is seen downstream.
    """
    if len(text) <= limit + 1:
        return text
    return clip(normalise(text, SPACED), limit + 1)[0]


def cut_message(message: UserMessage, limit: int) -> UserMessage:
    """The message itself when it is short enough, else a copy (same class, same fields) with its text cut."""
    text = message.text
    if not isinstance(text, str) or len(text) <= limit + 1:
        return message
    cut = copy.copy(message)
    cut.text = stored_text(text, limit)
    return cut


async def _handle_message_with_tracker(self: Any, message: UserMessage, tracker: Any) -> None:
    """Rasa's method, given the message cut to what the bot reads (see the module docstring)."""
    from bot.config import get_settings

    await _original(self, cut_message(message, get_settings().max_message_chars), tracker)


def rasa_original() -> Any:
    """Rasa's own `MessageProcessor._handle_message_with_tracker`, whether or not the wrapper is installed."""
    from rasa.core.processor import MessageProcessor

    return _original or MessageProcessor._handle_message_with_tracker


def install() -> None:
    """Wraps `MessageProcessor._handle_message_with_tracker`; calling it again does nothing."""
    global _original
    from rasa.core.processor import MessageProcessor

    if MessageProcessor._handle_message_with_tracker is _handle_message_with_tracker:
        return
    _original = MessageProcessor._handle_message_with_tracker
    MessageProcessor._handle_message_with_tracker = _handle_message_with_tracker
