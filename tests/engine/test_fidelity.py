"""Behaviour Personalize documents, checked on trained models in process: score semantics per recipe,
promotions, exploration only as explorationWeight asks, the user-segmentation metric set, real HPO, coverage
and a sequence-aware user-personalization."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from personalize_local.filters import CompiledFilter
from personalize_local.hpo import tune
from personalize_local.metrics import evaluate
from personalize_local.predict import Exploration, Predictor, Promotion
from personalize_local.recipes import RECIPES, TrainingData
from personalize_local.synthetic import generate

ARN = "arn:aws:personalize:::recipe/"
NDCG10 = "normalized_discounted_cumulative_gain_at_10"


@pytest.fixture(scope="module")
def data() -> TrainingData:
    frames = generate(20000, seed=11)
    return TrainingData(frames["interactions"], frames["items"], frames["users"])


@pytest.fixture(scope="module")
def up(data: TrainingData) -> Predictor:
    return Predictor(RECIPES[ARN + "aws-user-personalization"].model({}, 0).fit(data))


def warm_user(predictor: Predictor) -> str:
    counts = np.diff(predictor.model.history.indptr)
    return str(predictor.model.user_ids[int(np.argsort(counts)[len(counts) // 2])])


@pytest.mark.parametrize("recipe", ["aws-user-personalization", "aws-user-personalization-v2"])
def test_user_personalization_scores_are_a_distribution_over_the_catalogue(data: TrainingData, recipe: str) -> None:
    model = RECIPES[ARN + recipe].model({}, 0).fit(data)
    predictor = Predictor(model)
    assert predictor.reports_scores
    rows = np.arange(min(50, len(model.user_ids)))
    full = model.score_users(rows)
    assert full.min() >= 0 and full.max() <= 1
    np.testing.assert_allclose(full.sum(axis=1), 1.0, rtol=1e-4)
    for exploration in (Exploration(0.0), Exploration(0.3), Exploration(1.0)):
        for items, scores, _ in predictor.recommend_users(
            [warm_user(predictor), "never-seen"], 25, exploration=exploration
        ):
            assert len(items) == 25
            assert scores == sorted(scores, reverse=True), "scores fall down the list"
            assert 0 < sum(scores) <= 1 + 1e-6


@pytest.mark.parametrize("recipe", ["aws-sims", "aws-similar-items", "aws-popularity-count", "aws-trending-now"])
def test_recipes_personalize_shows_no_scores_for_report_none(data: TrainingData, recipe: str) -> None:
    assert not Predictor(RECIPES[ARN + recipe].model({}, 0).fit(data)).reports_scores


@pytest.mark.parametrize("recipe", ["aws-personalized-ranking", "aws-personalized-ranking-v2"])
def test_personalized_ranking_scores_sum_to_one_and_unknown_items_score_zero(data: TrainingData, recipe: str) -> None:
    predictor = Predictor(RECIPES[ARN + recipe].model({}, 0).fit(data))
    assert RECIPES[ARN + recipe].recipe_type == "PERSONALIZED_RANKING" and predictor.reports_scores
    items = [str(i) for i in predictor.model.item_ids[:10]] + ["not-in-training"]
    ranked = predictor.rank(warm_user(predictor), items)
    scores = [s for _, s in ranked]
    assert scores == sorted(scores, reverse=True)
    assert abs(sum(scores) - 1) < 1e-5
    assert ranked[-1] == ("not-in-training", 0.0)


def test_promotion_places_its_share_from_its_filter_sorted_among_themselves(up: Predictor) -> None:
    model = up.model
    promo_filter = CompiledFilter("INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)")
    request_filter = CompiledFilter('EXCLUDE ItemID WHERE Items.GENRES IN ("Comedy")')
    promotion = Promotion("comedy-week", 20, promo_filter, {"GENRE": '"Comedy"'})
    user = warm_user(up)
    items, scores, promoted = up.recommend_users([user], 25, request_filter, {}, Exploration(0.0), promotion=promotion)[
        0
    ]
    assert len(items) == 25 and len(set(items)) == 25
    assert len(promoted) == 5  # 20% of 25
    genres = model.items_meta["GENRES"] if model.items_meta is not None else None
    assert genres is not None
    assert all("Comedy" in genres[i] for i in promoted)
    assert all("Comedy" not in genres[i] for i in items if i not in promoted), "request filter on the rest"
    promoted_scores = [s for i, s in zip(items, scores, strict=True) if i in promoted]
    assert promoted_scores == sorted(promoted_scores, reverse=True)
    plain = up.recommend_users([user], 25, request_filter, {}, Exploration(0.0))[0]
    assert not plain.promoted and not set(plain.items) & set(promoted)
    again = up.recommend_users([user], 25, request_filter, {}, Exploration(0.0), promotion=promotion)[0]
    assert again.items == items  # positions are seeded: stable for a user


def with_new_items(data: TrainingData, n_new: int = 40) -> TrainingData:
    """`n_new` brand-new items, each with a single interaction from a different user, at the newest time."""
    events = data.interactions
    newest = int(events["TIMESTAMP"].max())
    users = events["USER_ID"].drop_duplicates().to_numpy()[:n_new]
    extra = pd.DataFrame(
        {
            "USER_ID": users,
            "ITEM_ID": [f"new{i}" for i in range(n_new)],
            "TIMESTAMP": newest - np.arange(n_new),
            "EVENT_TYPE": "click",
            "EVENT_VALUE": 3.0,
        }
    )
    items = pd.concat(
        [data.items, pd.DataFrame({"ITEM_ID": extra["ITEM_ID"], "GENRES": "Drama", "CREATION_TIMESTAMP": newest})]
    )
    return TrainingData(pd.concat([events, extra], ignore_index=True), items)


def test_exploration_only_as_exploration_weight_asks() -> None:
    data = with_new_items(TrainingData(**{k: v for k, v in generate(20000, seed=12).items() if k != "users"}))
    predictor = Predictor(RECIPES[ARN + "aws-user-personalization"].model({}, 0).fit(data))
    counts = np.diff(predictor.model.history.indptr)
    warm = [str(u) for u in predictor.model.user_ids[np.argsort(-counts)[:20]]]  # the most active users

    def new_items_shown(weight: float) -> float:
        lists = predictor.recommend_users(warm, 25, exploration=Exploration(weight, 30))
        return float(np.mean([sum(i.startswith("new") for i in r.items) for r in lists]))

    assert new_items_shown(0.0) <= 1.0, "without exploration, single-interaction new items do not swamp warm users"
    assert new_items_shown(1.0) >= new_items_shown(0.0) + 3, "explorationWeight 1 makes room for new items"


def test_user_segmentation_reports_the_segmentation_metric_set(data: TrainingData) -> None:
    item = evaluate(RECIPES[ARN + "aws-item-affinity"], {}, data, 3)
    attribute = evaluate(RECIPES[ARN + "aws-item-attribute-affinity"], {}, data, 3)
    assert set(item) == set(attribute) == {"coverage", "hits_at_1_percent", "recall_at_1_percent"}
    assert item != attribute, "item queries and attribute queries are different evaluations"
    for metrics in (item, attribute):
        assert 0 < metrics["recall_at_1_percent"] <= 1 and 0 < metrics["coverage"] <= 1
        assert metrics["hits_at_1_percent"] > 0


def test_hpo_searches_the_declared_ranges_within_the_job_budget(data: TrainingData) -> None:
    recipe = RECIPES[ARN + "aws-sims"]
    config = {
        "hpoObjective": {"type": "Maximize", "metricName": "precision_at_10"},
        "hpoResourceConfig": {"maxNumberOfTrainingJobs": "5", "maxParallelTrainingJobs": "1"},
        "algorithmHyperParameterRanges": {
            "continuousHyperParameterRanges": [
                {"name": "popularity_discount_factor", "minValue": 0.0, "maxValue": 1.0}
            ],
            "integerHyperParameterRanges": [{"name": "min_cointeraction_count", "minValue": 1, "maxValue": 4}],
        },
    }
    best, trials = tune(recipe, {}, data, 0, config)
    assert len(trials) == 5
    assert best == max(trials, key=lambda t: t.objective).hyper
    tried = [t.hyper for t in trials]
    assert all(0.0 <= float(h["popularity_discount_factor"]) <= 1.0 for h in tried)
    assert all(1 <= int(h["min_cointeraction_count"]) <= 4 for h in tried)
    assert len({h["popularity_discount_factor"] for h in tried}) == 5, "each job tries a new point"


def test_coverage_reflects_a_healthy_model(data: TrainingData) -> None:
    up_cov = evaluate(RECIPES[ARN + "aws-user-personalization"], {}, data, 1)["coverage"]
    pop_cov = evaluate(RECIPES[ARN + "aws-popularity-count"], {}, data, 1)["coverage"]
    assert up_cov >= 0.08 and up_cov > 2 * pop_cov


def sequential_data(seed: int = 5, n_users: int = 400, n_chains: int = 60, chain_len: int = 12) -> TrainingData:
    """Users watch series in order (item k of a chain, then k+1, ...), each user a few chains: the next item is
    predictable from the last one, not from taste or popularity alone."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        t = 1_700_000_000 + int(rng.integers(0, 86400))
        for chain in rng.choice(n_chains, size=int(rng.integers(2, 5)), replace=False):
            start = int(rng.integers(0, chain_len // 2))
            for k in range(start, min(chain_len, start + int(rng.integers(4, chain_len)))):
                rows.append((f"u{user}", f"c{chain}-{k}", t))
                t += int(rng.integers(60, 3600))
    events = pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])
    return TrainingData(events)


def test_user_personalization_learns_the_order_of_recent_items() -> None:
    data = sequential_data()
    recipe = RECIPES[ARN + "aws-user-personalization"]
    model = recipe.model({}, 0).fit(data)
    assert model.blend.sequence_weight > 0, "validation picks the transitions on ordered data"
    up_ndcg = evaluate(recipe, {}, data, 2)[NDCG10]
    orderless = evaluate(recipe, {"sequence_weight": "0"}, data, 2)[NDCG10]
    popularity = evaluate(RECIPES[ARN + "aws-popularity-count"], {}, data, 2)[NDCG10]
    assert up_ndcg > 1.5 * orderless and up_ndcg > 1.5 * popularity
