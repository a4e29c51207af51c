"""A BM25 inverted index: for each word, the texts that contain it and the word's BM25 weight in each.

It computes what bm25s (method "lucene") computes, bit for bit (`tests/test_retrieval_scale.py` compares the
two): the weights in float32 with bm25s's operations, and a query's scores summed in float32 in the order of
its words. What differs is the cost. bm25s adds every posting into a score array of the whole library with
`np.add.at` and builds its index in a Python loop per text; here a posting list is added with one vectorised
`+=` (a word occurs once per posting list, so no index repeats), and the index is built with numpy from the
texts' token ids (`Interned`), a block of texts at a time, which takes seconds rather than minutes at 100,000
passages and never holds more than a block's temporary arrays.

The words that most texts use ("w0" of the generated bench, "spasticity" of the curated library) are kept as
a dense row of weights over every text (zero where the word is absent) instead of a posting list: adding a
row of 100,000 floats costs a hundredth of scattering 50,000 postings by index, and the sum is the same bit
for bit (x + 0.0 is x). A dense row is kept only for a word in at least `1 / DENSE_SHARE` of the texts, and
all of them together take at most the memory of the posting lists themselves.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.retrieval.chargrams import gather, intern_texts, new_ids

# A word in at least 1/DENSE_SHARE of the texts is stored as a dense row (see the module docstring).
DENSE_SHARE = 32
# Texts whose (text, word) pairs are counted at once while building: bounds the build's temporary arrays.
BLOCK_TEXTS = 16_384


@dataclass(frozen=True)
class Interned:
    """Tokenised texts as token ids laid end to end (CSR), with the vocabulary that gave the ids.

    What `Retriever.build` keeps of the analyses: a few bytes per token instead of a string object each, so
    the 400,000 texts of a 100,000-passage library are never all held as Python strings.
    """

    pointers: np.ndarray  # text i's ids are ids[pointers[i]:pointers[i + 1]]
    ids: np.ndarray
    vocab: Mapping[str, int]

    @classmethod
    def of(cls, texts: Iterable[Sequence[str]], count: int, ids: defaultdict[str, int] | None = None) -> Interned:
        """Interns `count` tokenised texts; `ids` (from `new_ids`) may be shared with other texts' ids."""
        ids = new_ids() if ids is None else ids
        pointers, flat = intern_texts(texts, count, ids)
        return cls(pointers, flat, ids)

    def __len__(self) -> int:
        return len(self.pointers) - 1

    def take(self, order: np.ndarray) -> Interned:
        """The same texts in the given order."""
        positions, _owner = gather(self.pointers[order], self.pointers[order + 1])
        pointers = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(np.diff(self.pointers)[order], out=pointers[1:])
        return Interned(pointers, self.ids[positions], self.vocab)


