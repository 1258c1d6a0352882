"""`airflow backfill create` under the real scheduler (`airflow standalone`: scheduler, dag-processor, triggerer,
LocalExecutor, PostgreSQL metadata DB as in the compose stack) while the nightly schedule is live, against moto S3
and the local Personalize engine.

`airflow dags test` bypasses the scheduler, so this is the one place that shows what a data platform team sees when
it backfills: one staged partition per interval, INCREMENTAL imports landing in interval order even though the
backfill's runs overlap (the imports use depends_on_past), and one set of resources shared by every run.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlalchemy
from personalize_dev.local_run import airflow
from personalize_dev.sample_data import generate_database
from personalize_dev.standalone import standalone_stack
from personalize_local.stack import free_port

pytestmark = pytest.mark.slow
BUCKET = "backfill-e2e"
DAG_ID = "personalize_nightly"
GROUP = "lms-nightly"
BACKFILL = ("2026-10-27", "2026-10-29")  # three daily intervals inside the generated data's period
DAY = 86_400


def _copy_day_into_last_night(db: Path, day: datetime) -> None:
    """Give the live schedule's latest interval (yesterday) real events, copied from a day of the generated period,
    so the scheduled run that unpausing triggers is a normal night rather than an empty one."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    source, target = int(day.timestamp()), int((today - timedelta(days=1)).timestamp())
    with sqlite3.connect(db) as con:
        con.execute(
            "INSERT INTO events (user_id, item_id, event_type, rating, completion, seconds_watched, occurred_at, "
            "received_at) SELECT user_id, item_id, event_type, rating, completion, seconds_watched, occurred_at + ?, "
            "received_at + ? FROM events WHERE received_at >= ? AND received_at < ?",
            (target - source, target - source, source, source + DAY))


def _airflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = airflow(env, *args, timeout=300)
    assert done.returncode == 0, f"airflow {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done


def _runs(metadata: sqlalchemy.Engine) -> dict[str, str]:
    """run_id -> state, read straight from the metadata DB (cheaper than a CLI call per poll)."""
    with metadata.connect() as con:
        rows = con.execute(sqlalchemy.text("SELECT run_id, state FROM dag_run WHERE dag_id = :d"), {"d": DAG_ID})
        return {run_id: state for run_id, state in rows}


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("backfill")
    db = root / "lms.db"
    generate_database(db, n_events=20_000, seed=21)
    _copy_day_into_last_night(db, datetime(2026, 10, 29, tzinfo=UTC))
    configs = root / "config"
    configs.mkdir()
    (configs / "nightly.yaml").write_text(json.dumps({
        "name": "nightly", "dataset_group": GROUP, "import_mode": "INCREMENTAL", "datasets": ["interactions"],
        "schedule": "0 0 * * *", "retry_delay_seconds": 1, "validation": {"min_interactions": 10, "min_users": 2}}))
    # SQLite cannot take `backfill create` writing beside a busy scheduler ("database is locked", after which
    # Airflow deletes the half-made runs under the scheduler); production and the compose stack use PostgreSQL.
    with standalone_stack(root, db, free_port(), metadata="postgres", PERSONALIZE_BUCKET=BUCKET,
                          PERSONALIZE_PIPELINE_CONFIG_DIR=str(configs),
                          AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5") as airflow:
        env, stack = airflow.env, airflow.stack
        metadata = sqlalchemy.create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
        deadline = time.monotonic() + 240
        while DAG_ID not in _airflow(env, "dags", "list", "-o", "plain").stdout:
            assert time.monotonic() < deadline, "the dag-processor never parsed the DAG"
            time.sleep(5)
        # The team's situation: nightly runs are live when someone backfills past intervals.
        _airflow(env, "dags", "unpause", DAG_ID)
        # INCREMENTAL imports depend on the previous interval, so Airflow insists on a reprocess behaviour.
        _airflow(env, "backfill", "create", "--dag-id", DAG_ID, "--from-date", BACKFILL[0],
                 "--to-date", BACKFILL[1], "--reprocess-behavior", "failed")
        deadline = time.monotonic() + 600
        while True:
            runs = _runs(metadata)
            if len(runs) == 4 and all(state in ("success", "failed") for state in runs.values()):
                break
            assert time.monotonic() < deadline, f"runs did not finish: {runs}"
            time.sleep(5)
        kwargs = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        yield {"runs": runs, "log": airflow.log,
               "personalize": boto3.client("personalize", endpoint_url=stack.personalize_endpoint_url, **kwargs),
               "s3": boto3.client("s3", endpoint_url=stack.s3_endpoint_url, **kwargs)}


def test_backfill_and_nightly_runs_all_succeed(backfilled: dict[str, Any]) -> None:
    runs = backfilled["runs"]
    assert sorted(run_id.split("__")[0] for run_id in runs) == ["backfill"] * 3 + ["scheduled"], runs
    assert set(runs.values()) == {"success"}, runs
    assert "ObjectDeletedError" not in backfilled["log"].read_text(errors="replace")


def test_one_partition_per_interval(backfilled: dict[str, Any]) -> None:
    listed = backfilled["s3"].list_objects_v2(Bucket=BUCKET, Prefix=f"personalize/{GROUP}/staged/")["Contents"]
    partitions = {obj["Key"].split("/")[3] for obj in listed}
    yesterday = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    expected = {f"interval={start:%Y%m%dT%H%M%SZ}_{start + timedelta(days=1):%Y%m%dT%H%M%SZ}"
                for start in [datetime(2026, 10, d, tzinfo=UTC) for d in (27, 28, 29)] + [yesterday]}
    assert partitions == expected
    manifests = [obj for obj in listed if obj["Key"].endswith("_manifest.json")]
    assert len(manifests) == 4


def test_imports_land_in_interval_order_on_one_set_of_resources(backfilled: dict[str, Any]) -> None:
    p = backfilled["personalize"]
    groups = [g for g in p.list_dataset_groups()["datasetGroups"] if g["name"] == GROUP]
    assert len(groups) == 1
    datasets = p.list_datasets(datasetGroupArn=groups[0]["datasetGroupArn"])["datasets"]
    assert len(datasets) == 1
    jobs = [p.describe_dataset_import_job(datasetImportJobArn=j["datasetImportJobArn"])["datasetImportJob"]
            for j in p.list_dataset_import_jobs(datasetArn=datasets[0]["datasetArn"])["datasetImportJobs"]]
    assert len({j["jobName"] for j in jobs}) == len(jobs) == 4
    assert {j["status"] for j in jobs} == {"ACTIVE"}
    assert {j["importMode"] for j in jobs} == {"INCREMENTAL"}
    # The backfill's runs start together; their imports must still be created one interval after the other.
    backfill_jobs = sorted((j for j in jobs if "/interval=202610" in j["dataSource"]["dataLocation"]),
                           key=lambda j: j["creationDateTime"])
    assert [j["dataSource"]["dataLocation"].split("/")[-2] for j in backfill_jobs] == [
        "interval=20261027T000000Z_20261028T000000Z", "interval=20261028T000000Z_20261029T000000Z",
        "interval=20261029T000000Z_20261030T000000Z"]
