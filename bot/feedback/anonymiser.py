"""What may be stored of a vote or an unanswered question, and when: the only place raw input is handled.

The action hands every store the raw sender id and question; `Anonymiser` turns them into records with a
salted hash instead of the id, a scrubbed and bounded question (bot/feedback/privacy.py), clean passage ids
and a UTC timestamp from an injectable clock. Nothing else of the conversation reaches a store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from bot.feedback.privacy import hash_conversation, prepare_question, question_key
from bot.feedback.records import KINDS_WITH_TEXT, Turn, TurnKind, Unanswered, Vote

Clock = Callable[[], dt.datetime]
# A salt, or a function that reads it when the first record is written (the local salt file is only
# created by a process that actually stores feedback, never by a report).
Salt = str | Callable[[], str]
# Passage ids are content ids (at most 64 characters); an answer shows one or two passages.
MAX_PASSAGE_ID_CHARS = 64
MAX_PASSAGES_PER_VOTE = 10


def utc_now() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A timezone-aware UTC time; naive times (as the database returns them) are taken to be UTC."""
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def naive_utc(value: dt.datetime) -> dt.datetime:
    """The naive UTC form the database stores (SQLite has no time zones; PostgreSQL gets the same)."""
    return as_utc(value).replace(tzinfo=None)


def clean_passage_ids(passage_ids: Iterable[str]) -> tuple[str, ...]:
    """The passage ids worth storing: stripped, non-empty, of a valid length, each once, in order."""
    seen: list[str] = []
    for raw in passage_ids:
        ident = str(raw).strip()
        if ident and len(ident) <= MAX_PASSAGE_ID_CHARS and ident not in seen:
            seen.append(ident)
    return tuple(seen[:MAX_PASSAGES_PER_VOTE])


class Anonymiser:
    """Turns what the action knows into what may be stored: the only place raw input is handled.

    Args:
        salt: the secret key of the conversation hash (`FEEDBACK_SALT` or the local salt file), or a
            function that returns it on first use.
        clock: the source of timestamps; tests pass a fixed one.
    """

    def __init__(self, salt: Salt, clock: Clock = utc_now) -> None:
        self._salt_source = salt
        self._salt: str | None = None
        self._clock = clock

    def _key(self) -> str:
        if self._salt is None:
            salt = self._salt_source() if callable(self._salt_source) else self._salt_source
            if not salt:
                raise ValueError("The feedback salt must not be empty")
            self._salt = salt
        return self._salt

    def conversation(self, conversation_id: str) -> str:
        """The salted hash that stands for a sender id."""
        return hash_conversation(str(conversation_id), self._key())

    def now(self) -> dt.datetime:
        """The current time in UTC, from the clock."""
        return as_utc(self._clock())

    def vote(self, conversation_id: str, question: str, passage_ids: Iterable[str], helpful: bool) -> Vote:
        """A vote with the sender id hashed and the question scrubbed and bounded."""
        text = prepare_question(question or "")
        return Vote(
            conversation=self.conversation(conversation_id),
            question=text,
            question_key=question_key(text),
            passage_ids=clean_passage_ids(passage_ids),
            helpful=bool(helpful),
            created_at=self.now(),
        )

    def unanswered(self, conversation_id: str, question: str) -> Unanswered | None:
        """An unanswered question made private, or None when nothing of it is left to learn from."""
        text = prepare_question(question or "")
        key = question_key(text)
        if not key:
            return None
        return Unanswered(
            conversation=self.conversation(conversation_id),
            question=text,
            question_key=key,
            created_at=self.now(),
        )

    def turn(self, kind: TurnKind, question: str) -> Turn:
        """A counted turn: no conversation at all, and the scrubbed words only for the kinds editors read."""
        text = prepare_question(question or "") if kind in KINDS_WITH_TEXT else ""
        return Turn(kind=kind, question=text or None, created_at=self.now())