class Postings:
    """BM25 weights of a set of tokenised texts, by word, with the document frequencies behind them."""

    def __init__(self, docs: Sequence[Sequence[str]] | Interned, k1: float, b: float) -> None:
        """Indexes the texts.

        Args:
            docs: every text's tokens, or the same already interned.
            k1: BM25 term-frequency saturation.
            b: BM25 length normalisation.
        """
        texts = docs if isinstance(docs, Interned) else Interned.of(docs, len(docs))
        self.size = len(texts)
        pointers, flat = texts.pointers, texts.ids
        width = max(len(texts.vocab), 1)
        lengths = np.diff(pointers)
        # One (text, word) pair per distinct word of a text, sorted by text then word; its count is the term
        # frequency. Counted a block of texts at a time, so the int64 keys exist for one block only.
        docs_of_pair, words_of_pair, counts = [], [], []
        for start in range(0, self.size, BLOCK_TEXTS):
            end = min(start + BLOCK_TEXTS, self.size)
            doc_of = np.repeat(np.arange(end - start, dtype=np.int64), lengths[start:end])
            keys, count = np.unique(doc_of * width + flat[pointers[start] : pointers[end]], return_counts=True)
            docs_of_pair.append((keys // width + start).astype(np.int32))
            words_of_pair.append((keys % width).astype(np.int32))
            counts.append(count.astype(np.int32))
        pair_docs = np.concatenate(docs_of_pair) if docs_of_pair else np.zeros(0, dtype=np.int32)
        pair_words = np.concatenate(words_of_pair) if words_of_pair else np.zeros(0, dtype=np.int32)
        tf = np.concatenate(counts).astype(np.float32) if counts else np.zeros(0, dtype=np.float32)
        del docs_of_pair, words_of_pair, counts
        self.df = np.bincount(pair_words, minlength=len(texts.vocab))
        # Only the words these texts use (`texts.vocab` may be shared with another index).
        self.vocab: dict[str, int] = {token: index for token, index in texts.vocab.items() if self.df[index]}
        # bm25s: Python's math.log, stored as float32 (computed once per distinct document frequency).
        frequencies, which = np.unique(self.df, return_inverse=True)
        idf = np.asarray([self._idf(int(df)) for df in frequencies], dtype=np.float32)[which]
        weights = np.zeros(0, dtype=np.float32)
        if len(tf):
            average = lengths.mean()  # bm25s: np.array(lengths).mean()
            # bm25s per text: tf / (k1 * ((1 - b) + b * length / average) + tf), the float64 scalar cast to
            # the float32 of the term frequencies, then times the float32 IDF.
            scale = (k1 * ((1 - b) + b * lengths / average)).astype(np.float32)
            weights = idf[pair_words] * (tf / (scale[pair_docs] + tf))
        del tf
        order = np.argsort(pair_words, kind="stable")  # by word, texts ascending within each word
        self._docs = pair_docs[order].astype(np.intp)  # numpy scatters by int64 indices twice as fast
        self._weights = weights[order]
        del pair_docs, weights
        self._pointers = np.zeros(len(texts.vocab) + 1, dtype=np.int64)
        np.cumsum(self.df, out=self._pointers[1:])
        self._dense_row, self._dense = self._densify()
        self.max_idf = self._idf(0)  # the IDF of a word no text contains

    def _densify(self) -> tuple[np.ndarray, np.ndarray]:
        """Moves the most common words' posting lists into dense rows (see the module docstring)."""
        row_of = np.full(len(self.df), -1, dtype=np.int32)
        budget = (self._docs.nbytes + self._weights.nbytes) // max(4 * self.size, 1)
        common = np.flatnonzero(self.df * DENSE_SHARE >= max(self.size, 1))
        common = common[np.argsort(-self.df[common], kind="stable")][:budget]
        dense = np.zeros((len(common), self.size), dtype=np.float32)
        if not len(common):
            return row_of, dense
        row_of[common] = np.arange(len(common), dtype=np.int32)
        keep = np.ones(len(self._docs), dtype=bool)
        for row, word in enumerate(common.tolist()):
            start, end = self._pointers[word], self._pointers[word + 1]
            dense[row, self._docs[start:end]] = self._weights[start:end]
            keep[start:end] = False
        # The dense words' posting lists are dropped: their pointers then give an empty range.
        self._docs, self._weights = self._docs[keep], self._weights[keep]
        np.cumsum(np.where(row_of >= 0, 0, self.df), out=self._pointers[1:])
        return row_of, dense

    def _idf(self, df: int) -> float:
        """Lucene's BM25 IDF for a document frequency."""
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def idf(self, token: str) -> float:
        """Lucene's BM25 IDF of a word (the highest value for a word no text contains)."""
        index = self.vocab.get(token)
        return self._idf(0 if index is None else int(self.df[index]))

    def frequency(self) -> dict[str, int]:
        """How many texts use each word."""
        return {token: int(self.df[index]) for token, index in self.vocab.items()}

    def raw(self, tokens: Sequence[str]) -> np.ndarray:
        """Raw BM25 (float32) of every text for the given unique words, summed in their order."""
        scores = np.zeros(self.size, dtype=np.float32)
        for token in tokens:
            index = self.vocab.get(token)
            if index is None:
                continue
            row = self._dense_row[index]
            if row >= 0:
                scores += self._dense[row]
            else:
                start, end = self._pointers[index], self._pointers[index + 1]
                scores[self._docs[start:end]] += self._weights[start:end]
        return scores
