"""Each operation's error paths, driven through boto3 against the shared trained fixture."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from personalize_local.synthetic import ITEMS_SCHEMA

from .conftest import Env

MISSING = "arn:aws:personalize:us-east-1:123456789012:{}/does-not-exist"
S3 = {"s3DataSource": {"path": "s3://b/in.json"}}
OUT = {"s3DataDestination": {"path": "s3://b/out/"}}
ROLE = "arn:aws:iam::123456789012:role/x"


def cases(t: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(operation, expected error code, arguments); `t` holds ARNs of the shared trained resources."""
    return [
        ("describe_dataset", "ResourceNotFoundException", {"datasetArn": MISSING.format("dataset")}),
        ("describe_schema", "ResourceNotFoundException", {"schemaArn": MISSING.format("schema")}),
        (
            "describe_dataset_import_job",
            "ResourceNotFoundException",
            {"datasetImportJobArn": MISSING.format("dataset-import-job")},
        ),
        (
            "describe_dataset_export_job",
            "ResourceNotFoundException",
            {"datasetExportJobArn": MISSING.format("dataset-export-job")},
        ),
        (
            "describe_solution_version",
            "ResourceNotFoundException",
            {"solutionVersionArn": MISSING.format("solution")},
        ),
        ("describe_campaign", "ResourceNotFoundException", {"campaignArn": MISSING.format("campaign")}),
        ("describe_filter", "ResourceNotFoundException", {"filterArn": MISSING.format("filter")}),
        (
            "describe_event_tracker",
            "ResourceNotFoundException",
            {"eventTrackerArn": MISSING.format("event-tracker")},
        ),
        (
            "describe_batch_inference_job",
            "ResourceNotFoundException",
            {"batchInferenceJobArn": MISSING.format("batch-inference-job")},
        ),
        (
            "describe_batch_segment_job",
            "ResourceNotFoundException",
            {"batchSegmentJobArn": MISSING.format("batch-segment-job")},
        ),
        ("delete_campaign", "ResourceNotFoundException", {"campaignArn": MISSING.format("campaign")}),
        ("delete_filter", "ResourceNotFoundException", {"filterArn": MISSING.format("filter")}),
        ("delete_solution", "ResourceNotFoundException", {"solutionArn": MISSING.format("solution")}),
        ("list_solution_versions", "ResourceNotFoundException", {"solutionArn": MISSING.format("solution")}),
        (
            "list_batch_inference_jobs",
            "ResourceNotFoundException",
            {"solutionVersionArn": MISSING.format("solution")},
        ),
        (
            "update_solution",
            "ResourceNotFoundException",
            {"solutionArn": MISSING.format("solution"), "performAutoTraining": False},
        ),
        ("update_campaign", "ResourceNotFoundException", {"campaignArn": MISSING.format("campaign")}),
        (
            "update_dataset",
            "ResourceNotFoundException",
            {"datasetArn": t["datasets"]["INTERACTIONS"], "schemaArn": MISSING.format("schema")},
        ),
        ("stop_solution_version_creation", "ResourceInUseException", {"solutionVersionArn": t["version"]}),
        (
            "create_dataset_export_job",
            "ResourceNotFoundException",
            {"jobName": "x", "datasetArn": MISSING.format("dataset"), "roleArn": ROLE, "jobOutput": OUT},
        ),
        (
            "create_dataset_import_job",
            "InvalidInputException",
            {
                "jobName": "x",
                "datasetArn": t["datasets"]["INTERACTIONS"],
                "roleArn": ROLE,
                "dataSource": {"dataLocation": "http://not-s3/file.csv"},
            },
        ),
        (
            "create_solution",
            "ResourceNotFoundException",
            {"name": "x", "datasetGroupArn": MISSING.format("dataset-group")},
        ),
        (
            "create_solution",
            "InvalidInputException",
            {"name": "x", "datasetGroupArn": t["group"], "solutionConfig": {"eventValueThreshold": "high"}},
        ),
        (
            "create_solution",
            "InvalidInputException",
            {"name": "x", "datasetGroupArn": t["group"], "performAutoML": True},
        ),
        ("create_solution_version", "ResourceNotFoundException", {"solutionArn": MISSING.format("solution")}),
        (
            "create_campaign",
            "ResourceNotFoundException",
            {"name": "x", "solutionVersionArn": MISSING.format("solution")},
        ),
        (
            "create_campaign",
            "InvalidInputException",
            {
                "name": "x",
                "solutionVersionArn": t["version"],
                "campaignConfig": {"itemExplorationConfig": {"explorationItemAgeCutOff": "-1"}},
            },
        ),
        (
            "create_batch_inference_job",
            "ResourceNotFoundException",
            {
                "jobName": "x",
                "solutionVersionArn": MISSING.format("solution"),
                "roleArn": ROLE,
                "jobInput": S3,
                "jobOutput": OUT,
            },
        ),
        (
            "create_batch_inference_job",
            "ResourceNotFoundException",
            {
                "jobName": "x",
                "solutionVersionArn": t["version"],
                "roleArn": ROLE,
                "jobInput": S3,
                "jobOutput": OUT,
                "filterArn": MISSING.format("filter"),
            },
        ),
        (
            "create_batch_segment_job",
            "InvalidInputException",
            {
                "jobName": "x",
                "solutionVersionArn": t["version"],
                "roleArn": ROLE,
                "jobInput": S3,
                "jobOutput": OUT,
            },
        ),
        (
            "create_filter",
            "ResourceNotFoundException",
            {
                "name": "x",
                "datasetGroupArn": MISSING.format("dataset-group"),
                "filterExpression": 'EXCLUDE ItemID WHERE Items.GENRES IN ("a")',
            },
        ),
        (
            "create_event_tracker",
            "ResourceNotFoundException",
            {"name": "x", "datasetGroupArn": MISSING.format("dataset-group")},
        ),
        (
            "create_dataset",
            "InvalidInputException",
            {
                "name": "x",
                "schemaArn": "schema",
                "datasetGroupArn": t["group"],
                "datasetType": "INTERACTIONS",
            },
        ),
        (
            "describe_algorithm",
            "ResourceNotFoundException",
            {"algorithmArn": "arn:aws:personalize:::algorithm/aws-nope"},
        ),
        ("list_tags_for_resource", "ResourceNotFoundException", {"resourceArn": MISSING.format("campaign")}),
        (
            "untag_resource",
            "ResourceNotFoundException",
            {"resourceArn": MISSING.format("campaign"), "tagKeys": ["a"]},
        ),
    ]


