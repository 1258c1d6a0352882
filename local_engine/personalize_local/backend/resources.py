"""The backend: one object holding the state (backend/state.py) and every control-plane method on it.

One generic create/describe/list/delete path serves every resource kind; the per-kind parts are small create
hooks (creates.py) that check input and build the stored record. Methods take already-validated request
members and return stored records; botocore validation and output shaping are the responses layer's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..config import Config
from ..errors import InUse, NotFound
from ..status import IN_PROGRESS, PENDING, UNFINISHED
from .attribution import AttributionOps
from .catalog import CatalogOps
from .creates import CreateHooks
from .kinds import KINDS, Kind, Params, Record, decode_token, encode_token
from .updates import UpdateOps

Hook = Callable[[Params], tuple[Record, str | None]]


class Backend(CreateHooks, UpdateOps, CatalogOps, AttributionOps):
    def __init__(self, config: Config) -> None:
        super().__init__(config)
        # Validation (uniqueness, concurrency limits) and insert happen under one lock, so two concurrent
        # creates (requests, the auto-trainer) cannot both pass a limit check.
        self.create_lock = threading.Lock()
        self.hooks: dict[str, Hook] = {
            "DatasetGroup": self._new_dataset_group,
            "Schema": self._new_schema,
            "Dataset": self._new_dataset,
            "DatasetImportJob": self._new_import_job,
            "DatasetExportJob": self._new_export_job,
            "Solution": self._new_solution,
            "SolutionVersion": self._new_solution_version,
            "Campaign": self._new_campaign,
            "BatchInferenceJob": self._new_batch_inference,
            "BatchSegmentJob": self._new_batch_segment,
            "Filter": self._new_filter,
            "EventTracker": self._new_event_tracker,
            "Recommender": self._new_recommender,
            "MetricAttribution": self._new_metric_attribution,
            "DataDeletionJob": self._new_data_deletion_job,
        }

    def create(self, kind: Kind, params: Params) -> Record:
        with self.create_lock:
            record, parent = self.hooks[kind.key](params)
            record.setdefault("status", PENDING if kind.asynchronous else None)
            record = {k: v for k, v in record.items() if v is not None}
            self.store.insert(kind.key, record, kind.arn_field, parent)
        tags = params.get("tags") or []
        if tags:
            self.store.tag(record[kind.arn_field], {t["tagKey"]: t["tagValue"] for t in tags})
        if kind.asynchronous:
            self.jobs.submit(record[kind.arn_field], kind.key)
        return record

    def create_solution_version(self, solution_arn: str, training_mode: str) -> Record:
        """What the auto-trainer starts: CreateSolutionVersion without a request."""
        return self.create(KINDS["SolutionVersion"], {"solutionArn": solution_arn, "trainingMode": training_mode})

    def describe(self, kind: Kind, arn: str) -> Record:
        record = self.store.require(arn, kind.key, kind.label)
        if kind.key == "Solution":
            record["latestSolutionVersion"] = self._latest_version(record["solutionArn"])
        return record

    def list(self, kind: Kind, parent: str | None, next_token: str | None, max_results: int | None
             ) -> tuple[list[Record], str | None]:
        """One page of a kind's records (under `parent` if given) and the token of the next page, if any."""
        if parent is not None and not self.store.kind_of(parent):
            raise NotFound(f"Could not find resource with ARN: {parent}")
        records = self.store.records(kind.key, parent)
        start = decode_token(next_token)
        size = int(max_results or 100)
        page = records[start : start + size]
        return page, encode_token(start + size) if start + size < len(records) else None

    def delete(self, kind: Kind, arn: str) -> None:
        record = self.store.require(arn, kind.key, kind.label)
        for dep_kind, dep_field in kind.dependents:
            blocking = [r for r in self.store.records(dep_kind) if r.get(dep_field) == arn]
            if blocking:
                raise InUse(
                    f"Cannot delete {arn}: {KINDS[dep_kind].label} "
                    f"{blocking[0][KINDS[dep_kind].arn_field]} still uses it"
                )
        if kind.key == "Dataset":
            running = [j for j in self.store.records("DatasetImportJob", arn) if j["status"] in UNFINISHED]
            if running:
                raise InUse(f"Cannot delete {arn} while import job {running[0]['datasetImportJobArn']} runs")
            self.store.dataset_path(arn).unlink(missing_ok=True)
        if kind.key == "Solution":
            versions = self.store.records("SolutionVersion", arn)
            if any(v["status"] in UNFINISHED for v in versions):
                raise InUse(f"Cannot delete {arn} while a solution version is being trained")
            for version in versions:
                self.forget_model(version["solutionVersionArn"])
                self.store.delete(version["solutionVersionArn"])
        if record.get("status") in (PENDING, IN_PROGRESS):  # Personalize refuses deletes mid-creation
            raise InUse(f"Cannot delete {arn} while it is {record['status']}")
        if kind.key == "Recommender":
            self.forget_model(arn)
        self.store.delete(arn)
