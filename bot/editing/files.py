"""Changing one passage's entry in a content file, leaving every other line of the file as it was.

The files are the source of truth and are read in diffs, so an edit from the shell must change that
passage's lines and nothing else. ruamel.yaml (which Rasa already installs) reads the file keeping its
comments and styles; the changed entry alone is written back with the file's own indentation and spliced
in place of its old lines, so other entries, comments and blank lines are never re-written. Each result is
read back with PyYAML (what the loader uses) and must hold exactly the entries intended, or nothing is
written.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString

# The order of a passage's keys, as content/README.md writes them; a new key goes where this order puts it.
KEY_ORDER = (
    "id",
    "replaces",
    "topic",
    "title",
    "text",
    "questions",
    "sources",
    "reviewed",
    "review_every_months",
    "status",
    "review_note",
    "clinical_signoff",
)
FOLD_WIDTH = 90  # characters of text per line in a folded block, as the files are written
_CONTENT_LINE = re.compile(r"^( *)(\S)")


class FileEditError(RuntimeError):
    """The file could not be changed safely (its layout is one this module does not write)."""


def _yaml(dash: int = 2) -> YAML:
    rt = YAML()
    rt.preserve_quotes = True  # type: ignore[assignment]
    rt.width = 4096  # type: ignore[assignment]  # never re-wrap a line ruamel did not write
    rt.indent(mapping=2, sequence=dash + 2, offset=dash)
    return rt


def _wrap(text: str) -> list[str]:
    """Greedy lines of at most `FOLD_WIDTH` characters (a longer word gets a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= FOLD_WIDTH:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _old_lines(previous: Any) -> list[str]:
    """The lines a folded value was written in (`fold_pos` holds the spaces where ruamel broke it)."""
    if not isinstance(previous, str):
        return []
    positions = getattr(previous, "fold_pos", None) or []
    cuts = [-1, *positions, len(previous)]
    return [previous[a + 1 : b] for a, b in itertools.pairwise(cuts) if b > a + 1]


def folded(text: str, previous: Any = None) -> FoldedScalarString | str:
    """One paragraph as a folded block (`>-`), or as is if short.

    The unchanged lines at the start and the end of the previous value keep their breaks, so a changed
    sentence changes only its own lines in a diff; the rest is broken at spaces every `FOLD_WIDTH` characters.
    """
    text = " ".join(text.split())
    if len(text) <= FOLD_WIDTH:
        return text
    old = _old_lines(previous)
    head: list[str] = []
    for line in old:
        joined = " ".join([*head, line])
        if text == joined or text.startswith(joined + " "):
            head.append(line)
        else:
            break
    rest = text[len(" ".join(head)) :].strip()
    tail: list[str] = []
    for line in reversed(old[len(head) :]):
        joined = " ".join([line, *tail])
        if rest == joined or rest.endswith(" " + joined):
            tail.insert(0, line)
        else:
            break
    middle = rest[: len(rest) - len(" ".join(tail))].strip() if tail else rest
    lines = [*head, *_wrap(middle), *tail]
    block = FoldedScalarString(" ".join(lines))
    positions, at = [], -1
    for line in lines[:-1]:
        at += len(line) + 1
        positions.append(at)
    block.fold_pos = positions
    return block


def flow_list(values: Sequence[str]) -> CommentedSeq:
    """A list written on one line, `[A, B]`, as passages write their sources."""
    seq = CommentedSeq(list(values))
    seq.fa.set_flow_style()
    return seq


def block_list(values: Sequence[str]) -> CommentedSeq:
    """A list written one item per line, as passages write their questions."""
    seq = CommentedSeq(list(values))
    seq.fa.set_block_style()
    return seq


def set_key(entry: CommentedMap, key: str, value: Any) -> None:
    """Sets (or with None removes) a key, placing a new one where `KEY_ORDER` says."""
    if value is None:
        entry.pop(key, None)
        return
    if key in entry:
        entry[key] = value
        return
    rank = KEY_ORDER.index(key) if key in KEY_ORDER else len(KEY_ORDER)
    keys = list(entry)
    position = len(keys)
    for index, existing in enumerate(keys):
        if existing in KEY_ORDER and KEY_ORDER.index(existing) > rank:
            position = index
            break
    entry.insert(position, key, value)


def _detach_trailer(node: Any) -> None:
    """Drops the blank lines and comments that follow an entry's last value (they belong between entries).

    ruamel hangs them on the deepest last value; a comment on that value's own line is kept.
    """
    while isinstance(node, (CommentedMap, CommentedSeq)) and len(node):
        last = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
        slots = node.ca.items.get(last)
        if slots:
            for index, token in enumerate(slots):
                value = getattr(token, "value", None)
                if isinstance(value, str):
                    first, newline, _rest = value.partition("\n")
                    slots[index] = None if not first.strip() else token
                    if first.strip():
                        token.value = first + newline
        node = node[last]


class PassageFile:
    """The text of one passage file and its entries, changed one entry at a time."""

    def __init__(self, text: str) -> None:
        """Reads `text` (a file holding a top-level `passages:` list).

        Raises:
            FileEditError: the text is not a passage file this module can change.
        """
        self.text = text
        self._plain: list[dict[str, Any]] | None = None
        self._parse()

    def _parse(self) -> None:
        try:
            document = _yaml().load(self.text)
        except Exception as exc:  # ruamel's errors share no base class with PyYAML's
            raise FileEditError(f"the file is not valid YAML ({exc.__class__.__name__})") from exc
        items = document.get("passages") if isinstance(document, CommentedMap) else None
        if not isinstance(items, CommentedSeq) or any(not isinstance(e, CommentedMap) for e in items):
            raise FileEditError("the file has no 'passages:' list of entries")
        if len(items) and items.fa.flow_style():
            raise FileEditError("the file writes its 'passages:' list on one line")
        self.items: CommentedSeq = items
        self.lines = self.text.splitlines()
        if self._plain is None:
            self._plain = plain_entries(self.text)

    def index_of(self, passage_id: str) -> int | None:
        """Where the entry with this id is in the file's list."""
        for index, entry in enumerate(self.items):
            if str(entry.get("id", "")).strip() == passage_id:
                return index
        return None

    def entry(self, index: int) -> CommentedMap:
        """The entry at `index`, as ruamel read it, to change and write back with `replace`.

        The blank lines and comments after it (which ruamel hangs on its last value) are detached first, so a
        key added at its end does not land after them.
        """
        entry = self.items[index]
        _detach_trailer(entry)
        return entry

    def _dash(self) -> int:
        return max(0, self.items.lc.item(0)[1] - 2) if len(self.items) else 2

    def _span(self, index: int) -> tuple[int, int]:
        """The entry's lines [start, end): from its dash to its last line, without the blank or comment lines after."""
        start = self.items.lc.item(index)[0]
        dash = self._dash()
        end = len(self.lines)
        for number in range(start + 1, len(self.lines)):
            match = _CONTENT_LINE.match(self.lines[number])
            if match and len(match.group(1)) <= dash and match.group(2) != "#":
                end = number
                break
        while end > start + 1 and (not self.lines[end - 1].strip() or self.lines[end - 1].lstrip().startswith("#")):
            indent = len(self.lines[end - 1]) - len(self.lines[end - 1].lstrip())
            if self.lines[end - 1].strip() and indent > dash + 2:
                break  # a '#' line inside a block scalar is text
            end -= 1
        return start, end

    def _chunk(self, entry: CommentedMap) -> list[str]:
        _detach_trailer(entry)
        out = io.StringIO()
        _yaml(self._dash()).dump({"passages": [entry]}, out)
        lines = out.getvalue().splitlines()[1:]
        while lines and not lines[-1].strip():
            lines.pop()
        return lines

    def _expected(self) -> list[dict[str, Any]]:
        """The entries as PyYAML reads the current text (a copy, to change into what a change should give)."""
        assert self._plain is not None
        return list(self._plain)

    def _commit(self, lines: list[str], expected: list[dict[str, Any]]) -> None:
        """Takes the new text only if PyYAML reads exactly the `expected` entries from it."""
        text = "\n".join(lines).rstrip("\n") + "\n"
        if plain_entries(text) != expected:
            raise FileEditError("the change could not be written without touching other entries")
        self.text = text
        self._plain = expected
        self._parse()

    def replace(self, index: int, entry: CommentedMap) -> None:
        """Writes `entry` over the entry at `index`; other lines stay as they are."""
        expected = self._expected()
        expected[index] = to_plain(entry)
        start, end = self._span(index)
        self._commit([*self.lines[:start], *self._chunk(entry), *self.lines[end:]], expected)

    def insert(self, index: int, entry: CommentedMap) -> None:
        """Adds `entry` at `index` (after the entry before it, with a blank line between entries)."""
        expected = self._expected()
        expected.insert(index, to_plain(entry))
        if index > 0:
            at = self._span(index - 1)[1]
            lines = [*self.lines[:at], "", *self._chunk(entry), *self.lines[at:]]
        elif len(self.items):
            at = self._span(0)[0]
            lines = [*self.lines[:at], *self._chunk(entry), "", *self.lines[at:]]
        else:
            lines = [line for line in self.lines if not re.match(r"^passages:\s*(\[\s*\])?\s*$", line)]
            lines = [*lines, "passages:", *self._chunk(entry)]
        self._commit(lines, expected)

    def remove(self, index: int) -> None:
        """Deletes the entry at `index` and the blank lines that separated it from the next one."""
        expected = self._expected()
        del expected[index]
        start, end = self._span(index)
        while end < len(self.lines) and not self.lines[end].strip():
            end += 1
        if end == len(self.lines):  # the last entry: drop the blank lines before it instead
            while start > 0 and not self.lines[start - 1].strip():
                start -= 1
        lines = [*self.lines[:start], *self.lines[end:]]
        if len(expected) == 0:
            lines = [line if line.rstrip() != "passages:" else "passages: []" for line in lines]
        self._commit(lines, expected)


def new_file_text(heading: str, entry: CommentedMap) -> str:
    """A new passage file holding one entry, with a comment line saying what it is for."""
    text = f"# {' '.join(heading.split())}\npassages: []\n"
    file = PassageFile(text)
    file.insert(0, entry)
    return file.text


def to_plain(value: Any) -> Any:
    """The plain data PyYAML reads from the same YAML as ruamel's objects PyYAML reads from the same YAML."""
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dt.datetime):
        return value
    return value


def plain_entries(text: str) -> list[dict[str, Any]]:
    """The file's entries as the loader reads them (PyYAML)."""
    data = yaml.safe_load(text) or {}
    items = data.get("passages") if isinstance(data, dict) else None
    return [dict(entry) for entry in items or [] if isinstance(entry, dict)]
