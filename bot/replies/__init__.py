"""What the bot sends: replies with numbered citations, quick-reply buttons and the disclaimer.

A `Reply` (`model`: what the service decided to say, built with `building`'s helpers) becomes `ReplyData`
(`data`, made by `rendering.structure`): the data every channel renders from, with the reply's kind, its
paragraphs and the citation numbers each one carries, the numbered citations (publisher, title, URL, review
date), the buttons, the consult-your-clinician disclaimer in the conversation's language and the phone numbers
the reply gives (the deployment's own: `bot.emergency_numbers`). `render` is the
only way a reply becomes an outgoing message: the action server sends the data (`ReplyData.as_json`, under
`REPLY_KEY`) together with the plain text made from it (`reply_text`) for channels that need text. Every
renderer, here, in Telegram, in the website widget and in the editors' shell, refuses data without a
disclaimer (`UnrenderableReply`), and the sender then sends `safe_fallback()` instead, so no answering path
(answer, no answer, fallback, emergency, dosing refusal, out of scope) can leave the disclaimer out.

The words themselves (the disclaimer, the emergency numbers, the headings) live in `bot.wording`; they are
named here too because every reply carries them.

- `model`: `Reply`, `ReplyKind`, `Button`, `Citation`;
- `building`: passages joined with numbered citations (`cite`, `passage_reply`), buttons and payloads;
- `data`: `ReplyData`, the format channels receive, and `OutgoingMessage`;
- `rendering`: `structure`, `reply_text`, `render`, `SAFE_FALLBACK` (`safe_fallback()` with the deployment's
  own numbers), `checked`.
"""

from __future__ import annotations

from bot.replies.building import (
    FEEDBACK_BUTTONS,
    REASON_BUTTONS,
    REASON_CODES,
    cite,
    immediate_steps,
    passage_payload,
    passage_reply,
    reason_payload,
    topic_buttons,
    topic_payload,
)
from bot.replies.data import (
    REPLY_FORMAT,
    REPLY_KEY,
    OutgoingMessage,
    Paragraph,
    PhoneLink,
    ReplyData,
    UnrenderableReply,
    reply_in,
)
from bot.replies.model import Button, Citation, Reply, ReplyKind
from bot.replies.rendering import (
    SAFE_FALLBACK,
    checked,
    citation_label,
    citation_reviewed,
    paragraph_text,
    render,
    reply_text,
    safe_fallback,
    structure,
)
from bot.wording import (
    CANNOT_SHOW,
    CRISIS_LINE_LIST,
    CRISIS_LINES,
    DISCLAIMER,
    EMERGENCY_NUMBER_LIST,
    EMERGENCY_NUMBERS,
    EMERGENCY_SHORT,
    IMMEDIATE_HEADING,
    POISON_HELP,
    POISON_HELP_LIST,
    SOURCES_HEADING,
)

__all__ = [
    "CANNOT_SHOW",
    "CRISIS_LINES",
    "CRISIS_LINE_LIST",
    "DISCLAIMER",
    "EMERGENCY_NUMBERS",
    "EMERGENCY_NUMBER_LIST",
    "EMERGENCY_SHORT",
    "FEEDBACK_BUTTONS",
    "IMMEDIATE_HEADING",
    "POISON_HELP",
    "POISON_HELP_LIST",
    "REASON_BUTTONS",
    "REASON_CODES",
    "REPLY_FORMAT",
    "REPLY_KEY",
    "SAFE_FALLBACK",
    "SOURCES_HEADING",
    "Button",
    "Citation",
    "OutgoingMessage",
    "Paragraph",
    "PhoneLink",
    "Reply",
    "ReplyData",
    "ReplyKind",
    "UnrenderableReply",
    "checked",
    "citation_label",
    "citation_reviewed",
    "cite",
    "immediate_steps",
    "paragraph_text",
    "passage_payload",
    "passage_reply",
    "reason_payload",
    "render",
    "reply_in",
    "reply_text",
    "safe_fallback",
    "structure",
    "topic_buttons",
    "topic_payload",
]
