"""Request counters: the engine's GET /admin/requests and the counting S3 server's GET /_local/requests."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from personalize_local.s3_server import s3_operation
from personalize_local.stack import local_stack

from .conftest import client


def _get(url: str, method: str = "GET") -> Any:
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.parametrize(("method", "path", "query", "headers", "expected"), [
    ("GET", "/", "", {}, "ListBuckets"),
    ("PUT", "/bkt", "", {}, "CreateBucket"),
    ("HEAD", "/bkt", "", {}, "HeadBucket"),
    ("GET", "/bkt", "list-type=2&prefix=a%2F", {}, "ListObjectsV2"),
    ("GET", "/bkt/", "", {}, "ListObjects"),
    ("GET", "/bkt", "location", {}, "GetBucketLocation"),
    ("PUT", "/bkt", "policy", {}, "PutBucketPolicy"),
    ("POST", "/bkt", "delete", {}, "DeleteObjects"),
    ("PUT", "/bkt/a/b.csv", "", {}, "PutObject"),
    ("PUT", "/bkt/a/b.csv", "", {"x-amz-copy-source": "bkt/c"}, "CopyObject"),
    ("PUT", "/bkt/a/b.csv", "partNumber=1&uploadId=x", {}, "UploadPart"),
    ("POST", "/bkt/a/b.csv", "uploads", {}, "CreateMultipartUpload"),
    ("POST", "/bkt/a/b.csv", "uploadId=x", {}, "CompleteMultipartUpload"),
    ("GET", "/bkt/a/b.csv", "", {}, "GetObject"),
    ("HEAD", "/bkt/a/b.csv", "", {}, "HeadObject"),
    ("DELETE", "/bkt/a/b.csv", "", {}, "DeleteObject"),
])
def test_s3_operation_names(method: str, path: str, query: str, headers: dict[str, str], expected: str) -> None:
    assert s3_operation(method, path, query, headers) == expected


def test_counts_by_service_operation_and_caller(tmp_path: Path) -> None:
    with local_stack(tmp_path, count_s3_requests=True) as stack:
        assert stack.personalize_endpoint_url
        personalize = client("personalize", stack.personalize_endpoint_url)
        s3 = client("s3", stack.s3_endpoint_url)
        bucket = "counts-" + uuid.uuid4().hex[:8]
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="in/users.json", Body=b'{"userId": "u1"}\n')
        s3.head_object(Bucket=bucket, Key="in/users.json")
        personalize.list_dataset_groups()
        personalize.list_dataset_groups()
        personalize.create_dataset_group(name="counts")
        with pytest.raises(personalize.exceptions.ResourceNotFoundException):
            personalize.describe_solution(solutionArn="arn:aws:personalize:us-east-1:123456789012:solution/none")

        assert _get(f"{stack.s3_endpoint_url}/_local/requests") == {
            "client": {"CreateBucket": 1, "HeadObject": 1, "PutObject": 1}}
        assert _get(f"{stack.personalize_endpoint_url}/admin/requests") == {
            "personalize": {"CreateDatasetGroup": 1, "DescribeSolution": 1, "ListDatasetGroups": 2}}
        assert _get(f"{stack.personalize_endpoint_url}/admin/requests", "DELETE") == {}
        assert _get(f"{stack.s3_endpoint_url}/_local/requests", "DELETE") == {}
        personalize.list_dataset_groups()
        assert _get(f"{stack.personalize_endpoint_url}/admin/requests") == {"personalize": {"ListDatasetGroups": 1}}
    # The engine leaves its counts in its data dir when it stops.
    assert json.loads((tmp_path / "engine" / "request_counts.json").read_text()) == {
        "personalize": {"ListDatasetGroups": 1}}
