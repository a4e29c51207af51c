"""Ranked search over the curated passages and the lay questions they answer.

BM25 is our own inverted index (`bot.retrieval.postings`): it computes what the bm25s library computes, bit for
bit (the tests compare them), but adds only the posting lists of the query's words, so a question costs
milliseconds at 100,000 passages, where bm25s's per-document score arrays took tens. It takes pre-tokenised
input, so our spaCy analysis (lemmas, stop words removed, terminology phrases replaced by canonical ids) is the
tokenizer, exactly as for Rasa. The database's
full-text search was the alternative, but SQLite's FTS5 and PostgreSQL's tsvector rank differently, and the
bot must answer the same on both. Typo correction (`bot.retrieval.spelling`) is our own few dozen lines: a
symmetric-delete lookup over the index vocabulary, so no spelling library or dictionary download is needed.

Two BM25 indexes are built, each with its own length normalisation: one of whole passages (title, text and
lay questions) and one of single lay questions (each with the passage title). A passage scores a weighted
sum of its whole-passage score and its best lay question: the whole text carries the explanation's words,
and a short patient question that matches one lay question closely is not diluted by a long passage.

To that, a character n-gram similarity is added (the TF-IDF of scikit-learn's `TfidfVectorizer` with
`char_wb` 3- to 5-grams, computed by `bot.retrieval.chargrams` so that it scales; cosine against the raw
passage and lay-question texts). It sees what
word tokens miss: word families the lookup lemmatizer keeps apart ("quickly"/"quick", "titrate"/"titration"),
compounds, and the short words stop-word removal drops ("how long", "one beep"). It is added only when BM25
found something, and lowered by the same factor as BM25 for a question without a term, so it reorders
candidates rather than inventing them.

Scores are normalised to 0..1 so that one threshold ("no good answer") works for every question. Raw BM25
depends on the query, so each index's score is divided by the query's *ceiling* there: the sum of its words'
IDF, the most BM25 can give when every word matches. Two choices make this fair to real patients:

- A word the index has never seen (a name, "yrs", "ramipril") counts in the ceiling only as a fraction of a
  rare word, all of them together at most half as much as the known words, and words of three letters or
  fewer and numbers not at all, so a long chatty question is not pushed under the threshold by the words
  around its real question. Unknown words are first corrected to a
  known word within a small edit distance ("spastisity", "lioresl", "physiotheraphy").
- A question that names no term of the terminology (no therapy, condition or symptom) must earn its score
  with about three rare words' worth of matching: its ceiling is never below `NO_TERM_FLOOR` times
  the highest IDF. "What time is it" then cannot score high by matching "time" alone, while "what is
  spasticity" or "wat is spastisity" (a term) can. Questions about something the library does not know
  ("what is diabetes", "best pizza in town") match nothing or only common words and stay under it.

The index is built once per process from a content snapshot (`Retriever.build`), never per message. The
build analyses `ANALYSE_BLOCK` texts at a time and keeps only their token ids (`bot.retrieval.postings.Interned`):
at 100,000 passages the analyses of all 400,000 texts, as Python strings, took more memory than the index.
Lay questions are indexed slot by slot (every passage's first, then every passage's second...), so each
passage's best lay question is a few vectorised maxima over contiguous ranges rather than gathers by index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.content.records import PassageRecord
from bot.retrieval.chargrams import PassageSimilarity, new_ids
from bot.retrieval.postings import Interned, Postings
from bot.retrieval.spelling import Speller
from bot.retrieval.topk import best_of, candidate_cap, with_bounded_bonus

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
# Texts analysed at once while building: their analyses are turned into token ids before the next block.
ANALYSE_BLOCK = 4096


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
    """One BM25 index (`Postings`) with the query ceilings that normalise its scores."""

    def __init__(self, docs: Sequence[Sequence[str]] | Interned, k1: float, b: float) -> None:
        self.postings = Postings(docs, k1, b)
        self.size = self.postings.size
        self.max_idf = self.postings.max_idf
        self.vocab = self.postings.vocab
        self.df = Counter(self.postings.frequency())

    def idf(self, token: str) -> float:
        """Lucene's BM25 IDF."""
        return self.postings.idf(token)

    def raw(self, tokens: Sequence[str]) -> np.ndarray:
        """Raw BM25 of every document for unique tokens (zeros when none is known)."""
        return self.postings.raw(tokens).astype(np.float64)

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


