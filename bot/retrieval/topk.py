"""Choosing the best few passages without sorting the library, and without scoring what cannot reach the top.

Hits are ordered by strength, best first, ties broken by passage order (what a stable sort of the whole
library gives). `best_first` finds the top k with a linear-time partition and sorts only those; `best_of`
first narrows a large library to the values at or above a guess from a sample, with the same result.

A passage's strength is its BM25 part plus a bonus (the character similarity, 0 to 1, times a weight), then
times its topic's factor. The bonus is the costly part, so `with_bounded_bonus` computes it only for passages
that can still make the top k: since the bonus is at most the weight, a passage whose BM25 part plus the whole
weight stays below the k-th best strength found so far cannot get in. Passages are scored in order of that
upper bound, a first small batch then the rest of the queue, and the search stops as soon as the k-th best
exceeds every bound left: the result is then exactly the ranking of scoring every passage. The first batch is
scored on its own only when its bounds stand clear enough of the rest for it to settle the top k; otherwise the
queue is scored at once, which gives the same result in one call instead of two. In a library of at most
`EXACT_LIBRARY` passages (the curated library has a few hundred) the cap is the library's size, so every
passage that can score is scored and its ranking is always exact. In a large one, where the bonus's weight is
wide enough that thousands of passages stay within reach, the `cap` passages with the highest bounds are
ranked and the rest are left out: a bounded cost in place of an exact tail, the usual re-ranking of a
first-stage shortlist.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# The most passages whose character similarity one search computes in a large library (see the module
# docstring). A library of at most EXACT_LIBRARY passages is always ranked exactly (`candidate_cap`), so an
# editors' library that grows past 256 keeps its ranking; the worst case there is a few tens of ms.
CHAR_CANDIDATES = 256
EXACT_LIBRARY = 2_000
# The first batch scored; when it does not settle the top k, the rest of the queue is scored in one batch.
FIRST_BATCH = 64
# ...scored apart only when the k-th best bound exceeds the bound after the batch by this share of the weight.
SETTLING_GAP = 0.5
# The bonus never exceeds 1 (a mean of cosines); the margin covers rounding in the bound's own arithmetic.
BONUS_BOUND = 1.0 + 1e-6
# `best_of` narrows a library larger than this by a sample first: one in SAMPLE_STRIDE values.
SAMPLED_SELECTION = 16_384
SAMPLE_STRIDE = 16


def candidate_cap(passages: int) -> int:
    """How many passages one search may score the bonus of: all of them up to `EXACT_LIBRARY`, else 256."""
    return passages if passages <= EXACT_LIBRARY else CHAR_CANDIDATES


def best_first(values: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """The k ids with the highest values, best first, ties by the lower id (a stable sort's order)."""
    if k <= 0 or not len(ids):
        return ids[:0]
    return ids[best_positions(ids, values[ids], k)]


def best_positions(ids: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Where in `ids` the k highest `scores` are (scores[i] belongs to ids[i]), best first, ties by the lower id."""
    if k <= 0 or not len(ids):
        return np.zeros(0, dtype=np.intp)
    positions = np.arange(len(ids))
    if len(ids) > k:
        threshold = np.partition(scores, len(ids) - k)[len(ids) - k]
        positions = np.flatnonzero(scores >= threshold)  # every tie with the k-th, for the tie-break below
    return positions[np.lexsort((ids[positions], -scores[positions]))][:k]


def best_of(values: np.ndarray, k: int) -> np.ndarray:
    """The ids of the k highest positive values, best first, ties by the lower id: `best_first` over them all.

    Partitioning 100,000 values to find the k-th costs about a millisecond. A large library is first narrowed
    to the values at or above a guess taken from a strided sample (about twice k of them are); when at least k
    pass, every value that can be among the top k is among them (the k-th best is at least the guess), so the
    result is the same. When fewer pass, every positive value is ranked.
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if len(values) > SAMPLED_SELECTION and 4 * k * SAMPLE_STRIDE < len(values):
        guess = kth_largest(values[::SAMPLE_STRIDE], 2 * (k // SAMPLE_STRIDE) + 4)
        if guess > 0:
            ids = np.flatnonzero(values >= guess)
            if len(ids) >= k:
                return best_first(values, ids, k)
    return best_first(values, np.flatnonzero(values > 0), k)


def kth_largest(values: np.ndarray, k: int) -> float:
    """The k-th largest value (0.0 when there are fewer than k)."""
    if len(values) < k or k <= 0:
        return 0.0
    return float(np.partition(values, len(values) - k)[len(values) - k])


def with_bounded_bonus(
    base: np.ndarray,
    weight: float,
    scale: np.ndarray | None,
    bonus: Callable[[np.ndarray], np.ndarray],
    k: int,
    cap: int = CHAR_CANDIDATES,
) -> tuple[np.ndarray, np.ndarray]:
    """The top k of `(base + weight * bonus(i)) * scale`, computing `bonus` for as few ids as it can.

    Args:
        base: every passage's BM25 part (0 or more).
        weight: what the bonus is multiplied by.
        scale: every passage's factor (None: all 1).
        bonus: the bonus (0 to 1) of the given passage ids.
        k: how many to return.
        cap: the most ids `bonus` is asked about.

    Returns:
        The chosen ids, best first, and their strengths.
    """

    def final(ids: np.ndarray, extra: np.ndarray) -> np.ndarray:
        # The same operations, in the same order, as scoring the whole library: (base + weight * bonus) * scale.
        value = base[ids] + weight * extra
        return value if scale is None else value * scale[ids]

    upper = base + weight * BONUS_BOUND
    if scale is not None:
        upper *= scale
    # The queue: the passages with the highest bounds, best first, and one more whose bound caps all the rest.
    queue = best_of(upper, cap + 1)
    scored_ids: list[np.ndarray] = []
    scored: list[np.ndarray] = []
    # A first small batch can settle the top k only when the k-th best bound stands well clear of the bounds
    # after the batch; otherwise (most questions of a large library, where the bonus's weight dwarfs the BM25
    # differences) the queue is scored in one batch. Either way the result is the same: only the cost differs.
    split = len(base) > cap and len(queue) > FIRST_BATCH and k <= FIRST_BATCH
    if split and upper[queue[k - 1]] - upper[queue[FIRST_BATCH]] <= SETTLING_GAP * weight:
        split = False
    done, batch = 0, FIRST_BATCH if split else cap
    while done < min(len(queue), cap):
        ids = queue[done : min(done + batch, cap)]
        scored_ids.append(ids)
        scored.append(final(ids, bonus(ids)))
        done += len(ids)
        batch = cap
        if done < len(queue) and kth_largest(np.concatenate(scored), k) > upper[queue[done]]:
            break  # nothing left, in the queue or beyond it, can reach the top k
    # Otherwise, when more passages were within reach than the cap, the rest are left out (a bounded cost).
    if not scored_ids:
        return queue[:0], np.zeros(0, dtype=np.float64)
    ids, values = np.concatenate(scored_ids), np.concatenate(scored)
    order = best_positions(ids, values, k)
    return ids[order], values[order]
