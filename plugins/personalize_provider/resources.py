"""
Static description of every Personalize resource type the operators manage.

One :class:`ResourceSpec` per resource lets the hook, the waiters, the triggers and the generic
create-or-adopt / delete operators share a single code path instead of near-copies per resource.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class ResourceSpec:
    """
    How one Personalize resource type is named, listed, described, deleted and waited for.

    :param api_name: CamelCase noun used by the API operations (``DescribeDatasetGroup`` -> ``DatasetGroup``).
    :param label: Human readable name used in log and error messages.
    :param list_key: Key of the item list in the ``List*`` response (``Filters`` is capitalised).
    :param name_key: Key holding the resource name in create requests and descriptions.
    :param list_parent_key: Filter accepted by the ``List*`` call (the parent's ARN), if any.
    :param summary_has_name: False when ``List*`` summaries omit the name (solution versions), so
        finding by name needs a describe per candidate.
    :param has_status: False for resources created synchronously without a status (schemas).
    :param deletable: Whether a ``Delete*`` operation exists (jobs cannot be deleted).
    :param xcom_fields: Description fields worth returning through XCom besides arn/name/status.
    """

    api_name: str
    label: str
    list_key: str
    name_key: str = "name"
    list_parent_key: str | None = None
    summary_has_name: bool = True
    has_status: bool = True
    deletable: bool = True
    xcom_fields: tuple[str, ...] = field(default_factory=tuple)

    @property
    def kind(self) -> str:
        """Snake-case identifier, e.g. ``dataset_group``; also the prefix of the waiter names."""
        return _snake(self.api_name)

    @property
    def describe_key(self) -> str:
        """Key of the description inside the ``Describe*`` response, e.g. ``datasetGroup``."""
        return self.api_name[0].lower() + self.api_name[1:]

    @property
    def arn_key(self) -> str:
        return f"{self.describe_key}Arn"

    @property
    def active_waiter(self) -> str:
        return f"{self.kind}_active"

    @property
    def deleted_waiter(self) -> str:
        return f"{self.kind}_deleted"


DATASET_GROUP = ResourceSpec("DatasetGroup", "dataset group", "datasetGroups", xcom_fields=("domain",))
SCHEMA = ResourceSpec("Schema", "schema", "schemas", has_status=False, xcom_fields=("domain",))
DATASET = ResourceSpec(
    "Dataset",
    "dataset",
    "datasets",
    list_parent_key="datasetGroupArn",
    xcom_fields=("datasetGroupArn", "datasetType", "schemaArn"),
)
DATASET_IMPORT_JOB = ResourceSpec(
    "DatasetImportJob",
    "dataset import job",
    "datasetImportJobs",
    name_key="jobName",
    list_parent_key="datasetArn",
    deletable=False,
    xcom_fields=("datasetArn", "importMode"),
)
DATASET_EXPORT_JOB = ResourceSpec(
    "DatasetExportJob",
    "dataset export job",
    "datasetExportJobs",
    name_key="jobName",
    list_parent_key="datasetArn",
    deletable=False,
    xcom_fields=("datasetArn", "ingestionMode"),
)
SOLUTION = ResourceSpec(
    "Solution",
    "solution",
    "solutions",
    list_parent_key="datasetGroupArn",
    xcom_fields=("datasetGroupArn", "recipeArn", "performAutoTraining"),
)
SOLUTION_VERSION = ResourceSpec(
    "SolutionVersion",
    "solution version",
    "solutionVersions",
    list_parent_key="solutionArn",
    summary_has_name=False,
    deletable=False,
    xcom_fields=("solutionArn", "datasetGroupArn", "trainingMode", "trainingHours"),
)
CAMPAIGN = ResourceSpec(
    "Campaign",
    "campaign",
    "campaigns",
    list_parent_key="solutionArn",
    xcom_fields=("solutionVersionArn", "minProvisionedTPS"),
)
BATCH_INFERENCE_JOB = ResourceSpec(
    "BatchInferenceJob",
    "batch inference job",
    "batchInferenceJobs",
    name_key="jobName",
    list_parent_key="solutionVersionArn",
    deletable=False,
    xcom_fields=("solutionVersionArn",),
)
BATCH_SEGMENT_JOB = ResourceSpec(
    "BatchSegmentJob",
    "batch segment job",
    "batchSegmentJobs",
    name_key="jobName",
    list_parent_key="solutionVersionArn",
    deletable=False,
    xcom_fields=("solutionVersionArn",),
)
FILTER = ResourceSpec(
    "Filter", "filter", "Filters", list_parent_key="datasetGroupArn", xcom_fields=("datasetGroupArn",)
)
EVENT_TRACKER = ResourceSpec(
    "EventTracker",
    "event tracker",
    "eventTrackers",
    list_parent_key="datasetGroupArn",
    xcom_fields=("datasetGroupArn", "trackingId"),
)
RECOMMENDER = ResourceSpec(
    "Recommender",
    "recommender",
    "recommenders",
    list_parent_key="datasetGroupArn",
    xcom_fields=("datasetGroupArn", "recipeArn"),
)

RESOURCES: dict[str, ResourceSpec] = {
    spec.kind: spec
    for spec in (
        DATASET_GROUP,
        SCHEMA,
        DATASET,
        DATASET_IMPORT_JOB,
        DATASET_EXPORT_JOB,
        SOLUTION,
        SOLUTION_VERSION,
        CAMPAIGN,
        BATCH_INFERENCE_JOB,
        BATCH_SEGMENT_JOB,
        FILTER,
        EVENT_TRACKER,
        RECOMMENDER,
    )
}


def get_spec(kind: str | ResourceSpec) -> ResourceSpec:
    """Resolve a resource kind (as serialized in triggers) to its spec."""
    if isinstance(kind, ResourceSpec):
        return kind
    try:
        return RESOURCES[kind]
    except KeyError:
        known = ", ".join(sorted(RESOURCES))
        raise ValueError(f"Unknown Personalize resource type {kind!r}; expected one of: {known}") from None
