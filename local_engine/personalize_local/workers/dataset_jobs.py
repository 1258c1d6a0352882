"""Dataset import and export jobs: CSV files in S3 into a dataset's stored rows, and the rows back out."""

from __future__ import annotations

import time

import pandas as pd

from ..backend import Backend
from ..csvfile import read_csv
from ..data import Record, load_dataset, read_s3, s3_objects, split_s3, store_rows, write_s3
from ..errors import InvalidInput
from ..schemas import ACTION_EVENT_TYPES, conform, parse_schema
from .attribution_report import aggregate, publish
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
        if dataset["datasetType"] == "ACTION_INTERACTIONS":
            _action_event_types(checked.frame, f"s3://{bucket}/{key}")
        frames.append(checked.frame)
        total += len(raw)
    new = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    with backend.dataset_lock(dataset["datasetArn"]):
        store_rows(backend, dataset, job, new)
    outcome: Record = {"_importedRows": total}
    if job.get("publishAttributionMetricsToS3") and dataset["datasetType"] == "INTERACTIONS":
        outcome["_attributionReport"] = publish_attribution(backend, dataset, job, new)
    return outcome


def publish_attribution(backend: Backend, dataset: Record, job: Record, events: pd.DataFrame) -> str | None:
    """The group's metric attribution applied to the rows this import brought in, published to its S3 path."""
    group = dataset["datasetGroupArn"]
    attribution = next(iter(backend.store.records("MetricAttribution", group)), None)
    if attribution is None or not (attribution.get("metricsOutputConfig") or {}).get("s3DataDestination"):
        return None  # deleted while the import ran: nothing to publish to
    items_dataset = next((d for d in backend.store.records("Dataset", group) if d["datasetType"] == "ITEMS"), None)
    items = load_dataset(backend, items_dataset["datasetArn"]) if items_dataset else None
    report = aggregate(attribution.get("_metrics", []), events, items, backend.store.recommendation_sources)
    return publish(backend, attribution, job, report, time.time())


def _action_event_types(frame: pd.DataFrame, where: str) -> None:
    """Action interactions are TAKEN, NOT_TAKEN or VIEWED; stored in that spelling, whatever case was written."""
    column = next(c for c in frame.columns if str(c).upper() == "EVENT_TYPE")
    written = frame[column].astype(str)
    normal = written.str.strip().str.upper().str.replace(" ", "_", regex=False)
    wrong = ~normal.isin(ACTION_EVENT_TYPES)
    if wrong.any():
        lines = [str(i + 2) for i in wrong.to_numpy().nonzero()[0][:5]]
        raise InvalidInput(
            f"{where}: {int(wrong.sum())} of {len(frame)} rows have an EVENT_TYPE other than TAKEN, NOT_TAKEN or "
            f"VIEWED, e.g. {written[wrong].iloc[0]!r} (lines {', '.join(lines)})"
        )
    frame[column] = normal


def run_export(backend: Backend, job: Record, context: JobContext) -> Record:
    frame = load_dataset(backend, job["datasetArn"], job.get("ingestionMode") or "PUT")
    if frame is None:
        raise InvalidInput(f"The dataset has no {job.get('ingestionMode') or 'PUT'} data to export")
    destination = job["jobOutput"]["s3DataDestination"]["path"].rstrip("/")
    name = job["jobName"]
    write_s3(backend, f"{destination}/{name}_part_00000.csv", frame.to_csv(index=False).encode())
    return {}
