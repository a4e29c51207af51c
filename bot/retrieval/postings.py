"""A BM25 inverted index: for each word, the texts that contain it and the word's BM25 weight in each.

It computes what bm25s (method "lucene") computes, bit for bit (`tests/test_retrieval_scale.py` compares the
two): the weights in float32 with bm25s's operations, and a query's scores summed in float32 in the order of
its words. What differs is the cost. bm25s adds every posting into a score array of the whole library with
`np.add.at` and builds its index in a Python loop per text; here a posting list is added with one vectorised
`+=` (a word occurs once per posting list, so no index repeats), and the index is built with numpy from the
texts' token ids (interned once), which takes seconds rather than minutes at 100,000 passages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bot.retrieval.chargrams import intern_texts, new_ids


class Postings:
    """BM25 weights of a set of tokenised texts, by word, with the document frequencies behind them."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float, b: float) -> None:
        """Indexes the texts.

        Args:
            docs: every text's tokens.
            k1: BM25 term-frequency saturation.
            b: BM25 length normalisation.
        """
        self.size = len(docs)
        vocab = new_ids()
        pointers, flat = intern_texts(docs, self.size, vocab)
        vocab.default_factory = None
        self.vocab: dict[str, int] = vocab
        width = max(len(vocab), 1)
        lengths = np.diff(pointers)
        doc_of = np.repeat(np.arange(self.size, dtype=np.int64), lengths)
        # One key per (text, word) pair, sorted by text then word; its count is the term frequency.
        keys, counts = np.unique(doc_of * width + flat, return_counts=True)
        docs_of_pair = keys // width
        words_of_pair = keys % width
        self.df = np.bincount(words_of_pair, minlength=len(vocab))
        # bm25s: Python's math.log, stored as float32.
        idf = np.asarray([self._idf(int(df)) for df in self.df], dtype=np.float32)
        weights = np.zeros(0, dtype=np.float32)
        if len(keys):
            average = lengths.mean()  # bm25s: np.array(lengths).mean()
            # bm25s per text: tf / (k1 * ((1 - b) + b * length / average) + tf), the float64 scalar cast to
            # the float32 of the term frequencies, then times the float32 IDF.
            scale = (k1 * ((1 - b) + b * lengths / average)).astype(np.float32)
            tf = counts.astype(np.float32)
            weights = idf[words_of_pair] * (tf / (scale[docs_of_pair] + tf))
        order = np.argsort(words_of_pair, kind="stable")  # by word, texts ascending within each word
        self._docs = docs_of_pair[order].astype(np.int32)
        self._weights = weights[order]
        self._pointers = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(self.df, out=self._pointers[1:])
        self.max_idf = self._idf(0)  # the IDF of a word no text contains

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
            if index is not None:
                start, end = self._pointers[index], self._pointers[index + 1]
                scores[self._docs[start:end]] += self._weights[start:end]
        return scores
