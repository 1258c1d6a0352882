"""Metric attributions: at most one per dataset group, up to 10 metrics, each a SUM of a column or a SAMPLECOUNT.

Checked as Personalize documents them: an expression is ``SUM(<DatasetType>.<COLUMN>)`` over a column of that
dataset's schema, or ``SAMPLECOUNT()``; metric names are unique within the attribution. Updates add and remove
metrics or replace the output configuration.
"""

from __future__ import annotations

import re
import time

from ..errors import AlreadyExists, InvalidInput
from ..schemas import parse_schema
from ..status import ACTIVE
from .kinds import Params, Record
from .lookups import ResourceBase

MAX_METRICS = 10
_SUM = re.compile(r"SUM\(\s*(Interactions|Items|Users)\.([A-Za-z_][A-Za-z0-9_]*)\s*\)", re.IGNORECASE)
_COUNT = re.compile(r"SAMPLECOUNT\(\s*\)", re.IGNORECASE)


class AttributionOps(ResourceBase):
    def _columns(self, group_arn: str, dataset_type: str) -> set[str] | None:
        """The columns of the group's dataset of that type, or None while it has none (checked on import)."""
        for dataset in self.store.records("Dataset", group_arn):
            if dataset["datasetType"] == dataset_type.upper():
                schema = self._require(dataset["schemaArn"], "Schema")
                return {field.name.upper() for field in parse_schema(schema["schema"])}
        return None

    def _check_metrics(self, group_arn: str, metrics: list[Record]) -> list[Record]:
        if len(metrics) > MAX_METRICS:
            raise InvalidInput(f"A metric attribution has at most {MAX_METRICS} metrics, got {len(metrics)}")
        names = [m["metricName"] for m in metrics]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise InvalidInput(f"Metric names must be unique within a metric attribution: {', '.join(duplicated)}")
        for metric in metrics:
            expression = metric["expression"].strip()
            if _COUNT.fullmatch(expression):
                continue
            match = _SUM.fullmatch(expression)
            if match is None:
                raise InvalidInput(
                    f"Invalid expression {metric['expression']!r} for metric {metric['metricName']}: expected "
                    f"SUM(DatasetType.COLUMN_NAME) or SAMPLECOUNT()"
                )
            dataset_type, column = match.groups()
            columns = self._columns(group_arn, dataset_type)
            if columns is not None and column.upper() not in columns:
                raise InvalidInput(
                    f"Column {column} in expression {metric['expression']!r} of metric {metric['metricName']} "
                    f"is not in the {dataset_type} dataset's schema"
                )
        return [dict(m) for m in metrics]

    def _new_metric_attribution(self, p: Params) -> tuple[Record, str | None]:
        group = self._require(p["datasetGroupArn"], "DatasetGroup")
        arn = self.arn("metric-attribution", p["name"])
        self._unique("MetricAttribution", arn, p["name"])
        existing = self.store.records("MetricAttribution", group["datasetGroupArn"])
        if existing:
            raise AlreadyExists(
                f"Dataset group {group['datasetGroupArn']} already has a metric attribution: "
                f"{existing[0]['metricAttributionArn']}"
            )
        return {
            "name": p["name"],
            "metricAttributionArn": arn,
            "datasetGroupArn": group["datasetGroupArn"],
            "metricsOutputConfig": p["metricsOutputConfig"],
            "_metrics": self._check_metrics(group["datasetGroupArn"], p["metrics"]),
        }, group["datasetGroupArn"]

    def update_metric_attribution(self, p: Params) -> Record:
        arn = p.get("metricAttributionArn")
        if not arn:
            raise InvalidInput("metricAttributionArn is required")
        record = self._require_active(arn, "MetricAttribution")
        metrics = {m["metricName"]: m for m in record.get("_metrics", [])}
        removed = p.get("removeMetrics") or []
        unknown = [name for name in removed if name not in metrics]
        if unknown:
            raise InvalidInput(f"Cannot remove metrics that do not exist: {', '.join(unknown)}")
        added = p.get("addMetrics") or []
        clashing = [m["metricName"] for m in added if m["metricName"] in metrics and m["metricName"] not in removed]
        if clashing:
            raise InvalidInput(f"Metrics already exist: {', '.join(clashing)}")
        kept = [m for name, m in metrics.items() if name not in removed]
        changes: Record = {"_metrics": self._check_metrics(record["datasetGroupArn"], kept + list(added)),
                           "status": ACTIVE, "lastUpdatedDateTime": time.time()}
        if p.get("metricsOutputConfig"):
            changes["metricsOutputConfig"] = p["metricsOutputConfig"]
        self.store.update(arn, changes)
        return {"metricAttributionArn": arn}

    def list_metric_attribution_metrics(self, p: Params) -> Record:
        record = self._require(p["metricAttributionArn"], "MetricAttribution")
        return {"metrics": record.get("_metrics", [])}
