"""Turns the bot's replies into Telegram HTML messages, split under Telegram's length limit.

A structured reply is rendered from its data (`bot.replies.ReplyData`, `format_reply`): the paragraphs, each
followed by its `[n]` citation markers as links to the sources; the sources heading in bold; one line per
source, `[n] Publisher: Title` linked to its URL (with link previews off, so a reply is not buried under a
preview card), then when the answer was reviewed against it ("(reviewed March 2027)"); the emergency numbers
in bold (Telegram makes phone numbers tappable itself); and the disclaimer in italics. A reply without its
disclaimer is refused (`UnrenderableReply`). A plain text (the channel's own help, a domain response) is shown
as it is (`format_text`). Everything is escaped, so no text from the content or from a person can inject markup.

Telegram refuses messages longer than 4096 characters, so a long reply is split into several messages. The
split happens between lines first, then between sentences, then between words, and never inside a link or a
tag: each piece is a complete, valid HTML message. Lengths are counted as Telegram counts them: the visible
text after the markup is parsed, in UTF-16 code units.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.emergency_numbers import local_numbers
from bot.replies import Paragraph, ReplyData, citation_label, citation_reviewed
from bot.wording import CRISIS_LINES, EMERGENCY_NUMBERS, TABLES

TELEGRAM_TEXT_LIMIT = 4096
# The emergency and crisis lines in every language the bot speaks (bot.wording): a paragraph that is one of
# them is shown in bold.
SAFETY_LINES = frozenset(
    {EMERGENCY_NUMBERS, CRISIS_LINES}
    | {table[key] for table in TABLES.values() for key in ("emergency_numbers", "crisis_lines")}
)


def safety_lines() -> frozenset[str]:
    """`SAFETY_LINES` as this deployment says them: with its own numbers when it configures them."""
    local = local_numbers()
    return SAFETY_LINES | {local.localise(line) for line in SAFETY_LINES}


_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*$")
# Longest link label kept whole (a longer one is cut), so that one link always fits in a message; and the
# longest link kept as a link (a longer URL is not worth a link: its label is shown as plain text).
_MAX_LABEL = 300
_MAX_LINK = 2500
MIN_LIMIT = 2 * _MAX_LABEL


_TAG = re.compile(r"<[^>]*>")


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(html_text: str) -> int:
    """The length Telegram checks against its limit: the text after parsing HTML made by this module.

    Exact here because every `<` and `&` of the text itself is escaped, so any tag is one of ours.
    """
    return telegram_length(html.unescape(_TAG.sub("", html_text)))


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _link(url: str, label: str) -> str:
    if len(label) > _MAX_LABEL:
        label = label[: _MAX_LABEL - 1].rstrip() + "…"
    link = f'<a href="{html.escape(url, quote=True)}">{_escape(label)}</a>'
    return link if telegram_length(link) <= _MAX_LINK else _escape(label)


@dataclass(frozen=True)
class Atom:
    """The smallest piece a message may be split around: a word, or a whole link.

    Attributes:
        html: the piece as Telegram HTML, complete in itself (a link is never cut).
        plain: the visible text, used to split an over-long word and to find sentence ends.
        ends_sentence: a good place to break a long paragraph.
    """

    html: str
    plain: str
    ends_sentence: bool = False


@dataclass
class Line:
    """One line of a message: atoms separated by spaces, wrapped in an optional tag (bold, italics)."""

    atoms: list[Atom]
    tag: str = ""
    keep_with_next: bool = False

    def render(self, atoms: Sequence[Atom] | None = None) -> str:
        """The line (or a part of it) as HTML, wrapped in the line's tag."""
        inner = " ".join(a.html for a in (self.atoms if atoms is None else atoms))
        return f"<{self.tag}>{inner}</{self.tag}>" if self.tag and inner else inner


def _word_atoms(text: str) -> list[Atom]:
    """The words of a text, escaped; a word that ends a sentence is a good place to break."""
    return [Atom(_escape(word), word, bool(_SENTENCE_END.search(word))) for word in text.split()]


def _paragraph_line(paragraph: Paragraph, urls: dict[int, str], bold: frozenset[str]) -> Line:
    """A paragraph and its citation markers, each marker a link to the cited source; `bold` lines in bold."""
    atoms = _word_atoms(paragraph.text)
    if paragraph.citations:
        marks = "".join(f"[{n}]" for n in paragraph.citations)
        links = "".join(_link(urls[n], f"[{n}]") for n in paragraph.citations)
        # "…muscles. [1][2]": the markers after a sentence belong to it, so the sentence ends after them.
        atoms.append(Atom(links, marks, bool(atoms) and atoms[-1].ends_sentence))
    tag = "b" if paragraph.text in bold and not paragraph.citations else ""
    return Line(atoms, tag)


