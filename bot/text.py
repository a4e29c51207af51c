"""Normalising and clipping text: the one place where the bot decides what of a message it keeps.

Every reader of a message needs it in some standard form, and the forms differ on purpose: the safety net
must keep punctuation ("¿" marks a Spanish question, "n't" a negation) but lose accents, because Spanish
speakers often type without them; the conversational moves drop punctuation and emoji so "ok 🙂" is "ok"; the
feedback store keeps accents and case, because editors read the question. So there is one function,
`normalise(text, form)`, and a `Form` says what to keep. Each option below says why it exists, and each named
form below says who reads it. A new reader picks a form here rather than writing its own `lower()`.

`clip(text, limit)` cuts a text to a length, the one way the bot shortens what people write.

`tests/test_text.py` holds the outputs of the functions these replaced, frozen before they were deleted, and
checks every form against them byte for byte.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Literal

# Control characters a received message may keep: its line breaks and tabs are part of what was written.
_KEPT_CONTROLS = frozenset("\n\t")
_NOT_A_WORD = re.compile(r"[^\w']+")


def _letter_or_digit(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def _drop_controls(text: str) -> str:
    return "".join(c for c in text if c in _KEPT_CONTROLS or unicodedata.category(c) != "Cc")


def _controls_to_spaces(text: str) -> str:
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# str.replace, not str.translate: on the safety net's path it is several times faster.
def _straighten_apostrophe(text: str) -> str:
    return text.replace("\u2019", "'")


def _straighten_quotes(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')


def _strip_accents(text: str) -> str:
    if text.isascii():  # most messages: nothing to fold, and decomposing costs a pass over the text
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _strip_compatible(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _keep_words(text: str) -> str:
    return _NOT_A_WORD.sub(" ", text)


def _keep_letters(text: str) -> str:
    return "".join(c if c in " '" or _letter_or_digit(c) else " " for c in text)


def _drop_symbols(text: str) -> str:
    return "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)


def _collapse(text: str) -> str:
    return " ".join(text.split())


# Each option of `Form`, in the order its step runs: choice -> step (None: nothing to do).
_STEPS: dict[str, dict[object, Callable[[str], str] | None]] = {
    "controls": {"keep": None, "drop": _drop_controls, "space": _controls_to_spaces},
    "unicode": {None: None, "NFC": _nfc, "NFKC": _nfkc},
    "case": {None: None, "lower": str.lower, "casefold": str.casefold},
    "straighten": {"keep": None, "apostrophe": _straighten_apostrophe, "quotes": _straighten_quotes},
    "accents": {"keep": None, "strip": _strip_accents, "strip_compatible": _strip_compatible},
    "keep": {"all": None, "words": _keep_words, "letters": _keep_letters, "no_symbols": _drop_symbols},
    "spaces": {"keep": None, "collapse": _collapse},
}


@dataclass(frozen=True)
class Form:
    """What `normalise` keeps of a text. The steps run in the order of the fields; `steps` is built once.

    Attributes:
        controls: "keep"; "drop" removes control characters except line breaks and tabs (a channel passes on
            what was written, not the bytes a client may add); "space" turns every control, format, private
            or unassigned character into a space (a stored question must not upset a terminal or a report).
        unicode: None, or "NFC" (one spelling for "é" typed as one or two code points, so the same word is
            stored and matched the same way) or "NFKC" (also "ﬁ" -> "fi", full-width -> ASCII: for storing
            and grouping questions, where look-alike spellings are the same question).
        case: None, "lower" (what the pattern readers compare against), or "casefold" (also "ß" -> "ss": the
            grouping key of stored questions, which must not split on case at all).
        straighten: "keep"; "apostrophe" turns the typographic apostrophe (’) into "'", as phones type it, so
            "don’t" matches the patterns' "don't"; "quotes" also straightens ‘ “ ” (the safety notation).
        accents: "keep"; "strip" drops accents and diacritics and recomposes the rest ("después" -> "despues",
            "ñ" -> "n", "½" and "한" unchanged): Spanish speakers type without accents, so one pattern must
            read both spellings; "strip_compatible" also folds compatibility forms ("²" -> "2") and leaves
            them decomposed: a language name or code is compared as plain letters.
        keep: "all"; "words" turns runs of everything but word characters (letters, digits, "_") and "'"
            into a space (a language code keeps its "_": "es_419"); "letters" turns every character that is
            not a letter, a digit, a space or "'" into a space (emoji and punctuation say nothing about which
            move a short message makes); "no_symbols" turns punctuation and symbols into spaces (a question
            is the same question with or without "?!").
        spaces: "keep", or "collapse": runs of whitespace become one space, none at either end (people type
            double spaces and line breaks that mean nothing to any reader).
    """

    controls: Literal["keep", "drop", "space"] = "keep"
    unicode: Literal["NFC", "NFKC"] | None = None
    case: Literal["lower", "casefold"] | None = None
    straighten: Literal["keep", "apostrophe", "quotes"] = "keep"
    accents: Literal["keep", "strip", "strip_compatible"] = "keep"
    keep: Literal["all", "words", "letters", "no_symbols"] = "all"
    spaces: Literal["keep", "collapse"] = "keep"
    steps: tuple[Callable[[str], str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Looks up the step of each option once, so `normalise` only runs them (the safety net's hot path).

        Raises:
            ValueError: an option has a value that is not one of its choices.
        """
        steps = []
        for option in fields(self):
            if option.name == "steps":
                continue
            choices = _STEPS[option.name]
            value = getattr(self, option.name)
            if value not in choices:
                raise ValueError(f"{option.name}={value!r}: choose one of {sorted(map(str, choices))}")
            step = choices[value]
            if step is not None:
                steps.append(step)
        object.__setattr__(self, "steps", tuple(steps))


