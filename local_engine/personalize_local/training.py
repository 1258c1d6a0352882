"""Solution version training: data checks, offline metrics on a held-out split, then the final model."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .data import action_training_data, check_minimums, training_data
from .errors import InvalidInput
from .faults import training_fault
from .hpo import Trial, tune
from .metrics import evaluate
from .recipes import RECIPES

if TYPE_CHECKING:
    from .backend import Backend
    from .workers.context import JobContext


def train(engine: Backend, model_arn: str, name: str, record: dict[str, Any], context: JobContext) -> dict[str, Any]:
    """Train `record["recipeArn"]` on the dataset group's data, store the model under `model_arn`.

    Returns metrics and bookkeeping shared by solution versions and recommenders.
    """
    started = time.monotonic()
    snapshot = time.time()  # PutEvents received after this are applied at serving time, not trained on
    reason = training_fault(engine.config, name)
    if reason:
        raise InvalidInput(reason)
    config = record.get("solutionConfig") or {}
    data_time = max(
        (float(d.get("_dataTime", 0)) for d in engine.store.records("Dataset", record["datasetGroupArn"])),
        default=0.0,
    )
    recipe = RECIPES[record["recipeArn"]]
    hyper = {str(k): str(v) for k, v in (config.get("algorithmHyperParameters") or {}).items()}
    seed = engine.config.seed
    trials: list[Trial] = []
    if recipe.recipe_type == "PERSONALIZED_ACTIONS":
        # Next-Best-Action: no item-interaction minimums and no offline item metrics (recipes/actions.py).
        data = action_training_data(engine, record["datasetGroupArn"])
        metrics: dict[str, float] = {}
    else:
        data = training_data(
            engine, record["datasetGroupArn"], record.get("eventType"), config.get("eventValueThreshold")
        )
        check_minimums(data)
        context.check()
        if record.get("performHPO"):
            hyper, trials = tune(recipe, hyper, data, seed, config.get("hpoConfig") or {}, context.check)
        metrics = evaluate(recipe, hyper, data, seed)
    context.check()
    model = recipe.model(hyper, seed).fit(data)
    context.check()
    engine.save_model(model_arn, model)
    return {
        "metrics": metrics,
        "hyper": hyper,
        "trials": len(trials),
        "_dataTime": data_time,
        "_trainedAt": snapshot,
        "hours": round((time.monotonic() - started) / 3600.0, 6),
    }


def run_training(engine: Backend, version: dict[str, Any], context: JobContext) -> dict[str, Any]:
    solution = engine.store.require(version["solutionArn"], "Solution")
    result = train(engine, version["solutionVersionArn"], solution["name"], version, context)
    return {
        "_metrics": result["metrics"],
        "_dataTime": result["_dataTime"],
        "_trainedAt": result["_trainedAt"],
        "trainingHours": result["hours"],
        "tunedHPOParams": {"algorithmHyperParameters": result["hyper"]} if version.get("performHPO") else None,
    }


def run_recommender(engine: Backend, recommender: dict[str, Any], context: JobContext) -> dict[str, Any]:
    result = train(engine, recommender["recommenderArn"], recommender["name"], recommender, context)
    return {"modelMetrics": result["metrics"], "_dataTime": result["_dataTime"], "_trainedAt": result["_trainedAt"]}
