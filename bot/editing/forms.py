"""What the shell sends about a passage, who sends it, and how a form becomes the entry's YAML values.

An editor's form holds the passage's text, lay questions, topic and sources and, for a review, whether it was
re-checked against its sources today. `apply_form` writes only the keys whose values the form changes, so an
unchanged field keeps its layout in the file; values are written as the loader reads them (whitespace
collapsed), which is also how they are compared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap

from bot.content.fields import ContentProblem
from bot.content.records import DEFAULT_REVIEW_MONTHS
from bot.editing.files import block_list, flow_list, folded, set_key
from bot.text import SPACED, normalise

# A pending edit of passage X is the draft X.draft (ids hold at most 64 characters, so new ids at most 58).
DRAFT_SUFFIX = ".draft"
MAX_NEW_ID = 64 - len(DRAFT_SUFFIX)
# What patients read: changing one of these makes a new version (a pending edit) that needs a new sign-off.
CONTENT_KEYS = ("topic", "title", "text", "questions", "sources")
MAX_FIELD_CHARS = 5000
MAX_LIST_ITEMS = 60


class EditingError(Exception):
    """A change that was not made: the HTTP status, what to tell the editor, and the loader's problems."""

    def __init__(self, status: int, message: str, problems: Sequence[ContentProblem] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = list(problems)

    def body(self) -> dict[str, Any]:
        """The JSON the page shows."""
        return {
            "ok": False,
            "message": self.message,
            "problems": [{"file": p.file, "item": p.item, "problem": p.problem} for p in self.problems],
        }


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_FIELD_CHARS:
        raise EditingError(400, f'"{key}" must be text of at most {MAX_FIELD_CHARS} characters.')
    return normalise(value, SPACED)


def _lines(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = value.replace(",", "\n").splitlines() if key == "sources" else value.splitlines()
    if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS or not all(isinstance(v, str) for v in value):
        raise EditingError(400, f'"{key}" must be a list of at most {MAX_LIST_ITEMS} texts.')
    return tuple(t for t in (normalise(v, SPACED) for v in value) if t)


@dataclass(frozen=True)
class PassageForm:
    """The shell's form for one passage (a new one when `base_hash` is None)."""

    id: str
    title: str
    topic: str
    text: str
    questions: tuple[str, ...]
    sources: tuple[str, ...]
    review_note: str
    review_every_months: int | None
    rechecked: bool
    file: str | None
    base_hash: str | None

    @classmethod
    def from_json(cls, data: Any) -> PassageForm:
        """Reads the page's JSON; a wrong type is a 400 (the loader judges the values themselves)."""
        if not isinstance(data, dict):
            raise EditingError(400, "Send the passage as a JSON object.")
        months = data.get("review_every_months")
        if months in ("", None):
            months = None
        elif isinstance(months, str) and months.strip().isdigit():
            months = int(months)
        elif not isinstance(months, int) or isinstance(months, bool):
            raise EditingError(400, '"review_every_months" must be a whole number.')
        rechecked = data.get("rechecked", False)
        base = data.get("base_hash")
        file = data.get("file")
        if not isinstance(rechecked, bool) or not isinstance(base, (str, type(None))):
            raise EditingError(400, '"rechecked" must be true or false and "base_hash" text or null.')
        return cls(
            id=_text(data, "id"),
            title=_text(data, "title"),
            topic=_text(data, "topic"),
            text=_text(data, "text"),
            questions=_lines(data, "questions"),
            sources=_lines(data, "sources"),
            review_note=_text(data, "review_note"),
            review_every_months=months,
            rechecked=rechecked,
            file=file if isinstance(file, str) and file else None,
            base_hash=base,
        )

    def values(self) -> dict[str, Any]:
        """The content fields as plain values, to compare with an entry's."""
        return {
            "topic": self.topic,
            "title": self.title,
            "text": self.text,
            "questions": list(self.questions),
            "sources": list(self.sources),
        }


def plain_value(entry: Mapping[str, Any], key: str) -> Any:
    """An entry's value as the loader reads it (text collapsed; lists of texts), to compare with a form's."""
    value = entry.get(key)
    if key in ("questions", "sources"):
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [normalise(str(v), SPACED) for v in items if v is not None and normalise(str(v), SPACED)]
    return normalise(str(value), SPACED) if value is not None else ""


def content_changes(entry: Mapping[str, Any], form: PassageForm) -> list[str]:
    """The content fields the form changes."""
    wanted = form.values()
    return [key for key in CONTENT_KEYS if plain_value(entry, key) != wanted[key]]


def apply_form(entry: CommentedMap, form: PassageForm, today: dt.date) -> list[str]:
    """Writes the form's changes into an entry; returns the names of the fields changed."""
    changed = content_changes(entry, form)
    for key in changed:
        value: Any = form.values()[key]
        if key == "text":
            value = folded(value, entry.get("text"))
        elif key == "questions":
            value = block_list(value)
        elif key == "sources":
            value = flow_list(value)
        set_key(entry, key, value)
    if form.review_note != plain_value(entry, "review_note"):
        set_key(entry, "review_note", folded(form.review_note, entry.get("review_note")) if form.review_note else None)
        changed.append("review_note")
    months = form.review_every_months
    current = entry.get("review_every_months")
    if months is not None and months != current and (current is not None or months != DEFAULT_REVIEW_MONTHS):
        set_key(entry, "review_every_months", months)
        changed.append("review_every_months")
    if form.rechecked:
        set_key(entry, "reviewed", today)
        changed.append("reviewed")
    return changed


def new_entry(form: PassageForm, today: dt.date) -> CommentedMap:
    """A new draft passage from the form; `reviewed` only when the editor re-checked it against its sources."""
    entry = CommentedMap()
    entry["id"] = form.id
    entry["status"] = "draft"
    apply_form(entry, form, today)
    return entry


def jsonable(value: Any) -> Any:
    """Dates as YYYY-MM-DD, everything else as JSON has it."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
