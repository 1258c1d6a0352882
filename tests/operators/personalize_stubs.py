"""Helpers and fixtures: a real boto3 Personalize client under botocore's Stubber.

The stubbed client is injected into the operators' hooks. botocore validates every request against
the Personalize service model before Stubber answers, so a misspelled or mistyped parameter fails.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.stub import Stubber

REGION = "us-east-1"
ACCOUNT = "111122223333"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def arn(kind: str, name: str, region: str = REGION, partition: str = "aws") -> str:
    return f"arn:{partition}:personalize:{region}:{ACCOUNT}:{kind}/{name}"


class StubbedPersonalize:
    """A Stubber with helpers for the Personalize call shapes used by the operators."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.stubber = Stubber(client)

    def ok(self, method: str, response: dict[str, Any], params: dict[str, Any] | None = None) -> None:
        self.stubber.add_response(method, response, params)

    def error(
        self,
        method: str,
        code: str,
        message: str = "",
        params: dict[str, Any] | None = None,
        status: int = 400,
    ) -> None:
        self.stubber.add_client_error(
            method,
            service_error_code=code,
            service_message=message or code,
            http_status_code=status,
            expected_params=params,
        )

    def attach(self, operator: Any) -> Any:
        """Inject the stubbed client into the operator's hook (``conn`` is a cached property)."""
        operator.hook.__dict__["conn"] = self.client
        return operator


def make_client(region: str = REGION, service: str = "personalize") -> Any:
    return boto3.client(
        service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def personalize() -> Any:
    stub = StubbedPersonalize(make_client())
    with stub.stubber:
        yield stub
        stub.stubber.assert_no_pending_responses()


@pytest.fixture
def context() -> dict[str, Any]:
    ti = mock.MagicMock()
    ti.dag_id, ti.task_id, ti.run_id, ti.map_index = "personalize_dag", "task", "manual__2026-01-01", -1
    return {"ti": ti, "run_id": "manual__2026-01-01"}


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Back-offs and waiter delays must not slow the suite; record them instead."""
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    return slept
