"""Whether a message holds any words at all: a message of only symbols, emoji or punctuation asks nothing."""

from __future__ import annotations

import unicodedata


def has_words(text: str | None) -> bool:
    """Whether the text holds a letter or a digit of any script (not only symbols, emoji or punctuation)."""
    return any(unicodedata.category(char)[0] in "LN" for char in text or "")
