"""
Static description of every Personalize resource type the operators manage: the one registry.

One :class:`ResourceSpec` per resource lets the hook, the waiters (generated from the specs, see
:mod:`personalize_provider.waiters`), the triggers, the console links and the generic create-or-adopt /
delete operators share a single code path. Adding a resource type is one spec here plus its operator class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: Statuses that end every wait for a resource to become usable: it is being deleted.
DELETING = ("DELETE PENDING", "DELETE IN_PROGRESS")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class ResourceSpec:
    """
    How one Personalize resource type is named, listed, described, deleted, waited for and linked.

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
    :param final_fields: XCom fields Personalize fills in only when the resource is done (a training's hours):
        the resource is described once more after its wait. Without them, and without an update in flight, the
        XCom value after a wait is the one known before it with the status the wait ended in.
    :param update_key: Description member holding the latest in-place update (``latestCampaignUpdate``): while
        it is in flight the resource is not done, and its failure is the resource's failure.
    :param link: Console link class of the resource type, by name in :mod:`personalize_provider.links.personalize`
        (a name, not the class: this module stays importable while Airflow itself is still loading, as
        ``get_provider_info`` needs).
    :param defaults: What Personalize fills in for a field a ``Create*`` request leaves out, as ``Describe*`` then
        shows it (a campaign's ``minProvisionedTPS`` of 1): the description known right after a create has them.
    :param initial_status: The status right after the ``Create*`` call (batch and data deletion jobs start PENDING).
    :param done_status: The status a successful creation ends in (data deletion jobs end COMPLETED).
    :param failed_statuses: Statuses in which a creation has failed for good.
    :param other_targets: Further states an operator can wait for, as ``{target: status}`` (a stopped
        recommender is ``INACTIVE``); each gets a ``<kind>_<target>`` waiter.
    :param waiter_delay: Default seconds between status checks.
    :param waiter_max_attempts: Default number of status checks.
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
    final_fields: tuple[str, ...] = field(default_factory=tuple)
    update_key: str | None = None
    link: str | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    initial_status: str = "CREATE PENDING"
    done_status: str = "ACTIVE"
    failed_statuses: tuple[str, ...] = ("CREATE FAILED",)
    other_targets: dict[str, str] = field(default_factory=dict)
    waiter_delay: int = 30
    waiter_max_attempts: int = 120

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
    def targets(self) -> tuple[str, ...]:
        """What can be waited for: ``active`` (done), ``deleted`` and the resource's other targets."""
        found = ("active",) if self.has_status else ()
        return found + (("deleted",) if self.deletable else ()) + tuple(self.other_targets)

    def waiter_name(self, target: str) -> str:
        if target not in self.targets:
            raise ValueError(f"Personalize {self.label}s have no wait target {target!r}: "
                             f"expected one of {', '.join(self.targets)}")
        return f"{self.kind}_{target}"

    @property
    def link_path(self) -> str | None:
        """Import path of the link class, as ``get_provider_info`` lists it."""
        return f"personalize_provider.links.personalize.{self.link}" if self.link else None

    @property
    def active_waiter(self) -> str:
        return f"{self.kind}_active"

    @property
    def deleted_waiter(self) -> str:
        return f"{self.kind}_deleted"


#: Jobs and trainings run for hours: poll less often, for longer (12 hours).
_LONG_DELAY, _LONG_ATTEMPTS = 60, 720

DATASET_GROUP = ResourceSpec(
    "DatasetGroup", "dataset group", "datasetGroups", xcom_fields=("domain",), link="PersonalizeDatasetGroupLink"
)
SCHEMA = ResourceSpec(
    "Schema", "schema", "schemas", has_status=False, xcom_fields=("domain",), link="PersonalizeSchemaLink"
)
DATASET = ResourceSpec(
    "Dataset",
    "dataset",
    "datasets",
    list_parent_key="datasetGroupArn",
    xcom_fields=("datasetGroupArn", "datasetType", "schemaArn"),
    update_key="latestDatasetUpdate",
    link="PersonalizeDatasetLink",
)
DATASET_IMPORT_JOB = ResourceSpec(
    "DatasetImportJob",
    "dataset import job",
    "datasetImportJobs",
    name_key="jobName",
    list_parent_key="datasetArn",
    deletable=False,
    defaults={"importMode": "FULL"},
    xcom_fields=("datasetArn", "importMode"),
    link="PersonalizeDatasetImportJobLink",
    waiter_delay=_LONG_DELAY,
    waiter_max_attempts=_LONG_ATTEMPTS,
)
DATASET_EXPORT_JOB = ResourceSpec(
    "DatasetExportJob",
    "dataset export job",
    "datasetExportJobs",
    name_key="jobName",
    list_parent_key="datasetArn",
    deletable=False,
    defaults={"ingestionMode": "PUT"},
    xcom_fields=("datasetArn", "ingestionMode"),
    link="PersonalizeDatasetExportJobLink",
    waiter_delay=_LONG_DELAY,
    waiter_max_attempts=_LONG_ATTEMPTS,
)
SOLUTION = ResourceSpec(
    "Solution",
    "solution",
    "solutions",
    list_parent_key="datasetGroupArn",
    xcom_fields=("datasetGroupArn", "recipeArn", "performAutoTraining"),
    update_key="latestSolutionUpdate",
    link="PersonalizeSolutionLink",
)
SOLUTION_VERSION = ResourceSpec(
    "SolutionVersion",
    "solution version",
    "solutionVersions",
    list_parent_key="solutionArn",
    summary_has_name=False,
    deletable=False,
    xcom_fields=("solutionArn", "datasetGroupArn", "trainingMode", "trainingHours"),
    final_fields=("trainingHours",),
    link="PersonalizeSolutionVersionLink",
    failed_statuses=("CREATE FAILED", "CREATE STOPPED"),
    other_targets={"stopped": "CREATE STOPPED"},
    waiter_delay=_LONG_DELAY,
    waiter_max_attempts=_LONG_ATTEMPTS,
)
CAMPAIGN = ResourceSpec(
    "Campaign",
    "campaign",
    "campaigns",
    list_parent_key="solutionArn",
    defaults={"minProvisionedTPS": 1},
    xcom_fields=("solutionVersionArn", "minProvisionedTPS"),
    update_key="latestCampaignUpdate",
    link="PersonalizeCampaignLink",
)
BATCH_INFERENCE_JOB = ResourceSpec(
    "BatchInferenceJob",
    "batch inference job",
    "batchInferenceJobs",
    name_key="jobName",
    list_parent_key="solutionVersionArn",
    initial_status="PENDING",
    deletable=False,
    defaults={"batchInferenceJobMode": "BATCH_INFERENCE"},
    xcom_fields=("solutionVersionArn", "batchInferenceJobMode"),
    link="PersonalizeBatchInferenceJobLink",
    waiter_delay=_LONG_DELAY,
    waiter_max_attempts=_LONG_ATTEMPTS,
)
BATCH_SEGMENT_JOB = ResourceSpec(
    "BatchSegmentJob",
    "batch segment job",
    "batchSegmentJobs",
    name_key="jobName",
    list_parent_key="solutionVersionArn",
    initial_status="PENDING",
    deletable=False,
    xcom_fields=("solutionVersionArn",),
    link="PersonalizeBatchSegmentJobLink",
    waiter_delay=_LONG_DELAY,
    waiter_max_attempts=_LONG_ATTEMPTS,
)
FILTER = ResourceSpec(
    "Filter",
    "filter",
    "Filters",
    list_parent_key="datasetGroupArn",
    xcom_fields=("datasetGroupArn",),
    link="PersonalizeFilterLink",
)
EVENT_TRACKER = ResourceSpec(
    "EventTracker",
    "event tracker",
    "eventTrackers",
    list_parent_key="datasetGroupArn",
    xcom_fields=("datasetGroupArn", "trackingId"),
    link="PersonalizeEventTrackerLink",
)
RECOMMENDER = ResourceSpec(
    "Recommender",
    "recommender",
    "recommenders",
    list_parent_key="datasetGroupArn",
    xcom_fields=("datasetGroupArn", "recipeArn"),
    update_key="latestRecommenderUpdate",
    link="PersonalizeRecommenderLink",
    # A stopped recommender does not become ACTIVE by itself: waiting for it to be would never end.
    failed_statuses=("CREATE FAILED", "INACTIVE"),
    other_targets={"inactive": "INACTIVE"},
)
METRIC_ATTRIBUTION = ResourceSpec(
    "MetricAttribution",
    "metric attribution",
    "metricAttributions",
    list_parent_key="datasetGroupArn",
    xcom_fields=("datasetGroupArn",),
    link="PersonalizeMetricAttributionLink",
)
DATA_DELETION_JOB = ResourceSpec(
    "DataDeletionJob",
    "data deletion job",
    "dataDeletionJobs",
    name_key="jobName",
    list_parent_key="datasetGroupArn",
    initial_status="PENDING",
    deletable=False,
    xcom_fields=("datasetGroupArn", "numDeleted"),
    final_fields=("numDeleted",),
    link="PersonalizeDataDeletionJobLink",
    done_status="COMPLETED",
    failed_statuses=("FAILED",),
    # Personalize documents deletions of up to a day.
    waiter_delay=60,
    waiter_max_attempts=1500,
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
        METRIC_ATTRIBUTION,
        DATA_DELETION_JOB,
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
