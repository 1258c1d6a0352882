"""Online impact: the metric attribution reports Personalize publishes to S3 with each interactions import, read back
as totals per metric and per source (the solution whose campaign served the recommendation, or the app's own
event attribution source)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from personalize_pipeline.config import PipelineConfig

REPORT_PREFIX = "AggregatedAttributionMetrics-"
UNDEFINED = "SOURCE_NAME_UNDEFINED"
HEADER = ["metric", "event type", "function", "source", "value", "15-min windows"]


def latest_report(s3: Any, config: PipelineConfig) -> tuple[str, list[dict[str, str]]] | None:
    """The newest published report (its s3:// URI and rows), or None before the first one."""
    path = config.attribution_output_path
    if not path:
        return None
    bucket, prefix = s3.parse_s3_url(path)
    prefix = prefix.rstrip("/") + "/" if prefix else ""
    keys = [k for k in s3.list_keys(bucket, prefix=prefix) or [] if k.rsplit("/", 1)[-1].startswith(REPORT_PREFIX)]
    if not keys:
        return None
    # The name ends in the publishing time (...-<mode>-<yyyymmddThhmmssZ>.csv), so the newest sorts last.
    key = max(keys, key=lambda k: k.rsplit("-", 1)[-1])
    return f"s3://{bucket}/{key}", list(csv.DictReader(io.StringIO(s3.read_key(key, bucket))))


def source_label(config: PipelineConfig, source: str) -> str:
    """A campaign ARN as the solution it serves, a recommender by name, SOURCE_NAME_UNDEFINED in words."""
    from personalize_pipeline.tasks.training import campaign_name

    if source == UNDEFINED:
        return "not attributed"
    kind, _, name = source.rpartition(":")[2].partition("/")
    if kind == "campaign":
        served = {campaign_name(config, sol): sol.name for sol in config.solutions if sol.campaign}
        return f"{served[name]} (campaign)" if name in served else f"campaign {name}"
    if kind == "recommender":
        return f"recommender {name}"
    return source


def impact_rows(config: PipelineConfig, rows: list[dict[str, str]]) -> list[list[Any]]:
    """Totals over the report's windows, per metric, event type, function and source."""
    totals: dict[tuple[str, str, str, str], list[float]] = defaultdict(lambda: [0.0, 0])
    for row in rows:
        key = (row["METRIC_NAME"], row["EVENT_TYPE"], row["MATH_FUNCTION"], row["EVENT_ATTRIBUTION_SOURCE"])
        totals[key][0] += float(row["VALUE"])
        totals[key][1] += 1
    return [[metric, event, function, source_label(config, source), round(value, 4), int(windows)]
            for (metric, event, function, source), (value, windows) in sorted(totals.items())]
