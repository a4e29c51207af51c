"""The retrieval index as it was before it was rebuilt to scale (commit 430ef7b): the reference for its ranking.

`tests/test_retrieval_scale.py` checks that `bot.retrieval.Retriever` ranks the real library exactly as this
does: the same passages in the same order, with the same strengths. It scores every passage with bm25s and
scikit-learn's `TfidfVectorizer`, which is simple and slow (minutes to build at 100,000 passages). Kept
verbatim apart from this docstring; do not change it to follow the new code.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import bm25s
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.content.records import PassageRecord
from bot.retrieval.spelling import Speller

# Share of a passage's score that comes from its whole text; the rest comes from its best lay question.
PASSAGE_WEIGHT = 0.8
# Weight of the character n-gram similarity added to the BM25 score (see the module docstring).
CHAR_WEIGHT = 0.5
CHAR_NGRAMS = (3, 5)
# An unknown query word weighs this fraction of the highest IDF in the ceiling (see the module docstring).
UNKNOWN_WORD_WEIGHT = 0.3
# All unknown words together weigh at most this fraction of the known words' IDF.
UNKNOWN_SHARE_CAP = 0.5
# Unknown words this short ("wat", "ppl", "n") are typing noise rather than meaning, and are left out.
MIN_UNKNOWN_LENGTH = 4
# Without a terminology term, a question's ceiling is at least this many times the highest IDF.
NO_TERM_FLOOR = 3.0


class Analysed(Protocol):
    """An analysed text: its normalised tokens."""

    @property
    def tokens(self) -> tuple[str, ...]:
        """Lemmas and canonical term ids, stop words removed."""


class Analyser(Protocol):
    """What retrieval needs from the NLP layer: text to normalised tokens, and the terminology's words."""

    def analyse_many(self, texts: list[str]) -> Sequence[Analysed]:
        """Returns one analysis per text."""

    def term_aliases(self) -> Mapping[str, str]:
        """Single words that name a term (lower case), each with the term's canonical id."""


@dataclass(frozen=True)
class Hit:
    """A passage with its relevance score (0 to 1, higher is better).

    `strength` is the same score before it is capped at 1, and is what hits are ordered by: a question that
    names a term and matches several passages well gives each a score of 1, and the cap alone would then leave
    their order to the editors' file order instead of to how well each one matches.
    """

    passage: PassageRecord
    score: float
    strength: float = -1.0

    def __post_init__(self) -> None:
        if self.strength < 0:
            object.__setattr__(self, "strength", self.score)

    def scaled(self, factor: float) -> Hit:
        """The same hit with its score (capped at 1) and strength multiplied by `factor`."""
        return Hit(self.passage, min(1.0, self.score * factor), self.strength * factor)


def passage_text(passage: PassageRecord) -> str:
    """The text a passage is indexed as in the whole-passage index: title, text and lay questions."""
    return " ".join([passage.title, passage.text, *passage.questions])


def question_texts(passage: PassageRecord) -> list[str]:
    """The units of the lay-question index: each question with the passage title."""
    return [f"{question} {passage.title}" for question in passage.questions]


class _Bm25:
    """One bm25s index with the document frequencies needed for IDF and ceilings."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float, b: float) -> None:
        self.size = len(docs)
        self.df: Counter[str] = Counter()
        for tokens in docs:
            self.df.update(set(tokens))
        self.max_idf = self.idf("")  # the IDF of a word no document contains
        self.model: bm25s.BM25 | None = None
        self.vocab: dict[str, int] = {}
        if self.size and any(docs):
            self.model = bm25s.BM25(k1=k1, b=b, method="lucene")
            self.model.index([list(t) for t in docs], show_progress=False)
            self.vocab = dict(self.model.vocab_dict)

    def idf(self, token: str) -> float:
        """Lucene's BM25 IDF."""
        df = self.df.get(token, 0)
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def raw(self, tokens: Sequence[str]) -> np.ndarray:
        """Raw BM25 of every document for unique tokens (zeros when none is known)."""
        known = [self.vocab[t] for t in tokens if t in self.vocab]
        if self.model is None or not known:
            return np.zeros(self.size, dtype=np.float64)
        return np.asarray(self.model.get_scores_from_ids(known), dtype=np.float64)

    def ceiling(self, tokens: Sequence[str], anchored: bool) -> float:
        """The most this query can score here (see the module docstring for the two adjustments)."""
        known = sum(self.idf(t) for t in tokens if t in self.vocab)
        unknown = sum(
            1
            for t in tokens
            if t not in self.vocab and len(t) >= MIN_UNKNOWN_LENGTH and not any(c.isdigit() for c in t)
        )
        total = known + min(unknown * UNKNOWN_WORD_WEIGHT * self.max_idf, UNKNOWN_SHARE_CAP * known)
        return total if anchored else max(total, NO_TERM_FLOOR * self.max_idf)

    def floor_factor(self, tokens: Sequence[str], anchored: bool) -> float:
        """How much the no-term floor lowered this query's scores (1.0 when it did not apply)."""
        floored = self.ceiling(tokens, anchored)
        plain = self.ceiling(tokens, True)
        return plain / floored if floored > 0 else 0.0


