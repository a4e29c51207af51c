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

from bot.content.records import ContentBundle, PassageRecord, TopicRecord

DISCLAIMER = (
    "This is general information, not medical advice. Please talk to your own doctor, nurse, therapist or "
    "pharmacist about your situation, and never start, stop or change a treatment without them."
)

EMERGENCY_NUMBERS = (
    "If this is happening now, call emergency services straight away: 911 in the US, 999 in the UK, "
    "112 in the EU. Do not wait for a reply here."
)

CRISIS_LINES = (
    "If you are thinking about suicide or harming yourself, you are not alone and help is there now: "
    "call or text 988 in the US, call Samaritans free on 116 123 in the UK, or call 112 in the EU."
)


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


def cite(passages: Sequence[PassageRecord], bundle: ContentBundle) -> tuple[str, tuple[Citation, ...]]:
    """Joins passages into one body with [n] markers; a source cited twice keeps its first number."""
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    paragraphs: list[str] = []
    for passage in passages:
        marks = []
        for source_id in passage.sources:
            source = bundle.sources.get(source_id)
            if source is None:
                continue
            if source_id not in numbers:
                numbers[source_id] = len(numbers) + 1
                citations.append(Citation(numbers[source_id], source_id, source.publisher, source.title, source.url))
            marks.append(f"[{numbers[source_id]}]")
        paragraphs.append(f"{passage.text} {''.join(marks)}".strip())
    return "\n".join(paragraphs), tuple(citations)


def passage_reply(
    kind: ReplyKind,
    passages: Sequence[PassageRecord],
    bundle: ContentBundle,
    lead: str = "",
    buttons: tuple[Button, ...] = (),
) -> Reply:
    """A reply built from passages, optionally after a lead paragraph (e.g. the emergency numbers)."""
    body, citations = cite(passages, bundle)
    text = "\n".join(part for part in (lead, body) if part)
    return Reply(
        kind=kind,
        text=text,
        citations=citations,
        buttons=buttons,
        passage_ids=tuple(p.id for p in passages),
    )


def render(reply: Reply) -> OutgoingMessage:
    """Turns a reply into the message that is sent: body, numbered sources, then the disclaimer.

    Every path that sends a reply goes through here, which is what guarantees the disclaimer.
    """
    parts = [reply.text.strip()]
    if reply.citations:
        lines = [f"[{c.number}] {c.publisher}: {c.title}. {c.url}" for c in reply.citations]
        parts.append("Sources:\n" + "\n".join(lines))
    parts.append(DISCLAIMER)
    # Single line breaks only: Rasa's REST channel splits a text at blank lines into separate messages, and
    # the disclaimer must stay in the same message as the answer it qualifies.
    return OutgoingMessage(text="\n".join(p for p in parts if p), buttons=reply.buttons)
