"""Solution version training: data checks, offline metrics on a held-out split, then the final model."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .data import check_minimums, training_data
from .errors import InvalidInput
from .faults import training_fault
from .metrics import evaluate
from .recipes import RECIPES

if TYPE_CHECKING:
    from .engine import Engine
    from .jobs import JobContext


def run_training(engine: Engine, version: dict[str, Any], context: JobContext) -> dict[str, Any]:
    started = time.monotonic()
    snapshot = time.time()  # PutEvents received after this are applied at serving time, not trained on
    solution = engine.store.require(version["solutionArn"], "Solution")
    reason = training_fault(engine.config, solution["name"])
    if reason:
        raise InvalidInput(reason)
    config = version.get("solutionConfig") or {}
    data_time = max(
        (float(d.get("_dataTime", 0)) for d in engine.store.records("Dataset", version["datasetGroupArn"])),
        default=0.0,
    )
    data = training_data(
        engine, version["datasetGroupArn"], version.get("eventType"), config.get("eventValueThreshold")
    )
    check_minimums(data)
    recipe = RECIPES[version["recipeArn"]]
    hyper = {str(k): str(v) for k, v in (config.get("algorithmHyperParameters") or {}).items()}
    seed = engine.config.seed
    context.check()
    metrics = evaluate(recipe, hyper, data, seed)
    context.check()
    model = recipe.model(hyper, seed).fit(data)
    context.check()
    engine.save_model(version["solutionVersionArn"], model)
    return {
        "_metrics": metrics,
        "_dataTime": data_time,
        "_trainedAt": snapshot,
        "trainingHours": round((time.monotonic() - started) / 3600.0, 6),
        "tunedHPOParams": {"algorithmHyperParameters": hyper} if version.get("performHPO") else None,
    }
