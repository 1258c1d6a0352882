"""Operations that change existing resources: campaign/solution/dataset updates, stopping, metrics."""

from __future__ import annotations

import time

from ..autotrain import interval_seconds
from ..errors import InUse, InvalidInput
from ..schemas import check_for_dataset_type, parse_schema
from ..status import ACTIVE, IN_PROGRESS, INACTIVE, PENDING, STOPPING, TRANSITIONS, UNFINISHED
from .kinds import Params, Record, campaign_config
from .lookups import ResourceBase


class UpdateOps(ResourceBase):
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
            "campaignConfig": campaign_config(p.get("campaignConfig") or campaign.get("campaignConfig")),
            "status": PENDING,
            "creationDateTime": now,
            "lastUpdatedDateTime": now,
        }
        self.store.update(p["campaignArn"], {"latestCampaignUpdate": update})
        self.jobs.submit(p["campaignArn"], "CampaignUpdate")
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
            interval_seconds(update_config["autoTrainingConfig"].get("schedulingExpression", "rate(7 days)"))
        if update_config:
            changes["solutionConfig"] = {**(solution.get("solutionConfig") or {}), **update_config}
        now = time.time()
        # The summary as DescribeSolution shapes it: the config parts changed nest under solutionUpdateConfig.
        changes["latestSolutionUpdate"] = {
            "solutionUpdateConfig": update_config or None,
            "performAutoTraining": changes.get("performAutoTraining", solution.get("performAutoTraining")),
            "performIncrementalUpdate": changes.get(
                "performIncrementalUpdate", solution.get("performIncrementalUpdate")
            ),
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
            raise InUse(f"Solution version is {version['status']}; only pending or in-progress training can stop")
        self.store.update(p["solutionVersionArn"], {"status": STOPPING})
        self.jobs.cancel(p["solutionVersionArn"])
        return {}

    def get_solution_metrics(self, p: Params) -> Record:
        version = self._require(p["solutionVersionArn"], "SolutionVersion")
        if version["status"] != ACTIVE:
            raise InUse(f"Solution version is {version['status']}; metrics exist once it is ACTIVE")
        return {"solutionVersionArn": version["solutionVersionArn"], "metrics": version.get("_metrics", {})}

    def update_recommender(self, p: Params) -> Record:
        recommender = self._require(p["recommenderArn"], "Recommender")
        if recommender["status"] not in (ACTIVE, INACTIVE):
            raise InUse(f"Recommender {p['recommenderArn']} is {recommender['status']}")
        config = {**(recommender.get("recommenderConfig") or {}), **p["recommenderConfig"]}
        config["itemExplorationConfig"] = campaign_config(config)["itemExplorationConfig"]
        now = time.time()
        update = {"recommenderConfig": config, "status": ACTIVE, "creationDateTime": now, "lastUpdatedDateTime": now}
        self.store.update(p["recommenderArn"], {"recommenderConfig": config, "latestRecommenderUpdate": update})
        return {"recommenderArn": p["recommenderArn"]}

    def stop_recommender(self, p: Params) -> Record:
        """Stopping only pauses serving (and, in AWS, billing); the trained model is kept."""
        return self._recommender_transition(p["recommenderArn"], "RecommenderStop", ACTIVE, "stopped")

    def start_recommender(self, p: Params) -> Record:
        return self._recommender_transition(p["recommenderArn"], "RecommenderStart", INACTIVE, "started")

    def _recommender_transition(self, arn: str, job: str, accepted: str, verb: str) -> Record:
        """STOP PENDING > STOP IN_PROGRESS > INACTIVE, or START PENDING > START IN_PROGRESS > ACTIVE (a job)."""
        recommender = self._require(arn, "Recommender")
        if recommender["status"] != accepted:
            raise InUse(f"Only an {accepted} recommender can be {verb}; it is {recommender['status']}")
        self.store.update(arn, {"status": TRANSITIONS[job][0]})
        self.jobs.submit(arn, job)
        return {"recommenderArn": arn}
