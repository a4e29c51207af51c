"""Ranked search over the curated passages and the lay questions they answer.

Library: **bm25s**. It stores BM25 weights in a sparse matrix, so scoring a query is a handful of vectorised
sparse-column sums: about a millisecond at our size and still fast at 100k passages, where rank-bm25 loops
over every document in Python. It takes pre-tokenised input, so our spaCy analysis (lemmas, stop words
removed, terminology phrases replaced by canonical ids) is the tokenizer, exactly as for Rasa. The database's
full-text search was the alternative, but SQLite's FTS5 and PostgreSQL's tsvector rank differently, and the
bot must answer the same on both.

Each passage is indexed as several units: its title and text with all its questions, and each lay question
(with the title) on its own. A passage scores the best of its units, so a short patient question that matches
one lay question closely is not diluted by a long passage. Raw BM25 scores depend on the query, so each
score is divided by the query's ceiling (the sum of its terms' IDF, the most BM25 can give when every term
matches): the result, between 0 and 1, is what the "no good answer" threshold compares against. A query word
the index has never seen counts in the ceiling with the highest IDF, which is why "what's the weather
tomorrow?" scores near zero.

The index is built once per process from a content snapshot (`Retriever.build`), never per message.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import bm25s
import numpy as np

from bot.content.records import PassageRecord


class Analysed(Protocol):
    """An analysed text: its normalised tokens."""

    @property
    def tokens(self) -> tuple[str, ...]:
        """Lemmas and canonical term ids, stop words removed."""


class Analyser(Protocol):
    """What retrieval needs from the NLP layer: text to normalised tokens."""

    def analyse_many(self, texts: list[str]) -> Sequence[Analysed]:
        """Returns one analysis per text."""


@dataclass(frozen=True)
class Hit:
    """A passage with its relevance score (0 to 1, higher is better)."""

    passage: PassageRecord
    score: float


def passage_units(passage: PassageRecord) -> list[str]:
    """The texts a passage is indexed as: the whole passage, then each lay question with the title."""
    whole = " ".join([passage.title, passage.text, *passage.questions])
    return [whole, *(f"{question} {passage.title}" for question in passage.questions)]


class Retriever:
    """BM25 ranking of passages with normalised scores, topic boosts and query expansion."""

    def __init__(
        self,
        passages: Sequence[PassageRecord],
        unit_tokens: Sequence[Sequence[str]],
        unit_owner: Sequence[int],
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        """Use `Retriever.build`; this takes the already tokenised units.

        Args:
            passages: the indexed passages.
            unit_tokens: tokens of every unit.
            unit_owner: for every unit, the index of its passage in `passages`.
            k1: BM25 term-frequency saturation.
            b: BM25 length normalisation.
        """
        self.passages = list(passages)
        self._owner = np.asarray(unit_owner, dtype=np.int64)
        self._units = len(unit_tokens)
        self._df: Counter[str] = Counter()
        for tokens in unit_tokens:
            self._df.update(set(tokens))
        self._bm25: bm25s.BM25 | None = None
        if self._units and any(unit_tokens):
            self._bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
            self._bm25.index([list(t) for t in unit_tokens], show_progress=False)
        self._vocab: dict[str, int] = dict(self._bm25.vocab_dict) if self._bm25 is not None else {}

    @classmethod
    def build(cls, passages: Iterable[PassageRecord], analyser: Analyser) -> Retriever:
        """Analyses every unit of every passage once and indexes them."""
        passages = list(passages)
        texts: list[str] = []
        owner: list[int] = []
        for index, passage in enumerate(passages):
            for unit in passage_units(passage):
                texts.append(unit)
                owner.append(index)
        analyses = analyser.analyse_many(texts) if texts else []
        tokens = [tuple(a.tokens) for a in analyses]
        return cls(passages, tokens, owner)

    def __len__(self) -> int:
        return len(self.passages)

    def idf(self, token: str) -> float:
        """Lucene's BM25 IDF; a token never seen in the index gets the highest value."""
        df = self._df.get(token, 0)
        return math.log(1 + (self._units - df + 0.5) / (df + 0.5))

    def search(
        self,
        query_tokens: Sequence[str],
        limit: int = 5,
        boost_topics: dict[str, float] | None = None,
        topics: Iterable[str] | None = None,
    ) -> list[Hit]:
        """Ranks passages for already-analysed query tokens.

        Args:
            query_tokens: the analysed question (possibly expanded with context terms).
            limit: how many hits to return at most.
            boost_topics: multiplies the score of passages in these topics (e.g. the therapy named).
            topics: when given, only passages in these topics are ranked.

        Returns:
            Hits, best first, all with a score above zero.
        """
        unique = list(dict.fromkeys(t for t in query_tokens if t))
        if not unique or self._bm25 is None or not self.passages:
            return []
        ceiling = sum(self.idf(t) for t in unique)
        known = [self._vocab[t] for t in unique if t in self._vocab]
        if not known or ceiling <= 0:
            return []
        unit_scores = np.asarray(self._bm25.get_scores_from_ids(known), dtype=np.float64) / ceiling
        passage_scores = np.zeros(len(self.passages), dtype=np.float64)
        np.maximum.at(passage_scores, self._owner, unit_scores)
        allowed = set(topics) if topics is not None else None
        boosts = boost_topics or {}
        for index, passage in enumerate(self.passages):
            if allowed is not None and passage.topic not in allowed:
                passage_scores[index] = 0.0
            elif passage.topic in boosts:
                passage_scores[index] = min(1.0, passage_scores[index] * boosts[passage.topic])
        order = np.argsort(-passage_scores, kind="stable")[:limit]
        return [Hit(self.passages[i], float(passage_scores[i])) for i in order if passage_scores[i] > 0]
