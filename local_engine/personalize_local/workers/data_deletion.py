"""Data deletion jobs: every record of the listed users leaves the dataset group's user-keyed datasets.

Personalize removes the users' interactions, user records and action interactions, imported in bulk or received
through PutEvents. Models already trained keep what they learned until the next training (as in AWS).
"""

from __future__ import annotations

import pandas as pd

from ..backend import Backend
from ..csvfile import read_csv
from ..data import Record, load_dataset, read_s3, s3_objects, split_s3, store_rows
from ..errors import InvalidInput
from .context import JobContext

#: Dataset types keyed by user, as the deletion applies to them.
USER_KEYED = ("INTERACTIONS", "USERS", "ACTION_INTERACTIONS")


def _user_ids(backend: Backend, location: str, context: JobContext) -> set[str]:
    bucket, _ = split_s3(location)
    keys = s3_objects(backend, location, (".csv",))
    if not keys:
        raise InvalidInput(f"No CSV file found at {location}")
    users: set[str] = set()
    for key in keys:
        context.check()
        frame = read_csv(read_s3(backend, bucket, key), f"s3://{bucket}/{key}")
        columns = {str(c).strip().upper(): c for c in frame.columns}
        if "USER_ID" not in columns:
            raise InvalidInput(
                f"s3://{bucket}/{key}: the file must have a USER_ID column; found {', '.join(map(str, frame.columns))}"
            )
        users |= {str(v) for v in frame[columns["USER_ID"]].dropna()}
    return users


def run_data_deletion(backend: Backend, job: Record, context: JobContext) -> Record:
    users = _user_ids(backend, job["dataSource"]["dataLocation"], context)
    deleted = 0
    for dataset in backend.store.records("Dataset", job["datasetGroupArn"]):
        if dataset["datasetType"] not in USER_KEYED:
            continue
        context.check()
        with backend.dataset_lock(dataset["datasetArn"]):
            bulk = load_dataset(backend, dataset["datasetArn"], "BULK")
            if bulk is not None and "USER_ID" in bulk:
                kept = bulk[~bulk["USER_ID"].astype(str).isin(users)]
                if len(kept) != len(bulk):
                    deleted += len(bulk) - len(kept)
                    store_rows(backend, dataset, {"importMode": "FULL"}, pd.DataFrame(kept).reset_index(drop=True))
            deleted += backend.store.delete_user_events(dataset["datasetArn"], users)
    return {"numDeleted": deleted}
