"""Dataset import and export jobs: CSV files in S3 into a dataset's stored rows, and the rows back out."""

from __future__ import annotations

import pandas as pd

from ..backend import Backend
from ..csvfile import read_csv
from ..data import Record, load_dataset, read_s3, s3_objects, split_s3, store_rows, write_s3
from ..errors import InvalidInput
from ..schemas import conform, parse_schema
from .context import JobContext


def run_import(backend: Backend, job: Record, context: JobContext) -> Record:
    dataset = backend.store.require(job["datasetArn"], "Dataset")
    schema = backend.store.require(dataset["schemaArn"], "Schema")
    fields = parse_schema(schema["schema"])
    location = job["dataSource"]["dataLocation"]
    bucket, _ = split_s3(location)
    frames: list[pd.DataFrame] = []
    total = 0
    for key in s3_objects(backend, location, (".csv",)):
        context.check()
        raw = read_csv(read_s3(backend, bucket, key), f"s3://{bucket}/{key}")
        checked = conform(raw, fields)
        if checked.bad_rows:
            raise InvalidInput(f"s3://{bucket}/{key}: " + checked.failure_reason(len(raw)))
        frames.append(checked.frame)
        total += len(raw)
    new = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    with backend.dataset_lock(dataset["datasetArn"]):
        store_rows(backend, dataset, job, new)
    return {"_importedRows": total}


def run_export(backend: Backend, job: Record, context: JobContext) -> Record:
    frame = load_dataset(backend, job["datasetArn"], job.get("ingestionMode") or "PUT")
    if frame is None:
        raise InvalidInput(f"The dataset has no {job.get('ingestionMode') or 'PUT'} data to export")
    destination = job["jobOutput"]["s3DataDestination"]["path"].rstrip("/")
    name = job["jobName"]
    write_s3(backend, f"{destination}/{name}_part_00000.csv", frame.to_csv(index=False).encode())
    return {}
