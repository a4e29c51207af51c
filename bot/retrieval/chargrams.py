"""Character n-gram cosine similarity between a question as typed and the passages, built for a large library.

The similarity is scikit-learn's `TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)`
fitted on every passage text and lay question, with the cosine of l2-normalised vectors; what this module
changes is only how it is computed, so that 100,000 passages build in seconds and a question costs a few
milliseconds (`tests/test_retrieval_scale.py` checks the values against scikit-learn itself):

- `char_wb` n-grams never cross a word boundary, so a text's n-grams are the n-grams of its words. Each
  distinct word is cut into n-grams once, in Python; texts are stored as word ids and everything after that is
  numpy over integer arrays. scikit-learn cuts every text in Python, which took minutes at 100k passages.
- Nothing is stored per (text, n-gram) pair: the index keeps each n-gram's IDF, each text's vector norm and
  each text's words (4 bytes a word), and a question's cosine with a text is computed only for the texts the
  caller asks about (`Retriever` asks about the few passages that can still reach the top): one sparse
  product of those texts' words with the words' counts of the question's n-grams. A full n-gram matrix of
  100k passages and 300k lay questions would be tens of millions of entries, gigabytes in scikit-learn.
- The build counts n-grams a chunk of `CHUNK_TEXTS` texts at a time, so its temporary matrices stay within
  tens of megabytes whatever the library's size.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

NGRAMS = (3, 5)
# Texts whose n-grams are counted at once while building: bounds the build's memory.
CHUNK_TEXTS = 4_096
# Up to this many texts (the curated library has about 1,000 with its lay questions) the normalised n-gram
# vectors are also kept, as scikit-learn keeps them, and a cosine is one sparse row times the question: faster
# than going through the words when every text is asked about.
STORED_TEXTS = 20_000


def word_ngrams(word: str, sizes: tuple[int, int] = NGRAMS) -> list[str]:
    """A word's n-grams as scikit-learn's `char_wb` analyser cuts them: padded by a space each side.

    Examples:
        "bac" gives " ba", "bac", "ac ", " bac", "bac ", " bac ": a word shorter than the longest n-gram is
        counted whole once.
    """
    padded = f" {word} "
    grams: list[str] = []
    for size in range(sizes[0], sizes[1] + 1):
        offset = 0
        grams.append(padded[offset : offset + size])
        while offset + size < len(padded):
            offset += 1
            grams.append(padded[offset : offset + size])
        if offset == 0:  # the whole padded word was taken: longer n-grams would repeat it
            break
    return grams


def gather(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of every range [start, end) laid end to end, and which range each position came from."""
    lengths = ends - starts
    owner = np.repeat(np.arange(len(starts), dtype=np.int64), lengths)
    shift = starts - (np.cumsum(lengths) - lengths)
    return np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(shift, lengths), owner


class CharQuery:
    """A question's l2-normalised n-gram vector: the n-grams the index knows and their weights."""

    def __init__(self, grams: np.ndarray, weights: np.ndarray) -> None:
        self.grams = grams
        self.weights = weights
        # Words of the index x the question's n-grams, how often each word holds each: made on first use and
        # kept for the rest of the search.
        self.by_word: sp.csr_matrix | None = None
        # The same vector over every n-gram of the index, for an index that keeps its texts' vectors.
        self.dense: np.ndarray | None = None

    def __bool__(self) -> bool:
        return bool(len(self.grams))


def intern(items: Iterable[str], ids: defaultdict[str, int]) -> np.ndarray:
    """The id of each item, giving a new item the next free id (in C: a dict whose default is its length)."""
    return np.fromiter(map(ids.__getitem__, items), dtype=np.int32)


