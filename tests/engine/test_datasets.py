"""Dataset import and export jobs against CSV files in (moto) S3."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from botocore.exceptions import ClientError
from personalize_local.synthetic import INTERACTIONS_SCHEMA, ITEMS_SCHEMA

from .conftest import Env, wait_for


def test_import_full_incremental_and_export(env: Env, frames: dict[str, pd.DataFrame]) -> None:
    p = env.personalize
    group = env.dataset_group()
    items = env.dataset(group, "ITEMS", ITEMS_SCHEMA)
    first = frames["items"].iloc[:100]
    job = env.import_frame(items, first)
    assert job["status"] == "ACTIVE" and job["importMode"] == "FULL"
    changed = frames["items"].iloc[90:150].copy()
    changed.loc[changed.index[0], "GENRES"] = "Changed"
    assert env.import_frame(items, changed, mode="INCREMENTAL")["status"] == "ACTIVE"
    jobs = p.list_dataset_import_jobs(datasetArn=items)["datasetImportJobs"]
    assert len(jobs) == 2 and {j["status"] for j in jobs} == {"ACTIVE"}
    export = p.create_dataset_export_job(
        jobName=env.name("export"),
        datasetArn=items,
        roleArn=env.role,
        ingestionMode="BULK",
        jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/exports/"}},
    )["datasetExportJobArn"]
    done = wait_for(lambda: p.describe_dataset_export_job(datasetExportJobArn=export)["datasetExportJob"])
    assert done["status"] == "ACTIVE"
    keys = [o["Key"] for o in env.s3.list_objects_v2(Bucket=env.bucket, Prefix="exports/")["Contents"]]
    exported = pd.read_csv(io.BytesIO(env.s3.get_object(Bucket=env.bucket, Key=keys[0])["Body"].read()))
    assert len(exported) == 150  # 100 + 60 with 10 overlapping ids upserted
    assert exported.set_index("ITEM_ID").loc[changed.iloc[0]["ITEM_ID"], "GENRES"] == "Changed"
    assert [
        j["datasetExportJobArn"] for j in p.list_dataset_export_jobs(datasetArn=items)["datasetExportJobs"]
    ] == [export]
    assert env.import_frame(items, first, mode="FULL")["status"] == "ACTIVE"


def test_import_reports_bad_rows(env: Env, frames: dict[str, pd.DataFrame]) -> None:
    group = env.dataset_group()
    interactions = env.dataset(group, "INTERACTIONS", INTERACTIONS_SCHEMA)
    bad = frames["interactions"].iloc[:50].astype(object).copy()
    bad.loc[3, "TIMESTAMP"] = "yesterday"
    bad.loc[7, "USER_ID"] = ""
    job = env.import_frame(interactions, bad)
    assert job["status"] == "CREATE FAILED"
    assert "2 of 50 rows" in job["failureReason"]
    assert "line 5: TIMESTAMP is not a long" in job["failureReason"]
    assert "line 9: USER_ID is empty" in job["failureReason"]
    missing = env.import_frame(interactions, frames["interactions"].drop(columns=["ITEM_ID"]).iloc[:10])
    assert missing["status"] == "CREATE FAILED" and "ITEM_ID" in missing["failureReason"]


def test_import_reads_every_csv_under_a_prefix(env: Env, frames: dict[str, pd.DataFrame]) -> None:
    p = env.personalize
    group = env.dataset_group()
    items = env.dataset(group, "ITEMS", ITEMS_SCHEMA)
    env.put_csv("split/a.csv", frames["items"].iloc[:40])
    env.put_csv("split/b.csv", frames["items"].iloc[40:70])
    arn = p.create_dataset_import_job(
        jobName=env.name("imp"),
        datasetArn=items,
        roleArn=env.role,
        dataSource={"dataLocation": f"s3://{env.bucket}/split/"},
    )["datasetImportJobArn"]
    job = wait_for(lambda: p.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"])
    assert job["status"] == "ACTIVE"
    nothing = p.create_dataset_import_job(
        jobName=env.name("imp"),
        datasetArn=items,
        roleArn=env.role,
        dataSource={"dataLocation": f"s3://{env.bucket}/nothing-here/"},
    )
    failed = wait_for(
        lambda: p.describe_dataset_import_job(datasetImportJobArn=nothing["datasetImportJobArn"])[
            "datasetImportJob"
        ]
    )
    assert failed["status"] == "CREATE FAILED" and "No .csv files" in failed["failureReason"]
    with pytest.raises(ClientError) as exc:
        p.create_dataset_import_job(
            jobName=env.name("imp"),
            datasetArn=items + "-nope",
            roleArn=env.role,
            dataSource={"dataLocation": f"s3://{env.bucket}/split/"},
        )
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
