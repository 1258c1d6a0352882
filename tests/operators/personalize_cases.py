"""One create case per resource type: operator, the exact Create* request and an ACTIVE description."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.stub import ANY
from personalize_provider.operators import (
    PersonalizeBatchInferenceJobOperator,
    PersonalizeBatchSegmentJobOperator,
    PersonalizeCreateCampaignOperator,
    PersonalizeCreateDatasetGroupOperator,
    PersonalizeCreateDatasetOperator,
    PersonalizeCreateEventTrackerOperator,
    PersonalizeCreateFilterOperator,
    PersonalizeCreateRecommenderOperator,
    PersonalizeCreateSchemaOperator,
    PersonalizeCreateSolutionOperator,
    PersonalizeCreateSolutionVersionOperator,
    PersonalizeDatasetExportJobOperator,
    PersonalizeDatasetImportJobOperator,
)
from personalize_provider.operators.base import PersonalizeCreateResourceOperator
from personalize_stubs import arn

DSG = arn("dataset-group", "shop")
SCHEMA_ARN = arn("schema", "interactions")
DATASET_ARN = arn("dataset", "shop/INTERACTIONS")
SOLUTION_ARN = arn("solution", "ups")
SV_ARN = arn("solution", "ups/abcd1234")
ROLE = f"arn:aws:iam::{arn('x', 'y').split(':')[4]}:role/personalize"
SCHEMA_DOC = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
    "version": "1.0",
}

# Describe calls made to find the dataset group for the console link of child resources.
SV_PARENT = (
    "describe_solution_version",
    {"solutionVersion": {"solutionVersionArn": SV_ARN, "datasetGroupArn": DSG}},
    {"solutionVersionArn": SV_ARN},
)
DATASET_PARENT = (
    "describe_dataset",
    {"dataset": {"datasetArn": DATASET_ARN, "datasetGroupArn": DSG}},
    {"datasetArn": DATASET_ARN},
)


@dataclass
class Case:
    kind: str
    make: Callable[..., PersonalizeCreateResourceOperator]
    list_params: dict[str, Any]
    create_params: dict[str, Any]
    arn: str
    description: dict[str, Any]
    link_calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    @property
    def spec(self) -> Any:
        return self.make().resource

    def described(self, **overrides: Any) -> dict[str, Any]:
        return {self.spec.describe_key: {**self.description, **overrides}}


CASES: list[Case] = [
    Case(
        "dataset_group",
        lambda **kw: PersonalizeCreateDatasetGroupOperator(
            task_id="dsg", name="shop", domain="ECOMMERCE", **kw
        ),
        {},
        {"name": "shop", "domain": "ECOMMERCE"},
        DSG,
        {"name": "shop", "datasetGroupArn": DSG, "status": "ACTIVE", "domain": "ECOMMERCE"},
    ),
    Case(
        "schema",
        lambda **kw: PersonalizeCreateSchemaOperator(
            task_id="schema", name="interactions", schema=SCHEMA_DOC, **kw
        ),
        {},
        {"name": "interactions", "schema": ANY},
        SCHEMA_ARN,
        {
            "name": "interactions",
            "schemaArn": SCHEMA_ARN,
            "schema": json.dumps(SCHEMA_DOC),
        },
    ),
    Case(
        "dataset",
        lambda **kw: PersonalizeCreateDatasetOperator(
            task_id="ds",
            name="interactions",
            dataset_group_arn=DSG,
            dataset_type="Interactions",
            schema_arn=SCHEMA_ARN,
            **kw,
        ),
        {"datasetGroupArn": DSG},
        {
            "name": "interactions",
            "datasetGroupArn": DSG,
            "datasetType": "Interactions",
            "schemaArn": SCHEMA_ARN,
        },
        DATASET_ARN,
        {
            "name": "interactions",
            "datasetArn": DATASET_ARN,
            "datasetGroupArn": DSG,
            "datasetType": "INTERACTIONS",
            "schemaArn": SCHEMA_ARN,
            "status": "ACTIVE",
        },
    ),
    Case(
        "dataset_import_job",
        lambda **kw: PersonalizeDatasetImportJobOperator(
            task_id="import_interactions",
            dataset_arn=DATASET_ARN,
            data_location="s3://bucket/in/2026-01-01/",
            role_arn=ROLE,
            import_mode="INCREMENTAL",
            **kw,
        ),
        {"datasetArn": DATASET_ARN},
        {
            "jobName": ANY,
            "datasetArn": DATASET_ARN,
            "dataSource": {"dataLocation": "s3://bucket/in/2026-01-01/"},
            "roleArn": ROLE,
            "importMode": "INCREMENTAL",
        },
        arn("dataset-import-job", "import"),
        {
            "jobName": "import",
            "datasetImportJobArn": arn("dataset-import-job", "import"),
            "datasetArn": DATASET_ARN,
            "status": "ACTIVE",
            "importMode": "INCREMENTAL",
            "dataSource": {"dataLocation": "s3://bucket/in/2026-01-01/"},
            "roleArn": ROLE,
        },
        [DATASET_PARENT],
    ),
    Case(
        "dataset_export_job",
        lambda **kw: PersonalizeDatasetExportJobOperator(
            task_id="export", dataset_arn=DATASET_ARN, s3_output_path="s3://bucket/out/", role_arn=ROLE, **kw
        ),
        {"datasetArn": DATASET_ARN},
        {
            "jobName": ANY,
            "datasetArn": DATASET_ARN,
            "ingestionMode": "ALL",
            "roleArn": ROLE,
            "jobOutput": {"s3DataDestination": {"path": "s3://bucket/out/"}},
        },
        arn("dataset-export-job", "export"),
        {
            "jobName": "export",
            "datasetExportJobArn": arn("dataset-export-job", "export"),
            "datasetArn": DATASET_ARN,
            "ingestionMode": "ALL",
            "roleArn": ROLE,
            "status": "ACTIVE",
            "jobOutput": {"s3DataDestination": {"path": "s3://bucket/out/"}},
        },
        [DATASET_PARENT],
    ),
    Case(
        "solution",
        lambda **kw: PersonalizeCreateSolutionOperator(
            task_id="solution",
            name="ups",
            dataset_group_arn=DSG,
            recipe_arn="arn:aws:personalize:::recipe/aws-user-personalization-v2",
            **kw,
        ),
        {"datasetGroupArn": DSG},
        {
            "name": "ups",
            "datasetGroupArn": DSG,
            "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization-v2",
            "performAutoTraining": False,
        },
        SOLUTION_ARN,
        {
            "name": "ups",
            "solutionArn": SOLUTION_ARN,
            "datasetGroupArn": DSG,
            "status": "ACTIVE",
            "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization-v2",
            "performAutoTraining": False,
            "performHPO": False,
            "solutionConfig": {"eventValueThreshold": "0"},
        },
    ),
    Case(
        "solution_version",
        lambda **kw: PersonalizeCreateSolutionVersionOperator(
            task_id="train", solution_arn=SOLUTION_ARN, **kw
        ),
        {"solutionArn": SOLUTION_ARN},
        {"name": ANY, "solutionArn": SOLUTION_ARN, "trainingMode": "FULL"},
        SV_ARN,
        {
            "name": "train",
            "solutionVersionArn": SV_ARN,
            "solutionArn": SOLUTION_ARN,
            "datasetGroupArn": DSG,
            "trainingMode": "FULL",
            "status": "ACTIVE",
            "trainingHours": 1.5,
        },
    ),
    Case(
        "campaign",
        lambda **kw: PersonalizeCreateCampaignOperator(
            task_id="campaign",
            name="ups-campaign",
            solution_version_arn=SV_ARN,
            min_provisioned_tps=2,
            campaign_config={"itemExplorationConfig": {"explorationWeight": 0.3}},
            **kw,
        ),
        {"solutionArn": SOLUTION_ARN},
        {
            "name": "ups-campaign",
            "solutionVersionArn": SV_ARN,
            "minProvisionedTPS": 2,
            "campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0.3"}},
        },
        arn("campaign", "ups-campaign"),
        {
            "name": "ups-campaign",
            "campaignArn": arn("campaign", "ups-campaign"),
            "solutionVersionArn": SV_ARN,
            "minProvisionedTPS": 2,
            "status": "ACTIVE",
            "campaignConfig": {
                "itemExplorationConfig": {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}
            },
        },
        [SV_PARENT],
    ),
    Case(
        "batch_inference_job",
        lambda **kw: PersonalizeBatchInferenceJobOperator(
            task_id="batch",
            solution_version_arn=SV_ARN,
            input_path="s3://bucket/batch/in.json",
            output_path="s3://bucket/batch/out/",
            role_arn=ROLE,
            num_results="25",
            **kw,
        ),
        {"solutionVersionArn": SV_ARN},
        {
            "jobName": ANY,
            "solutionVersionArn": SV_ARN,
            "numResults": 25,
            "jobInput": {"s3DataSource": {"path": "s3://bucket/batch/in.json"}},
            "jobOutput": {"s3DataDestination": {"path": "s3://bucket/batch/out/"}},
            "roleArn": ROLE,
        },
        arn("batch-inference-job", "batch"),
        {
            "jobName": "batch",
            "batchInferenceJobArn": arn("batch-inference-job", "batch"),
            "solutionVersionArn": SV_ARN,
            "numResults": 25,
            "status": "ACTIVE",
            "batchInferenceJobMode": "BATCH_INFERENCE",  # Personalize's default, shown when not asked for
            "roleArn": ROLE,
            "jobInput": {"s3DataSource": {"path": "s3://bucket/batch/in.json"}},
            "jobOutput": {"s3DataDestination": {"path": "s3://bucket/batch/out/"}},
        },
        [SV_PARENT],
    ),
    Case(
        "batch_segment_job",
        lambda **kw: PersonalizeBatchSegmentJobOperator(
            task_id="segment",
            solution_version_arn=SV_ARN,
            input_path="s3://bucket/seg/in.json",
            output_path="s3://bucket/seg/out/",
            role_arn=ROLE,
            **kw,
        ),
        {"solutionVersionArn": SV_ARN},
        {
            "jobName": ANY,
            "solutionVersionArn": SV_ARN,
            "jobInput": {"s3DataSource": {"path": "s3://bucket/seg/in.json"}},
            "jobOutput": {"s3DataDestination": {"path": "s3://bucket/seg/out/"}},
            "roleArn": ROLE,
        },
        arn("batch-segment-job", "segment"),
        {
            "jobName": "segment",
            "batchSegmentJobArn": arn("batch-segment-job", "segment"),
            "solutionVersionArn": SV_ARN,
            "status": "ACTIVE",
            "roleArn": ROLE,
            "jobInput": {"s3DataSource": {"path": "s3://bucket/seg/in.json"}},
            "jobOutput": {"s3DataDestination": {"path": "s3://bucket/seg/out/"}},
        },
        [SV_PARENT],
    ),
    Case(
        "filter",
        lambda **kw: PersonalizeCreateFilterOperator(
            task_id="filter",
            name="no-purchased",
            dataset_group_arn=DSG,
            filter_expression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")',
            **kw,
        ),
        {"datasetGroupArn": DSG},
        {
            "name": "no-purchased",
            "datasetGroupArn": DSG,
            "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")',
        },
        arn("filter", "no-purchased"),
        {
            "name": "no-purchased",
            "filterArn": arn("filter", "no-purchased"),
            "datasetGroupArn": DSG,
            "status": "ACTIVE",
            "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")',
        },
    ),
    Case(
        "event_tracker",
        lambda **kw: PersonalizeCreateEventTrackerOperator(
            task_id="tracker", name="clicks", dataset_group_arn=DSG, **kw
        ),
        {"datasetGroupArn": DSG},
        {"name": "clicks", "datasetGroupArn": DSG},
        arn("event-tracker", "abc"),
        {
            "name": "clicks",
            "eventTrackerArn": arn("event-tracker", "abc"),
            "datasetGroupArn": DSG,
            "trackingId": "track-123",
            "status": "ACTIVE",
        },
    ),
    Case(
        "recommender",
        lambda **kw: PersonalizeCreateRecommenderOperator(
            task_id="recommender",
            name="for-you",
            dataset_group_arn=DSG,
            recipe_arn="arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
            recommender_config={"minRecommendationRequestsPerSecond": "2"},
            **kw,
        ),
        {"datasetGroupArn": DSG},
        {
            "name": "for-you",
            "datasetGroupArn": DSG,
            "recipeArn": "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
            "recommenderConfig": {"minRecommendationRequestsPerSecond": 2},
        },
        arn("recommender", "for-you"),
        {
            "name": "for-you",
            "recommenderArn": arn("recommender", "for-you"),
            "datasetGroupArn": DSG,
            "recipeArn": "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
            "status": "ACTIVE",
            "recommenderConfig": {"minRecommendationRequestsPerSecond": 2},
        },
    ),
]
CASES_BY_KIND = {case.kind: case for case in CASES}


def stub_links(stub: Any, case: Case) -> None:
    for method, response, params in case.link_calls:
        stub.ok(method, response, params)


def stub_created_links(stub: Any, case: Case) -> None:
    """The console link's lookups for a resource just created, whose description is its request: a solution
    version's names no dataset group yet, so its solution is described (others look up as when adopted)."""
    if case.kind == "solution_version":
        stub.ok("describe_solution", {"solution": {"solutionArn": SOLUTION_ARN, "datasetGroupArn": DSG}},
                {"solutionArn": SOLUTION_ARN})
    else:
        stub_links(stub, case)


def list_response(case: Case, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {case.spec.list_key: items}


def summary(case: Case, description: dict[str, Any] | None = None) -> dict[str, Any]:
    """List* summary of a description (solution versions have no name in their summaries)."""
    desc = description or case.description
    keep = {case.spec.arn_key, "status"}
    if case.spec.summary_has_name:
        keep.add(case.spec.name_key)
    return {k: v for k, v in desc.items() if k in keep}
