"""Data deletion jobs over HTTP: the users' records leave the group's datasets (bulk and streamed), the group's
imports and trainings wait while it runs, and a bad file fails the job with the reason."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pandas as pd
import pytest
from botocore.exceptions import ClientError
from personalize_local.synthetic import INTERACTIONS_SCHEMA, USERS_SCHEMA, generate

from .conftest import Env, wait_for
from .test_fault_admin import admin

DONE = ("COMPLETED", "FAILED")


def _start(env: Env, group: str, users: list[str] | None, body: str | None = None) -> str:
    key = f"erase/{uuid.uuid4().hex}.csv"
    text = body if body is not None else "USER_ID\n" + "".join(f"{u}\n" for u in users or [])
    env.s3.put_object(Bucket=env.bucket, Key=key, Body=text.encode())
    return str(env.personalize.create_data_deletion_job(
        jobName=env.name("erase"), datasetGroupArn=group, dataSource={"dataLocation": f"s3://{env.bucket}/{key}"},
        roleArn=env.role)["dataDeletionJobArn"])


def _describe(env: Env, arn: str) -> dict[str, Any]:
    return dict(env.personalize.describe_data_deletion_job(dataDeletionJobArn=arn)["dataDeletionJob"])


def _exported(env: Env, dataset: str) -> pd.DataFrame:
    name = env.name("export")
    arn = env.personalize.create_dataset_export_job(
        jobName=name, datasetArn=dataset, ingestionMode="ALL", roleArn=env.role,
        jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/deletion-exports/{name}/"}})["datasetExportJobArn"]
    job = wait_for(lambda: env.personalize.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"])
    assert job["status"] == "ACTIVE", job
    body = env.s3.get_object(Bucket=env.bucket, Key=f"deletion-exports/{name}/{name}_part_00000.csv")["Body"]
    return pd.read_csv(body, dtype={"USER_ID": str})


def test_deletion_removes_the_users_everywhere_and_once(env: Env) -> None:
    frames = generate(1500, seed=3, n_users=40, n_items=30)
    group = env.dataset_group()
    interactions = env.dataset(group, "INTERACTIONS", INTERACTIONS_SCHEMA)
    users = env.dataset(group, "USERS", USERS_SCHEMA)
    assert env.import_frame(interactions, frames["interactions"])["status"] == "ACTIVE"
    assert env.import_frame(users, frames["users"])["status"] == "ACTIVE"
    tracker = env.personalize.create_event_tracker(name=env.name("t"), datasetGroupArn=group)
    wait_for(lambda: env.personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])
             ["eventTracker"])
    erased = sorted(frames["interactions"]["USER_ID"].astype(str).unique())[:3]
    events = client_events(env)
    events.put_events(trackingId=tracker["trackingId"], userId=erased[0], sessionId="s",
                      eventList=[{"eventType": "watch", "itemId": "i1", "sentAt": time.time()}])
    events.put_events(trackingId=tracker["trackingId"], userId="keeper", sessionId="s",
                      eventList=[{"eventType": "watch", "itemId": "i1", "sentAt": time.time()}])
    expected = int(frames["interactions"]["USER_ID"].astype(str).isin(erased).sum()
                   + frames["users"]["USER_ID"].astype(str).isin(erased).sum()) + 1

    arn = _start(env, group, erased)
    assert _describe(env, arn)["status"] in ("PENDING", "IN_PROGRESS")
    job = wait_for(lambda: _describe(env, arn), done=DONE)
    assert job["status"] == "COMPLETED" and job["numDeleted"] == expected
    listed = env.personalize.list_data_deletion_jobs(datasetGroupArn=group)["dataDeletionJobs"]
    assert [(j["dataDeletionJobArn"], j["status"]) for j in listed] == [(arn, "COMPLETED")]

    left = _exported(env, interactions)
    assert not left["USER_ID"].isin(erased).any()
    assert "keeper" in set(left["USER_ID"])  # the streamed event of another user stays
    assert len(left) == len(frames["interactions"]) + 2 - expected + int(
        frames["users"]["USER_ID"].astype(str).isin(erased).sum())
    assert not _exported(env, users)["USER_ID"].isin(erased).any()

    rerun = _start(env, group, erased)
    again = wait_for(lambda: _describe(env, rerun), done=DONE)
    assert again["status"] == "COMPLETED" and again["numDeleted"] == 0  # nothing more to remove


def client_events(env: Env) -> Any:
    from .conftest import client

    return client("personalize-events", env.stack.personalize_endpoint_url)


def test_imports_and_trainings_wait_while_a_deletion_runs(env: Env) -> None:
    frames = generate(1200, seed=4, n_users=40, n_items=30)
    group = env.dataset_group()
    interactions = env.dataset(group, "INTERACTIONS", INTERACTIONS_SCHEMA)
    assert env.import_frame(interactions, frames["interactions"])["status"] == "ACTIVE"
    solution = env.solution(group, "aws-popularity-count")
    admin(env, {"min_job_seconds": 3})
    try:
        arn = _start(env, group, ["u1"])
        with pytest.raises(ClientError) as importing:
            env.personalize.create_dataset_import_job(
                jobName=env.name("i"), datasetArn=interactions, roleArn=env.role,
                dataSource={"dataLocation": env.put_csv("again.csv", frames["interactions"])})
        with pytest.raises(ClientError) as training:
            env.personalize.create_solution_version(solutionArn=solution)
    finally:
        admin(env, {"min_job_seconds": 0})
    for error in (importing, training):
        assert error.value.response["Error"]["Code"] == "ResourceInUseException"
        assert f"while data deletion job {arn} is in progress" in str(error.value)
    assert wait_for(lambda: _describe(env, arn), done=DONE)["status"] == "COMPLETED"


@pytest.mark.parametrize(("body", "reason"), [
    ("CUSTOMER\nu1\n", "must have a USER_ID column; found CUSTOMER"),
])
def test_a_bad_file_fails_the_job_with_the_reason(env: Env, body: str, reason: str) -> None:
    arn = _start(env, env.dataset_group(), None, body)
    job = wait_for(lambda: _describe(env, arn), done=DONE)
    assert job["status"] == "FAILED" and reason in job["failureReason"]
