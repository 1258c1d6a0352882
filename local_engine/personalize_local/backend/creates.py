"""Create hooks: per-kind checks (existence, uniqueness, limits) and the initial stored record.

The generic create in resources.py adds the status, stores the record and submits its job."""

from __future__ import annotations

import json
import uuid

from ..autotrain import interval_seconds
from ..errors import AlreadyExists, InUse, InvalidInput, LimitExceeded, NotFound
from ..filters import CompiledFilter
from ..recipes import DEFAULT_RECIPE, RECIPES
from ..schemas import check_for_dataset_type, parse_schema
from ..status import ACTIVE, UNFINISHED
from ..themes import theme_fields
from .kinds import Params, Record, campaign_config
from .lookups import ResourceBase

# Personalize's documented exceptions: these recipes serve real-time requests only.
NO_BATCH_RECIPES = ("aws-trending-now", "aws-next-best-action")


class CreateHooks(ResourceBase):
    def _no_deletion_running(self, group_arn: str, what: str) -> None:
        """Personalize holds a group's imports and trainings while a data deletion job runs in it."""
        running = [j for j in self.store.records("DataDeletionJob", group_arn) if j["status"] in UNFINISHED]
        if running:
            raise InUse(f"Cannot {what} dataset group {group_arn} while data deletion job "
                        f"{running[0]['dataDeletionJobArn']} is in progress")

    def _new_data_deletion_job(self, p: Params) -> tuple[Record, str | None]:
        group = self._require(p["datasetGroupArn"], "DatasetGroup")
        arn = self.arn("data-deletion-job", p["jobName"])
        self._unique("DataDeletionJob", arn, p["jobName"])
        location = (p.get("dataSource") or {}).get("dataLocation", "")
        if not location.startswith("s3://"):
            raise InvalidInput("dataSource.dataLocation must be an s3:// path")
        datasets = {d["datasetArn"] for d in self.store.records("Dataset", group["datasetGroupArn"])}
        importing = [j for j in self.store.records("DatasetImportJob")
                     if j["status"] in UNFINISHED and j["datasetArn"] in datasets]
        if importing:
            raise InUse(f"Cannot delete data from {group['datasetGroupArn']} while dataset import job "
                        f"{importing[0]['datasetImportJobArn']} is in progress")
        return {
            "jobName": p["jobName"],
            "dataDeletionJobArn": arn,
            "datasetGroupArn": group["datasetGroupArn"],
            "dataSource": p["dataSource"],
            "roleArn": p["roleArn"],
        }, group["datasetGroupArn"]

    def _new_dataset_group(self, p: Params) -> tuple[Record, str | None]:
        arn = self.arn("dataset-group", p["name"])
        self._unique("DatasetGroup", arn, p["name"])
        return {
            "name": p["name"],
            "datasetGroupArn": arn,
            "roleArn": p.get("roleArn"),
            "kmsKeyArn": p.get("kmsKeyArn"),
            "domain": p.get("domain"),
        }, None

    def _new_schema(self, p: Params) -> tuple[Record, str | None]:
        arn = self.arn("schema", p["name"])
        self._unique("Schema", arn, p["name"])
        parse_schema(p["schema"])
        return {"name": p["name"], "schemaArn": arn, "schema": p["schema"], "domain": p.get("domain")}, None

    def _new_dataset(self, p: Params) -> tuple[Record, str | None]:
        group = self._require(p["datasetGroupArn"], "DatasetGroup")
        schema = self._require(p["schemaArn"], "Schema")
        dataset_type = p["datasetType"].upper()
        if dataset_type not in ("INTERACTIONS", "ITEMS", "USERS", "ACTIONS", "ACTION_INTERACTIONS"):
            raise InvalidInput(f"Unknown datasetType {p['datasetType']}")
        check_for_dataset_type(parse_schema(schema["schema"]), dataset_type)
        arn = self.arn("dataset", group["name"], dataset_type)
        if self.store.get(arn) is not None:
            raise AlreadyExists(f"Dataset group {group['name']} already has a {dataset_type} dataset")
        return {
            "name": p["name"],
            "datasetArn": arn,
            "datasetGroupArn": group["datasetGroupArn"],
            "datasetType": dataset_type,
            "schemaArn": schema["schemaArn"],
        }, group["datasetGroupArn"]

    def _new_import_job(self, p: Params) -> tuple[Record, str | None]:
        dataset = self._require_active(p["datasetArn"], "Dataset")
        arn = self.arn("dataset-import-job", p["jobName"])
        self._unique("DatasetImportJob", arn, p["jobName"])
        location = (p.get("dataSource") or {}).get("dataLocation", "")
        if not location.startswith("s3://"):
            raise InvalidInput("dataSource.dataLocation must be an s3:// path")
        self._no_deletion_running(dataset["datasetGroupArn"], "import into")
        if p.get("publishAttributionMetricsToS3"):
            self._attribution_output(dataset)
        running = [j for j in self.store.records("DatasetImportJob") if j["status"] in UNFINISHED]
        if len(running) >= self.config.max_concurrent_imports:
            raise LimitExceeded(f"At most {self.config.max_concurrent_imports} dataset import jobs can run at once")
        return {
            "jobName": p["jobName"],
            "datasetImportJobArn": arn,
            "datasetArn": dataset["datasetArn"],
            "dataSource": p["dataSource"],
            "roleArn": p.get("roleArn"),
            "importMode": p.get("importMode") or "FULL",
            "publishAttributionMetricsToS3": p.get("publishAttributionMetricsToS3"),
        }, dataset["datasetArn"]

    def _attribution_output(self, dataset: Record) -> None:
        """Publishing attribution metrics needs an interactions import and a metric attribution with an S3 path."""
        if dataset["datasetType"] != "INTERACTIONS":
            raise InvalidInput("publishAttributionMetricsToS3 applies only to imports into an Interactions dataset")
        attributions = self.store.records("MetricAttribution", dataset["datasetGroupArn"])
        if not any((a.get("metricsOutputConfig") or {}).get("s3DataDestination") for a in attributions):
            raise InvalidInput(
                f"publishAttributionMetricsToS3 is true but dataset group {dataset['datasetGroupArn']} has no metric "
                "attribution with an s3DataDestination"
            )

    def _new_export_job(self, p: Params) -> tuple[Record, str | None]:
        dataset = self._require_active(p["datasetArn"], "Dataset")
        arn = self.arn("dataset-export-job", p["jobName"])
        self._unique("DatasetExportJob", arn, p["jobName"])
        return {
            "jobName": p["jobName"],
            "datasetExportJobArn": arn,
            "datasetArn": dataset["datasetArn"],
            "ingestionMode": p.get("ingestionMode") or "PUT",
            "roleArn": p.get("roleArn"),
            "jobOutput": p["jobOutput"],
        }, dataset["datasetArn"]

    def _new_solution(self, p: Params) -> tuple[Record, str | None]:
        group = self._require(p["datasetGroupArn"], "DatasetGroup")
        arn = self.arn("solution", p["name"])
        self._unique("Solution", arn, p["name"])
        recipe_arn = p.get("recipeArn") or DEFAULT_RECIPE
        if p.get("performAutoML"):
            raise InvalidInput("performAutoML is not supported; choose a recipeArn")
        if recipe_arn not in RECIPES:
            raise NotFound(f"Recipe {recipe_arn} does not exist")
        if RECIPES[recipe_arn].domain:
            raise InvalidInput(f"{recipe_arn} is a domain use case: create a recommender, not a solution")
        config = dict(p.get("solutionConfig") or {})
        threshold = config.get("eventValueThreshold")
        if threshold is not None:
            try:
                float(threshold)
            except ValueError as exc:
                raise InvalidInput(f"eventValueThreshold must be numeric, got {threshold!r}") from exc
        if p.get("performAutoTraining") and not config.get("autoTrainingConfig"):
            config["autoTrainingConfig"] = {"schedulingExpression": "rate(7 days)"}
        if config.get("autoTrainingConfig"):
            interval_seconds(config["autoTrainingConfig"].get("schedulingExpression", "rate(7 days)"))
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

    def _new_solution_version(self, p: Params) -> tuple[Record, str | None]:
        solution = self._require_active(p["solutionArn"], "Solution")
        self._no_deletion_running(solution["datasetGroupArn"], "train on")
        mode = p.get("trainingMode") or "FULL"
        versions = self.store.records("SolutionVersion", solution["solutionArn"])
        # Checked first: a client retrying a create whose response it lost learns its version exists.
        named = next((v for v in versions if p.get("name") and v.get("name") == p["name"]), None)
        if named is not None:
            raise AlreadyExists(f"A solution version named {p['name']} already exists: {named['solutionVersionArn']}")
        if any(v["status"] in UNFINISHED for v in versions):
            raise InUse(f"Solution {solution['solutionArn']} already has a solution version in progress")
        training = [v for v in self.store.records("SolutionVersion") if v["status"] in UNFINISHED]
        if len(training) >= self.config.max_concurrent_trainings:
            raise LimitExceeded(f"At most {self.config.max_concurrent_trainings} solution versions can train at once")
        base = None
        if mode == "UPDATE":
            full = [v for v in versions if v["status"] == ACTIVE and v.get("trainingMode") in ("FULL", "AUTOTRAIN")]
            if not full:
                raise InvalidInput("trainingMode UPDATE requires an ACTIVE solution version trained with FULL")
            base = full[0]
            newest = self._group_data_time(solution["datasetGroupArn"])
            if newest <= float(base.get("_dataTime", 0)):
                raise InvalidInput("trainingMode UPDATE requires new data imported since the last FULL training")
        version_id = uuid.uuid4().hex[:8]
        arn = self.arn("solution", solution["name"], version_id)
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

    def _new_campaign(self, p: Params) -> tuple[Record, str | None]:
        version = self._require_active(p["solutionVersionArn"], "SolutionVersion")
        if RECIPES[version["recipeArn"]].recipe_type == "USER_SEGMENTATION":
            raise InvalidInput("User segmentation recipes serve batch segment jobs only, not campaigns")
        arn = self.arn("campaign", p["name"])
        self._unique("Campaign", arn, p["name"])
        return {
            "name": p["name"],
            "campaignArn": arn,
            "solutionVersionArn": version["solutionVersionArn"],
            "solutionArn": version["solutionArn"],
            "minProvisionedTPS": p.get("minProvisionedTPS", 1),
            "campaignConfig": campaign_config(p.get("campaignConfig")),
        }, version["solutionArn"]

    def _batch_common(self, p: Params, kind: str) -> tuple[Record, Record]:
        version = self._require_active(p["solutionVersionArn"], "SolutionVersion")
        recipe_type = RECIPES[version["recipeArn"]].recipe_type
        wants_segment = kind == "BatchSegmentJob"
        if wants_segment != (recipe_type == "USER_SEGMENTATION"):
            raise InvalidInput(f"{kind} cannot use a solution version of recipe type {recipe_type}")
        if version["recipeArn"].rsplit("/", 1)[-1] in NO_BATCH_RECIPES:
            raise InvalidInput(f"You can't get batch recommendations with the {version['recipeArn']} recipe")
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

    def _new_batch_inference(self, p: Params) -> tuple[Record, str | None]:
        version, record = self._batch_common(p, "BatchInferenceJob")
        arn = self.arn("batch-inference-job", p["jobName"])
        self._unique("BatchInferenceJob", arn, p["jobName"])
        config = dict(p.get("batchInferenceJobConfig") or {})
        if "itemExplorationConfig" in config:
            config["itemExplorationConfig"] = campaign_config(config)["itemExplorationConfig"]
        mode = p.get("batchInferenceJobMode") or "BATCH_INFERENCE"
        record.update(
            {
                "jobName": p["jobName"],
                "batchInferenceJobArn": arn,
                "batchInferenceJobConfig": config,
                "batchInferenceJobMode": mode,
            }
        )
        if mode == "THEME_GENERATION":
            record["themeGenerationConfig"] = p.get("themeGenerationConfig")
            self._theme_fields(version, p.get("themeGenerationConfig") or {})
        return record, version["solutionVersionArn"]

    def _theme_fields(self, version: Record, config: Record) -> tuple[str, list[str]]:
        """Themes need a Similar-Items version, an item-name column and a textual field in the Items dataset."""
        if version["recipeArn"].rsplit("/", 1)[-1] != "aws-similar-items":
            raise InvalidInput(
                "THEME_GENERATION is only supported for solution versions of the Similar-Items recipe "
                f"(aws-similar-items), not {version['recipeArn']}"
            )
        item_name = (config.get("fieldsForThemeGeneration") or {}).get("itemName")
        if not item_name:
            raise InvalidInput("THEME_GENERATION needs themeGenerationConfig.fieldsForThemeGeneration.itemName")
        items = next(
            (d for d in self.store.records("Dataset", version["datasetGroupArn"]) if d["datasetType"] == "ITEMS"),
            None,
        )
        if items is None:
            raise InvalidInput("THEME_GENERATION needs an Items dataset in the solution's dataset group")
        text = self._require(items["schemaArn"], "Schema")["schema"]
        return theme_fields(parse_schema(text), json.loads(text), item_name)

    def _new_batch_segment(self, p: Params) -> tuple[Record, str | None]:
        version, record = self._batch_common(p, "BatchSegmentJob")
        arn = self.arn("batch-segment-job", p["jobName"])
        self._unique("BatchSegmentJob", arn, p["jobName"])
        record.update({"jobName": p["jobName"], "batchSegmentJobArn": arn})
        return record, version["solutionVersionArn"]

    def _new_filter(self, p: Params) -> tuple[Record, str | None]:
        group = self._require(p["datasetGroupArn"], "DatasetGroup")
        arn = self.arn("filter", p["name"])
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
                        raise InvalidInput(
                            f"Filter uses {cond.source}.{cond.field} but the dataset group's "
                            f"{dataset_type} dataset has no such field"
                        )

    def _new_event_tracker(self, p: Params) -> tuple[Record, str | None]:
        group = self._require(p["datasetGroupArn"], "DatasetGroup")
        if self.store.records("EventTracker", group["datasetGroupArn"]):
            raise LimitExceeded("A dataset group can have only one event tracker")
        arn = self.arn("event-tracker", p["name"])
        self._unique("EventTracker", arn, p["name"])
        return {
            "name": p["name"],
            "eventTrackerArn": arn,
            "datasetGroupArn": group["datasetGroupArn"],
            "accountId": self.config.account_id,
            "trackingId": str(uuid.uuid4()),
        }, group["datasetGroupArn"]

    # Special operations -------------------------------------------------------------------------------

    def _new_recommender(self, p: Params) -> tuple[Record, str | None]:
        group = self._require(p["datasetGroupArn"], "DatasetGroup")
        recipe = RECIPES.get(p["recipeArn"])
        if recipe is None:
            raise NotFound(f"Recipe {p['recipeArn']} does not exist")
        if not group.get("domain") or recipe.domain != group["domain"]:
            raise InvalidInput(
                f"Recommenders need a domain dataset group and a use case of that domain; dataset group domain "
                f"is {group.get('domain')}, recipe domain is {recipe.domain}"
            )
        arn = self.arn("recommender", p["name"])
        self._unique("Recommender", arn, p["name"])
        config = dict(p.get("recommenderConfig") or {})
        config["itemExplorationConfig"] = campaign_config(config)["itemExplorationConfig"]
        return {
            "name": p["name"],
            "recommenderArn": arn,
            "datasetGroupArn": group["datasetGroupArn"],
            "recipeArn": recipe.arn,
            "recommenderConfig": config,
        }, group["datasetGroupArn"]