class _CharNgrams:
    """Character n-gram TF-IDF over the raw passage texts and lay questions, for cosine similarity."""

    def __init__(self, texts: Sequence[str], questions: Sequence[str], owner: np.ndarray, size: int) -> None:
        self._size = size
        self._owner = owner
        self._vectoriser = TfidfVectorizer(
            analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, lowercase=True
        )
        self._vectoriser.fit([*texts, *questions])
        # Stored transposed (n-grams x texts, CSR): a query row times this is the fastest sparse product.
        self._texts = self._vectoriser.transform(texts).T.tocsr()
        self._questions = self._vectoriser.transform(questions).T.tocsr() if len(questions) else None

    def similarity(self, text: str) -> np.ndarray:
        """Per passage: the mean of its whole text's cosine and its best lay question's cosine with `text`."""
        query = self._vectoriser.transform([text])
        result = 0.5 * np.asarray((query @ self._texts).toarray(), dtype=np.float64).ravel()
        if self._questions is not None:
            best = np.zeros(self._size, dtype=np.float64)
            cosines = np.asarray((query @ self._questions).toarray(), dtype=np.float64).ravel()
            np.maximum.at(best, self._owner, cosines)
            result += 0.5 * best
        return result


class Retriever:
    """BM25 ranking of passages with normalised scores, typo correction, topic boosts and topic filters."""

    def __init__(
        self,
        passages: Sequence[PassageRecord],
        passage_tokens: Sequence[Sequence[str]],
        question_tokens: Sequence[Sequence[str]] = (),
        question_owner: Sequence[int] = (),
        aliases: Mapping[str, str] | None = None,
        k1: float = 1.5,
        b: float = 0.75,
        texts: Sequence[str] = (),
        question_texts: Sequence[str] = (),
    ) -> None:
        """Use `Retriever.build`; this takes the already tokenised texts.

        Args:
            passages: the indexed passages.
            passage_tokens: tokens of every passage's whole text, in the order of `passages`.
            question_tokens: tokens of every lay question (may be empty: then only whole passages count).
            question_owner: for every lay question, the index of its passage in `passages`.
            aliases: single words naming a term, with the term id (typo targets; their ids mark questions
                as being about the library's subject).
            k1: BM25 term-frequency saturation.
            b: BM25 length normalisation.
            texts: the raw text of every passage, for the character n-gram similarity (none: BM25 only).
            question_texts: the raw text of every lay question, in the order of `question_tokens`.
        """
        if len(passage_tokens) != len(passages) or len(question_tokens) != len(question_owner):
            raise ValueError("every passage needs its tokens, and every lay question its owner")
        self.passages = list(passages)
        self._position = {p.id: i for i, p in enumerate(self.passages)}
        self._topics = np.asarray([p.topic for p in self.passages], dtype=object)
        self._whole = _Bm25(passage_tokens, k1, b)
        self._questions = _Bm25(question_tokens, k1, b)
        self._owner = np.asarray(question_owner, dtype=np.int64)
        aliases = dict(aliases or {})
        self._anchors = frozenset(aliases.values())
        frequency = self._whole.df + self._questions.df
        lexicon = {token: token for token in frequency}
        for word, term_id in aliases.items():
            lexicon.setdefault(word, term_id)
        self._speller = Speller(lexicon, frequency)
        self._chars: _CharNgrams | None = None
        if texts and len(texts) == len(self.passages):
            if len(question_texts) != len(question_owner):
                question_texts = ()
                self._chars = _CharNgrams(texts, (), self._owner[:0], len(self.passages))
            else:
                self._chars = _CharNgrams(texts, question_texts, self._owner, len(self.passages))

    @classmethod
    def build(cls, passages: Iterable[PassageRecord], analyser: Analyser) -> Retriever:
        """Analyses every passage and lay question once and indexes them."""
        passages = list(passages)
        questions: list[str] = []
        owner: list[int] = []
        for index, passage in enumerate(passages):
            for text in question_texts(passage):
                questions.append(text)
                owner.append(index)
        whole = [passage_text(p) for p in passages]
        analyses = analyser.analyse_many(whole + questions) if passages else []
        tokens = [tuple(a.tokens) for a in analyses]
        return cls(
            passages,
            tokens[: len(passages)],
            tokens[len(passages) :],
            owner,
            analyser.term_aliases(),
            texts=whole,
            question_texts=questions,
        )

    def __len__(self) -> int:
        return len(self.passages)

    def idf(self, token: str) -> float:
        """Lucene's BM25 IDF in the whole-passage index; a token never seen gets the highest value."""
        return self._whole.idf(token)

    def raw_scores(self, query_tokens: Sequence[str]) -> list[float]:
        """Plain BM25 of every whole passage, in passage order, for checking against a reference."""
        return [float(s) for s in self._whole.raw(list(dict.fromkeys(query_tokens)))]

    def correct(self, query_tokens: Sequence[str]) -> list[str]:
        """The query's unique tokens, each unknown word replaced by its nearest known word when one is close."""
        known = self._speller.lexicon
        corrected = []
        for token in dict.fromkeys(t for t in query_tokens if t):
            if token not in self._whole.vocab and token not in self._questions.vocab:
                token = known.get(token) or self._speller.correct(token) or token
            corrected.append(token)
        return list(dict.fromkeys(corrected))

    def scores(self, query_tokens: Sequence[str], text: str | None = None) -> np.ndarray:
        """Normalised scores (0..1) of every passage, in passage order.

        Args:
            query_tokens: the analysed question.
            text: the question as typed; when given, its character n-gram similarity is added to BM25.
        """
        return np.minimum(self._strengths(query_tokens, text), 1.0)

    def _strengths(self, query_tokens: Sequence[str], text: str | None = None) -> np.ndarray:
        """The scores before they are capped at 1 (what hits are ordered by)."""
        tokens = self.correct(query_tokens)
        result = np.zeros(len(self.passages), dtype=np.float64)
        if not tokens or not self.passages:
            return result
        anchored = any(t in self._anchors for t in tokens)
        ceiling = self._whole.ceiling(tokens, anchored)
        if ceiling > 0:
            result += self._whole.raw(tokens) / ceiling
        if self._questions.size:
            result *= PASSAGE_WEIGHT
            ceiling = self._questions.ceiling(tokens, anchored)
            if ceiling > 0:
                best = np.zeros(len(self.passages), dtype=np.float64)
                np.maximum.at(best, self._owner, self._questions.raw(tokens) / ceiling)
                result += (1 - PASSAGE_WEIGHT) * best
        if text and self._chars is not None and result.any():
            # Spelling-level similarity must not let a question without a term past the floor either.
            factor = self._whole.floor_factor(tokens, anchored)
            result += CHAR_WEIGHT * factor * self._chars.similarity(text)
        return result

    def scores_of(self, query_tokens: Sequence[str], passage_ids: Iterable[str]) -> dict[str, float]:
        """The BM25 scores (no character similarity) of the given passages, by id (0 for an unknown id)."""
        scores = self.scores(query_tokens)
        return {pid: float(scores[self._position[pid]]) if pid in self._position else 0.0 for pid in passage_ids}

    def search(
        self,
        query_tokens: Sequence[str],
        limit: int = 5,
        boost_topics: dict[str, float] | None = None,
        topics: Iterable[str] | None = None,
        text: str | None = None,
    ) -> list[Hit]:
        """Ranks passages for already-analysed query tokens.

        Args:
            query_tokens: the analysed question (possibly expanded with context terms).
            limit: how many hits to return at most.
            boost_topics: multiplies the score of passages in these topics (e.g. the therapy named).
            topics: when given, only passages in these topics are ranked.
            text: the question as typed, for the character n-gram similarity (BM25 alone without it).

        Returns:
            Hits, best first, all with a score above zero.
        """
        strengths = self._strengths(query_tokens, text)
        if not strengths.any():
            return []
        if topics is not None:
            strengths[~np.isin(self._topics, list(topics))] = 0.0
        for topic, factor in (boost_topics or {}).items():
            strengths[self._topics == topic] *= factor
        order = np.argsort(-strengths, kind="stable")[:limit]
        return [
            Hit(self.passages[i], min(1.0, float(strengths[i])), float(strengths[i])) for i in order if strengths[i] > 0
        ]
