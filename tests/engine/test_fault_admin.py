"""Bursts of 5xx, lost responses and fault settings changed at run time through POST /admin/faults."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from botocore.exceptions import ClientError
from personalize_local.stack import LocalStack, start_engine, start_s3

from .conftest import Env


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("faults")
    s3_url, s3_proc = start_s3(root)
    url, proc = start_engine(root / "engine", s3_url, root, extra_args=["--error-burst-length", "3",
                                                                       "--error-burst-every", "10"])
    stack = LocalStack(s3_endpoint_url=s3_url, personalize_endpoint_url=url, data_dir=root, processes=[s3_proc, proc])
    try:
        yield Env(stack)
    finally:
        stack.stop()


def admin(env: Env, changes: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    url = f"{env.stack.personalize_endpoint_url}/admin/faults"
    request = urllib.request.Request(url, data=json.dumps(changes).encode() if changes is not None else None,
                                     method="POST" if changes is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def codes(env: Env, calls: int) -> list[str]:
    found = []
    for _ in range(calls):
        try:
            env.personalize.list_dataset_groups()
            found.append("ok")
        except ClientError as error:
            found.append(error.response["Error"]["Code"])
    return found


def test_bursts_are_the_last_n_of_every_m_requests(env: Env) -> None:
    start = admin(env)[1]["requests"]
    got = codes(env, 30)
    failed = [start + i + 1 for i, code in enumerate(got) if code != "ok"]
    assert set(got) == {"ok", "InternalServerError"}
    assert failed == [n for n in range(start + 1, start + 31) if n % 10 >= 7]
    assert admin(env)[1]["injected"]["burst_errors"] >= 9


def test_settings_change_at_run_time_and_are_validated(env: Env) -> None:
    status, state = admin(env, {"error_burst_length": 0, "throttle_rate": 1.0})
    assert status == 200 and state["settings"]["throttle_rate"] == 1.0
    before = state["injected"]["throttled"]
    assert set(codes(env, 5)) == {"ThrottlingException"}
    assert admin(env)[1]["injected"]["throttled"] == before + 5
    admin(env, {"throttle_rate": 0})
    assert codes(env, 5) == ["ok"] * 5
    for bad in ({"throttle_rate": 2}, {"error_burst_every": 1.5}, {"no_such_fault": 1}, {"fail_training": 3},
                {"seed": True}):
        status, body = admin(env, bad)
        assert status == 400 and body["__type"] == "InvalidInputException", bad
    assert admin(env)[1]["settings"]["throttle_rate"] == 0  # a refused update changes nothing


def test_lost_response_is_carried_out(env: Env, tmp_path: Path) -> None:
    admin(env, {"error_burst_length": 0, "lost_response_rate": 1.0})
    name = env.name("lost")
    try:
        with pytest.raises(ClientError) as error:
            env.personalize.create_dataset_group(name=name)
        assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    finally:
        admin(env, {"lost_response_rate": 0})
    assert name in [g["name"] for g in env.personalize.list_dataset_groups()["datasetGroups"]]
    with pytest.raises(ClientError) as error:  # what a client's automatic retry of the create meets
        env.personalize.create_dataset_group(name=name)
    assert error.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    assert admin(env)[1]["injected"]["lost_responses"] == 1


def test_retried_training_after_a_lost_response_finds_its_version(env: Env, frames: dict[str, pd.DataFrame]) -> None:
    admin(env, {"error_burst_length": 0})
    group, _ = env.loaded_group(frames, with_items=False)
    solution = env.solution(group, recipe="aws-popularity-count")
    admin(env, {"lost_response_rate": 1.0})
    try:
        with pytest.raises(ClientError):
            env.personalize.create_solution_version(solutionArn=solution, name="nightly-1")
    finally:
        admin(env, {"lost_response_rate": 0})
    with pytest.raises(ClientError) as error:  # not a second training (billed twice) under the same name
        env.personalize.create_solution_version(solutionArn=solution, name="nightly-1")
    assert error.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    assert len(env.personalize.list_solution_versions(solutionArn=solution)["solutionVersions"]) == 1
