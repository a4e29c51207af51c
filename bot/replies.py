"""What the bot sends: replies with numbered citations, quick-reply buttons and the disclaimer.

A `Reply` (what the service decided to say) becomes `ReplyData` (`structure`): the data every channel renders
from, with the reply's kind, its paragraphs and the citation numbers each one carries, the numbered
citations (publisher, title, URL, review date), the buttons and the consult-your-clinician disclaimer in the
conversation's language. `render` is the only way a reply becomes an outgoing message: the action server
sends the data (`ReplyData.as_json`, under `REPLY_KEY`) together with the plain text made from it
(`reply_text`) for channels that need text. Every renderer, here, in Telegram, in the website widget and in
the editors' shell, refuses data without a disclaimer (`UnrenderableReply`), and the sender then sends
`SAFE_FALLBACK` instead, so no answering path (answer, no answer, fallback, emergency, dosing refusal, out of
scope) can leave the disclaimer out. Wording lives here, in one place, rather than in each action.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from bot.content.records import ContentBundle, PassageRecord, ProtocolEntry, TopicRecord

logger = logging.getLogger(__name__)

DISCLAIMER = (
    "This is general information, not medical advice. Please talk to your own doctor, nurse, therapist or "
    "pharmacist about your situation, and never start, stop or change a treatment without them."
)

# The emergency and crisis numbers, written once: every text that gives them (replies, the unavailable
# messages, the channels' help and fallback texts) is built from these, so they are the same everywhere.
EMERGENCY_NUMBER_LIST = "911 in the US, 999 in the UK, 112 in the EU"
CRISIS_LINE_LIST = "call or text 988 in the US, call Samaritans free on 116 123 in the UK, or call 112 in the EU"
POISON_HELP_LIST = "Poison Help 1-800-222-1222 in the US, NHS 111 in the UK (999 if they are unwell), 112 in the EU"

EMERGENCY_NUMBERS = (
    f"If this is happening now, call emergency services straight away: {EMERGENCY_NUMBER_LIST}. "
    "Do not wait for a reply here."
)
# For texts that are not emergency replies (help, "I can't answer right now"): where to go if it is one.
EMERGENCY_SHORT = f"In an emergency, call emergency services: {EMERGENCY_NUMBER_LIST}."

CRISIS_LINES = (
    "If you are thinking about suicide or harming yourself, you are not alone and help is there now: "
    f"{CRISIS_LINE_LIST}."
)
# A medicine taken by mistake or too much, when the person seems well: advice now, before signs appear.
POISON_HELP = f"If someone took too much of a medicine by mistake and seems well, get advice now: {POISON_HELP_LIST}."
# Heads the numbered sources under a reply (in another language: `bot.wording.render_words`).
SOURCES_HEADING = "Sources:"
# Heads the protocol's immediate steps in a safety reply.
IMMEDIATE_HEADING = "What to do now:"


class ReplyKind(str, Enum):
    """Why a reply was sent; channels and logs use it, the disclaimer does not depend on it."""

    INTRODUCTION = "introduction"
    MENU = "menu"
    ANSWER = "answer"
    NO_ANSWER = "no_answer"
    EMERGENCY = "emergency"
    DOSING_REFUSAL = "dosing_refusal"
    OUT_OF_SCOPE = "out_of_scope"
    UNAVAILABLE = "unavailable"
    CLARIFY = "clarify"
    GIVE_UP = "give_up"
    FEEDBACK = "feedback"


@dataclass(frozen=True)
class Button:
    """A quick reply: what the person sees and what is sent back when they press it."""

    title: str
    payload: str


@dataclass(frozen=True)
class Citation:
    """A numbered reference to a source."""

    number: int
    source_id: str
    publisher: str
    title: str
    url: str
    reviewed: date | None = None  # when the cited text was last checked against this source


@dataclass(frozen=True)
class Reply:
    """A reply before rendering: body text, citations and buttons."""

    kind: ReplyKind
    text: str
    citations: tuple[Citation, ...] = ()
    buttons: tuple[Button, ...] = ()
    passage_ids: tuple[str, ...] = ()


# The key under which a message carries its `ReplyData` (see `OutgoingMessage.as_kwargs`).
REPLY_KEY = "reply"
# Version of the data format, for clients that keep their own renderer (raised on an incompatible change).
REPLY_FORMAT = 1


class UnrenderableReply(ValueError):
    """Reply data that must not be shown: no disclaimer, or not in the reply data format."""


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a reply, and the numbers of the citations that follow it ("text [1][2]")."""

    text: str
    citations: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReplyData:
    """A reply as every channel receives it: the parts that make it up, in the conversation's language.

    The format (`as_json`) is described in the README ("The reply data"); `reply_text` renders it as plain
    text, `bot.channels.telegram_format` as Telegram HTML, `widget/src/render.js` and
    `bot/channels/editor_static/reply.js` in the browser. Each of them refuses a reply without a disclaimer.
    """

    kind: str
    paragraphs: tuple[Paragraph, ...]
    citations: tuple[Citation, ...]
    buttons: tuple[Button, ...]
    disclaimer: str
    sources_heading: str = SOURCES_HEADING

    def require_disclaimer(self) -> None:
        """Raises `UnrenderableReply` when the disclaimer is missing: such a reply is never shown."""
        if not isinstance(self.disclaimer, str) or not self.disclaimer.strip():
            raise UnrenderableReply(f"a {self.kind} reply without its disclaimer")

    def as_json(self) -> dict[str, Any]:
        """The data as JSON, as channels and clients receive it."""
        return {
            "format": REPLY_FORMAT,
            "kind": self.kind,
            "paragraphs": [{"text": p.text, "citations": list(p.citations)} for p in self.paragraphs],
            "sources_heading": self.sources_heading,
            "citations": [
                {
                    "number": c.number,
                    "source": c.source_id,
                    "publisher": c.publisher,
                    "title": c.title,
                    "url": c.url,
                    "reviewed": c.reviewed.isoformat() if c.reviewed else None,
                }
                for c in self.citations
            ],
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
            "disclaimer": self.disclaimer,
        }

    @classmethod
    def from_json(cls, data: Any) -> ReplyData:
        """Reads reply data as a channel received it.

        Raises:
            UnrenderableReply: the data is not in the format, or has no disclaimer.
        """
        try:
            citations = tuple(
                Citation(
                    int(c["number"]),
                    str(c.get("source") or ""),
                    str(c["publisher"]),
                    str(c["title"]),
                    str(c["url"]),
                    date.fromisoformat(c["reviewed"]) if c.get("reviewed") else None,
                )
                for c in data["citations"]
            )
            known = {c.number for c in citations}
            paragraphs = tuple(
                Paragraph(str(p["text"]), tuple(int(n) for n in p["citations"])) for p in data["paragraphs"]
            )
            if any(n not in known for p in paragraphs for n in p.citations):
                raise UnrenderableReply("a paragraph cites a number that is not among the citations")
            reply = cls(
                kind=str(data["kind"]),
                paragraphs=paragraphs,
                citations=citations,
                buttons=tuple(Button(str(b["title"]), str(b["payload"])) for b in data["buttons"]),
                disclaimer=data["disclaimer"],
                sources_heading=str(data["sources_heading"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            if isinstance(error, UnrenderableReply):
                raise
            raise UnrenderableReply(f"not reply data: {error!r}") from error
        reply.require_disclaimer()
        return reply


def reply_in(message: Mapping[str, Any]) -> ReplyData | None:
    """The reply data a bot message carries, or None for a plain text message (e.g. a domain response).

    Raises:
        UnrenderableReply: the message carries reply data that must not be shown.
    """
    return ReplyData.from_json(message[REPLY_KEY]) if REPLY_KEY in message else None


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message, ready for `CollectingDispatcher.utter_message(**message.as_kwargs())`."""

    text: str
    buttons: tuple[Button, ...] = ()
    data: ReplyData | None = None

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the rasa-sdk dispatcher: the text, the buttons and the reply data.

        The data goes as an extra keyword, not as custom JSON: Rasa 3.6 keeps extra keywords in the
        `BotUttered` event and hands them to every output channel with the text (`send_response`), where
        channels that do not know them ignore them; custom JSON would reach Rasa's stock channels as a
        second message (REST, `rasa shell`) or break them (Socket.IO's `emit(**custom)`).
        """
        kwargs: dict[str, Any] = {"text": self.text}
        if self.buttons:
            kwargs["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.data is not None:
            kwargs[REPLY_KEY] = self.data.as_json()
        return kwargs


def topic_payload(topic_id: str) -> str:
    """The button payload that asks for a topic's overview."""
    return f'/ask_topic{{"topic": "{topic_id}"}}'


def passage_payload(passage_id: str) -> str:
    """The button payload that asks for one passage (a suggested follow-up question)."""
    return f'/ask_topic{{"passage": "{passage_id}"}}'


# Offered after every answer, so that editors learn which passages do not help and people can say so in one press.
FEEDBACK_BUTTONS = (
    Button(title="Helpful", payload="/feedback_helpful"),
    Button(title="Not helpful", payload="/feedback_not_helpful"),
)


def topic_buttons(topics: Iterable[TopicRecord]) -> tuple[Button, ...]:
    """One quick reply per topic."""
    return tuple(Button(title=t.title, payload=topic_payload(t.id)) for t in topics)


def immediate_steps(entry: ProtocolEntry) -> str:
    """The protocol's "what to do now" as numbered lines (single line breaks: see `render`)."""
    return "\n".join([IMMEDIATE_HEADING, *(f"{n}. {step}" for n, step in enumerate(entry.immediate, start=1))])


def cite(
    passages: Sequence[PassageRecord], bundle: ContentBundle, first: Sequence[tuple[str, Sequence[str]]] = ()
) -> tuple[str, tuple[Citation, ...]]:
    """Joins passages into one body with [n] markers; a source cited twice keeps its first number.

    Args:
        passages: the passages, in order.
        bundle: where the sources are looked up.
        first: (text, source ids) blocks that come before the passages and are cited the same way, such as the
            emergency protocol's immediate steps.
    """
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    paragraphs: list[str] = []
    # A citation's review date: the latest `reviewed` of the reply's passages that cite the source; a source
    # only the `first` blocks cite (e.g. the emergency protocol) has the date its document was last accessed.
    reviewed: dict[str, date] = {}
    for passage in passages:
        for source_id in passage.sources:
            reviewed[source_id] = max(reviewed.get(source_id, passage.reviewed), passage.reviewed)
    blocks = [*first, *((p.text, p.sources) for p in passages)]
    for text, sources in blocks:
        marks = []
        for source_id in sources:
            source = bundle.sources.get(source_id)
            if source is None:
                continue
            if source_id not in numbers:
                numbers[source_id] = len(numbers) + 1
                when = reviewed.get(source_id, source.accessed)
                citations.append(
                    Citation(numbers[source_id], source_id, source.publisher, source.title, source.url, when)
                )
            marks.append(f"[{numbers[source_id]}]")
        paragraphs.append(f"{text} {''.join(marks)}".strip())
    return "\n".join(paragraphs), tuple(citations)


def passage_reply(
    kind: ReplyKind,
    passages: Sequence[PassageRecord],
    bundle: ContentBundle,
    lead: str = "",
    buttons: tuple[Button, ...] = (),
    first: Sequence[tuple[str, Sequence[str]]] = (),
) -> Reply:
    """A reply built from passages, optionally after a lead paragraph (e.g. the emergency numbers).

    `first` blocks (text and source ids, e.g. the protocol's immediate steps) come between the lead and the
    passages, and are cited like them.
    """
    body, citations = cite(passages, bundle, first)
    text = "\n".join(part for part in (lead, body) if part)
    return Reply(
        kind=kind,
        text=text,
        citations=citations,
        buttons=buttons,
        passage_ids=tuple(p.id for p in passages),
    )


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


def structure(reply: Reply, disclaimer: str = DISCLAIMER, sources_heading: str = SOURCES_HEADING) -> ReplyData:
    """The reply as data: kind, paragraphs with their citation numbers, citations, buttons, disclaimer.

    Another language passes its own disclaimer and heading (`bot.wording.render_words`).

    Raises:
        UnrenderableReply: the disclaimer is empty.
    """
    body = reply.text.strip()
    numbers = {c.number for c in reply.citations}
    data = ReplyData(
        kind=reply.kind.value,
        paragraphs=tuple(_paragraph(line, numbers) for line in body.split("\n")) if body else (),
        citations=reply.citations,
        buttons=reply.buttons,
        disclaimer=disclaimer,
        sources_heading=sources_heading,
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


def reply_text(data: ReplyData) -> str:
    """The reply as one plain text, for channels that show text: body, numbered sources, then the disclaimer.

    Single line breaks only: Rasa's REST channel splits a text at blank lines into separate messages, and
    the disclaimer must stay in the same message as the answer it qualifies.

    Raises:
        UnrenderableReply: the reply has no disclaimer.
    """
    data.require_disclaimer()
    parts = ["\n".join(paragraph_text(p) for p in data.paragraphs).strip()]
    if data.citations:
        lines = [f"[{c.number}] {citation_label(c)}. {c.url}" for c in data.citations]
        parts.append(f"{data.sources_heading}\n" + "\n".join(lines))
    parts.append(data.disclaimer)
    return "\n".join(p for p in parts if p)


def render(reply: Reply, disclaimer: str = DISCLAIMER, sources_heading: str = SOURCES_HEADING) -> OutgoingMessage:
    """Turns a reply into the message that is sent: its data, and the plain text made from the data.

    Every path that sends a reply goes through here, which is what guarantees the disclaimer. Another
    language passes its own disclaimer and heading (`bot.wording.render_words`).

    Raises:
        UnrenderableReply: the disclaimer is empty; the sender sends `SAFE_FALLBACK` instead.
    """
    data = structure(reply, disclaimer, sources_heading)
    return OutgoingMessage(text=reply_text(data), buttons=data.buttons, data=data)


# Sent instead of a reply that cannot be rendered (a bug, never a person's doing): no medical content, where
# to get help now, and the disclaimer.
CANNOT_SHOW = (
    "I'm sorry, something went wrong on my side and I can't show that answer safely. Please ask again in a "
    f"moment. {EMERGENCY_SHORT} {CRISIS_LINES}"
)
SAFE_FALLBACK = structure(Reply(ReplyKind.UNAVAILABLE, CANNOT_SHOW))


def checked(message: Mapping[str, Any]) -> ReplyData | None:
    """The reply data of a message for a channel to render: `SAFE_FALLBACK` if it must not be shown.

    Returns None for a plain text message (a domain response such as "Goodbye"), which has no data.
    """
    try:
        return reply_in(message)
    except UnrenderableReply as refused:
        logger.error("Refused to show a reply (%s); sent the safe fallback instead", refused)
        return SAFE_FALLBACK
