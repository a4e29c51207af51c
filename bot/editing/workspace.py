"""The content folder as the shell changes it: find a passage's entry, try a change, write it, one at a time.

A change is tried on a temporary copy of the whole content folder and validated there by the loader itself
(`load_bundle`), so the shell reports exactly the problems `make content-check` would, in the same words, and
a change the loader would refuse is never written. A valid change is written to the real file atomically
(a new file renamed over the old one, keeping its mode). Changes are made one at a time: a lock in this
process and a lock file beside the change log for the other processes on the machine.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.content.loader import PASSAGES_DIR, ContentProblem, ContentValidationError, load_bundle, passage_files
from bot.content.records import ContentBundle

_PROCESS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Located:
    """A passage's entry as the loader reads it, and where it is."""

    name: str  # the file, relative to the content folder (as the loader names it in problems)
    index: int  # the entry's place in the file's list
    entry: dict[str, Any]

    @property
    def id(self) -> str:
        """The entry's id."""
        return str(self.entry.get("id", "")).strip()


class Workspace:
    """A content folder and the lock that makes the shell's changes to it one at a time."""

    def __init__(self, content_dir: Path, lock_file: Path) -> None:
        """The folder to edit, and the lock file shared with other processes on this machine."""
        self.content_dir = content_dir
        self.lock_file = lock_file

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Holds the editing lock: no other change starts until this one is written and loaded."""
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        with _PROCESS_LOCK:
            fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def name_of(self, path: Path) -> str:
        """A file's name as the loader writes it in its problems."""
        return str(path.relative_to(self.content_dir))

    def passage_files(self) -> list[Path]:
        """The passage files, in the loader's order."""
        return passage_files(self.content_dir)

    def entries(self) -> list[Located]:
        """Every passage entry of the readable passage files, in load order.

        A file that cannot be read is skipped here; the loader reports it at the next change.
        """
        found: list[Located] = []
        for path in self.passage_files():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue
            items = data.get("passages") if isinstance(data, dict) else None
            for index, entry in enumerate(items if isinstance(items, list) else []):
                if isinstance(entry, dict):
                    found.append(Located(self.name_of(path), index, dict(entry)))
        return found

    def find(self, passage_id: str) -> Located | None:
        """The entry with this id (the first, if a mistake made two)."""
        return next((e for e in self.entries() if e.id == passage_id), None)

    def read(self, name: str) -> str:
        """A content file's text."""
        return (self.content_dir / name).read_text(encoding="utf-8")

    def try_change(self, changes: Mapping[str, str], today: dt.date) -> ContentBundle | list[ContentProblem]:
        """The bundle the folder would load with `changes` (file name -> new text), or the loader's problems."""
        with tempfile.TemporaryDirectory(prefix="editing-") as temporary:
            copy = Path(temporary) / "content"
            shutil.copytree(self.content_dir, copy, ignore=shutil.ignore_patterns(".*"))
            for name, text in changes.items():
                target = copy / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            try:
                return load_bundle(copy, today=today)
            except ContentValidationError as exc:
                return exc.problems

    def bundle(self, today: dt.date) -> ContentBundle | list[ContentProblem]:
        """The folder as the loader reads it now, or its problems."""
        try:
            return load_bundle(self.content_dir, today=today)
        except ContentValidationError as exc:
            return exc.problems

    def write(self, changes: Mapping[str, str]) -> None:
        """Writes each changed file whole: a new file beside it, renamed over it (readers never see half)."""
        for name, text in changes.items():
            target = self.content_dir / name
            if not target.resolve().is_relative_to((self.content_dir / PASSAGES_DIR).resolve()):
                raise ValueError(f"{name} is not a passage file")
            mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
            fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(temporary, mode)
                os.replace(temporary, target)
            finally:
                Path(temporary).unlink(missing_ok=True)
