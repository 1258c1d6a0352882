"""Offline metrics computed the way Amazon Personalize documents them.

Item recipes: a seeded random 10% of users is held out (the rest train the model). For each held-out user the
oldest 90% of their interactions are the model input and the newest 10% (at least one) are ground truth.
Ranking weight for NDCG is 1/log(1 + position), position counted from 1. coverage: the share of the catalogue
(items in the interactions and items data) recommended to the held-out users.

USER_SEGMENTATION recipes: the model trains on the oldest 80% of every user's interactions and the newest 20%
are ground truth. For each query (an item for aws-item-affinity; an item attribute value for
aws-item-attribute-affinity) the model's top 1% of users is the segment: hits_at_1_percent is how many of them
interacted with the query in the test data, recall_at_1_percent that number over all users who did, both
averaged over queries; coverage is the share of users that appear in at least one segment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .ranking import top_k
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


def _sequences(rows: np.ndarray, cols: np.ndarray, n_users: int) -> list[np.ndarray]:
    """Each held-out user's input items in time order (inputs arrive sorted by user, then timestamp)."""
    order = np.argsort(rows, kind="stable")
    bounds = np.searchsorted(rows[order], np.arange(n_users + 1))
    ordered = cols[order]
    return [ordered[bounds[i] : bounds[i + 1]] for i in range(n_users)]


def evaluate(recipe: Recipe, hyper: dict[str, str], data: TrainingData, seed: int) -> dict[str, float]:
    if recipe.recipe_type == "USER_SEGMENTATION":
        return evaluate_segments(recipe, hyper, data, seed)
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
    sequences = _sequences(rows, cols, len(test_users))
    relevant = truth.groupby(truth["USER_ID"].astype(str))["ITEM_ID"].agg(lambda s: set(s.astype(str)))
    totals = {f"normalized_discounted_cumulative_gain_at_{k}": 0.0 for k in K_VALUES}
    totals.update({f"precision_at_{k}": 0.0 for k in K_VALUES})
    totals["mean_reciprocal_rank_at_25"] = 0.0
    recommended_items: set[str] = set()
    for start in range(0, len(test_users), CHUNK):
        chunk = histories[start : start + CHUNK]
        scores = model.score_histories(chunk, sequences[start : start + CHUNK])
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


SEGMENT_QUERIES = 500  # a batch segment job takes at most 500 items; the evaluation samples as many queries


def split_per_user(events: pd.DataFrame, test_share: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(oldest 80% of each user's interactions, newest 20%); a user with one interaction only trains."""
    ordered = events.sort_values(["USER_ID", "TIMESTAMP"], kind="stable")
    position = ordered.groupby("USER_ID").cumcount()
    sizes = ordered.groupby("USER_ID")["USER_ID"].transform("size")
    n_test = np.where(sizes >= 2, np.maximum(1, np.floor(sizes * test_share)), 0).astype(int)
    is_test = position >= sizes - n_test
    return ordered[~is_test], ordered[is_test]


def _segment_queries(
    model: Any, recipe: Recipe, truth: pd.DataFrame, seed: int
) -> list[tuple[np.ndarray, set[str]]]:
    """(item rows of the query, users who interacted with those items in the test data) per query."""
    truth_items = truth["ITEM_ID"].astype(str)
    users_of_item = truth.groupby(truth_items)["USER_ID"].agg(lambda s: set(s.astype(str)))
    queries: list[tuple[np.ndarray, set[str]]] = []
    meta = model.items_meta
    if recipe.name == "aws-item-attribute-affinity" and meta is not None:
        for column in meta.columns:
            if column == "CREATION_TIMESTAMP" or not pd.api.types.is_string_dtype(meta[column]):
                continue
            tokens = meta[column].fillna("").astype(str).str.lower().str.split("|")
            exploded = tokens.explode().str.strip()
            for _value, group in exploded[exploded != ""].groupby(exploded[exploded != ""]):
                rows = np.array([model.item_index[i] for i in group.index if i in model.item_index], dtype=int)
                users: set[str] = set()
                for item in model.item_ids[rows]:
                    users |= users_of_item.get(str(item), set())
                if users:
                    queries.append((rows, users))
    else:
        for item, users in users_of_item.items():
            if item in model.item_index:
                queries.append((np.array([model.item_index[item]]), users))
    if len(queries) > SEGMENT_QUERIES:
        rng = np.random.default_rng(seed)
        queries = [queries[i] for i in np.sort(rng.choice(len(queries), SEGMENT_QUERIES, replace=False))]
    return queries


def evaluate_segments(recipe: Recipe, hyper: dict[str, str], data: TrainingData, seed: int) -> dict[str, float]:
    train, truth = split_per_user(data.interactions)
    model: Any = recipe.model(hyper, seed).fit(TrainingData(train, data.items, data.users))  # an ALS model
    queries = _segment_queries(model, recipe, truth, seed)
    n_users = len(model.user_ids)
    size = max(1, int(np.ceil(n_users * 0.01)))
    hits = recall = 0.0
    segmented: set[int] = set()
    for start in range(0, len(queries), 64):
        batch = queries[start : start + 64]
        vectors = np.stack([model.item_factors[rows].mean(axis=0) for rows, _ in batch])
        idx, _ = top_k(vectors @ model.user_factors.T, size)
        for picked, (_, relevant) in zip(idx, batch, strict=True):
            segmented.update(picked.tolist())
            found = sum(1 for u in model.user_ids[picked] if u in relevant)
            hits += found
            recall += found / len(relevant)
    n = max(1, len(queries))
    return {
        "coverage": round(len(segmented) / max(1, n_users), 4),
        "hits_at_1_percent": round(hits / n, 4),
        "recall_at_1_percent": round(recall / n, 4),
    }
