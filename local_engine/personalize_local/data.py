"""Dataset data: S3 reads and writes, the stored rows of a dataset, and the training data of a dataset group.

Shared by the import/export and batch workers, training and PutItems/PutUsers; holds no job logic itself."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import InvalidInput
from .recipes import TrainingData

if TYPE_CHECKING:
    from .backend import BackendState

Record = dict[str, Any]
ID_FIELD = {"INTERACTIONS": None, "ITEMS": "ITEM_ID", "USERS": "USER_ID", "ACTIONS": "ACTION_ID"}


def split_s3(path: str) -> tuple[str, str]:
    if not path.startswith("s3://"):
        raise InvalidInput(f"{path} is not an s3:// path")
    bucket, _, key = path[5:].partition("/")
    return bucket, key


def s3_objects(backend: BackendState, path: str, suffixes: tuple[str, ...]) -> list[str]:
    """Keys under an s3 path: the object itself if it exists, else every matching object below the prefix."""
    bucket, key = split_s3(path)
    s3 = backend.s3
    try:
        if key and not key.endswith("/"):
            s3.head_object(Bucket=bucket, Key=key)
            return [key]
    except Exception:  # noqa: S110 - not an object, so treat it as a prefix
        pass
    keys: list[str] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].lower().endswith(suffixes)]
    except Exception as exc:
        raise InvalidInput(f"Cannot read {path}: {exc}") from exc
    if not keys:
        raise InvalidInput(f"No {'/'.join(suffixes)} files found at {path}")
    return sorted(keys)


def read_s3(backend: BackendState, bucket: str, key: str) -> bytes:
    return bytes(backend.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def write_s3(backend: BackendState, path: str, body: bytes) -> None:
    bucket, key = split_s3(path)
    backend.s3.put_object(Bucket=bucket, Key=key, Body=body)


def load_dataset(backend: BackendState, dataset_arn: str, ingestion: str = "ALL") -> pd.DataFrame | None:
    """Rows of a dataset: BULK (imports), PUT (PutEvents) or ALL, like Personalize's ingestionMode."""
    path = backend.store.dataset_path(dataset_arn)
    frames = []
    if ingestion in ("BULK", "ALL") and path.exists():
        frames.append(pd.read_parquet(path))
    live = backend.store.live_events(dataset_arn) if ingestion in ("PUT", "ALL") else []
    if live:
        # PutActionInteractions rows share the PutEvents table; their subject is an action, with no value.
        actions = backend.store.require(dataset_arn, "Dataset")["datasetType"] == "ACTION_INTERACTIONS"
        columns = ["USER_ID", "ACTION_ID" if actions else "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"]
        frame = pd.DataFrame(live, columns=columns).astype({"TIMESTAMP": "int64"})
        frames.append(frame.drop(columns="EVENT_VALUE") if actions else frame)
    if not frames:
        return None
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def store_rows(backend: BackendState, dataset: Record, job: Record, new: pd.DataFrame) -> None:
    incremental = job.get("importMode") == "INCREMENTAL"
    existing = load_dataset(backend, dataset["datasetArn"], "BULK") if incremental else None
    if existing is not None:
        combined = pd.concat([existing, new], ignore_index=True)
        id_field = ID_FIELD.get(dataset["datasetType"])
        if id_field:  # items/users: the newest row for an id wins
            combined = combined.drop_duplicates(id_field, keep="last")
        new = combined
    path = backend.store.dataset_path(dataset["datasetArn"])
    tmp = path.with_suffix(".tmp")
    new.to_parquet(tmp, index=False)
    tmp.replace(path)  # atomic swap: readers see the old or the new data, never half of it
    backend.store.update(dataset["datasetArn"], {"_dataTime": time.time(), "_rows": len(new)})


def training_data(
    backend: BackendState, group_arn: str, event_type: str | None, threshold: str | None
) -> TrainingData:
    """Interactions of a dataset group filtered as Personalize does for a solution, plus metadata."""
    datasets = {d["datasetType"]: d for d in backend.store.records("Dataset", group_arn)}
    if "INTERACTIONS" not in datasets:
        raise InvalidInput("The dataset group has no INTERACTIONS dataset")
    events = load_dataset(backend, datasets["INTERACTIONS"]["datasetArn"])
    if events is None or events.empty:
        raise InvalidInput("The INTERACTIONS dataset has no imported data")
    if event_type:
        if "EVENT_TYPE" not in events:
            raise InvalidInput(f"eventType {event_type} given but the interactions have no EVENT_TYPE field")
        events = events[events["EVENT_TYPE"] == event_type]
    if threshold is not None:
        if "EVENT_VALUE" not in events:
            raise InvalidInput("eventValueThreshold given but the interactions have no EVENT_VALUE field")
        events = events[events["EVENT_VALUE"].astype("float64").fillna(-np.inf) >= float(threshold)]
    events = events.reset_index(drop=True)
    items = load_dataset(backend, datasets["ITEMS"]["datasetArn"]) if "ITEMS" in datasets else None
    users = load_dataset(backend, datasets["USERS"]["datasetArn"]) if "USERS" in datasets else None
    return TrainingData(events, items, users)


def action_training_data(backend: BackendState, group_arn: str) -> TrainingData:
    """What aws-next-best-action trains on: the group's actions, action interactions and item interactions."""
    datasets = {d["datasetType"]: d for d in backend.store.records("Dataset", group_arn)}
    if "ACTIONS" not in datasets:
        raise InvalidInput("The Next-Best-Action recipe needs an Actions dataset in the dataset group")

    def rows(dataset_type: str) -> pd.DataFrame | None:
        return load_dataset(backend, datasets[dataset_type]["datasetArn"]) if dataset_type in datasets else None

    actions = rows("ACTIONS")
    if actions is None or actions.empty:
        raise InvalidInput("The Actions dataset has no imported data")
    interactions = rows("INTERACTIONS")
    return TrainingData(
        interactions if interactions is not None else pd.DataFrame(columns=["USER_ID", "ITEM_ID", "TIMESTAMP"]),
        actions=actions,
        action_interactions=rows("ACTION_INTERACTIONS"),
    )


def check_minimums(data: TrainingData) -> None:
    """Personalize's documented minimums for custom solutions."""
    events = data.interactions
    if len(events) < 1000:
        raise InvalidInput(
            f"Insufficient data: {len(events)} interactions after event type and event value "
            "filtering; at least 1000 are required"
        )
    per_user = events.groupby("USER_ID").size()
    active_users = int((per_user >= 2).sum())
    if active_users < 25:
        raise InvalidInput(
            f"Insufficient data: {active_users} users with at least 2 interactions; at least 25 are required"
        )
