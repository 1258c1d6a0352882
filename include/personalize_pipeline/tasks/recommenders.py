"""Domain recommenders: which to start or stop, and their model metrics for the run summary."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from personalize_pipeline.config import PipelineConfig
from personalize_pipeline.tasks.training import personalize_hook as _hook


def _existing(hook: Any, config: PipelineConfig) -> dict[str, str] | None:
    """ARNs of the recommenders that exist, by config name; None when the dataset group does not exist yet."""
    group = hook.find_by_name("dataset_group", config.dataset_group)
    if group is None:
        return None
    listed = {r["name"]: r["recommenderArn"] for r in hook.list_resources("recommender", group["datasetGroupArn"])}
    return {rec.name: listed[config.resource_name(rec.name)] for rec in config.recommenders
            if config.resource_name(rec.name) in listed}


def choose_action(config: PipelineConfig, params: Mapping[str, Any], logical_date: datetime) -> list[str]:
    """The task group to run: the form's action, or the one whose time the scheduled run fired at."""
    hours = config.recommender_hours
    assert hours is not None  # the DAG exists only with recommender_hours
    action = str(params.get("action") or "by schedule")
    if action == "by schedule":
        action = "start" if logical_date.strftime("%H:%M") == hours.start else "stop"
    return [f"{action}.{rec.name}" for rec in config.recommenders]


def find_recommenders(config: PipelineConfig) -> dict[str, str]:
    """The recommenders' ARNs by config name; skips the run while the nightly DAG has not created them yet."""
    from airflow.sdk.exceptions import AirflowSkipException

    found = _existing(_hook(config), config)
    if found is None:
        raise AirflowSkipException(f"dataset group {config.dataset_group} does not exist yet")
    missing = [rec.name for rec in config.recommenders if rec.name not in found]
    if missing:
        raise AirflowSkipException(f"recommenders {missing} do not exist yet: the nightly DAG creates them")
    return found


def recommender_rows(config: PipelineConfig) -> list[list[Any]]:
    """One row per configured recommender: status and the model metrics Personalize reports for it."""
    hook = _hook(config)
    found = _existing(hook, config) or {}
    rows = []
    for rec in config.recommenders:
        arn = found.get(rec.name)
        described = hook.describe("recommender", arn) if arn else {}
        metrics = described.get("modelMetrics") or {}
        shown = ", ".join(f"{name}={value:.4f}" for name, value in sorted(metrics.items())
                          if name.startswith(("normalized_discounted_cumulative_gain_at_10", "precision_at_10",
                                              "coverage", "mean_reciprocal_rank_at_25")))
        rows.append([rec.name, rec.recipe.rsplit("/", 1)[-1], described.get("status", "not created"), shown or "-"])
    return rows
