"""Building replies: passages joined with numbered citations, topic and feedback buttons, button payloads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from bot.content.records import ContentBundle, PassageRecord, ProtocolEntry, TopicRecord
from bot.emergency_numbers import LocalNumbers, local_numbers
from bot.replies.model import Button, Citation, Reply, ReplyKind
from bot.wording import (
    HELPFUL,
    IMMEDIATE_HEADING,
    NOT_HELPFUL,
    REASON_OTHER,
    REASON_OUT_OF_DATE,
    REASON_TOO_HARD,
    REASON_WRONG_TOPIC,
)


def topic_payload(topic_id: str) -> str:
    """The button payload that asks for a topic's overview."""
    return f'/ask_topic{{"topic": "{topic_id}"}}'


def passage_payload(passage_id: str) -> str:
    """The button payload that asks for one passage (a suggested follow-up question)."""
    return f'/ask_topic{{"passage": "{passage_id}"}}'


# Offered after every answer, so that editors learn which passages do not help and people can say so in one press.
FEEDBACK_BUTTONS = (
    Button(title=HELPFUL, payload="/feedback_helpful"),
    Button(title=NOT_HELPFUL, payload="/feedback_not_helpful"),
)

# Offered after "not helpful" (optional): each says why, as `/feedback_not_helpful{"reason": ...}`, which the
# feedback action stores against that vote. The codes are `bot.feedback.Reason`'s values; every payload stays
# under Telegram's 64 bytes of callback data.
REASON_CODES = (
    ("wrong_topic", REASON_WRONG_TOPIC),
    ("too_hard", REASON_TOO_HARD),
    ("out_of_date", REASON_OUT_OF_DATE),
    ("other", REASON_OTHER),
)


def reason_payload(code: str) -> str:
    """The button payload that gives a reason for "not helpful"."""
    return f'/feedback_not_helpful{{"reason": "{code}"}}'


REASON_BUTTONS = tuple(Button(title=title, payload=reason_payload(code)) for code, title in REASON_CODES)


def topic_buttons(topics: Iterable[TopicRecord]) -> tuple[Button, ...]:
    """One quick reply per topic."""
    return tuple(Button(title=t.title, payload=topic_payload(t.id)) for t in topics)


def immediate_steps(entry: ProtocolEntry) -> str:
    """The protocol's "what to do now" as numbered lines (single line breaks: see `render`)."""
    return "\n".join([IMMEDIATE_HEADING, *(f"{n}. {step}" for n, step in enumerate(entry.immediate, start=1))])


def cite(
    passages: Sequence[PassageRecord],
    bundle: ContentBundle,
    first: Sequence[tuple[str, Sequence[str]]] = (),
    local: LocalNumbers | None = None,
) -> tuple[str, tuple[Citation, ...]]:
    """Joins passages into one body with [n] markers; a source cited twice keeps its first number.

    Args:
        passages: the passages, in order.
        bundle: where the sources are looked up.
        first: (text, source ids) blocks that come before the passages and are cited the same way, such as the
            emergency protocol's immediate steps.
        local: what fills the content's placeholders (`{emergency_numbers}`...): the configured numbers by
            default. The stored and indexed text keeps the placeholders; only a reply gives the numbers.
    """
    local = local_numbers() if local is None else local
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
        paragraphs.append(f"{local.fill(text)} {''.join(marks)}".strip())
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
