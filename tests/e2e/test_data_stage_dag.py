"""The data stage inside a real DAG run (`airflow dags test`) against moto's S3 server."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import boto3
import pytest

from tests.conftest import airflow_env, run_dag_test

pytestmark = pytest.mark.slow
BUCKET = "stage-test-bucket"


def s3_client(stack):  # type: ignore[no-untyped-def]
    return boto3.client("s3", endpoint_url=stack.s3_endpoint_url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def config_dir(tmp_path: Path, **overrides: str) -> Path:
    text = (Path(__file__).resolve().parents[2] / "include" / "config" / "lms.yaml").read_text()
    text += "\nretry_delay_seconds: 1\n"  # dags test sleeps through retry delays
    for old, new in overrides.items():
        text = text.replace(old, new)
    (tmp_path / "lms.yaml").write_text(text)
    return tmp_path


def keys(stack, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    listing = s3_client(stack).list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_data_stage_stages_and_validates(airflow_db, s3_stack, lms_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = airflow_env(s3_stack, lms_db, PERSONALIZE_BUCKET=BUCKET,
                      PERSONALIZE_PIPELINE_CONFIG_DIR=str(config_dir(tmp_path)))
    result = run_dag_test("personalize_lms", "2026-11-01", env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "Skipping registering function" not in output  # GX import spam silenced in task logs
    prefix = "personalize/lms-recommendations/staged/snapshot=20261101T000000Z"
    assert keys(s3_stack, prefix) == [f"{prefix}/{n}" for n in
                                      ("_manifest.json", "interactions.csv", "items.csv", "users.csv")]
    manifest = json.loads(s3_client(s3_stack).get_object(Bucket=BUCKET, Key=f"{prefix}/_manifest.json")["Body"].read())
    with sqlite3.connect(lms_db) as conn:
        positives = conn.execute("select count(*) from (select distinct user_id, item_id, event_type, occurred_at "
                                 "from events where rating >= 3 or (event_type = 'watch' and completion >= 0.9))"
                                 ).fetchone()[0]
    assert manifest["stats"]["interactions"]["rows"] == positives
    assert manifest["mode"] == "full"
    assert manifest["interval"] == {"start": 1_793_404_800, "end": 1_793_491_200}  # the run's data interval


def test_invalid_data_stops_at_the_gate(airflow_db, s3_stack, lms_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A threshold the data cannot meet: the gate must fail, name the rule and publish Data Docs.
    cfg = config_dir(tmp_path, **{"min_interactions: 1000": "min_interactions: 100000000"})
    env = airflow_env(s3_stack, lms_db, PERSONALIZE_BUCKET=BUCKET, PERSONALIZE_PIPELINE_CONFIG_DIR=str(cfg))
    result = run_dag_test("personalize_lms", "2026-10-31", env)
    output = result.stdout + result.stderr
    assert "enough interactions after the event filter" in output
    assert ">= 100000000" in output
    prefix = "personalize/lms-recommendations/staged/snapshot=20261031T000000Z/data_docs/"
    assert f"{prefix}index.html" in keys(s3_stack, prefix)
