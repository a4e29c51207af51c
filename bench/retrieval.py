"""Retrieval cost as the library grows: index build time, query latency and memory at 1k, 10k, 100k passages.

`python -m bench.retrieval 1000 10000 100000` prints one JSON line per size. The passages are generated:
words drawn from a Zipf-like distribution over a 30,000-word vocabulary (so common words are common, as in
real text), each passage with a title, a 40-word text and three 6-word lay questions, as in the curated
library. The analyser here just splits on spaces, so what is measured is the index (`bot.retrieval`), not
spaCy: analysing a query with the real pipeline costs the same whatever the library's size. `bench/run.py`
runs this in its own process, so the peak memory reported is the index's own.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import resource
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench.common import percentile
from bot.content.records import PassageRecord
from bot.retrieval import Retriever

VOCABULARY = 30_000
QUERIES = 300
TOPICS = 40


@dataclass(frozen=True)
class Tokens:
    """An analysed text: here, its space-separated words."""

    tokens: tuple[str, ...]


class SplitAnalyser:
    """Splits on spaces: the generated words are already normalised tokens."""

    def analyse_many(self, texts: list[str]) -> Sequence[Tokens]:
        """One analysis per text."""
        return [Tokens(tuple(t.split())) for t in texts]

    def term_aliases(self) -> Mapping[str, str]:
        """No terminology aliases in generated text."""
        return {}


def words(rng: random.Random, weights: list[float], count: int) -> str:
    """`count` words from the Zipf-like vocabulary (`weights` are cumulative, computed once)."""
    return " ".join(f"w{i}" for i in rng.choices(range(VOCABULARY), cum_weights=weights, k=count))


def zipf_cumulative() -> list[float]:
    """Cumulative Zipf weights over the vocabulary: passing them saves `choices` an O(vocabulary) sum per call."""
    return list(itertools.accumulate(1 / (rank + 1) for rank in range(VOCABULARY)))


def generate(size: int, seed: int = 6) -> list[PassageRecord]:
    """`size` generated passages over `TOPICS` topics."""
    rng = random.Random(seed)
    weights = zipf_cumulative()
    today = dt.date(2026, 11, 1)
    return [
        PassageRecord(
            id=f"p{i}",
            topic=f"t{i % TOPICS}",
            title=words(rng, weights, 4),
            text=words(rng, weights, 40),
            questions=tuple(words(rng, weights, 6) for _ in range(3)),
            sources=("S1",),
            reviewed=today,
        )
        for i in range(size)
    ]


def measure(size: int) -> dict[str, float]:
    """Builds the index over `size` passages and times `QUERIES` searches."""
    passages = generate(size)
    started = time.perf_counter()
    retriever = Retriever.build(passages, SplitAnalyser())
    build_s = time.perf_counter() - started
    rng = random.Random(size)
    weights = zipf_cumulative()
    queries = [words(rng, weights, rng.randint(3, 7)).split() for _ in range(QUERIES)]
    for query in queries[:5]:  # warm caches
        retriever.search(query, limit=5, text=" ".join(query))
    latencies = []
    for query in queries:
        # As the bot searches: with the typed text, so the character n-gram similarity is part of the cost.
        began = time.perf_counter()
        retriever.search(query, limit=5, boost_topics={"t1": 1.25}, text=" ".join(query))
        latencies.append(time.perf_counter() - began)
    return {
        "passages": size,
        "build_s": build_s,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    """Measures each size given on the command line (smallest first), one JSON line each."""
    sizes = sorted(int(a) for a in (argv if argv is not None else sys.argv[1:]) or ["1000", "10000", "100000"])
    for size in sizes:
        if not 0 < size <= 200_000:
            print(f"size {size} out of range (1..200000)", file=sys.stderr)
            return 2
        print(json.dumps(measure(size)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
