"""docker-compose.yaml built and run for real: the stack comes up, runs the default pipeline to success through the
REST API, and goes down again, volumes included.

Needs root, dockerd, debootstrap and docker-compose (`make test` installs Debian's packages when they are
missing). The first run on a machine builds the base images (several minutes); image layers are kept under
var/compose/docker, so later runs reuse them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from .compose_runner import Stack, compose_stack
from .deploy_files import REPO

pytestmark = pytest.mark.slow
DAG_ID = "personalize_lms"
BUCKET = "personalize-pipeline-local"
TOOLS = ("dockerd", "docker", "docker-compose", "debootstrap")


def _request(stack: Stack, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.ports.api}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
    return json.loads(text) if text and text.lstrip().startswith(("{", "[")) else text


def _wait(what: str, probe: Any, timeout: float, every: float = 3.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except Exception as exc:  # not up yet: reported if it never comes up
            last = exc
        time.sleep(every)
    raise TimeoutError(f"{what}: not after {timeout:.0f} s (last: {last!r})")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing or os.geteuid() != 0:
        pytest.skip(f"needs root and {', '.join(missing) or 'nothing else'} (make test installs them)")
    with compose_stack(REPO / "var" / "compose") as running:
        yield running


@pytest.fixture(scope="module")
def token(stack: Stack) -> str:
    _wait("the API server's health", lambda: _request(stack, "GET", "/api/v2/monitor/health"), 600)
    answer = _request(stack, "POST", "/auth/token", {"username": "airflow", "password": "airflow"})
    return str(answer["access_token"])


def test_services_are_healthy_and_init_finished(stack: Stack) -> None:
    def healthy() -> bool:
        states = stack.output("ps")
        return "unhealthy" not in states and "starting" not in states
    _wait("every service healthy", healthy, 300)
    init = stack.output("ps", "-a", "airflow-init")
    assert "Exit 0" in init, init


@pytest.mark.timeout(1500)  # the run's own deadline below decides, with the scheduler's log in the failure
def test_default_pipeline_runs_to_success_through_the_rest_api(stack: Stack, token: str) -> None:
    _wait("the DAG parsed", lambda: _request(stack, "GET", f"/api/v2/dags/{DAG_ID}", token=token), 300)
    _request(stack, "PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False}, token)
    run = _request(stack, "POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None}, token)
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}"

    def finished() -> dict[str, Any] | None:
        state = _request(stack, "GET", path, token=token)
        return state if state["state"] in ("success", "failed") else None

    started = time.monotonic()
    final = _wait("the pipeline run", finished, 1400, every=10)
    stack.timings["pipeline run"] = round(time.monotonic() - started, 1)
    assert final["state"] == "success", stack.output("logs", "--tail", "80", "airflow-scheduler")

    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{stack.ports.s3}", region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")  # pragma: allowlist secret
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
            for o in page.get("Contents", [])]
    summary = next(k for k in keys if k.endswith("/summary.md"))
    text = s3.get_object(Bucket=BUCKET, Key=summary)["Body"].read().decode()
    assert "user-personalization" in text and "PROMOTE" in text.upper(), text[:2000]
    outputs = [k for k in keys if k.endswith(".out")]
    assert outputs, keys
    first = s3.get_object(Bucket=BUCKET, Key=outputs[0])["Body"].read().decode().splitlines()[0]
    assert json.loads(first)["output"]["recommendedItems"]


def test_ui_login_page_is_served(stack: Stack, token: str) -> None:
    page = _request(stack, "GET", "/auth/login/")
    assert "<html" in str(page).lower()
