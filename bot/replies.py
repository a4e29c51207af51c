"""What the bot sends: replies with numbered citations, quick-reply buttons and the disclaimer.

`render` is the only way a reply becomes an outgoing message, and it always appends the
consult-your-clinician disclaimer, so no answering path (answer, no answer, fallback, emergency, dosing
refusal, out of scope) can leave it out. Wording lives here, in one place, rather than in each action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.content.records import ContentBundle, PassageRecord, ProtocolEntry, TopicRecord

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
# Heads the numbered sources under a reply (the channels find the block by it: `SOURCES_HEADINGS`).
SOURCES_HEADING = "Sources:"
SOURCES_HEADINGS = ("Sources:", "Fuentes:")
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


@dataclass(frozen=True)
class Reply:
    """A reply before rendering: body text, citations and buttons."""

    kind: ReplyKind
    text: str
    citations: tuple[Citation, ...] = ()
    buttons: tuple[Button, ...] = ()
    passage_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message, ready for `CollectingDispatcher.utter_message(**message.as_kwargs())`."""

    text: str
    buttons: tuple[Button, ...] = ()

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the rasa-sdk dispatcher."""
        kwargs: dict[str, Any] = {"text": self.text}
        if self.buttons:
            kwargs["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
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
    blocks = [*first, *((p.text, p.sources) for p in passages)]
    for text, sources in blocks:
        marks = []
        for source_id in sources:
            source = bundle.sources.get(source_id)
            if source is None:
                continue
            if source_id not in numbers:
                numbers[source_id] = len(numbers) + 1
                citations.append(Citation(numbers[source_id], source_id, source.publisher, source.title, source.url))
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


def render(reply: Reply, disclaimer: str = DISCLAIMER, sources_heading: str = SOURCES_HEADING) -> OutgoingMessage:
    """Turns a reply into the message that is sent: body, numbered sources, then the disclaimer.

    Every path that sends a reply goes through here, which is what guarantees the disclaimer. Another
    language passes its own disclaimer and heading (`bot.wording.render_words`).
    """
    parts = [reply.text.strip()]
    if reply.citations:
        lines = [f"[{c.number}] {c.publisher}: {c.title}. {c.url}" for c in reply.citations]
        parts.append(f"{sources_heading}\n" + "\n".join(lines))
    parts.append(disclaimer or DISCLAIMER)
    # Single line breaks only: Rasa's REST channel splits a text at blank lines into separate messages, and
    # the disclaimer must stay in the same message as the answer it qualifies.
    return OutgoingMessage(text="\n".join(p for p in parts if p), buttons=reply.buttons)
