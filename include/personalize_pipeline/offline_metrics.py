"""Personalize's offline metrics, as its documentation defines them, for ranked lists scored against fresh events.

The pipeline's fair comparison computes them; the local engine, which imports none of our Python, has its own copy,
and a test checks that the two agree. NDCG weighs a hit at position p (from 1) by 1/log(1 + p) over the ideal
ordering of the relevant items; precision@K counts hits in the top K over K; the reciprocal rank is 1/p of the first
hit in the top 25; coverage is the share of the catalogue recommended to anyone. Pure Python: it runs on a worker
without numpy-heavy imports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

K_VALUES = (5, 10, 25)


def dcg(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1.0 / math.log(1 + pos) for pos, item in enumerate(recommended[:k], start=1) if item in relevant)


def ndcg_at_k(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    ideal = sum(1.0 / math.log(1 + pos) for pos in range(1, min(len(relevant), k) + 1))
    return dcg(recommended, relevant, k) / ideal if ideal else 0.0


def precision_at_k(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1 for item in recommended[:k] if item in relevant) / k


def reciprocal_rank_at_k(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    for pos, item in enumerate(recommended[:k], start=1):
        if item in relevant:
            return 1.0 / pos
    return 0.0


def score_lists(
    recommended: Mapping[str, Sequence[str]], relevant: Mapping[str, set[str]], catalog: Iterable[str]
) -> dict[str, float]:
    """The metrics averaged over the users in ``relevant`` (a user with no list scores 0 on each), coverage over
    ``catalog``; rounded to 4 places, as GetSolutionMetrics reports them."""
    totals = {f"normalized_discounted_cumulative_gain_at_{k}": 0.0 for k in K_VALUES}
    totals.update({f"precision_at_{k}": 0.0 for k in K_VALUES})
    totals["mean_reciprocal_rank_at_25"] = 0.0
    shown: set[str] = set()
    for user, truth in relevant.items():
        items = list(recommended.get(user, ()))
        shown.update(items)
        for k in K_VALUES:
            totals[f"normalized_discounted_cumulative_gain_at_{k}"] += ndcg_at_k(items, truth, k)
            totals[f"precision_at_{k}"] += precision_at_k(items, truth, k)
        totals["mean_reciprocal_rank_at_25"] += reciprocal_rank_at_k(items, truth, 25)
    n = max(1, len(relevant))
    metrics = {name: round(value / n, 4) for name, value in totals.items()}
    known = set(catalog)
    metrics["coverage"] = round(len(shown & known) / max(1, len(known)), 4)
    return dict(sorted(metrics.items()))
