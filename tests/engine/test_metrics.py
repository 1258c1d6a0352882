"""Offline metrics: Personalize's documented NDCG example and a hand-computed end-to-end case."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from personalize_local.metrics import (
    evaluate,
    ndcg_at_k,
    precision_at_k,
    reciprocal_rank_at_k,
    split_holdout,
)
from personalize_local.recipes import RECIPES, TrainingData

POPULARITY = RECIPES["arn:aws:personalize:::recipe/aws-popularity-count"]


def test_documented_ndcg_example() -> None:
    # Relevant at positions 2 and 5, two relevant: DCG = 1/log(3) + 1/log(6), IDCG = 1/log(2) + 1/log(3).
    recommended = ["a", "r1", "b", "c", "r2", "d"]
    value = ndcg_at_k(recommended, {"r1", "r2"}, 5)
    assert value == pytest.approx((1 / math.log(3) + 1 / math.log(6)) / (1 / math.log(2) + 1 / math.log(3)))
    assert round(value, 4) == 0.6241
    assert precision_at_k(recommended, {"r1", "r2"}, 5) == pytest.approx(0.4)
    assert reciprocal_rank_at_k(recommended, {"r1", "r2"}, 25) == pytest.approx(0.5)
    assert ndcg_at_k(recommended, {"zz"}, 5) == 0.0


def tiny_dataset() -> pd.DataFrame:
    """10 'regular' users watch i0..i8 then T (newest); 10 'background' users watch Z three times.

    Popularity on the training users: Z (3 events per background user) > T = i0..i8.
    A held-out regular user has input i0..i8 and truth T: after excluding its input the only candidates are
    Z then T, so T lands at position 2. A held-out background user has input Z,Z and truth Z, which is
    excluded, so it scores 0 everywhere.
    """
    rows = []
    for u in range(10):
        rows += [(f"r{u}", f"i{k}", 100 + k) for k in range(9)] + [(f"r{u}", "T", 200)]
        rows += [(f"b{u}", "Z", 100 + k) for k in range(3)]
    return pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])


def test_hand_computed_metrics() -> None:
    events = tiny_dataset()
    _train, _inputs, truth = split_holdout(events, seed=42)
    held_out = sorted(truth["USER_ID"].unique())
    assert len(held_out) == 2  # 10% of 20 users
    assert len(truth) == 2  # newest 10% of each history, at least one event
    regular = sum(u.startswith("r") for u in held_out)
    background = 2 - regular
    metrics = evaluate(POPULARITY, {}, TrainingData(events), seed=42)
    share = regular / 2
    ndcg_rank2 = (1 / math.log(3)) / (1 / math.log(2))
    assert metrics["normalized_discounted_cumulative_gain_at_5"] == pytest.approx(
        share * ndcg_rank2, abs=1e-4
    )
    assert metrics["normalized_discounted_cumulative_gain_at_25"] == pytest.approx(
        share * ndcg_rank2, abs=1e-4
    )
    assert metrics["precision_at_5"] == pytest.approx(share * 1 / 5, abs=1e-4)
    assert metrics["precision_at_25"] == pytest.approx(share * 1 / 25, abs=1e-4)
    assert metrics["mean_reciprocal_rank_at_25"] == pytest.approx(share * 0.5, abs=1e-4)
    # Regular users are offered {Z, T}; background users {i0..i8, T}: 11 distinct items in the catalogue.
    recommended = (2 if regular else 0) + (10 if background else 0) - (1 if regular and background else 0)
    assert metrics["coverage"] == pytest.approx(recommended / 11, abs=1e-4)
    assert evaluate(POPULARITY, {}, TrainingData(events), seed=42) == metrics  # deterministic


def test_split_is_seeded_and_keeps_order() -> None:
    events = tiny_dataset()
    a = split_holdout(events, seed=1)
    b = split_holdout(events, seed=1)
    assert a[2].equals(b[2])
    train, inputs, truth = a
    for user, group in truth.groupby("USER_ID"):
        assert group["TIMESTAMP"].min() >= inputs.loc[inputs["USER_ID"] == user, "TIMESTAMP"].max()
    assert not set(train["USER_ID"]) & set(truth["USER_ID"])


def test_the_pipelines_fair_comparison_scores_as_the_engine_does() -> None:
    """The engine speaks Personalize's wire protocol and imports none of our Python, so the pipeline computes the
    same documented definitions itself (personalize_pipeline.offline_metrics); both must agree on any lists."""
    import random

    from personalize_local import metrics as engine
    from personalize_pipeline import offline_metrics as pipeline

    rng = random.Random(7)
    catalog = [f"i{n}" for n in range(60)]
    lists = {f"u{n}": rng.sample(catalog, rng.randint(0, 25)) for n in range(40)}
    truth = {u: set(rng.sample(catalog, rng.randint(1, 6))) for u in lists}
    scored = pipeline.score_lists(lists, truth, catalog)
    for k in engine.K_VALUES:
        assert scored[f"normalized_discounted_cumulative_gain_at_{k}"] == round(
            sum(engine.ndcg_at_k(lists[u], truth[u], k) for u in lists) / len(lists), 4)
        assert scored[f"precision_at_{k}"] == round(
            sum(engine.precision_at_k(lists[u], truth[u], k) for u in lists) / len(lists), 4)
    assert scored["mean_reciprocal_rank_at_25"] == round(
        sum(engine.reciprocal_rank_at_k(lists[u], truth[u], 25) for u in lists) / len(lists), 4)
    assert scored["coverage"] == round(len(set().union(*lists.values())) / len(catalog), 4)
    assert pipeline.K_VALUES == engine.K_VALUES