def _by_slot(owner: np.ndarray, passages: int) -> tuple[np.ndarray, list[tuple[int, int, np.ndarray | None]]]:
    """The order to index lay questions in, slot by slot, and each slot's range in that order with its passages.

    Slot s holds every passage's (s + 1)-th lay question, in passage order, so the best lay question of every
    passage is a maximum over a few contiguous ranges. A slot that every passage fills has no passage array (its
    range is in passage order): most of them in a library where every passage has its lay questions.
    """
    grouped = np.argsort(owner, kind="stable")
    counts = np.bincount(owner, minlength=passages)
    slot = np.empty(len(owner), dtype=np.int64)
    slot[grouped] = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    order = np.lexsort((owner, slot))
    columns: list[tuple[int, int, np.ndarray | None]] = []
    bounds = np.searchsorted(slot[order], np.arange(int(counts.max(initial=0)) + 1))
    for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        owners = owner[order[start:end]]
        columns.append((start, end, None if len(owners) == passages else owners))
    return order, columns


class Retriever:
    """BM25 ranking of passages with normalised scores, typo correction, topic boosts and topic filters."""

    def __init__(
        self,
        passages: Sequence[PassageRecord],
        passage_tokens: Sequence[Sequence[str]] | Interned,
        question_tokens: Sequence[Sequence[str]] | Interned = (),
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
            passage_tokens: tokens of every passage's whole text, in the order of `passages` (or interned).
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
        topic_ids = {topic: index for index, topic in enumerate(dict.fromkeys(p.topic for p in self.passages))}
        self._topic_ids = topic_ids
        self._topic_of = np.asarray([topic_ids[p.topic] for p in self.passages], dtype=np.int64)
        owner = np.asarray(question_owner, dtype=np.int64)
        self._whole = _Bm25(passage_tokens, k1, b)
        questions = (
            question_tokens
            if isinstance(question_tokens, Interned)
            else Interned.of(question_tokens, len(question_tokens))
        )
        order, self._question_columns = _by_slot(owner, len(self.passages))
        self._questions = _Bm25(questions.take(order), k1, b)
        aliases = dict(aliases or {})
        self._anchors = frozenset(aliases.values())
        frequency = self._whole.df + self._questions.df
        lexicon = {token: token for token in frequency}
        for word, term_id in aliases.items():
            lexicon.setdefault(word, term_id)
        self._speller = Speller(lexicon, frequency)
        self._chars: PassageSimilarity | None = None
        if texts and len(texts) == len(self.passages):
            if len(question_texts) != len(question_owner):
                self._chars = PassageSimilarity(texts, (), owner[:0])
            else:
                self._chars = PassageSimilarity(texts, question_texts, owner)

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

        def analysed(texts: list[str]) -> Iterator[Sequence[str]]:
            for start in range(0, len(texts), ANALYSE_BLOCK):
                yield from (a.tokens for a in analyser.analyse_many(texts[start : start + ANALYSE_BLOCK]))

        # A block's analyses become token ids at once (one vocabulary for both indexes): holding every
        # analysis of 400,000 texts as Python strings took most of the build's memory.
        ids = new_ids()
        return cls(
            passages,
            Interned.of(analysed(whole), len(whole), ids),
            Interned.of(analysed(questions), len(questions), ids),
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

    def _bm25(self, tokens: list[str]) -> tuple[np.ndarray, float]:
        """Every passage's BM25 part of the score, and the weight its character similarity gets (0: none)."""
        if not tokens or not self.passages:
            return np.zeros(len(self.passages), dtype=np.float64), 0.0
        anchored = any(t in self._anchors for t in tokens)
        ceiling = self._whole.ceiling(tokens, anchored)
        if ceiling > 0:
            result = np.divide(self._whole.postings.raw(tokens), ceiling, dtype=np.float64)  # float64 throughout
        else:
            result = np.zeros(len(self.passages), dtype=np.float64)
        if self._questions.size:
            result *= PASSAGE_WEIGHT
            ceiling = self._questions.ceiling(tokens, anchored)
            if ceiling > 0:
                # Each passage's best lay question (dividing by the ceiling after the max gives the same value):
                # the questions are indexed slot by slot (`_by_slot`), so each slot is one vectorised maximum.
                raw = self._questions.postings.raw(tokens)
                top = np.zeros(len(self.passages), dtype=raw.dtype)
                for start, end, owners in self._question_columns:
                    if owners is None:
                        np.maximum(top, raw[start:end], out=top)
                    else:
                        top[owners] = np.maximum(top[owners], raw[start:end])
                best = np.divide(top, ceiling, dtype=np.float64)
                best *= 1 - PASSAGE_WEIGHT
                result += best
        # Spelling-level similarity must not let a question without a term past the floor either.
        char_weight = CHAR_WEIGHT * self._whole.floor_factor(tokens, anchored) if self._chars is not None else 0.0
        return result, char_weight

    def _strengths(self, query_tokens: Sequence[str], text: str | None = None) -> np.ndarray:
        """The scores of every passage before they are capped at 1 (what hits are ordered by)."""
        result, char_weight = self._bm25(self.correct(query_tokens))
        if text and self._chars is not None and result.any():
            result += char_weight * self._chars.similarity(self._chars.query(text), np.arange(len(self.passages)))
        return result

    def scores(self, query_tokens: Sequence[str], text: str | None = None) -> np.ndarray:
        """Normalised scores (0..1) of every passage, in passage order.

        Args:
            query_tokens: the analysed question.
            text: the question as typed; when given, its character n-gram similarity is added to BM25.
        """
        return np.minimum(self._strengths(query_tokens, text), 1.0)

    def scores_of(self, query_tokens: Sequence[str], passage_ids: Iterable[str]) -> dict[str, float]:
        """The BM25 scores (no character similarity) of the given passages, by id (0 for an unknown id)."""
        scores = self.scores(query_tokens)
        return {pid: float(scores[self._position[pid]]) if pid in self._position else 0.0 for pid in passage_ids}

    def _scale(self, boost_topics: dict[str, float] | None, topics: Iterable[str] | None) -> np.ndarray | None:
        """Per passage, what its score is multiplied by: 0 outside `topics`, a topic's boost (None: all 1)."""
        if topics is None and not boost_topics:
            return None
        # One factor per topic, then one gather: the same products as multiplying passages topic by topic.
        factors = np.ones(len(self._topic_ids), dtype=np.float64)
        if topics is not None:
            allowed = np.zeros(len(self._topic_ids), dtype=bool)
            allowed[[self._topic_ids[t] for t in topics if t in self._topic_ids]] = True
            factors[~allowed] = 0.0
        for topic, factor in (boost_topics or {}).items():
            if topic in self._topic_ids:
                factors[self._topic_ids[topic]] *= factor
        return factors[self._topic_of]

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
        base, char_weight = self._bm25(self.correct(query_tokens))
        if limit <= 0 or not base.any():
            return []
        scale = self._scale(boost_topics, topics)
        if text and self._chars is not None and char_weight > 0:
            chars, query = self._chars, self._chars.query(text)
            # The similarity is computed only for passages that can still reach the top (bot.retrieval.topk).
            chosen, strengths = with_bounded_bonus(
                base, char_weight, scale, lambda ids: chars.similarity(query, ids), limit, candidate_cap(len(base))
            )
        else:
            strengths = base if scale is None else base * scale
            chosen = best_of(strengths, limit)
            strengths = strengths[chosen]
        pairs = zip(chosen.tolist(), strengths.tolist(), strict=True)
        return [Hit(self.passages[i], min(1.0, s), s) for i, s in pairs if s > 0]
