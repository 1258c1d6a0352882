"""A real moto S3 server on loopback for the unit tests that read and write S3 through the Amazon provider's S3Hook;
each module creates its own bucket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def s3_hook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from personalize_local.stack import local_stack

    with local_stack(tmp_path_factory.mktemp("s3"), with_engine=False) as stack, \
            pytest.MonkeyPatch.context() as patch:
        for key, value in stack.env().items():
            patch.setenv(key, value)
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        yield S3Hook(aws_conn_id="aws_default")
