"""Reading the content files: the folder's layout, each field of an item, and every problem found, for editors.

Validation collects every problem before anything is written, and each problem names the file, the item and
what is wrong, because the people fixing it are content editors, not developers. The readers here take an item
(a YAML mapping), read one field of it and report what is wrong with it to a `Collector` instead of raising, so
one run lists every problem. `bot.content.loader` reads sources, topics and passages with them,
`bot.content.protocol` the emergency protocol.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.content.records import ClinicalSignoff
from bot.text import SPACED, normalise

SOURCES_FILE = "sources.yml"
TOPICS_FILE = "topics.yml"
PASSAGES_DIR = "passages"
PROTOCOL_FILE = "emergency_protocol.yml"
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SIGNOFF_KEYS = frozenset({"by", "date", "note"})
# Words that stand in for a name: a sign-off must name the clinician who gave it, or be left out.
PLACEHOLDER_NAMES = frozenset({"tbd", "todo", "pending", "n/a", "na", "none", "unknown", "writers", "the writers"})


@dataclass(frozen=True)
class ContentProblem:
    """One validation problem, located precisely enough for an editor to fix it."""

    file: str
    item: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.item}: {self.problem}"


class ContentValidationError(Exception):
    """Raised when the content files are not valid; carries every problem found."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the content files:\n{lines}")


class Collector:
    """Accumulates problems for one file."""

    def __init__(self, file: str, problems: list[ContentProblem]) -> None:
        self.file = file
        self.problems = problems

    def add(self, item: str, problem: str) -> None:
        """Records a problem of `item` in this file."""
        self.problems.append(ContentProblem(self.file, item, problem))


class Within(Collector):
    """Reports problems of a nested mapping against its parent item, naming the field they are in."""

    def __init__(self, parent: Collector, key: str) -> None:
        super().__init__(parent.file, parent.problems)
        self.key = key

    def add(self, item: str, problem: str) -> None:
        """Records a problem of `item`, naming the field it is in."""
        super().add(item, f"'{self.key}': {problem}")


def read_yaml(path: Path, root: Path, problems: list[ContentProblem]) -> Any:
    """The parsed file, or None with the problem recorded (missing, not UTF-8, invalid YAML with its line)."""
    name = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        problems.append(ContentProblem(name, "(file)", "file is missing"))
    except UnicodeDecodeError as exc:
        problems.append(ContentProblem(name, "(file)", f"not valid UTF-8 text ({exc.reason})"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(ContentProblem(name, where, f"invalid YAML: {reason}"))
    return None


def items(data: Any, key: str, out: Collector) -> list[dict[str, Any]]:
    """Returns the list under `key`, reporting a wrong shape instead of crashing."""
    if data is None:
        out.add("(file)", f"file is empty; expected a top-level '{key}:' list")
        return []
    if not isinstance(data, dict) or key not in data:
        out.add("(file)", f"expected a top-level '{key}:' list")
        return []
    items = data[key]
    if items is None:
        return []
    if not isinstance(items, list):
        out.add(key, "must be a list")
        return []
    good: list[dict[str, Any]] = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, dict):
            good.append(item)
        else:
            out.add(f"item {index}", "must be a mapping with an 'id'")
    return good


def text_field(item: dict[str, Any], key: str, label: str, out: Collector, required: bool = True) -> str:
    """The field as one line of text (whitespace collapsed); "" when it is missing, empty or not text."""
    value = item.get(key)
    if value is None:
        if required:
            out.add(label, f"missing '{key}'")
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        out.add(label, f"'{key}' must be text")
        return ""
    text = normalise(str(value), SPACED)
    if required and not text:
        out.add(label, f"empty '{key}'")
    return text


def date_field(item: dict[str, Any], key: str, label: str, out: Collector, today: dt.date) -> dt.date:
    """The field as a date written YYYY-MM-DD, not in the future; `today` when it is missing or wrong."""
    value = item.get(key)
    if value is None:
        out.add(label, f"missing '{key}' date")
        return today
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            out.add(label, f"'{key}' must be a date written YYYY-MM-DD, got {value!r}")
            return today
    if not isinstance(value, dt.date):
        out.add(label, f"'{key}' must be a date written YYYY-MM-DD")
        return today
    if value > today:
        out.add(label, f"'{key}' date {value.isoformat()} is in the future")
    return value


def item_id(item: dict[str, Any], index: int, seen: dict[str, str], file: str, out: Collector) -> str:
    """The item's id, unique among `seen` (id -> file, updated); "" when it is missing or a duplicate."""
    raw = item.get("id")
    if raw is None or not str(raw).strip():
        out.add(f"item {index}", "missing 'id'")
        return ""
    ident = str(raw).strip()
    if not ID_PATTERN.match(ident):
        out.add(ident, "id may hold only letters, digits, '.', '_' and '-' (at most 64)")
    if ident in seen:
        out.add(ident, f"duplicate id (first defined in {seen[ident]})")
        return ""
    seen[ident] = file
    return ident


def string_list(item: dict[str, Any], key: str, label: str, out: Collector) -> tuple[str, ...]:
    """The field as a list of one-line texts (a single text counts as a list of one); empty entries reported."""
    value = item.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        out.add(label, f"'{key}' must be a list")
        return ()
    result: list[str] = []
    for entry in value:
        text = normalise(str(entry), SPACED) if entry is not None else ""
        if not text:
            out.add(label, f"'{key}' has an empty entry")
        else:
            result.append(text)
    return tuple(result)


def cited(item: dict[str, Any], label: str, out: Collector, sources: Mapping[str, Any], what: str) -> tuple[str, ...]:
    """The source ids an item cites; each must be known, and every passage or protocol entry cites one at least."""
    source_ids = string_list(item, "sources", label, out)
    if not source_ids:
        out.add(label, f"missing source: every {what} names at least one source")
    for source_id in source_ids:
        if source_id not in sources:
            out.add(label, f"unknown source {source_id!r}")
    return source_ids


def signoff(item: dict[str, Any], label: str, out: Collector, today: dt.date) -> ClinicalSignoff | None:
    """Reads the optional `clinical_signoff`; a present but incomplete one is an error, never silently dropped.

    A sign-off claims that a named clinician approved the passage, so a blank or placeholder name, a missing
    or future date, or an unknown key (a typo such as `dated:`) would make that claim unverifiable.
    """
    value = item.get("clinical_signoff")
    if value is None:
        return None
    if not isinstance(value, dict):
        out.add(label, "'clinical_signoff' must be a mapping with 'by', 'date' and optional 'note'")
        return None
    within = Within(out, "clinical_signoff")
    for key in sorted(set(map(str, value)) - SIGNOFF_KEYS):
        within.add(label, f"unknown key {key!r} (allowed: by, date, note)")
    by = text_field(value, "by", label, within)
    if by and (by.lower().strip(" .") in PLACEHOLDER_NAMES or len(by.split()) < 2):
        within.add(label, f"'by' must name the clinician (name and role), got {by!r}")
    return ClinicalSignoff(
        by=by,
        date=date_field(value, "date", label, within, today),
        note=text_field(value, "note", label, within, required=False) or None,
    )
