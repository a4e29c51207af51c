"""Saving a real message as an evaluation question, from the editors' traffic page.

An editor who finds a false alarm or a miss among recent emergency, dosing or unanswered turns saves the
(scrubbed) message with the category the bot should have given it. It is appended to the saved question
file (`EVAL_SAVED_FILE`, default content/eval/saved.yml), which `make eval-saved` (or `python -m
bot.evaluation FILE`) sends to a running bot: the held-out sets in tests/eval/ are never touched. The file
is the evaluation tool's own format (`bot.evaluation.load_questions`), checked before it is written, and
each item is appended as its own lines so the file diffs cleanly. The same wording (ignoring case,
punctuation and spacing) is saved once.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from bot.editing.forms import EditingError
from bot.evaluation import parse_questions
from bot.feedback.privacy import question_key

# What a saved message may be expected to get: the evaluation's categories that fit a patient's message.
SAVED_CATEGORIES = ("answer", "emergency", "dosing_refusal", "out_of_scope", "adversarial")
HEADER = (
    "# Questions editors saved from real traffic (the editors' shell, Traffic review), each with the\n"
    "# category the bot should give it. `make eval-saved` judges a running bot on them. Scrubbed of personal\n"
    "# details before they were stored; check the wording before you commit the file.\n"
)


def saved_id(text: str) -> str:
    """A stable id from the normalised wording, so the same question always gets the same id."""
    return "saved-" + hashlib.sha256(question_key(text).encode("utf-8")).hexdigest()[:12]


class SavedQuestions:
    """The saved question file: appends under an exclusive lock, one item at a time."""

    def __init__(self, path: Path) -> None:
        """The file at `path`; created, with a header, by the first save."""
        self.path = path

    def items(self) -> list[dict[str, Any]]:
        """The saved items as they stand (empty when there is no file yet)."""
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        return [i for i in data or [] if isinstance(i, dict)]

    def append(
        self, text: str, category: str, topic: str | None, topics: Collection[str], today: dt.date
    ) -> dict[str, Any]:
        """Appends one question and returns it.

        Args:
            text: the message as stored (already scrubbed).
            category: what the bot should do with it (one of `SAVED_CATEGORIES`).
            topic: for `answer`, the topic whose passages should answer it.
            topics: the content's topic ids, to check `topic` against.
            today: the date written with the item.

        Raises:
            EditingError: 400 for a bad category or topic, 409 when the wording is saved already.
        """
        text = " ".join(text.split())
        if not question_key(text):
            raise EditingError(400, "There is nothing in this message to save.")
        if category not in SAVED_CATEGORIES:
            raise EditingError(400, f"Choose what the bot should do: one of {', '.join(SAVED_CATEGORIES)}.")
        if category == "answer":
            if not topic or topic not in topics:
                raise EditingError(400, "An answer question needs the topic that should answer it.")
        else:
            topic = None
        item: dict[str, Any] = {"id": saved_id(text), "text": text, "category": category}
        if topic:
            item["topic"] = topic
        item["saved_on"] = today.isoformat()
        block = yaml.safe_dump([item], allow_unicode=True, sort_keys=False, width=1000)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        with os.fdopen(fd, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                before = handle.read()
                existing = yaml.safe_load(before) or []
                same = next((i for i in existing if isinstance(i, dict) and i.get("id") == item["id"]), None)
                if same is not None:
                    raise EditingError(409, f"This question is saved already, as {same.get('category')}.")
                after = (before or HEADER) + ("" if not before or before.endswith("\n") else "\n") + block
                try:  # the file as it would be must load in the evaluation tool, else nothing is written
                    parse_questions(yaml.safe_load(after), self.path)
                except ValueError as exc:
                    raise EditingError(500, f"The saved question file would not load: {exc}") from exc
                handle.seek(0, os.SEEK_END)
                handle.write(after[len(before) :])
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return item
