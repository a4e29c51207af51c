"""bot.text: every reader's form gives, byte for byte, what the normaliser it replaced gave.

The old normalisers (bot.language.fold, bot.nlp.moves.normalise, bot.safety.matching.normalise and
fold_accents, bot.channels.rest.clean_text, the feedback store's whitespace cleaning, question key and
clipping, the content loader's `_plain`, the service's `_clip`, the message length guard, has_words) were run
on the inputs below before they were deleted, and their outputs frozen in `text_forms_frozen.json`: literal
outputs for the hand-written inputs, SHA-256 digests (first 16 hex digits of the JSON-encoded output) for the
generated and the very long ones.
"""

from __future__ import annotations

import doctest
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import bot.text
from bot.feedback.privacy import prepare_question, question_key
from bot.safety.matching import folded_text
from bot.text import (
    LANGUAGE_NAME,
    LOWER_SPACED,
    LOWERED,
    NO_ACCENTS,
    PHRASES,
    RECEIVED,
    SPACED,
    STORED,
    clip,
    has_words,
    normalise,
)

FROZEN = json.loads((Path(__file__).parent / "text_forms_frozen.json").read_text(encoding="utf-8"))
# Very long inputs (clipping, the feedback store's scrubbing window), written out rather than stored.
LONG = [
    "word " * 300,
    ("a" * 999) + "  b",
    "x" * 1001,
    "  " + "long question about baclofen pumps and spasticity " * 30 + "  ",
    "\u00bfC\u00f3mo se rellena la bomba? " * 80,
    ("ok \U0001f642 " * 400),
    "jo.bloggs@example.com " * 600,  # past the scrubbing window (10,000 characters)
    ("y" * 10001) + " tail",
    "z" * 25000,
    ("ab cd " * 2000) + "end",
]


def _guard(limit: int) -> Callable[[str], str]:
    """The message length guard's reading (bot.nlp.length_guard.MessageLengthGuard)."""
    return lambda text: clip(normalise(text, SPACED), limit)[0] if len(text) > limit else text


# Old function (its name in the frozen file) -> the call that replaced it.
CALLERS: dict[str, Callable[[Any], Any]] = {
    "language.fold": lambda text: normalise(text, LANGUAGE_NAME),
    "moves.normalise": lambda text: normalise(text, PHRASES),
    # detector_text() is folded_text() plus reading a phrase said three times as said twice (#15 point 3).
    "matching.normalise": folded_text,
    "matching.fold_accents": lambda text: normalise(text, NO_ACCENTS),
    "rest.clean_text": lambda text: normalise(text, RECEIVED),
    "privacy._clean_whitespace": lambda text: normalise(text, STORED),
    "privacy.question_key": question_key,
    # Its scrubbing was widened on purpose afterwards (#15 point 6: "NHS no 943 476 5919" is now a record
    # number); those two hand outputs were frozen again then. tests/test_feedback.py tests the scrubbing.
    "privacy.prepare_question": prepare_question,
    "privacy.prepare_question@40": lambda text: prepare_question(text, 40),
    "loader._plain": lambda text: normalise(text, LOWERED),
    "loader._groups.word": lambda text: normalise(text, LOWER_SPACED),
    "loader._text": lambda text: normalise(text, SPACED),
    "overview.is_menu_request.text": lambda text: normalise(text, LOWER_SPACED),
    "service._clip@1000": lambda text: list(clip(normalise(text, SPACED), 1000)),
    "service._clip@20": lambda text: list(clip(normalise(text, SPACED), 20)),
    "MessageLengthGuard@1001": _guard(1001),
    "MessageLengthGuard@21": _guard(21),
    "words.has_words": has_words,
}


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=True).encode()).hexdigest()[:16]


def test_every_frozen_caller_has_its_replacement() -> None:
    assert set(CALLERS) == set(FROZEN["outputs"]) == set(FROZEN["digests"])


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_hand_written_inputs_give_what_the_old_normaliser_gave(caller: str) -> None:
    """Unicode apostrophes, accents, Spanish ñ/¿, emoji, controls, whitespace runs, other scripts."""
    new = CALLERS[caller]
    for text, expected in zip(FROZEN["hand"], FROZEN["outputs"][caller], strict=True):
        got = new(text)
        if isinstance(expected, dict):
            assert _digest(got) == expected["sha256"], (caller, text)
        else:
            assert got == expected, (caller, text)


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_generated_and_very_long_inputs_give_what_the_old_normaliser_gave(caller: str) -> None:
    """200 random strings over a hostile alphabet (combining marks, controls, quotes, jamo) and 25 KB texts."""
    new = CALLERS[caller]
    for text, expected in zip(FROZEN["fuzz"] + LONG, FROZEN["digests"][caller], strict=True):
        assert _digest(new(text)) == expected, (caller, text[:80])


@pytest.mark.parametrize("caller", sorted(FROZEN["none"]))
def test_none_reads_as_empty_text_where_it_did(caller: str) -> None:
    assert CALLERS[caller](None) == FROZEN["none"][caller]


def test_the_examples_in_the_docstrings_hold() -> None:
    assert doctest.testmod(bot.text).failed == 0


def test_clip_cuts_within_the_limit_marker_included() -> None:
    assert clip("short", 5) == ("short", False)
    assert clip("a b c d", 5, marker="…") == ("a b…", True)
    assert clip("abcdefgh", 4, at_word=True) == ("abcd", True)  # no space: the cut stands


def test_a_form_refuses_an_option_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="accents='fold'"):
        bot.text.Form(accents="fold")  # type: ignore[arg-type]
