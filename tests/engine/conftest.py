"""Fixtures: a real moto S3 server and a real personalize-local server, reached through boto3 over HTTP."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.config import Config
from personalize_local.stack import LocalStack, local_stack
from personalize_local.synthetic import INTERACTIONS_SCHEMA, ITEMS_SCHEMA, USERS_SCHEMA, generate

REGION = "us-east-1"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client(service: str, endpoint: str, retries: bool = False) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # pragma: allowlist secret
        config=NO_RETRY if not retries else None,
    )


def wait_for(
    describe: Callable[[], dict[str, Any]],
    done: tuple[str, ...] = ("ACTIVE", "CREATE FAILED", "CREATE STOPPED"),
    timeout: float = 120.0,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        record = describe()
        if record.get("status") in done:
            return record
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {record.get('status')} after {timeout}s: {record}")
        time.sleep(0.2)


def statuses_seen(describe: Callable[[], dict[str, Any]], done: str = "ACTIVE", timeout: float = 30.0) -> list[str]:
    """Every status a resource shows, in order, polled closely from right after its create until ``done``."""
    seen = [describe()["status"]]
    deadline = time.monotonic() + timeout
    while seen[-1] != done and time.monotonic() < deadline:
        status = describe()["status"]
        if status != seen[-1]:
            seen.append(status)
        time.sleep(0.01)
    return seen


class Env:
    """A running stack with clients and helpers to build resources quickly."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        endpoint = stack.personalize_endpoint_url
        assert endpoint
        self.personalize = client("personalize", endpoint)
        self.runtime = client("personalize-runtime", endpoint)
        self.s3 = client("s3", stack.s3_endpoint_url)
        self.bucket = "bucket-" + uuid.uuid4().hex[:8]
        self.s3.create_bucket(Bucket=self.bucket)
        self.role = "arn:aws:iam::123456789012:role/personalize"

    def name(self, prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    def put_csv(self, key: str, frame: pd.DataFrame) -> str:
        buf = io.StringIO()
        frame.to_csv(buf, index=False)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=buf.getvalue().encode())
        return f"s3://{self.bucket}/{key}"

    def put_lines(self, key: str, lines: list[Any]) -> str:
        body = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode())
        return f"s3://{self.bucket}/{key}"

    def read_lines(self, key: str) -> list[dict[str, Any]]:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read().decode()
        return [json.loads(line) for line in body.splitlines() if line.strip()]

    def schema(self, doc: dict[str, Any]) -> str:
        return str(
            self.personalize.create_schema(name=self.name("schema"), schema=json.dumps(doc))["schemaArn"]
        )

    def dataset_group(self) -> str:
        arn = self.personalize.create_dataset_group(name=self.name("dsg"))["datasetGroupArn"]
        wait_for(lambda: self.personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"])
        return str(arn)

    def dataset(self, group: str, dataset_type: str, schema_doc: dict[str, Any]) -> str:
        arn = self.personalize.create_dataset(
            name=self.name(dataset_type.lower()),
            schemaArn=self.schema(schema_doc),
            datasetGroupArn=group,
            datasetType=dataset_type,
        )["datasetArn"]
        wait_for(lambda: self.personalize.describe_dataset(datasetArn=arn)["dataset"])
        return str(arn)

    def import_frame(self, dataset: str, frame: pd.DataFrame, mode: str = "FULL") -> dict[str, Any]:
        location = self.put_csv(f"imports/{uuid.uuid4().hex}.csv", frame)
        arn = self.personalize.create_dataset_import_job(
            jobName=self.name("import"),
            datasetArn=dataset,
            dataSource={"dataLocation": location},
            roleArn=self.role,
            importMode=mode,
        )["datasetImportJobArn"]
        return wait_for(
            lambda: self.personalize.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]
        )

    def loaded_group(
        self, frames: dict[str, pd.DataFrame], with_items: bool = True, with_users: bool = False
    ) -> tuple[str, dict[str, str]]:
        group = self.dataset_group()
        datasets = {"INTERACTIONS": self.dataset(group, "INTERACTIONS", INTERACTIONS_SCHEMA)}
        if with_items:
            datasets["ITEMS"] = self.dataset(group, "ITEMS", ITEMS_SCHEMA)
        if with_users:
            datasets["USERS"] = self.dataset(group, "USERS", USERS_SCHEMA)
        for dataset_type, key in (("INTERACTIONS", "interactions"), ("ITEMS", "items"), ("USERS", "users")):
            if dataset_type in datasets:
                job = self.import_frame(datasets[dataset_type], frames[key])
                assert job["status"] == "ACTIVE", job
        return group, datasets

    def solution(self, group: str, recipe: str = "aws-user-personalization", **kwargs: Any) -> str:
        arn = self.personalize.create_solution(
            name=self.name("sol"),
            datasetGroupArn=group,
            recipeArn=f"arn:aws:personalize:::recipe/{recipe}",
            **kwargs,
        )["solutionArn"]
        wait_for(lambda: self.personalize.describe_solution(solutionArn=arn)["solution"])
        return str(arn)

    def train(self, solution: str, mode: str = "FULL") -> dict[str, Any]:
        arn = self.personalize.create_solution_version(solutionArn=solution, trainingMode=mode)[
            "solutionVersionArn"
        ]
        return wait_for(
            lambda: self.personalize.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]
        )

    def campaign(self, version: str, **kwargs: Any) -> dict[str, Any]:
        arn = self.personalize.create_campaign(name=self.name("camp"), solutionVersionArn=version, **kwargs)[
            "campaignArn"
        ]
        return wait_for(lambda: self.personalize.describe_campaign(campaignArn=arn)["campaign"])


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with local_stack(tmp_path_factory.mktemp("stack")) as stack:
        yield Env(stack)


@pytest.fixture(scope="session")
def frames() -> dict[str, pd.DataFrame]:
    return generate(6000, seed=11, n_users=200, n_items=150)


@pytest.fixture(scope="session")
def trained(env: Env, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """One dataset group with data, a user-personalization version and its campaign, shared by tests."""
    group, datasets = env.loaded_group(frames, with_items=True, with_users=True)
    solution = env.solution(group)
    version = env.train(solution)
    assert version["status"] == "ACTIVE", version
    campaign = env.campaign(version["solutionVersionArn"])
    assert campaign["status"] == "ACTIVE", campaign
    return {
        "group": group,
        "datasets": datasets,
        "solution": solution,
        "version": version["solutionVersionArn"],
        "campaign": campaign["campaignArn"],
    }


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path