def intern_texts(
    texts: Iterable[Sequence[str]], count: int, ids: defaultdict[str, int], block: int = 8192
) -> tuple[np.ndarray, np.ndarray]:
    """Every text's items as ids, laid end to end, and where each text starts (CSR pointers).

    Texts are taken a block at a time: one numpy call per block rather than per text (which cost seconds at
    400k texts), without holding every text's split words at once.
    """
    pointers = np.zeros(count + 1, dtype=np.int64)
    parts = []
    position = 0
    iterator = iter(texts)
    while position < count:
        chunk = list(itertools.islice(iterator, block))
        if not chunk:
            break
        lengths = np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))
        np.cumsum(lengths, out=pointers[position + 1 : position + 1 + len(chunk)])
        pointers[position + 1 : position + 1 + len(chunk)] += pointers[position]
        parts.append(intern(itertools.chain.from_iterable(chunk), ids))
        position += len(chunk)
    flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    return pointers, flat


def new_ids() -> defaultdict[str, int]:
    """An empty mapping that hands out ids 0, 1, 2... to new keys (see `intern`)."""
    ids: defaultdict[str, int] = defaultdict()
    ids.default_factory = ids.__len__
    return ids


class CharGrams:
    """The IDF and norms of `char_wb` TF-IDF over a set of texts, for cosines computed on demand."""

    def __init__(self, texts: Sequence[str]) -> None:
        """Indexes the texts (every one of them is also a document for the IDF, as in `fit`)."""
        words = new_ids()
        # Every text's words as ids (CSR): 4 bytes a word. `_rows` makes the texts x words count matrix of the
        # texts at hand (scipy sums a word repeated in a text when it multiplies).
        self._pointers, self._words = intern_texts((text.lower().split() for text in texts), len(texts), words)
        self._vocabulary = len(words)
        self.grams = new_ids()
        pointers, flat = intern_texts(map(word_ngrams, list(words)), len(words), self.grams)
        self.grams.default_factory = None  # from now on an unknown n-gram is a miss, not a new id
        # words x n-grams, how often each n-gram occurs in each word.
        word_grams = sp.csr_matrix((np.ones(len(flat)), flat, pointers), shape=(len(words), len(self.grams)))
        self._vectors: sp.csr_matrix | None = None
        self.idf, self.norms = self._weigh(word_grams)
        self._word_grams = word_grams.tocsc()  # queries take the columns of their own n-grams

    def _rows(self, texts: np.ndarray | slice) -> sp.csr_matrix:
        """The given texts x words, with a 1 for every word of a text (in that order)."""
        if isinstance(texts, slice):
            start, stop = self._pointers[texts.start], self._pointers[texts.stop]
            pointers, words = self._pointers[texts.start : texts.stop + 1] - start, self._words[start:stop]
        else:
            starts = self._pointers[texts]
            lengths = self._pointers[texts + 1] - starts
            pointers = np.zeros(len(texts) + 1, dtype=np.int64)
            np.cumsum(lengths, out=pointers[1:])
            words = self._words[np.arange(pointers[-1]) + np.repeat(starts - pointers[:-1], lengths)]
        # int32 pointers like the indices, so scipy multiplies without widening every index array to int64.
        pointers = pointers.astype(np.int32) if len(words) < np.iinfo(np.int32).max else pointers
        rows = len(pointers) - 1
        return sp.csr_matrix((np.ones(len(words)), words, pointers), shape=(rows, self._vocabulary), copy=False)

    def _weigh(self, word_grams: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """The n-grams' smoothed IDF and every text's vector norm, a chunk of texts at a time (bounded memory)."""
        count = len(self._pointers) - 1
        chunks = [slice(start, min(start + CHUNK_TEXTS, count)) for start in range(0, count, CHUNK_TEXTS)]
        df = np.zeros(len(self.grams), dtype=np.int64)
        for chunk in chunks:
            df += np.bincount((self._rows(chunk) @ word_grams).indices, minlength=len(df))
        # scikit-learn's smoothed IDF, with its float64 operations: log((1 + n) / (1 + df)) + 1.
        smoothed = df.astype(np.float64)
        smoothed += 1
        idf = np.log((count + 1) / smoothed) + 1
        norms = np.zeros(count, dtype=np.float64)
        stored: list[sp.csr_matrix] = []
        for chunk in chunks:
            start = chunk.start
            tf = self._rows(chunk) @ word_grams
            weights = (np.log(tf.data) + 1) * idf[tf.indices]
            tf.data = weights * weights
            norms[start : start + tf.shape[0]] = np.sqrt(np.asarray(tf.sum(axis=1)).ravel())
            if count <= STORED_TEXTS:
                rows = np.repeat(norms[start : start + tf.shape[0]], np.diff(tf.indptr))
                tf.data = np.divide(weights, rows, out=np.zeros_like(weights), where=rows > 0)
                stored.append(tf.tocsr())
        if stored:
            self._vectors = sp.vstack(stored, format="csr")
        return idf, norms

    def query(self, text: str) -> CharQuery:
        """The question's normalised vector over the n-grams the index knows (others are ignored, as in sklearn)."""
        counts: dict[int, int] = {}
        for word in text.lower().split():
            for gram in word_ngrams(word):
                index = self.grams.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
        if not counts:
            return CharQuery(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
        grams = np.fromiter(counts, dtype=np.int64, count=len(counts))
        weights = (np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))) + 1) * self.idf[grams]
        return CharQuery(grams, weights / np.sqrt(np.dot(weights, weights)))

    def _by_word(self, query: CharQuery) -> sp.csr_matrix:
        """Words x the question's n-grams: how often each word holds each of them."""
        if query.by_word is None:
            query.by_word = self._word_grams[:, query.grams].tocsr()
        return query.by_word

    def cosines(self, query: CharQuery, units: np.ndarray) -> np.ndarray:
        """The cosine of the question with each of the given texts (by index, in that order)."""
        result = np.zeros(len(units), dtype=np.float64)
        if not query or not len(units):
            return result
        if self._vectors is not None:
            if query.dense is None:
                query.dense = np.zeros(self._vectors.shape[1], dtype=np.float64)
                query.dense[query.grams] = query.weights
            return np.asarray(self._vectors[units] @ query.dense, dtype=np.float64)
        # Each text's counts of the question's n-grams only: its words times the question's n-grams in each.
        tf = self._rows(units) @ self._by_word(query)
        weights = (np.log(tf.data) + 1) * (self.idf[query.grams] * query.weights)[tf.indices]
        unit_of = np.repeat(np.arange(len(units)), np.diff(tf.indptr))
        norms = self.norms[units]
        np.divide(np.bincount(unit_of, weights, minlength=len(units)), norms, out=result, where=norms > 0)
        return result


