"""Hyperparameter optimisation for solutions created with performHPO: a seeded random search over the ranges of
`solutionConfig.hpoConfig.algorithmHyperParameterRanges` (or the recipe's default ranges), each candidate
scored on a validation split, within `hpoResourceConfig.maxNumberOfTrainingJobs`.

The validation users are drawn from the users the final metrics do not test on, so the reported metrics stay
an honest estimate of the tuned model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidInput
from .metrics import evaluate, split_holdout
from .recipes import Recipe, TrainingData

DEFAULT_JOBS = 4
DEFAULT_OBJECTIVE = "normalized_discounted_cumulative_gain_at_10"

# Tunable hyperparameters and their default ranges per recipe (the ones Personalize documents as tunable,
# restricted to those this engine's recipes use). DescribeAlgorithm reports them.
DEFAULT_RANGES: dict[str, dict[str, list[dict[str, Any]]]] = {
    "aws-user-personalization": {
        "integerHyperParameterRanges": [
            {"name": "hidden_dimension", "minValue": 8, "maxValue": 64},
            {"name": "bptt", "minValue": 2, "maxValue": 32},
        ],
        "categoricalHyperParameterRanges": [{"name": "recency_mask", "values": ["true", "false"]}],
    },
    "aws-personalized-ranking": {
        "integerHyperParameterRanges": [
            {"name": "hidden_dimension", "minValue": 8, "maxValue": 64},
            {"name": "bptt", "minValue": 2, "maxValue": 32},
        ],
        "categoricalHyperParameterRanges": [{"name": "recency_mask", "values": ["true", "false"]}],
    },
    "aws-sims": {
        "integerHyperParameterRanges": [{"name": "min_cointeraction_count", "minValue": 0, "maxValue": 10}],
        "continuousHyperParameterRanges": [{"name": "popularity_discount_factor", "minValue": 0.0, "maxValue": 1.0}],
    },
}


@dataclass(frozen=True)
class Trial:
    hyper: dict[str, str]
    objective: float


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} must be an integer, got {value!r}") from exc


def sample(ranges: dict[str, list[dict[str, Any]]], rng: np.random.Generator) -> dict[str, str]:
    """One candidate: integers and continuous values uniform in their range, categoricals uniform."""
    out: dict[str, str] = {}
    for spec in ranges.get("integerHyperParameterRanges") or []:
        low, high = int(spec["minValue"]), int(spec["maxValue"])
        if low > high:
            raise InvalidInput(f"Hyperparameter range {spec['name']}: minValue {low} is above maxValue {high}")
        out[spec["name"]] = str(int(rng.integers(low, high + 1)))
    for spec in ranges.get("continuousHyperParameterRanges") or []:
        low_f, high_f = float(spec["minValue"]), float(spec["maxValue"])
        if low_f > high_f:
            raise InvalidInput(f"Hyperparameter range {spec['name']}: minValue {low_f} is above maxValue {high_f}")
        out[spec["name"]] = str(round(float(rng.uniform(low_f, high_f)), 4))
    for spec in ranges.get("categoricalHyperParameterRanges") or []:
        values = list(spec.get("values") or [])
        if not values:
            raise InvalidInput(f"Hyperparameter range {spec['name']} has no values")
        out[spec["name"]] = str(values[int(rng.integers(len(values)))])
    return out


def tune(
    recipe: Recipe,
    hyper: dict[str, str],
    data: TrainingData,
    seed: int,
    hpo_config: dict[str, Any],
    check: Callable[[], None] = lambda: None,
) -> tuple[dict[str, str], list[Trial]]:
    """Best hyperparameters found (fixed `hyper` values merged with the tuned ones) and every trial."""
    ranges = hpo_config.get("algorithmHyperParameterRanges") or DEFAULT_RANGES.get(recipe.name) or {}
    resources = hpo_config.get("hpoResourceConfig") or {}
    jobs = _int(resources.get("maxNumberOfTrainingJobs", DEFAULT_JOBS), "maxNumberOfTrainingJobs")
    if jobs < 1:
        raise InvalidInput(f"maxNumberOfTrainingJobs must be at least 1, got {jobs}")
    objective = hpo_config.get("hpoObjective") or {}
    metric = str(objective.get("metricName") or DEFAULT_OBJECTIVE)
    maximize = str(objective.get("type") or "Maximize").lower() != "minimize"
    if not any(ranges.get(key) for key in ranges):
        return dict(hyper), []
    train, _, _ = split_holdout(data.interactions, seed)  # never tune on the users the final metrics test
    validation = TrainingData(train, data.items, data.users)
    rng = np.random.default_rng(seed + 1)
    candidates = [{**hyper, **sample(ranges, rng)} for _ in range(jobs)]  # one training job each
    trials: list[Trial] = []
    for candidate in candidates:
        check()
        metrics = evaluate(recipe, candidate, validation, seed + 1)
        if metric not in metrics:
            raise InvalidInput(
                f"hpoObjective metricName {metric} is not a metric of recipe {recipe.name}: {sorted(metrics)}"
            )
        trials.append(Trial(candidate, float(metrics[metric])))
    best = (max if maximize else min)(trials, key=lambda t: t.objective)
    return best.hyper, trials
