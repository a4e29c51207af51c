"""A reply as the service decides it: its kind, its body text with citation markers, its citations and buttons.

This is what `bot.service` and its helpers build (`bot.replies.building`), in English; `bot.localise` puts it
into the conversation's language and `bot.replies.rendering` turns it into the data channels receive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum


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
    HUMAN_HELP = "human_help"  # "can I talk to someone?": who can, if the deployment names someone
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
    # How a reply shows that date beside the source, in its language ("reviewed March 2027"): set by
    # `bot.replies.structure`, so every channel shows the same words without a month table of its own.
    reviewed_label: str | None = None


@dataclass(frozen=True)
class Reply:
    """A reply before rendering: body text, citations and buttons."""

    kind: ReplyKind
    text: str
    citations: tuple[Citation, ...] = ()
    buttons: tuple[Button, ...] = ()
    passage_ids: tuple[str, ...] = ()
