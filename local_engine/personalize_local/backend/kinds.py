"""Resource kinds: how each Personalize resource is named, stored, listed and protected from deletion."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput, InvalidNextToken

Record = dict[str, Any]
Params = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    key: str  # suffix used in operation names, e.g. "DatasetGroup"
    arn_field: str  # e.g. "datasetGroupArn"
    label: str  # resource type in ARNs and error messages, e.g. "dataset-group"
    list_parent: str | None = None  # list filter parameter that matches the stored parent column
    asynchronous: bool = True  # created as CREATE PENDING and finished by a worker
    dependents: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (kind, field) blocking delete
    # Status words this kind shows where they differ from the resources' (data deletion jobs: PENDING, ...).
    status_words: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def shown_status(self, record: Record) -> Record:
        words = dict(self.status_words)
        status = record.get("status")
        return {**record, "status": words[status]} if status in words else record


BATCH_JOB_STATUS = (("CREATE PENDING", "PENDING"), ("CREATE IN_PROGRESS", "IN PROGRESS"))

KINDS: dict[str, Kind] = {
    k.key: k
    for k in [
        Kind(
            "DatasetGroup",
            "datasetGroupArn",
            "dataset-group",
            dependents=(
                ("Dataset", "datasetGroupArn"),
                ("Solution", "datasetGroupArn"),
                ("Filter", "datasetGroupArn"),
                ("EventTracker", "datasetGroupArn"),
                ("Recommender", "datasetGroupArn"),
                ("MetricAttribution", "datasetGroupArn"),
            ),
        ),
        Kind("Schema", "schemaArn", "schema", asynchronous=False, dependents=(("Dataset", "schemaArn"),)),
        Kind("Dataset", "datasetArn", "dataset", list_parent="datasetGroupArn"),
        Kind("DatasetImportJob", "datasetImportJobArn", "dataset-import-job", list_parent="datasetArn"),
        Kind("DatasetExportJob", "datasetExportJobArn", "dataset-export-job", list_parent="datasetArn"),
        Kind(
            "Solution",
            "solutionArn",
            "solution",
            list_parent="datasetGroupArn",
            dependents=(("Campaign", "solutionArn"),),
        ),
        Kind("SolutionVersion", "solutionVersionArn", "solution-version", list_parent="solutionArn"),
        Kind("Campaign", "campaignArn", "campaign", list_parent="solutionArn"),
        # Batch jobs: PENDING > IN PROGRESS > ACTIVE -or- CREATE FAILED (the service model's own words).
        Kind(
            "BatchInferenceJob",
            "batchInferenceJobArn",
            "batch-inference-job",
            list_parent="solutionVersionArn",
            status_words=BATCH_JOB_STATUS,
        ),
        Kind("BatchSegmentJob", "batchSegmentJobArn", "batch-segment-job", list_parent="solutionVersionArn",
             status_words=BATCH_JOB_STATUS),
        Kind("Filter", "filterArn", "filter", list_parent="datasetGroupArn"),
        Kind("EventTracker", "eventTrackerArn", "event-tracker", list_parent="datasetGroupArn"),
        Kind("Recommender", "recommenderArn", "recommender", list_parent="datasetGroupArn"),
        Kind("MetricAttribution", "metricAttributionArn", "metric-attribution", list_parent="datasetGroupArn"),
        Kind(
            "DataDeletionJob",
            "dataDeletionJobArn",
            "data-deletion-job",
            list_parent="datasetGroupArn",
            status_words=(
                ("CREATE PENDING", "PENDING"),
                ("CREATE IN_PROGRESS", "IN_PROGRESS"),
                ("ACTIVE", "COMPLETED"),
                ("CREATE FAILED", "FAILED"),
            ),
        ),
    ]
}


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidNextToken("The nextToken is not valid") from exc


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def campaign_config(config: Record | None) -> Record:
    """Fill Personalize's exploration defaults and check they are numbers in range."""
    config = dict(config or {})
    exploration = dict(config.get("itemExplorationConfig") or {})
    weight = exploration.get("explorationWeight", "0.3")
    cutoff = exploration.get("explorationItemAgeCutOff", "30")
    try:
        if not 0.0 <= float(weight) <= 1.0 or float(cutoff) <= 0:
            raise ValueError
    except ValueError as exc:
        raise InvalidInput("explorationWeight must be within [0, 1] and explorationItemAgeCutOff > 0") from exc
    exploration.update({"explorationWeight": str(weight), "explorationItemAgeCutOff": str(cutoff)})
    config["itemExplorationConfig"] = exploration
    return config
