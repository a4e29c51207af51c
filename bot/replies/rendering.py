"""Rendering: a `Reply` becomes `ReplyData` and plain text with the disclaimer, or the safe fallback.

`render` is the only way a reply becomes an outgoing message; `reply_text` is the plain text channels that
show text receive; `checked` is how a channel reads a message's data, with `SAFE_FALLBACK` for data it must
not show.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from typing import Any

from bot.emergency_numbers import DEFAULT, LocalNumbers, local_numbers
from bot.language import Lang
from bot.replies.data import OutgoingMessage, Paragraph, PhoneLink, ReplyData, UnrenderableReply, reply_in
from bot.replies.model import Citation, Reply, ReplyKind
from bot.wording import CANNOT_SHOW, DISCLAIMER, SOURCES_HEADING, reviewed_on

logger = logging.getLogger(__name__)

# What `cite` writes after a paragraph: " [1][2]" (the text before it may be empty).
_TRAILING_MARKERS = re.compile(r"^(?:(?P<text>.*) )?(?P<marks>(?:\[\d+\])+)$")
_MARKER = re.compile(r"\[(\d+)\]")


def _paragraph(line: str, numbers: set[int]) -> Paragraph:
    """A line of a reply's body with the citation markers `cite` put at its end taken apart."""
    match = _TRAILING_MARKERS.match(line)
    if match is None or match["text"] == "":  # " [1]" is not what `cite` writes: keep it as it is
        return Paragraph(line)
    cited = tuple(int(n) for n in _MARKER.findall(match["marks"]))
    if not set(cited) <= numbers:  # not markers of this reply: the line's own words
        return Paragraph(line)
    return Paragraph(match["text"] or "", cited)


def structure(
    reply: Reply,
    disclaimer: str = DISCLAIMER,
    sources_heading: str = SOURCES_HEADING,
    lang: Lang = "en",
    numbers: LocalNumbers | None = None,
) -> ReplyData:
    """The reply as data: kind, paragraphs with their citation numbers, citations, buttons, disclaimer, phones.

    Another language passes its own disclaimer, heading and language (`bot.wording.render_words`); each
    citation's review date is worded in that language ("reviewed March 2027"). The default
    emergency, crisis and poison lines become the deployment's own here (`numbers`, by default the configured
    ones: `bot.emergency_numbers`), and the phone numbers the text gives are listed with the data.

    Raises:
        UnrenderableReply: the disclaimer is empty.
    """
    local = local_numbers() if numbers is None else numbers
    body = local.localise(reply.text).strip()
    cited = {c.number for c in reply.citations}
    citations = tuple(
        dataclasses.replace(c, reviewed_label=reviewed_on(c.reviewed, lang)) if c.reviewed else c
        for c in reply.citations
    )
    data = ReplyData(
        kind=reply.kind.value,
        paragraphs=tuple(_paragraph(line, cited) for line in body.split("\n")) if body else (),
        citations=citations,
        buttons=reply.buttons,
        disclaimer=disclaimer,
        sources_heading=sources_heading,
        phones=tuple(PhoneLink.of(p, p.call(lang)) for p in local.phones(body, lang)),
    )
    data.require_disclaimer()
    return data


def paragraph_text(paragraph: Paragraph) -> str:
    """A paragraph as plain text, its citation markers after it: "Baclofen relaxes muscles. [1][2]"."""
    marks = "".join(f"[{n}]" for n in paragraph.citations)
    return f"{paragraph.text} {marks}" if paragraph.text and marks else paragraph.text or marks


def citation_label(citation: Citation) -> str:
    """How a source is named in the list under a reply: "Publisher: Title"."""
    return f"{citation.publisher}: {citation.title}"


def citation_reviewed(citation: Citation) -> str:
    """When the answer was last checked against the source, shown beside it: "(reviewed March 2027)", or ""."""
    return f"({citation.reviewed_label})" if citation.reviewed_label else ""


def reply_text(data: ReplyData) -> str:
    """The reply as one plain text, for channels that show text: body, numbered sources, then the disclaimer.

    Each source line says when the answer was last reviewed against it: "[1] NHS: Baclofen (reviewed March
    2027). https://...".

    Single line breaks only: Rasa's REST channel splits a text at blank lines into separate messages, and
    the disclaimer must stay in the same message as the answer it qualifies.

    Raises:
        UnrenderableReply: the reply has no disclaimer.
    """
    data.require_disclaimer()
    parts = ["\n".join(paragraph_text(p) for p in data.paragraphs).strip()]
    if data.citations:
        lines = [
            f"[{c.number}] {' '.join(filter(None, (citation_label(c), citation_reviewed(c))))}. {c.url}"
            for c in data.citations
        ]
        parts.append(f"{data.sources_heading}\n" + "\n".join(lines))
    parts.append(data.disclaimer)
    return "\n".join(p for p in parts if p)


def render(
    reply: Reply,
    disclaimer: str = DISCLAIMER,
    sources_heading: str = SOURCES_HEADING,
    lang: Lang = "en",
    numbers: LocalNumbers | None = None,
) -> OutgoingMessage:
    """Turns a reply into the message that is sent: its data, and the plain text made from the data.

    Every path that sends a reply goes through here, which is what guarantees the disclaimer. Another
    language passes its own disclaimer, heading and language (`bot.wording.render_words`); `numbers` are
    the deployment's own by default (`structure`).

    Raises:
        UnrenderableReply: the disclaimer is empty; the sender sends `safe_fallback()` instead.
    """
    data = structure(reply, disclaimer, sources_heading, lang, numbers)
    return OutgoingMessage(text=reply_text(data), buttons=data.buttons, data=data)


# Sent instead of a reply that cannot be rendered (a bug, never a person's doing): no medical content, where
# to get help now, and the disclaimer. This one names the default numbers; `safe_fallback()` the configured ones.
SAFE_FALLBACK = structure(Reply(ReplyKind.UNAVAILABLE, CANNOT_SHOW), numbers=DEFAULT)


def safe_fallback() -> ReplyData:
    """`SAFE_FALLBACK` with the deployment's own numbers: what is sent in place of a reply that must not be."""
    local = local_numbers()
    return SAFE_FALLBACK if local == DEFAULT else structure(Reply(ReplyKind.UNAVAILABLE, CANNOT_SHOW), numbers=local)


def checked(message: Mapping[str, Any]) -> ReplyData | None:
    """The reply data of a message for a channel to render: `safe_fallback()` if it must not be shown.

    Returns None for a plain text message (a domain response such as "Goodbye"), which has no data.
    """
    try:
        return reply_in(message)
    except UnrenderableReply as refused:
        logger.error("Refused to show a reply (%s); sent the safe fallback instead", refused)
        return safe_fallback()
