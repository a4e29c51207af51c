"""Typo correction of query words against the words the index knows.

Patients type "spastisity", "physiotheraphy" or "lioresl". A word the index has never seen is corrected to a
known word within a small edit distance: one edit for words of six to eight letters, two for longer ones,
never for shorter ones (too many short words are one edit apart), and always keeping the first letter, which
people rarely get wrong. Candidates are found with symmetric deletes (the SymSpell idea): every known word is
stored under the strings left by deleting up to two of its letters, so a lookup deletes letters from the typed
word and checks a dictionary, instead of comparing it with every known word. Among candidates the smallest
Damerau-Levenshtein distance wins, then the word more passages use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

MIN_LENGTH = 6
LONG_WORD = 9


def max_edits(word: str) -> int:
    """How many edits a word of this length may be corrected by.

    Examples:
        "scare" gets 0, "phisio" gets 1, "spastisity" gets 2.
    """
    if len(word) < MIN_LENGTH:
        return 0
    return 2 if len(word) >= LONG_WORD else 1


def deletes(word: str, edits: int) -> set[str]:
    """The word and every string left by deleting up to `edits` of its letters."""
    result = {word}
    frontier = {word}
    for _ in range(edits):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        result |= frontier
    return result


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): a swap of neighbours is one edit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


class Speller:
    """Corrects unknown words to known ones; built once with the index."""

    def __init__(self, lexicon: Mapping[str, str], frequency: Mapping[str, int]) -> None:
        """Indexes the lexicon's alphabetic words.

        Args:
            lexicon: every known word, with the token it stands for (itself, or a term id for a brand or
                lay word of the terminology).
            frequency: how many indexed texts use each token, to break ties.
        """
        self.lexicon = dict(lexicon)
        self._frequency = frequency
        self._by_delete: defaultdict[str, set[str]] = defaultdict(set)
        for word in self.lexicon:
            if word.isalpha() and len(word) >= MIN_LENGTH - 1:
                for key in deletes(word, 2 if len(word) >= LONG_WORD - 1 else 1):
                    self._by_delete[key].add(word)

    def correct(self, word: str) -> str | None:
        """The token for the closest known word, or None when no known word is close enough."""
        if word in self.lexicon:
            return self.lexicon[word]
        edits = max_edits(word)
        if not edits or not word.isalpha():
            return None
        candidates: set[str] = set()
        for deleted in deletes(word, edits):
            candidates |= self._by_delete.get(deleted, set())
        best: tuple[int, int, str] | None = None
        for candidate in candidates:
            if candidate[0] != word[0]:
                continue
            edit_distance = distance(word, candidate)
            if edit_distance > edits:
                continue
            key = (edit_distance, -self._frequency.get(self.lexicon[candidate], 0), candidate)
            if best is None or key < best:
                best = key
        return self.lexicon[best[2]] if best else None
