"""Push-down extracts (``source.mode: pushdown``, in progress): the database computes the Personalize columns.

The templates under include/sql/pushdown/<dialect>/ wrap the streaming path's source queries (include/sql) and do in
SQL what personalize_pipeline.transform does to streamed chunks, so a large source is shaped where it lives and
only the finished rows leave it. This module renders them; the bulk export to S3 and the validation in the database
build on it.
"""

from __future__ import annotations

import re

from personalize_pipeline.config import PipelineConfig
from personalize_pipeline.extract import ExtractMode, Interval, render_sql

DIALECTS = ("postgres",)
_EVENT_TYPE = re.compile(r"[A-Za-z0-9_.\- ]{1,256}")


def render_pushdown_sql(config: PipelineConfig, dataset: str, mode: ExtractMode, interval: Interval,
                        dialect: str = "postgres") -> str:
    """The query producing ``dataset``'s Personalize columns in ``dialect``, for the run's mode and interval."""
    if dialect not in DIALECTS:
        raise ValueError(f"no push-down SQL for {dialect!r}: expected one of {', '.join(DIALECTS)}")
    rules = config.event_filter
    odd = [t for t in rules.event_types if not _EVENT_TYPE.fullmatch(t)]
    if odd:  # rendered as SQL literals: letters, digits, '_', '-', '.' and spaces only
        raise ValueError(f"event_filter.event_types {odd} cannot be pushed down: expected {_EVENT_TYPE.pattern}")
    return render_sql(
        f"pushdown/{dialect}/{dataset}.sql", "interval" if dataset == "interactions" and mode == "interval" else "full",
        interval, config.source.arrival_column,
        attribution=dataset == "interactions" and config.metric_attribution is not None,
        event_types=[t.lower() for t in rules.event_types], positive_only=rules.positive_only,
        min_rating=float(rules.min_rating), min_completion=float(rules.min_completion),
    )