# -- the forms in use, and who reads each -------------------------------------------------------------------

# Whitespace collapsed, nothing else: the message the service answers (and clips), a content field's text.
SPACED = Form(spaces="collapse")
# What a channel passes on to Rasa: what was written, in one Unicode spelling, without the control bytes that
# mean nothing in a chat message and that some stores refuse (PostgreSQL: NUL).
RECEIVED = Form(controls="drop", unicode="NFC")
# A question as the feedback store keeps it for editors: readable, on one line, nothing that upsets a terminal.
STORED = Form(controls="space", unicode="NFKC", spaces="collapse")
# The grouping key of stored questions: case, punctuation and spacing do not make it a different question.
QUESTION_KEY = Form(unicode="NFKC", case="casefold", keep="no_symbols", spaces="collapse")
# What the safety net's patterns read (bot.safety.matching; "mix up" is then read as "muddle" there).
SAFETY = Form(case="lower", straighten="quotes", accents="strip", spaces="collapse")
# Only the accents gone: the safety patterns themselves are folded so they match both spellings.
NO_ACCENTS = Form(accents="strip")
# What the phrase patterns of conversational moves, pointers, comparisons and follow-ups read.
PHRASES = Form(case="lower", straighten="apostrophe", keep="letters", spaces="collapse")
# What the language choices and codes are compared in ("¿Español?" -> "espanol", "es_419").
LANGUAGE_NAME = Form(case="lower", accents="strip_compatible", keep="words", spaces="collapse")
# Lower-cased running text with its punctuation: the content checks against the emergency protocol and the
# overview questions, whose patterns need sentence and clause ends.
LOWERED = Form(case="lower", straighten="apostrophe", spaces="collapse")
# Lower-cased, spaces collapsed, nothing else: the protocol's word groups, requests for the menu.
LOWER_SPACED = Form(case="lower", spaces="collapse")


def normalise(text: str | None, form: Form) -> str:
    """The text in the given form (None reads as "").

    Examples:
        >>> normalise("  ¿Qué  PASÓ?  ", SAFETY)
        '¿que paso?'
        >>> normalise("Ok 🙂 got it!", PHRASES)
        'ok got it'
        >>> normalise("¿Español?", LANGUAGE_NAME)
        'espanol'
    """
    text = text or ""
    for step in form.steps:
        text = step(text)
    return text


def clip(text: str, limit: int, *, marker: str = "", at_word: bool = False) -> tuple[str, bool]:
    """The text cut to at most `limit` characters, and whether it was cut.

    Args:
        text: the text, already in the form its reader wants (clip neither collapses nor strips).
        limit: the longest text kept, the marker included.
        marker: written at the end of a cut text ("…" for a stored question, so an editor sees it was cut);
            the whitespace before it is dropped.
        at_word: drop the last, possibly partial word of a cut text (up to its last space), so a cut never
            leaves half an email address for the scrubber to miss.

    Examples:
        >>> clip("tell me about baclofen", 12)
        ('tell me abou', True)
        >>> clip("tell me about baclofen", 12, marker="…")
        ('tell me abo…', True)
        >>> clip("tell me about baclofen", 12, at_word=True)
        ('tell me', True)
    """
    if len(text) <= limit:
        return text, False
    cut = text[: limit - len(marker)]
    if at_word:
        cut = cut.rsplit(" ", 1)[0]
    if marker:
        cut = cut.rstrip() + marker
    return cut, True


def has_words(text: str | None) -> bool:
    """Whether the text holds a letter or a digit of any script (a message of only emoji or "!!!" asks nothing)."""
    return any(_letter_or_digit(char) for char in text or "")