def reply_lines(reply: ReplyData) -> list[Line]:
    """A structured reply as HTML lines: paragraphs, sources (as links), then the disclaimer in italics.

    Raises:
        UnrenderableReply: the reply has no disclaimer.
    """
    reply.require_disclaimer()
    urls = {c.number: c.url for c in reply.citations}
    bold = safety_lines()
    lines = [_paragraph_line(p, urls, bold) for p in reply.paragraphs]
    if reply.citations:
        heading = reply.sources_heading.strip()
        lines.append(Line([Atom(f"<b>{_escape(heading)}</b>", heading)], keep_with_next=True))
        for citation in reply.citations:
            label = citation_label(citation)
            marker = Atom(_escape(f"[{citation.number}]"), f"[{citation.number}]")
            # When the answer was last checked against it: "(reviewed March 2027)", beside the link.
            reviewed = _word_atoms(citation_reviewed(citation))
            lines.append(Line([marker, Atom(_link(citation.url, label), label), *reviewed]))
    lines += [Line(_word_atoms(line), "i") for line in reply.disclaimer.strip().split("\n")]
    return lines


def text_lines(text: str) -> list[Line]:
    """A plain text as HTML lines, with the deployment's own numbers, the emergency and crisis lines in bold.

    The channel's own texts (/help, "something went wrong") give the default numbers in `bot.wording`; the
    numbers a deployment configures replace them here, as they do in every reply (`bot.emergency_numbers`).
    """
    bold = safety_lines()
    lines: list[Line] = []
    for raw in local_numbers().localise(text).strip().split("\n"):
        stripped = raw.strip()
        lines.append(Line(_word_atoms(stripped), "b" if stripped in bold else ""))
    return lines


def _hard_split(atom: Atom, limit: int) -> list[Atom]:
    """Cuts one over-long word (never a link: links are kept short) into pieces that each fit."""
    pieces: list[Atom] = []
    rest = atom.plain
    while rest:
        size = min(len(rest), limit)
        while size > 1 and telegram_length(rest[:size]) > limit:  # characters outside the BMP count twice
            size -= 1
        pieces.append(Atom(_escape(rest[:size]), rest[:size]))
        rest = rest[size:]
    return pieces


def _fitting_prefix(line: Line, room: int) -> int:
    """How many atoms of the line fit in `room`, preferring to stop at the end of a sentence."""
    fit = 0
    for count in range(1, len(line.atoms) + 1):
        if visible_length(line.render(line.atoms[:count])) > room:
            break
        fit = count
    sentence = max((i + 1 for i in range(fit) if line.atoms[i].ends_sentence), default=0)
    # Breaking at a sentence end is worth leaving some room unused, but not most of it.
    return sentence if sentence * 2 >= fit else fit


def split_lines(lines: Iterable[Line], limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Packs lines into as few messages as fit under `limit`, each a complete HTML text.

    Raises:
        ValueError: when `limit` is too small to hold the shortest possible piece.
    """
    if limit < MIN_LIMIT:
        raise ValueError(f"limit {limit} is too small: a message must hold at least {MIN_LIMIT} characters")
    queue = list(lines)
    queue.reverse()  # pop() from the end = take the next line
    chunks: list[str] = []
    current: list[str] = []

    def size(rendered: list[str]) -> int:
        return visible_length("\n".join(rendered))

    def flush() -> None:
        text = "\n".join(current).strip("\n")
        if text.strip():
            chunks.append(text)
        current.clear()

    while queue:
        line = queue.pop()
        rendered = line.render()
        if line.keep_with_next and queue and current:
            # A heading goes with the line below it, so "Sources:" never ends a message on its own.
            together = [*current, rendered, queue[-1].render()]
            if size(together) > limit:
                flush()
        if size([*current, rendered]) <= limit:
            current.append(rendered)
            continue
        if current and visible_length(rendered) <= limit:
            flush()
            current.append(rendered)
            continue
        # The line is longer than a whole message: fill what is left, then carry the rest to the next one.
        room = limit - size(current) - (1 if current else 0)
        count = _fitting_prefix(line, room) if room > 0 else 0
        if count == 0 and current:
            flush()
            queue.append(line)
            continue
        if count == 0:
            first, *rest = _hard_split(line.atoms[0], limit)
            queue.append(Line([*rest, *line.atoms[1:]], line.tag))
            current.append(line.render([first]))
            flush()
            continue
        current.append(line.render(line.atoms[:count]))
        flush()
        if count < len(line.atoms):
            queue.append(Line(line.atoms[count:], line.tag))
    flush()
    return chunks


def format_reply(reply: ReplyData, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """A structured reply as one or more Telegram HTML messages, in order, each within `limit`.

    Raises:
        UnrenderableReply: the reply has no disclaimer.
    """
    return split_lines(reply_lines(reply), limit)


def format_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """A plain text as one or more Telegram HTML messages, in order, each within `limit`."""
    return split_lines(text_lines(text), limit)
