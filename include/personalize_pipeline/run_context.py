"""What a task needs to know about its run: the data interval and the extract mode."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from personalize_pipeline.config import PipelineConfig
from personalize_pipeline.extract import ExtractMode, Interval


def _epoch(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(value)


def run_interval(context: Mapping[str, Any]) -> Interval:
    """The run's data interval; a manual run without one covers everything up to when it was triggered."""
    start, end = _epoch(context.get("data_interval_start")), _epoch(context.get("data_interval_end"))
    if end is None:
        dag_run = context.get("dag_run")
        end = _epoch(getattr(dag_run, "run_after", None)) or _epoch(context.get("logical_date")) or 0
    return Interval(start=start if start is not None else 0, end=end)


def extract_mode(config: PipelineConfig, params: Mapping[str, Any] | None = None) -> ExtractMode:
    mode = (params or {}).get("import_mode") or config.import_mode
    return "interval" if str(mode).upper() == "INCREMENTAL" else "full"
