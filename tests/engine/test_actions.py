"""Next best action over HTTP: Actions and Action interactions datasets, PutActions / PutActionInteractions, the
aws-next-best-action recipe and GetActionRecommendations, with the rules Personalize documents."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import pytest
from botocore.exceptions import ClientError

from .conftest import Env, wait_for

ACTIONS_SCHEMA = {
    "type": "record",
    "name": "Actions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "ACTION_ID", "type": "string"},
        {"name": "VALUE", "type": ["null", "float"]},
        {"name": "REPEAT_FREQUENCY", "type": ["null", "int"]},
        {"name": "ACTION_EXPIRATION_TIMESTAMP", "type": ["null", "long"]},
        {"name": "KIND", "type": "string", "categorical": True},
    ],
    "version": "1.0",
}
ACTION_INTERACTIONS_SCHEMA = {
    "type": "record",
    "name": "ActionInteractions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ACTION_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
    ],
    "version": "1.0",
}
TAKE_RATES = {"enrol": 0.65, "quiz": 0.45, "survey": 0.25}  # each over 50 TAKEN of 300


def _action_events(now: int) -> pd.DataFrame:
    """300 users each shown enrol, quiz and survey once (taken at those rates); 'rare' seen by 20 users only."""
    rng = np.random.default_rng(5)
    rows = []
    for u in range(300):
        for k, (action, rate) in enumerate(TAKE_RATES.items()):
            at = now - 86400 * int(rng.integers(1, 30)) - k
            rows.append((f"user{u}", action, at, "Viewed"))
            rows.append((f"user{u}", action, at + 5, "Taken" if rng.random() < rate else "Not Taken"))
        if u < 20:
            rows.append((f"user{u}", "rare", now - 86400, "TAKEN"))
    return pd.DataFrame(rows, columns=["USER_ID", "ACTION_ID", "TIMESTAMP", "EVENT_TYPE"])


def _wait_import(env: Env, arn: str) -> dict[str, Any]:
    return wait_for(lambda: env.personalize.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"])


@pytest.fixture(scope="module")
def nba(env: Env) -> dict[str, Any]:
    p = env.personalize
    now = int(time.time())
    group = env.dataset_group()
    actions = env.dataset(group, "ACTIONS", ACTIONS_SCHEMA)
    action_interactions = env.dataset(group, "ACTION_INTERACTIONS", ACTION_INTERACTIONS_SCHEMA)
    catalogue = pd.DataFrame({
        "ACTION_ID": ["enrol", "quiz", "survey", "rare", "expired"],
        "VALUE": [10.0, 2.0, 1.0, 5.0, 50.0],
        "REPEAT_FREQUENCY": [None, 7, None, None, None],
        "ACTION_EXPIRATION_TIMESTAMP": [None, None, None, None, now - 3600],
        "KIND": ["course", "quiz", "survey", "course", "course"],
    }).astype({"REPEAT_FREQUENCY": "Int64", "ACTION_EXPIRATION_TIMESTAMP": "Int64"})
    assert env.import_frame(actions, catalogue)["status"] == "ACTIVE"
    assert env.import_frame(action_interactions, _action_events(now))["status"] == "ACTIVE"
    version = env.train(env.solution(group, recipe="aws-next-best-action"))
    assert version["status"] == "ACTIVE", version.get("failureReason")
    campaign = env.campaign(version["solutionVersionArn"])
    tracker = p.create_event_tracker(name=env.name("tracker"), datasetGroupArn=group)
    wait_for(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"])
    return {"group": group, "actions": actions, "action_interactions": action_interactions,
            "version": version["solutionVersionArn"], "campaign": campaign["campaignArn"],
            "tracking": tracker["trackingId"]}


def _recommended(env: Env, campaign: str, user: str, **kwargs: Any) -> list[dict[str, Any]]:
    return list(env.runtime.get_action_recommendations(campaignArn=campaign, userId=user, **kwargs)["actionList"])


def test_actions_ranked_by_propensity(env: Env, nba: dict[str, Any]) -> None:
    # A user unknown to the model gets the actions' own take rates; expired actions are never recommended and
    # 'rare' lacks 50 NOT_TAKEN/VIEWED interactions: no score, ranked last.
    listed = _recommended(env, nba["campaign"], "new-user", numResults=10)
    assert [a["actionId"] for a in listed] == ["enrol", "quiz", "survey", "rare"]
    scores = {a["actionId"]: a["score"] for a in listed}
    assert scores["rare"] == 0.0
    for action, rate in TAKE_RATES.items():  # a propensity: close to the rate at which users took the action
        assert abs(scores[action] - rate) < 0.08, (action, scores[action])
    # A known user's scores lean towards what that user took, still probabilities in descending order.
    known = _recommended(env, nba["campaign"], "user250", numResults=10)
    assert {a["actionId"] for a in known} == set(scores)
    assert [a["score"] for a in known] == sorted((a["score"] for a in known), reverse=True)
    assert all(0.0 <= a["score"] <= 1.0 for a in known)
    assert len(_recommended(env, nba["campaign"], "user250")) == 4  # default numResults is 5


def test_repeat_frequency_and_put_action_interactions(env: Env, nba: dict[str, Any]) -> None:
    events = env.stack.personalize_endpoint_url
    assert events
    from .conftest import client

    tracker = client("personalize-events", events)
    # quiz has REPEAT_FREQUENCY 7: taken now, it is not recommended to that user for a week.
    tracker.put_action_interactions(trackingId=nba["tracking"], actionInteractions=[
        {"actionId": "quiz", "userId": "user251", "sessionId": "s1", "timestamp": time.time(), "eventType": "Taken"}])
    assert "quiz" not in [a["actionId"] for a in _recommended(env, nba["campaign"], "user251")]
    assert "quiz" in [a["actionId"] for a in _recommended(env, nba["campaign"], "user252")]
    # enrol has no repeat frequency: taking it changes nothing until the next training.
    tracker.put_action_interactions(trackingId=nba["tracking"], actionInteractions=[
        {"actionId": "enrol", "userId": "user252", "sessionId": "s2", "timestamp": time.time(), "eventType": "TAKEN"}])
    assert _recommended(env, nba["campaign"], "user252")[0]["actionId"] == "enrol"
    with pytest.raises(ClientError, match="must be one of Taken, Not Taken, Viewed"):
        tracker.put_action_interactions(trackingId=nba["tracking"], actionInteractions=[
            {"actionId": "enrol", "userId": "u", "sessionId": "s", "timestamp": time.time(), "eventType": "Click"}])

    # PutActions adds an action for the next training; PUT action interactions are exported with the bulk ones.
    tracker.put_actions(datasetArn=nba["actions"], actions=[
        {"actionId": "webinar", "properties": '{"value": 3.0, "kind": "course"}'}])
    export = env.personalize.create_dataset_export_job(
        jobName=env.name("export"), datasetArn=nba["action_interactions"], ingestionMode="PUT", roleArn=env.role,
        jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/nba-export/"}})["datasetExportJobArn"]
    assert wait_for(lambda: env.personalize.describe_dataset_export_job(datasetExportJobArn=export)[
        "datasetExportJob"])["status"] == "ACTIVE"
    keys = [o["Key"] for o in env.s3.list_objects_v2(Bucket=env.bucket, Prefix="nba-export/")["Contents"]]
    body = env.s3.get_object(Bucket=env.bucket, Key=keys[0])["Body"].read().decode()
    assert body.splitlines()[0].split(",")[:4] == ["USER_ID", "ACTION_ID", "TIMESTAMP", "EVENT_TYPE"]
    assert ",quiz," in body and ",TAKEN" in body
    retrained = env.train(env.solution(nba["group"], recipe="aws-next-best-action"))
    campaign = env.campaign(retrained["solutionVersionArn"])["campaignArn"]
    fresh = {a["actionId"]: a["score"] for a in _recommended(env, campaign, "user1", numResults=10)}
    assert fresh["webinar"] == 0.0 and "expired" not in fresh


def test_action_interaction_imports_check_event_types(env: Env, nba: dict[str, Any]) -> None:
    bad = pd.DataFrame({"USER_ID": ["a", "b"], "ACTION_ID": ["enrol", "quiz"], "TIMESTAMP": [1, 2],
                        "EVENT_TYPE": ["TAKEN", "CLICKED"]})
    job = env.import_frame(nba["action_interactions"], bad, mode="INCREMENTAL")
    assert job["status"] == "CREATE FAILED"
    assert "EVENT_TYPE other than TAKEN, NOT_TAKEN or VIEWED, e.g. 'CLICKED' (lines 3)" in job["failureReason"]


def test_next_best_action_serves_only_action_recommendations(env: Env, nba: dict[str, Any],
                                                             trained: dict[str, Any]) -> None:
    with pytest.raises(ClientError, match="not available for recipe type PERSONALIZED_ACTIONS"):
        env.runtime.get_recommendations(campaignArn=nba["campaign"], userId="user1")
    with pytest.raises(ClientError, match="needs a campaign of the Next-Best-Action recipe"):
        env.runtime.get_action_recommendations(campaignArn=trained["campaign"], userId="u1")
    with pytest.raises(ClientError, match="You can't get batch recommendations") as error:
        env.personalize.create_batch_inference_job(
            jobName=env.name("b"), solutionVersionArn=nba["version"], roleArn=env.role,
            jobInput={"s3DataSource": {"path": f"s3://{env.bucket}/x.json"}},
            jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/x/"}})
    assert error.value.response["Error"]["Code"] == "InvalidInputException"
    recipe = env.personalize.describe_recipe(recipeArn="arn:aws:personalize:::recipe/aws-next-best-action")
    assert recipe["recipe"]["recipeType"] == "PERSONALIZED_ACTIONS"