@pytest.fixture(scope="module")
def error_cases(trained: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return cases(trained)


@pytest.mark.parametrize(
    "index", range(len(cases({"datasets": {"INTERACTIONS": ""}, "group": "", "version": ""})))
)
def test_operation_errors(env: Env, error_cases: list[tuple[str, str, dict[str, Any]]], index: int) -> None:
    operation, expected, kwargs = error_cases[index]
    call: Callable[..., Any] = getattr(env.personalize, operation)
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    assert exc.value.response["Error"]["Code"] == expected, (operation, exc.value.response["Error"])
    assert exc.value.response["Error"]["Message"]


def test_more_happy_paths(env: Env, trained: dict[str, Any]) -> None:
    p = env.personalize
    algorithm = p.describe_algorithm(algorithmArn="arn:aws:personalize:::algorithm/aws-sims")["algorithm"]
    assert algorithm["name"] == "aws-sims"
    with pytest.raises(ClientError) as exc:  # an ITEMS schema does not fit an INTERACTIONS dataset
        p.update_dataset(datasetArn=trained["datasets"]["INTERACTIONS"], schemaArn=env.schema(ITEMS_SCHEMA))
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"
    affinity = env.train(env.solution(trained["group"], recipe="aws-item-affinity"))
    with pytest.raises(ClientError) as exc:  # segmentation recipes cannot back a campaign
        p.create_campaign(name=env.name("c"), solutionVersionArn=affinity["solutionVersionArn"])
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"
    assert (
        json.loads(p.describe_schema(schemaArn=env.schema(ITEMS_SCHEMA))["schema"]["schema"]) == ITEMS_SCHEMA
    )


def test_constraint_messages_are_worded_as_aws_words_them(env: Env) -> None:
    """The pattern as the service model writes it (not a Python repr), the member's dotted path, AWS's prefix."""
    with pytest.raises(ClientError) as exc:
        env.personalize.create_dataset_group(name="bad name!")
    message = exc.value.response["Error"]["Message"]
    assert message == ("1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: "
                       "Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\\-_]*")
    assert "re.compile" not in message
    with pytest.raises(ClientError) as exc:
        env.personalize.create_dataset_import_job(
            jobName="j", datasetArn="arn:aws:personalize:us-east-1:123456789012:dataset/x/INTERACTIONS",
            dataSource={"dataLocation": "s3://b/k"}, roleArn=env.role, importMode="SOMETIMES")
    assert exc.value.response["Error"]["Message"].endswith(
        "at 'importMode' failed to satisfy constraint: Member must satisfy enum value set: [FULL, INCREMENTAL]")
