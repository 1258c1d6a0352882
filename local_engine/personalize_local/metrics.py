"""Offline metrics computed the way Amazon Personalize documents them.

Split: a seeded random 10% of users is held out (the rest train the model). For each held-out user the
oldest 90% of their interactions are the model input and the newest 10% (at least one) are ground truth.
Ranking weight for NDCG is 1/log(1 + position), position counted from 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .predict import top_k
from .recipes import Recipe, TrainingData

K_VALUES = (5, 10, 25)
CHUNK = 2048


def dcg(recommended: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(
        1.0 / math.log(1 + pos) for pos, item in enumerate(recommended[:k], start=1) if item in relevant
    )


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


def split_holdout(events: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Returns (training events, held-out input events, held-out ground truth events)."""
    users = np.sort(events["USER_ID"].astype(str).unique())
    rng = np.random.default_rng(seed)
    n_test = max(1, round(len(users) * 0.1))
    test_users = set(rng.choice(users, size=n_test, replace=False).tolist())
    is_test = events["USER_ID"].astype(str).isin(test_users)
    train = events[~is_test]
    test = events[is_test].sort_values(["USER_ID", "TIMESTAMP"], kind="stable")
    position = test.groupby("USER_ID").cumcount()
    sizes = test.groupby("USER_ID")["USER_ID"].transform("size")
    n_truth = np.maximum(1, np.floor(sizes * 0.1)).astype(int)
    truth_mask = position >= sizes - n_truth
    return train, test[~truth_mask], test[truth_mask]


def evaluate(recipe: Recipe, hyper: dict[str, str], data: TrainingData, seed: int) -> dict[str, float]:
    train, inputs, truth = split_holdout(data.interactions, seed)
    model = recipe.model(hyper, seed).fit(TrainingData(train, data.items, data.users))
    test_users = np.sort(truth["USER_ID"].astype(str).unique())
    row_of = {u: i for i, u in enumerate(test_users)}
    known = inputs["ITEM_ID"].astype(str).map(model.item_index)
    ok = known.notna().to_numpy()
    rows = inputs["USER_ID"].astype(str).map(row_of).to_numpy()[ok]
    cols = known.to_numpy()[ok].astype(int)
    histories = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(test_users), len(model.item_ids))
    )
    relevant = truth.groupby(truth["USER_ID"].astype(str))["ITEM_ID"].agg(lambda s: set(s.astype(str)))
    totals = {f"normalized_discounted_cumulative_gain_at_{k}": 0.0 for k in K_VALUES}
    totals.update({f"precision_at_{k}": 0.0 for k in K_VALUES})
    totals["mean_reciprocal_rank_at_25"] = 0.0
    recommended_items: set[str] = set()
    for start in range(0, len(test_users), CHUNK):
        chunk = histories[start : start + CHUNK]
        scores = model.score_histories(chunk)
        indices, values = top_k(scores, 25, exclude=chunk)
        for offset, (picks, picked_scores) in enumerate(zip(indices, values, strict=True)):
            items = [str(model.item_ids[i]) for i in picks[np.isfinite(picked_scores)]]  # drop excluded
            recommended_items.update(items)
            truth_items = relevant[test_users[start + offset]]
            for k in K_VALUES:
                totals[f"normalized_discounted_cumulative_gain_at_{k}"] += ndcg_at_k(items, truth_items, k)
                totals[f"precision_at_{k}"] += precision_at_k(items, truth_items, k)
            totals["mean_reciprocal_rank_at_25"] += reciprocal_rank_at_k(items, truth_items, 25)
    n = max(1, len(test_users))
    metrics = {name: round(value / n, 4) for name, value in totals.items()}
    catalog = set(data.interactions["ITEM_ID"].astype(str))
    if data.items is not None:
        catalog.update(data.items["ITEM_ID"].astype(str))
    metrics["coverage"] = round(len(recommended_items) / max(1, len(catalog)), 4)
    return dict(sorted(metrics.items()))
