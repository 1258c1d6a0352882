"""Control-plane dispatch. One generic create/describe/list/delete path serves every resource kind; the
per-kind parts are small create hooks (builders.py) that validate input and build the stored record.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .. import protocol
from ..engine import IN_PROGRESS, PENDING, UNFINISHED, Engine
from ..errors import InUse, NotFound, UnknownOperation
from .builders import CreateHooks
from .catalog import CatalogOps
from .kinds import KINDS, Kind, Params, Record, decode_token, encode_token, split_op
from .updates import UpdateOps

CREATE_LOCK = threading.Lock()  # shared by every Operations instance (server and auto-trainer)
Hook = Callable[[Engine, Params], tuple[Record, str | None]]


class Operations(CreateHooks, UpdateOps, CatalogOps):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
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
        }
        self.special: dict[str, Callable[[Params], Record]] = {
            "UpdateCampaign": self.update_campaign,
            "UpdateRecommender": self.update_recommender,
            "StartRecommender": self.start_recommender,
            "StopRecommender": self.stop_recommender,
            "UpdateSolution": self.update_solution,
            "UpdateDataset": self.update_dataset,
            "StopSolutionVersionCreation": self.stop_solution_version,
            "GetSolutionMetrics": self.get_solution_metrics,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags,
            "ListRecipes": self.list_recipes,
            "DescribeRecipe": self.describe_recipe,
            "DescribeAlgorithm": self.describe_algorithm,
        }

    # Dispatch -----------------------------------------------------------------------------------------
    def call(self, op_name: str, params: Params) -> Record:
        op = protocol.operation(op_name)
        protocol.validate_input(op, params)
        if op_name in self.special:
            result = self.special[op_name](params)
        else:
            verb, kind_key = split_op(op_name)
            kind = KINDS.get(kind_key)
            if kind is None:
                raise UnknownOperation(f"{op_name} is not supported by personalize-local")
            result = getattr(self, verb)(kind, op, params)
        return protocol.output_for(op, result)

    def create(self, kind: Kind, op: Any, params: Params) -> Record:
        # Validation (uniqueness, concurrency limits) and insert happen under one lock, so two concurrent
        # creates cannot both pass a limit check.
        with CREATE_LOCK:
            record, parent = self.hooks[kind.key](self.engine, params)
            record.setdefault("status", PENDING if kind.asynchronous else None)
            record = {k: v for k, v in record.items() if v is not None}
            self.store.insert(kind.key, record, kind.arn_field, parent)
        tags = params.get("tags") or []
        if tags:
            self.store.tag(record[kind.arn_field], {t["tagKey"]: t["tagValue"] for t in tags})
        if kind.asynchronous:
            self.engine.jobs.submit(record[kind.arn_field], kind.key)
        return record

    def describe(self, kind: Kind, op: Any, params: Params) -> Record:
        record = self.store.require(params[kind.arn_field], kind.key, kind.label)
        if kind.key == "Solution":
            record["latestSolutionVersion"] = self._latest_version(record["solutionArn"])
        member = next(iter(op.output_shape.members))
        return {member: record}

    def list(self, kind: Kind, op: Any, params: Params) -> Record:
        parent = params.get(kind.list_parent) if kind.list_parent else None
        if parent is not None and not self.store.kind_of(parent):
            raise NotFound(f"Could not find resource with ARN: {parent}")
        records = self.store.records(kind.key, parent)
        start = decode_token(params.get("nextToken"))
        size = int(params.get("maxResults") or 100)
        page = records[start : start + size]
        member = next(m for m in op.output_shape.members if m != "nextToken")
        result: Record = {member: page}
        if start + size < len(records):
            result["nextToken"] = encode_token(start + size)
        return result

    def delete(self, kind: Kind, op: Any, params: Params) -> Record:
        arn = params[kind.arn_field]
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
            self.engine.store.dataset_path(arn).unlink(missing_ok=True)
        if kind.key == "Solution":
            versions = self.store.records("SolutionVersion", arn)
            if any(v["status"] in UNFINISHED for v in versions):
                raise InUse(f"Cannot delete {arn} while a solution version is being trained")
            for version in versions:
                self.engine.forget_model(version["solutionVersionArn"])
                self.store.delete(version["solutionVersionArn"])
        if record.get("status") in (PENDING, IN_PROGRESS):  # Personalize refuses deletes mid-creation
            raise InUse(f"Cannot delete {arn} while it is {record['status']}")
        if kind.key == "Recommender":
            self.engine.forget_model(arn)
        self.store.delete(arn)
        return {}

    # Create hooks -------------------------------------------------------------------------------------
