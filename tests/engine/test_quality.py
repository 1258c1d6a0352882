"""Trained recipes must beat random and popularity baselines on data with taste structure."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from personalize_local.metrics import evaluate
from personalize_local.recipes import RECIPES, Model, Recipe, TrainingData
from personalize_local.synthetic import generate

from .conftest import Env


class RandomModel(Model):
    recipe = "random"

    def _fit(self, data: TrainingData, rows: np.ndarray, cols: np.ndarray, ts: np.ndarray) -> None:
        self.rng = np.random.default_rng(self.seed)

    def score_histories(self, histories: sp.csr_matrix, recent: list[np.ndarray] | None = None) -> np.ndarray:
        return self.rng.random((histories.shape[0], len(self.item_ids))).astype(np.float32)


def ndcg10(recipe: Recipe, data: TrainingData) -> float:
    return evaluate(recipe, {}, data, seed=5)["normalized_discounted_cumulative_gain_at_10"]


def test_recipes_beat_random_and_popularity() -> None:
    frames = generate(20000, seed=21)
    data = TrainingData(frames["interactions"], frames["items"], frames["users"])
    random_score = ndcg10(Recipe("random", "USER_PERSONALIZATION", RandomModel, ""), data)
    popularity = ndcg10(RECIPES["arn:aws:personalize:::recipe/aws-popularity-count"], data)
    assert popularity > random_score
    # Personalised recipes must clearly beat popularity; item-to-item recipes (judged here on user histories,
    # which is not their main job) must still beat it.
    margins = {
        "aws-user-personalization": 1.5,
        "aws-user-personalization-v2": 1.5,
        "aws-sims": 1.2,
        "aws-similar-items": 1.2,
    }
    for name, margin in margins.items():
        score = ndcg10(RECIPES[f"arn:aws:personalize:::recipe/{name}"], data)
        assert score > margin * popularity, (name, score, popularity)
        assert score > 3 * random_score, (name, score, random_score)


def test_metrics_over_http_favour_personalization(env: Env, trained: dict[str, Any]) -> None:
    popularity = env.train(env.solution(trained["group"], recipe="aws-popularity-count"))
    pop_metrics = env.personalize.get_solution_metrics(solutionVersionArn=popularity["solutionVersionArn"])[
        "metrics"
    ]
    up_metrics = env.personalize.get_solution_metrics(solutionVersionArn=trained["version"])["metrics"]
    key = "normalized_discounted_cumulative_gain_at_10"
    assert up_metrics[key] > pop_metrics[key]
    assert up_metrics["coverage"] > pop_metrics["coverage"]


def test_user_history_percentiles_trim_training_users() -> None:
    frames = generate(5000, seed=4)
    data = TrainingData(frames["interactions"], frames["items"])
    recipe = RECIPES["arn:aws:personalize:::recipe/aws-popularity-count"]
    full = recipe.model({}, 1).fit(data)
    trimmed = recipe.model({"max_user_history_length_percentile": "0.9",
                            "min_user_history_length_percentile": "0.1"}, 1).fit(data)
    lengths = frames["interactions"].groupby("USER_ID").size()
    assert len(trimmed.user_ids) < len(full.user_ids)
    assert lengths.idxmax() not in trimmed.user_index  # the heaviest user is left out
