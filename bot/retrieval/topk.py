"""Choosing the best few passages without sorting the library, and without scoring what cannot reach the top.

Hits are ordered by strength, best first, ties broken by passage order (what a stable sort of the whole
library gives). `best_first` finds the top k with a linear-time partition and sorts only those.

A passage's strength is its BM25 part plus a bonus (the character similarity, 0 to 1, times a weight), then
times its topic's factor. The bonus is the costly part, so `with_bounded_bonus` computes it only for passages
that can still make the top k: since the bonus is at most the weight, a passage whose BM25 part plus the whole
weight stays below the k-th best strength found so far cannot get in. Passages are scored in order of that
upper bound, in growing batches, and the search stops as soon as the k-th best exceeds every bound left: the
result is then exactly the ranking of scoring every passage. In a library small enough (at most `cap`
passages, which includes the curated library) every passage that can score is scored. In a large one, when a
weak question leaves more than `cap` passages within reach, the bonus is computed for the `cap` with the
highest bounds and the others keep their BM25 part: a bounded cost in place of an exact tail.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# The most passages whose character similarity one search computes (see the module docstring).
CHAR_CANDIDATES = 512
# The first batch scored; each next batch is twice as large.
FIRST_BATCH = 32
# The bonus never exceeds 1 (a mean of cosines); the margin covers rounding in the bound's own arithmetic.
BONUS_BOUND = 1.0 + 1e-6


def best_first(values: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """The k ids with the highest values, best first, ties by the lower id (a stable sort's order)."""
    if k <= 0 or not len(ids):
        return ids[:0]
    scores = values[ids]
    if len(ids) > k:
        threshold = np.partition(scores, len(ids) - k)[len(ids) - k]
        keep = scores >= threshold  # every tie with the k-th value, so the tie-break below sees them all
        ids, scores = ids[keep], scores[keep]
    return ids[np.lexsort((ids, -scores))][:k]


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
    lower = base if scale is None else base * scale
    reachable = np.flatnonzero(upper >= kth_largest(lower[lower > 0], k))
    reachable = reachable[upper[reachable] > 0]
    queue = best_first(upper, reachable, min(cap, len(reachable)))
    scored_ids: list[np.ndarray] = []
    scored: list[np.ndarray] = []
    done, batch, exact = 0, FIRST_BATCH, len(queue) == len(reachable)
    while done < len(queue):
        ids = queue[done : done + batch]
        scored_ids.append(ids)
        scored.append(final(ids, bonus(ids)))
        done += len(ids)
        batch *= 2
        if done < len(queue) and kth_largest(np.concatenate(scored), k) > upper[queue[done]]:
            exact = True  # nothing left, in the queue or beyond it, can reach the top k
            break
    ids = np.concatenate(scored_ids) if scored_ids else queue[:0]
    strengths = np.concatenate(scored) if scored else np.zeros(0)
    if not exact:
        # More passages were within reach than the cap: the rest compete on their BM25 part alone.
        rest = np.setdiff1d(np.flatnonzero(lower > 0), ids, assume_unique=True)
        rest = best_first(lower, rest, k)
        ids, strengths = np.concatenate([ids, rest]), np.concatenate([strengths, lower[rest]])
    values = np.zeros(len(base), dtype=np.float64)
    values[ids] = strengths
    chosen = best_first(values, ids, k)
    return chosen, values[chosen]
