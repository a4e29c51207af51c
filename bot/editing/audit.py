"""The editors' change log: who created, edited, published, withdrew or signed off which passage, and when.

One JSON object per line in an append-only file (`EDITOR_AUDIT_LOG`, default var/editor-audit.jsonl, mode
0600). Nothing ever rewrites it: each entry is appended under an exclusive file lock, so replicas on one
machine cannot interleave lines. Each entry holds the SHA-256 of the passage's entry before and after the
change (the files' history in git has the text itself) and the hash of the previous line, so a deleted or
altered line breaks the chain and `verify` says where.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

TAIL_BYTES = 65_536  # enough to hold the last line


class Action(str, Enum):
    """What an editor did."""

    SIGN_IN = "sign-in"
    CREATE = "create"
    EDIT = "edit"
    RECHECK = "re-check"
    PUBLISH = "publish"
    WITHDRAW = "withdraw"
    DISCARD = "discard"
    SIGN_OFF = "sign-off"
    RELOAD = "reload"
    # A real message saved as an evaluation question from the traffic page (bot.editing.eval_questions).
    SAVE_EVAL = "save-eval-question"


def entry_hash(entry: Mapping[str, Any] | None) -> str | None:
    """The SHA-256 of a passage's entry as data (independent of key order and YAML layout); None for none."""
    if entry is None:
        return None
    text = json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


class AuditLog:
    """Appends to and reads the change log file."""

    def __init__(self, path: Path) -> None:
        """The log at `path`; created (mode 0600) by the first entry."""
        self.path = path

    def append(
        self,
        editor: str,
        role: str,
        action: Action,
        passage: str | None = None,
        file: str | None = None,
        before: str | None = None,
        after: str | None = None,
        note: str | None = None,
        fields: list[str] | None = None,
    ) -> dict[str, Any]:
        """Adds one entry at the end and returns it.

        Args:
            editor: who did it (an account's login name, or "token" for the shared `EDITOR_TOKEN`).
            role: the account's role (editor or clinician).
            action: what was done.
            passage: the passage's id, if the action was on one.
            file: the content file changed, relative to the content folder.
            before: `entry_hash` of the passage's entry before the change (None: it did not exist).
            after: `entry_hash` after the change (None: it no longer exists).
            note: a short description (what changed, the sign-off's note, the load's summary).
            fields: the passage's fields the change set (an edit's), if any.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "r+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(0, size - TAIL_BYTES))
                lines = handle.read().splitlines()
                entry = {
                    "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "editor": editor,
                    "role": role,
                    "action": action.value,
                    "passage": passage,
                    "file": file,
                    "before": before,
                    "after": after,
                    "note": note,
                    "fields": fields,
                    "prev": _line_hash(lines[-1]) if lines else None,
                }
                handle.write((json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return entry

    def _lines(self) -> list[bytes]:
        try:
            return self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []

    def entries(self, limit: int = 100, passage: str | None = None) -> list[dict[str, Any]]:
        """The latest entries, newest first; with `passage`, only those about it (or its pending edit)."""
        found: list[dict[str, Any]] = []
        for line in reversed(self._lines()):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if passage is not None and entry.get("passage") not in {passage, f"{passage}.draft"}:
                continue
            found.append(entry)
            if len(found) >= limit:
                break
        return found

    def last_change(self, passage: str) -> dict[str, Any] | None:
        """The latest entry that changed a passage's entry (not a sign-in or a reload)."""
        for entry in self.entries(limit=1000, passage=passage):
            if entry.get("after") != entry.get("before"):
                return entry
        return None

    def verify(self) -> list[str]:
        """Where the chain of hashes is broken (a line deleted, altered or inserted); empty when intact."""
        problems: list[str] = []
        previous: bytes | None = None
        for number, line in enumerate(self._lines(), start=1):
            try:
                entry = json.loads(line)
            except ValueError:
                problems.append(f"line {number}: not JSON")
                previous = line
                continue
            expected = _line_hash(previous) if previous is not None else None
            if entry.get("prev") != expected:
                problems.append(f"line {number}: does not follow line {number - 1}")
            previous = line
        return problems
