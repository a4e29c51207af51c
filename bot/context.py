"""What a conversation is about and what one turn returns: the values the service and the actions pass around.

They live apart from the service so that ranking (bot.retrieval.ranking) and the conversation moves can read a
conversation's subject without importing the service that sits above them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.replies import Reply


@dataclass(frozen=True)
class Context:
    """What the conversation is about, from the slots.

    `previous` is the question last answered: a follow-up about a new aspect of the same subject ("and what
    sets it off?") often names no subject at all, and the earlier question supplies it. `answered` holds the
    passages of the last answer: a new question about the same subject is rarely answered by the very passage
    the person has just read.
    """

    topic: str | None = None
    therapy: str | None = None
    previous: str | None = None
    answered: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    """A reply plus the context the conversation moves to."""

    reply: Reply
    context: Context = field(default_factory=Context)
