"""Control-plane operations. One generic create/describe/list/delete path serves every resource kind; the
per-kind parts are small hooks that validate input and build the stored record.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import protocol
from .engine import ACTIVE, FAILED, IN_PROGRESS, PENDING, STOPPED, STOPPING, UNFINISHED, Engine
from .errors import InUse, InvalidInput, InvalidNextToken, LimitExceeded, NotFound, UnknownOperation
from .filters import CompiledFilter
from .recipes import DEFAULT_RECIPE, RECIPES
from .schemas import check_for_dataset_type, parse_schema

Record = dict[str, Any]
Params = dict[str, Any]
Hook = Callable[[Engine, Params], tuple[Record, str | None]]


@dataclass(frozen=True)
class Kind:
    key: str  # suffix used in operation names, e.g. "DatasetGroup"
    arn_field: str  # e.g. "datasetGroupArn"
    label: str  # resource type in ARNs and error messages, e.g. "dataset-group"
    list_parent: str | None = None  # list filter parameter that matches the stored parent column
    asynchronous: bool = True  # created as CREATE PENDING and finished by a worker
    dependents: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (kind, field) blocking delete


KINDS: dict[str, Kind] = {
    k.key: k
    for k in [
        Kind(
            "DatasetGroup",
            "datasetGroupArn",
            "dataset-group",
            dependents=(
                ("Dataset", "datasetGroupArn"),
                ("Solution", "datasetGroupArn"),
                ("Filter", "datasetGroupArn"),
                ("EventTracker", "datasetGroupArn"),
            ),
        ),
        Kind("Schema", "schemaArn", "schema", asynchronous=False, dependents=(("Dataset", "schemaArn"),)),
        Kind("Dataset", "datasetArn", "dataset", list_parent="datasetGroupArn"),
        Kind("DatasetImportJob", "datasetImportJobArn", "dataset-import-job", list_parent="datasetArn"),
        Kind("DatasetExportJob", "datasetExportJobArn", "dataset-export-job", list_parent="datasetArn"),
        Kind(
            "Solution",
            "solutionArn",
            "solution",
            list_parent="datasetGroupArn",
            dependents=(("Campaign", "solutionArn"),),
        ),
        Kind("SolutionVersion", "solutionVersionArn", "solution-version", list_parent="solutionArn"),
        Kind("Campaign", "campaignArn", "campaign", list_parent="solutionArn"),
        Kind(
            "BatchInferenceJob",
            "batchInferenceJobArn",
            "batch-inference-job",
            list_parent="solutionVersionArn",
        ),
        Kind("BatchSegmentJob", "batchSegmentJobArn", "batch-segment-job", list_parent="solutionVersionArn"),
        Kind("Filter", "filterArn", "filter", list_parent="datasetGroupArn"),
        Kind("EventTracker", "eventTrackerArn", "event-tracker", list_parent="datasetGroupArn"),
    ]
}


class Operations:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store
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
        }
        self.special: dict[str, Callable[[Params], Record]] = {
            "UpdateCampaign": self.update_campaign,
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
            verb, kind_key = _split_op(op_name)
            kind = KINDS.get(kind_key)
            if kind is None:
                raise UnknownOperation(f"{op_name} is not supported by personalize-local")
            result = getattr(self, verb)(kind, op, params)
        return protocol.output_for(op, result)

    def create(self, kind: Kind, op: Any, params: Params) -> Record:
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
        if parent is not None and kind.list_parent != "solutionArn" and not self.store.kind_of(parent):
            raise NotFound(f"Could not find resource with ARN: {parent}")
        records = self.store.records(kind.key, parent)
        start = _decode_token(params.get("nextToken"))
        size = int(params.get("maxResults") or 100)
        page = records[start : start + size]
        member = next(m for m in op.output_shape.members if m != "nextToken")
        result: Record = {member: page}
        if start + size < len(records):
            result["nextToken"] = base64.urlsafe_b64encode(
                json.dumps({"offset": start + size}).encode()
            ).decode()
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
        self.store.delete(arn)
        return {}

    # Create hooks -------------------------------------------------------------------------------------
    def _unique(self, kind: str, arn: str, name: str) -> None:
        if self.store.get(arn) is not None:
            raise_label = KINDS[kind].label
            from .errors import AlreadyExists

            raise AlreadyExists(f"A {raise_label} named {name} already exists: {arn}")

    def _require(self, arn: str, kind: str) -> Record:
        return self.store.require(arn, kind, KINDS[kind].label)

    def _require_active(self, arn: str, kind: str) -> Record:
        record = self._require(arn, kind)
        if record.get("status") != ACTIVE:
            raise InUse(f"{KINDS[kind].label} {arn} is {record.get('status')}, not ACTIVE")
        return record

    def _new_dataset_group(self, engine: Engine, p: Params) -> tuple[Record, str | None]:
        arn = engine.arn("dataset-group", p["name"])
        self._unique("DatasetGroup", arn, p["name"])
        return {
            "name": p["name"],
            "datasetGroupArn": arn,
            "roleArn": p.get("roleArn"),
            "kmsKeyArn": p.get("kmsKeyArn"),
            "domain": p.get("domain"),
        }, None

    def _new_schema(self, engine: Engine, p: Params) -> tuple[Record, str | None]:
        arn = engine.arn("schema", p["name"])
        self._unique("Schema", arn, p["name"])
        parse_schema(p["schema"])
        return {"name": p["name"], "schemaArn": arn, "schema": p["schema"], "domain": p.get("domain")}, None

    def _new_dataset(self, engine: Engine, p: Params) -> tuple[Record, str | None]:
        group = self._require(p["datasetGroupArn"], "DatasetGroup")
        schema = self._require(p["schemaArn"], "Schema")
        dataset_type = p["datasetType"].upper()
        if dataset_type not in ("INTERACTIONS", "ITEMS", "USERS", "ACTIONS", "ACTION_INTERACTIONS"):
            raise InvalidInput(f"Unknown datasetType {p['datasetType']}")
        check_for_dataset_type(parse_schema(schema["schema"]), dataset_type)
        arn = engine.arn("dataset", group["name"], dataset_type)
        if self.store.get(arn) is not None:
            from .errors import AlreadyExists

            raise AlreadyExists(f"Dataset group {group['name']} already has a {dataset_type} dataset")
        return {
            "name": p["name"],
            "datasetArn": arn,
            "datasetGroupArn": group["datasetGroupArn"],
            "datasetType": dataset_type,
            "schemaArn": schema["schemaArn"],
        }, group["datasetGroupArn"]

    def _new_import_job(self, engine: Engine, p: Params) -> tuple[Record, str | None]:
        dataset = self._require_active(p["datasetArn"], "Dataset")
        arn = engine.arn("dataset-import-job", p["jobName"])
        self._unique("DatasetImportJob", arn, p["jobName"])
        location = (p.get("dataSource") or {}).get("dataLocation", "")
        if not location.startswith("s3://"):
            raise InvalidInput("dataSource.dataLocation must be an s3:// path")
        running = [j for j in self.store.records("DatasetImportJob") if j["status"] in UNFINISHED]
        if len(running) >= engine.config.max_concurrent_imports:
            raise LimitExceeded(
                f"At most {engine.config.max_concurrent_imports} dataset import jobs can run at once"
            )
        return {
            "jobName": p["jobName"],
            "datasetImportJobArn": arn,
            "datasetArn": dataset["datasetArn"],
            "dataSource": p["dataSource"],
            "roleArn": p.get("roleArn"),
            "importMode": p.get("importMode") or "FULL",
            "publishAttributionMetricsToS3": p.get("publishAttributionMetricsToS3"),
        }, dataset["datasetArn"]

    def _new_export_job(self, engine: Engine, p: Params) -> tuple[Record, str | None]:
        dataset = self._require_active(p["datasetArn"], "Dataset")
        arn = engine.arn("dataset-export-job", p["jobName"])
        self._unique("DatasetExportJob", arn, p["jobName"])
        return {
            "jobName": p["jobName"],
            "datasetExportJobArn": arn,
            "datasetArn": dataset["datasetArn"],
            "ingestionMode": p.get("ingestionMode") or "PUT",
            "roleArn": p.get("roleArn"),
            "jobOutput": p["jobOutput"],
        }, dataset["datasetArn"]

    def _new_solution(self, engine: Engine, p: Params) -> tuple[Record, str | None]:
        group = self._require(p["datasetGroupArn"], "DatasetGroup")
        arn = engine.arn("solution", p["name"])
        self._unique("Solution", arn, p["name"])
        recipe_arn = p.get("recipeArn") or DEFAULT_RECIPE
        if p.get("performAutoML"):
            raise InvalidInput("performAutoML is not supported; choose a recipeArn")
        if recipe_arn not in RECIPES:
            raise NotFound(f"Recipe {recipe_arn} does not exist")
        config = dict(p.get("solutionConfig") or {})
        threshold = config.get("eventValueThreshold")
        if threshold is not None:
            try:
                float(threshold)
            except ValueError as exc:
                raise InvalidInput(f"eventValueThreshold must be numeric, got {threshold!r}") from exc
        if p.get("performAutoTraining") and not config.get("autoTrainingConfig"):
            config["autoTrainingConfig"] = {"schedulingExpression": "rate(7 days)"}
        return {
            "name": p["name"],
            "solutionArn": arn,
            "datasetGroupArn": group["datasetGroupArn"],
            "recipeArn": recipe_arn,
            "eventType": p.get("eventType"),
            "solutionConfig": config,
            "performHPO": bool(p.get("performHPO", False)),
            "performAutoML": False,
            "performAutoTraining": bool(p.get("performAutoTraining", False)),
            "performIncrementalUpdate": p.get("performIncrementalUpdate"),
        }, group["datasetGroupArn"]

    def _new_solution_version(self, engine: Engine, p: Params) -> tuple[Record, str | None]:
        solution = self._require_active(p["solutionArn"], "Solution")
        mode = p.get("trainingMode") or "FULL"
        versions = self.store.records("SolutionVersion", solution["solutionArn"])
        if any(v["status"] in UNFINISHED for v in versions):
            raise InUse(f"Solution {solution['solutionArn']} already has a solution version in progress")
        training = [v for v in self.store.records("SolutionVersion") if v["status"] in UNFINISHED]
        if len(training) >= engine.config.max_concurrent_trainings:
            raise LimitExceeded(
                f"At most {engine.config.max_concurrent_trainings} solution versions can train at once"
            )
        base = None
        if mode == "UPDATE":
            full = [
                v
                for v in versions
                if v["status"] == ACTIVE and v.get("trainingMode") in ("FULL", "AUTOTRAIN")
            ]
            if not full:
                raise InvalidInput(
                    "trainingMode UPDATE requires an ACTIVE solution version trained with FULL"
                )
            base = full[0]
            newest = self._group_data_time(solution["datasetGroupArn"])
            if newest <= float(base.get("_dataTime", 0)):
                raise InvalidInput(
                    "trainingMode UPDATE requires new data imported since the last FULL training"
                )
        version_id = uuid.uuid4().hex[:8]
        arn = engine.arn("solution", solution["name"], version_id)
        record = {
            key: solution.get(key)
            for key in (
                "solutionArn",
                "recipeArn",
                "eventType",
                "datasetGroupArn",
                "solutionConfig",
                "performHPO",
                "performAutoML",
                "performIncrementalUpdate",
            )
        }
        record.update(
            {
                "name": p.get("name") or solution["name"],
                "solutionVersionArn": arn,
                "trainingMode": mode,
                "trainingType": "MANUAL" if mode != "AUTOTRAIN" else "AUTOMATIC",
                "_baseVersion": base["solutionVersionArn"] if base else None,
            }
        )
        return record, solution["solutionArn"]

    def _group_data_time(self, group_arn: str) -> float:
        return max(
            (float(d.get("_dataTime", 0)) for d in self.store.records("Dataset", group_arn)), default=0.0
        )

    def _new_campaign(self, engine: Engine, p: Params) -> tuple[Record, str | None]:
        version = self._require_active(p["solutionVersionArn"], "SolutionVersion")
        if RECIPES[version["recipeArn"]].recipe_type == "USER_SEGMENTATION":
            raise InvalidInput("User segmentation recipes serve batch segment jobs only, not campaigns")
        arn = engine.arn("campaign", p["name"])
        self._unique("Campaign", arn, p["name"])
        return {
            "name": p["name"],
            "campaignArn": arn,
            "solutionVersionArn": version["solutionVersionArn"],
            "solutionArn": version["solutionArn"],
            "minProvisionedTPS": p.get("minProvisionedTPS", 1),
            "campaignConfig": _campaign_config(p.get("campaignConfig")),
        }, version["solutionArn"]

    def _batch_common(self, p: Params, kind: str) -> tuple[Record, Record]:
        version = self._require_active(p["solutionVersionArn"], "SolutionVersion")
        recipe_type = RECIPES[version["recipeArn"]].recipe_type
        wants_segment = kind == "BatchSegmentJob"
        if wants_segment != (recipe_type == "USER_SEGMENTATION"):
            raise InvalidInput(f"{kind} cannot use a solution version of recipe type {recipe_type}")
        if p.get("filterArn"):
            self._require_active(p["filterArn"], "Filter")
        for path in (p["jobInput"]["s3DataSource"]["path"], p["jobOutput"]["s3DataDestination"]["path"]):
            if not path.startswith("s3://"):
                raise InvalidInput(f"{path} is not an s3:// path")
        return version, {
            "solutionVersionArn": version["solutionVersionArn"],
            "filterArn": p.get("filterArn"),
            "numResults": p.get("numResults", 25 if not wants_segment else 100),
            "jobInput": p["jobInput"],
            "jobOutput": p["jobOutput"],
            "roleArn": p["roleArn"],
        }

    def _new_batch_inference(self, engine: Engine, p: Params) -> tuple[Record, str | None]:
        version, record = self._batch_common(p, "BatchInferenceJob")
        arn = engine.arn("batch-inference-job", p["jobName"])
        self._unique("BatchInferenceJob", arn, p["jobName"])
        config = dict(p.get("batchInferenceJobConfig") or {})
        if "itemExplorationConfig" in config:
            config["itemExplorationConfig"] = _campaign_config(config)["itemExplorationConfig"]
        record.update(
            {
                "jobName": p["jobName"],
                "batchInferenceJobArn": arn,
                "batchInferenceJobConfig": config,
                "batchInferenceJobMode": p.get("batchInferenceJobMode") or "BATCH_INFERENCE",
            }
        )
        return record, version["solutionVersionArn"]

    def _new_batch_segment(self, engine: Engine, p: Params) -> tuple[Record, str | None]:
        version, record = self._batch_common(p, "BatchSegmentJob")
        arn = engine.arn("batch-segment-job", p["jobName"])
        self._unique("BatchSegmentJob", arn, p["jobName"])
        record.update({"jobName": p["jobName"], "batchSegmentJobArn": arn})
        return record, version["solutionVersionArn"]

    def _new_filter(self, engine: Engine, p: Params) -> tuple[Record, str | None]:
        group = self._require(p["datasetGroupArn"], "DatasetGroup")
        arn = engine.arn("filter", p["name"])
        self._unique("Filter", arn, p["name"])
        compiled = CompiledFilter(p["filterExpression"])  # raises InvalidInput on bad syntax
        self._check_filter_fields(group["datasetGroupArn"], compiled)
        return {
            "name": p["name"],
            "filterArn": arn,
            "datasetGroupArn": group["datasetGroupArn"],
            "filterExpression": p["filterExpression"],
        }, group["datasetGroupArn"]

    def _check_filter_fields(self, group_arn: str, compiled: CompiledFilter) -> None:
        """Like Personalize, refuse filters on datasets or fields the dataset group does not have."""
        fields: dict[str, set[str]] = {}
        for dataset in self.store.records("Dataset", group_arn):
            schema = self._require(dataset["schemaArn"], "Schema")
            fields[dataset["datasetType"]] = {f.name.upper() for f in parse_schema(schema["schema"])}
        for part in compiled.parts:
            for group in part.groups:
                for cond in group:
                    dataset_type = "ITEMS" if cond.source == "Items" else "INTERACTIONS"
                    if cond.field not in fields.get(dataset_type, set()):
                        raise InvalidInput(f"Filter uses {cond.source}.{cond.field} but the dataset group's "
                                           f"{dataset_type} dataset has no such field")

    def _new_event_tracker(self, engine: Engine, p: Params) -> tuple[Record, str | None]:
        group = self._require(p["datasetGroupArn"], "DatasetGroup")
        if self.store.records("EventTracker", group["datasetGroupArn"]):
            raise LimitExceeded("A dataset group can have only one event tracker")
        arn = engine.arn("event-tracker", p["name"])
        self._unique("EventTracker", arn, p["name"])
        return {
            "name": p["name"],
            "eventTrackerArn": arn,
            "datasetGroupArn": group["datasetGroupArn"],
            "accountId": engine.config.account_id,
            "trackingId": str(uuid.uuid4()),
        }, group["datasetGroupArn"]

    # Special operations -------------------------------------------------------------------------------
    def update_campaign(self, p: Params) -> Record:
        campaign = self._require(p["campaignArn"], "Campaign")
        if campaign["status"] != ACTIVE:
            raise InUse(f"Campaign {p['campaignArn']} is {campaign['status']}")
        pending = campaign.get("latestCampaignUpdate") or {}
        if pending.get("status") in UNFINISHED:
            raise InUse(f"Campaign {p['campaignArn']} already has an update in progress")
        version_arn = p.get("solutionVersionArn") or campaign["solutionVersionArn"]
        version = self._require_active(version_arn, "SolutionVersion")
        if version["solutionArn"] != campaign["solutionArn"]:
            raise InvalidInput("A campaign can only move to a version of the same solution")
        now = time.time()
        update = {
            "solutionVersionArn": version_arn,
            "minProvisionedTPS": p.get("minProvisionedTPS", campaign.get("minProvisionedTPS")),
            "campaignConfig": _campaign_config(p.get("campaignConfig") or campaign.get("campaignConfig")),
            "status": PENDING,
            "creationDateTime": now,
            "lastUpdatedDateTime": now,
        }
        self.store.update(p["campaignArn"], {"latestCampaignUpdate": update})
        self.engine.jobs.submit(p["campaignArn"], "CampaignUpdate")
        return {"campaignArn": p["campaignArn"]}

    def update_solution(self, p: Params) -> Record:
        solution = self._require_active(p["solutionArn"], "Solution")
        changes: Record = {}
        if "performAutoTraining" in p:
            changes["performAutoTraining"] = p["performAutoTraining"]
        if "performIncrementalUpdate" in p:
            changes["performIncrementalUpdate"] = p["performIncrementalUpdate"]
        update_config = p.get("solutionUpdateConfig") or {}
        if update_config.get("autoTrainingConfig"):
            config = dict(solution.get("solutionConfig") or {})
            config["autoTrainingConfig"] = update_config["autoTrainingConfig"]
            changes["solutionConfig"] = config
        now = time.time()
        changes["latestSolutionUpdate"] = {
            **update_config,
            "performAutoTraining": changes.get("performAutoTraining", solution.get("performAutoTraining")),
            "status": ACTIVE,
            "creationDateTime": now,
            "lastUpdatedDateTime": now,
        }
        self.store.update(p["solutionArn"], changes)
        return {"solutionArn": p["solutionArn"]}

    def update_dataset(self, p: Params) -> Record:
        dataset = self._require(p["datasetArn"], "Dataset")
        schema = self._require(p["schemaArn"], "Schema")
        check_for_dataset_type(parse_schema(schema["schema"]), dataset["datasetType"])
        now = time.time()
        self.store.update(
            p["datasetArn"],
            {
                "schemaArn": p["schemaArn"],
                "latestDatasetUpdate": {
                    "schemaArn": p["schemaArn"],
                    "status": ACTIVE,
                    "creationDateTime": now,
                    "lastUpdatedDateTime": now,
                },
            },
        )
        return {"datasetArn": p["datasetArn"]}

    def stop_solution_version(self, p: Params) -> Record:
        version = self._require(p["solutionVersionArn"], "SolutionVersion")
        if version["status"] not in (PENDING, IN_PROGRESS):
            raise InUse(
                f"Solution version is {version['status']}; only pending or in-progress training can stop"
            )
        self.store.update(p["solutionVersionArn"], {"status": STOPPING})
        self.engine.jobs.cancel(p["solutionVersionArn"])
        return {}

    def get_solution_metrics(self, p: Params) -> Record:
        version = self._require(p["solutionVersionArn"], "SolutionVersion")
        if version["status"] != ACTIVE:
            raise InUse(f"Solution version is {version['status']}; metrics exist once it is ACTIVE")
        return {"solutionVersionArn": version["solutionVersionArn"], "metrics": version.get("_metrics", {})}

    def _taggable(self, arn: str) -> None:
        if self.store.get(arn) is None:
            raise NotFound(f"Could not find resource with ARN: {arn}")

    def tag_resource(self, p: Params) -> Record:
        self._taggable(p["resourceArn"])
        self.store.tag(p["resourceArn"], {t["tagKey"]: t["tagValue"] for t in p["tags"]})
        if len(self.store.tags(p["resourceArn"])) > 50:
            raise LimitExceeded("A resource can have at most 50 tags")
        return {}

    def untag_resource(self, p: Params) -> Record:
        self._taggable(p["resourceArn"])
        self.store.untag(p["resourceArn"], p["tagKeys"])
        return {}

    def list_tags(self, p: Params) -> Record:
        self._taggable(p["resourceArn"])
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in self.store.tags(p["resourceArn"]).items()]}

    def _recipe_record(self, arn: str) -> Record:
        recipe = RECIPES.get(arn)
        if recipe is None:
            raise NotFound(f"Recipe {arn} does not exist")
        return {
            "name": recipe.name,
            "recipeArn": recipe.arn,
            "algorithmArn": recipe.algorithm_arn,
            "featureTransformationArn": "arn:aws:personalize:::feature-transformation/sims",
            "status": ACTIVE,
            "description": recipe.description,
            "recipeType": recipe.recipe_type,
            "creationDateTime": 1543622400.0,
            "lastUpdatedDateTime": 1543622400.0,
        }

    def list_recipes(self, p: Params) -> Record:
        if p.get("domain"):
            return {"recipes": []}  # domain recommenders' recipes are not provided
        records = [self._recipe_record(arn) for arn in RECIPES]
        start = _decode_token(p.get("nextToken"))
        size = int(p.get("maxResults") or 100)
        result: Record = {"recipes": records[start : start + size]}
        if start + size < len(records):
            result["nextToken"] = base64.urlsafe_b64encode(
                json.dumps({"offset": start + size}).encode()
            ).decode()
        return result

    def describe_recipe(self, p: Params) -> Record:
        return {"recipe": self._recipe_record(p["recipeArn"])}

    def describe_algorithm(self, p: Params) -> Record:
        name = p["algorithmArn"].rsplit("/", 1)[-1]
        recipe = self._recipe_record("arn:aws:personalize:::recipe/" + name)
        return {
            "algorithm": {
                "name": name,
                "algorithmArn": p["algorithmArn"],
                "roleArn": "",
                "creationDateTime": recipe["creationDateTime"],
                "lastUpdatedDateTime": recipe["lastUpdatedDateTime"],
            }
        }

    def _latest_version(self, solution_arn: str) -> Record | None:
        versions = self.store.records("SolutionVersion", solution_arn)
        return versions[0] if versions else None


def _split_op(op_name: str) -> tuple[str, str]:
    match = re.fullmatch(r"(Create|Describe|List|Delete)(\w+)", op_name)
    if not match:
        raise UnknownOperation(f"{op_name} is not supported by personalize-local")
    verb, noun = match.groups()
    if verb == "List":
        noun = noun[:-1] if noun.endswith("s") else noun
    return verb.lower(), noun


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidNextToken("The nextToken is not valid") from exc


def _campaign_config(config: Record | None) -> Record:
    """Fill Personalize's exploration defaults and check they are numbers in range."""
    config = dict(config or {})
    exploration = dict(config.get("itemExplorationConfig") or {})
    weight = exploration.get("explorationWeight", "0.3")
    cutoff = exploration.get("explorationItemAgeCutOff", "30")
    try:
        if not 0.0 <= float(weight) <= 1.0 or float(cutoff) <= 0:
            raise ValueError
    except ValueError as exc:
        raise InvalidInput(
            "explorationWeight must be within [0, 1] and explorationItemAgeCutOff > 0"
        ) from exc
    exploration.update({"explorationWeight": str(weight), "explorationItemAgeCutOff": str(cutoff)})
    config["itemExplorationConfig"] = exploration
    return config


__all__ = ["FAILED", "KINDS", "STOPPED", "Operations"]