class PassageSimilarity:
    """Per passage: the mean of its whole text's cosine and its best lay question's cosine with a question."""

    def __init__(self, texts: Sequence[str], questions: Sequence[str], owner: np.ndarray) -> None:
        """Indexes passage texts and lay questions together (both are documents for the IDF).

        Args:
            texts: every passage's whole text, in passage order.
            questions: every lay question's text (may be empty).
            owner: for every lay question, the index of its passage.
        """
        self._size = len(texts)
        self._grams = CharGrams([*texts, *questions])
        order = np.argsort(owner, kind="stable")
        # The lay questions of passage i are units self._question_units[ptr[i]:ptr[i + 1]] of `_grams`.
        self._question_units = order + self._size
        self._question_ptr = np.zeros(self._size + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner, minlength=self._size), out=self._question_ptr[1:])

    def query(self, text: str) -> CharQuery:
        """The question's n-gram vector, made once per search."""
        return self._grams.query(text)

    def similarity(self, query: CharQuery, passages: np.ndarray) -> np.ndarray:
        """The similarity of each given passage (by index, in that order), from 0 to 1."""
        starts, ends = self._question_ptr[passages], self._question_ptr[passages + 1]
        positions, passage_of = gather(starts, ends)  # the lay questions of every given passage
        cosines = self._grams.cosines(query, np.concatenate([passages, self._question_units[positions]]))
        result = 0.5 * cosines[: len(passages)]
        best = np.zeros(len(passages), dtype=np.float64)
        np.maximum.at(best, passage_of, cosines[len(passages) :])
        result += 0.5 * best
        return result
