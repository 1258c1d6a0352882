"""Restarts with work in progress, concurrency limits and fault injection, each on its own engine process."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from personalize_local.stack import LocalStack, start_engine, start_s3

from .conftest import Env, wait_for


@pytest.fixture(scope="module")
def s3_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_dir = tmp_path_factory.mktemp("s3")
    url, proc = start_s3(log_dir)
    yield url
    proc.terminate()
    proc.wait(timeout=15)


@contextlib.contextmanager
def engine(
    data_dir: Path, s3_url: str, env: dict[str, str] | None = None, args: list[str] | None = None
) -> Iterator[Env]:
    url, proc = start_engine(data_dir / "engine", s3_url, data_dir, extra_env=env, extra_args=args)
    stack = LocalStack(
        s3_endpoint_url=s3_url, personalize_endpoint_url=url, data_dir=data_dir, processes=[proc]
    )
    try:
        yield Env(stack)
    finally:
        stack.stop()


def in_progress(env: Env, arn: str) -> dict[str, Any]:
    return wait_for(
        lambda: env.personalize.describe_solution_version(solutionVersionArn=arn)["solutionVersion"],
        done=("CREATE IN_PROGRESS",),
        timeout=30,
    )


def test_restart_resumes_or_fails_unfinished_jobs(
    tmp_path: Path, s3_url: str, frames: dict[str, pd.DataFrame]
) -> None:
    slow = {"PERSONALIZE_LOCAL_MIN_JOB_SECONDS": "60", "PERSONALIZE_LOCAL_MAX_CONCURRENT_TRAININGS": "1"}
    with engine(tmp_path, s3_url) as env:
        group, datasets = env.loaded_group(frames, with_items=True)
        solution = env.solution(group, recipe="aws-popularity-count")
        second = env.solution(group, recipe="aws-popularity-count")
        location = env.put_csv("limit/items.csv", frames["items"].iloc[:20])
    with engine(tmp_path, s3_url, env=slow) as env:
        version = env.personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        assert in_progress(env, version)["status"] == "CREATE IN_PROGRESS"
        with pytest.raises(ClientError) as exc:  # the training limit (lowered to 1 here) is reached
            env.personalize.create_solution_version(solutionArn=second)
        assert exc.value.response["Error"]["Code"] == "LimitExceededException"
        imports = [
            env.personalize.create_dataset_import_job(
                jobName=env.name("imp"),
                datasetArn=datasets["ITEMS"],
                roleArn=env.role,
                importMode="INCREMENTAL",
                dataSource={"dataLocation": location},
            )["datasetImportJobArn"]
            for _ in range(5)
        ]
        with pytest.raises(ClientError) as exc:
            env.personalize.create_dataset_import_job(
                jobName=env.name("imp"),
                datasetArn=datasets["ITEMS"],
                roleArn=env.role,
                dataSource={"dataLocation": location},
            )
        assert exc.value.response["Error"]["Code"] == "LimitExceededException"
    # Killed with the training and five imports unfinished: a new process resumes them.
    with engine(tmp_path, s3_url) as env:
        done = wait_for(
            lambda: env.personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
        )
        assert done["status"] == "ACTIVE"
        assert env.personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]
        for arn in imports:
            job = wait_for(
                lambda a=arn: env.personalize.describe_dataset_import_job(datasetImportJobArn=a)[
                    "datasetImportJob"
                ]
            )
            assert job["status"] == "ACTIVE"
    with engine(tmp_path, s3_url, env=slow) as env:
        doomed = env.personalize.create_solution_version(solutionArn=second)["solutionVersionArn"]
        in_progress(env, doomed)
    with engine(tmp_path, s3_url, args=["--on-restart", "fail"]) as env:
        failed = env.personalize.describe_solution_version(solutionVersionArn=doomed)["solutionVersion"]
        assert failed["status"] == "CREATE FAILED"
        assert "restarted" in failed["failureReason"]
        assert (
            env.personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"]
            == "ACTIVE"
        )


def test_fault_injection(tmp_path: Path, s3_url: str, frames: dict[str, pd.DataFrame]) -> None:
    faults = {
        "PERSONALIZE_LOCAL_THROTTLE_RATE": "0.3",
        "PERSONALIZE_LOCAL_FAIL_TRAINING": "doomed-*",
        "PERSONALIZE_LOCAL_SEED": "3",
    }
    with engine(tmp_path, s3_url, env=faults) as env:
        url = env.stack.personalize_endpoint_url
        codes: list[str] = []
        for _ in range(40):
            try:
                env.personalize.list_dataset_groups()
                codes.append("ok")
            except ClientError as err:
                codes.append(err.response["Error"]["Code"])
                assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert set(codes) == {"ok", "ThrottlingException"}
        assert 4 <= codes.count("ThrottlingException") <= 22
        patient = boto3.client(
            "personalize",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # pragma: allowlist secret
            # legacy mode: no client-side retry quota, which hundreds of throttled polls would otherwise drain
            config=Config(retries={"total_max_attempts": 15, "mode": "legacy"}),
        )
        env.personalize = patient  # set-up calls below retry through the injected throttling
        group, _ = env.loaded_group(frames, with_items=False)
        arn = patient.create_solution(name=env.name("doomed"), datasetGroupArn=group)["solutionArn"]
        wait_for(lambda: patient.describe_solution(solutionArn=arn)["solution"])
        failed = env.train(arn)
        assert failed["status"] == "CREATE FAILED" and "Injected training failure" in failed["failureReason"]
        fine = env.train(env.solution(group, recipe="aws-popularity-count"))
        assert fine["status"] == "ACTIVE"

    with engine(tmp_path, s3_url, env={"PERSONALIZE_LOCAL_ERROR_RATE": "1.0"}) as env:
        statuses = set()
        for _ in range(10):
            with pytest.raises(ClientError) as exc:
                env.personalize.list_dataset_groups()
            assert exc.value.response["Error"]["Code"] == "InternalServerError"
            statuses.add(exc.value.response["ResponseMetadata"]["HTTPStatusCode"])
        assert statuses <= {500, 503} and statuses
        started = time.monotonic()
        with pytest.raises(ClientError):
            env.runtime.get_recommendations(
                campaignArn="arn:aws:personalize:us-east-1:1:campaign/x", userId="u"
            )
        assert time.monotonic() - started < 10
