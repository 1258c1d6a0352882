"""Campaigns and the personalize-runtime API: recommendations, related items, ranking, exploration."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from botocore.exceptions import ClientError

from .conftest import Env, wait_for


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_campaign_lifecycle_and_update(env: Env, trained: dict[str, Any]) -> None:
    p = env.personalize
    campaign = p.describe_campaign(campaignArn=trained["campaign"])["campaign"]
    assert campaign["status"] == "ACTIVE" and campaign["minProvisionedTPS"] == 1
    assert campaign["campaignConfig"]["itemExplorationConfig"] == {
        "explorationWeight": "0.3",
        "explorationItemAgeCutOff": "30",
    }
    assert [c["campaignArn"] for c in p.list_campaigns(solutionArn=trained["solution"])["campaigns"]] == [
        trained["campaign"]
    ]
    with pytest.raises(ClientError) as exc:
        p.create_campaign(name=campaign["name"], solutionVersionArn=trained["version"])
    assert code(exc) == "ResourceAlreadyExistsException"
    p.update_campaign(
        campaignArn=trained["campaign"],
        minProvisionedTPS=3,
        campaignConfig={"itemExplorationConfig": {"explorationWeight": "0.9"}},
    )
    updated = wait_for(
        lambda: p.describe_campaign(campaignArn=trained["campaign"])["campaign"]["latestCampaignUpdate"]
    )
    assert updated["status"] == "ACTIVE"
    current = p.describe_campaign(campaignArn=trained["campaign"])["campaign"]
    assert current["minProvisionedTPS"] == 3
    assert current["campaignConfig"]["itemExplorationConfig"]["explorationWeight"] == "0.9"
    p.update_campaign(
        campaignArn=trained["campaign"],
        minProvisionedTPS=1,
        campaignConfig={"itemExplorationConfig": {"explorationWeight": "0.3"}},
    )
    wait_for(lambda: p.describe_campaign(campaignArn=trained["campaign"])["campaign"]["latestCampaignUpdate"])
    with pytest.raises(ClientError) as exc:
        p.update_campaign(
            campaignArn=trained["campaign"],
            campaignConfig={"itemExplorationConfig": {"explorationWeight": "7"}},
        )
    assert code(exc) == "InvalidInputException"
    extra = env.campaign(trained["version"])
    p.delete_campaign(campaignArn=extra["campaignArn"])
    with pytest.raises(ClientError) as exc:
        p.describe_campaign(campaignArn=extra["campaignArn"])
    assert code(exc) == "ResourceNotFoundException"


def test_get_recommendations(env: Env, trained: dict[str, Any], frames: dict[str, pd.DataFrame]) -> None:
    rt = env.runtime
    events = frames["interactions"]
    user = "u3"
    result = rt.get_recommendations(campaignArn=trained["campaign"], userId=user, numResults=20)
    items = [i["itemId"] for i in result["itemList"]]
    assert len(items) == 20 and len(set(items)) == 20
    seen = set(events.loc[events["USER_ID"] == user, "ITEM_ID"])
    assert not seen & set(items), "already-seen items are not recommended"
    assert all(isinstance(i["score"], float) for i in result["itemList"])
    again = rt.get_recommendations(campaignArn=trained["campaign"], userId=user, numResults=20)
    assert [i["itemId"] for i in again["itemList"]] == items  # deterministic for a user
    cold = rt.get_recommendations(campaignArn=trained["campaign"], userId="brand-new-user", numResults=5)
    popular = events["ITEM_ID"].value_counts().index[:15].tolist()
    assert sum(i["itemId"] in popular for i in cold["itemList"]) >= 3, "cold users get popular items"
    default = rt.get_recommendations(campaignArn=trained["campaign"], userId=user)
    assert len(default["itemList"]) == 25
    with pytest.raises(ClientError) as exc:
        rt.get_recommendations(campaignArn=trained["campaign"] + "-missing", userId=user)
    assert code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        rt.get_recommendations(campaignArn=trained["campaign"])
    assert code(exc) == "InvalidInputException"


def test_exploration_of_new_items(env: Env, trained: dict[str, Any], frames: dict[str, pd.DataFrame]) -> None:
    events = frames["interactions"]
    cold_items = set(frames["items"]["ITEM_ID"]) - set(events["ITEM_ID"])
    newest = frames["items"].sort_values("CREATION_TIMESTAMP").tail(5)["ITEM_ID"]
    fresh = cold_items | set(newest)
    p = env.personalize
    explore = env.campaign(
        trained["version"],
        campaignConfig={
            "itemExplorationConfig": {"explorationWeight": "1.0", "explorationItemAgeCutOff": "2"}
        },
    )
    quiet = env.campaign(
        trained["version"],
        campaignConfig={"itemExplorationConfig": {"explorationWeight": "0", "explorationItemAgeCutOff": "2"}},
    )
    hits_explore = hits_quiet = 0
    for user in ("u1", "u2", "u5", "u8"):
        got = env.runtime.get_recommendations(campaignArn=explore["campaignArn"], userId=user, numResults=25)
        hits_explore += sum(i["itemId"] in fresh for i in got["itemList"])
        got = env.runtime.get_recommendations(campaignArn=quiet["campaignArn"], userId=user, numResults=25)
        hits_quiet += sum(i["itemId"] in fresh for i in got["itemList"])
    assert hits_explore > hits_quiet
    for arn in (explore["campaignArn"], quiet["campaignArn"]):
        p.delete_campaign(campaignArn=arn)


def test_related_items_and_ranking(
    env: Env, trained: dict[str, Any], frames: dict[str, pd.DataFrame]
) -> None:
    p, rt = env.personalize, env.runtime
    sims = env.train(env.solution(trained["group"], recipe="aws-similar-items"))
    assert sims["status"] == "ACTIVE", sims
    sims_campaign = env.campaign(sims["solutionVersionArn"])["campaignArn"]
    related = rt.get_recommendations(campaignArn=sims_campaign, itemId="i1", numResults=10)["itemList"]
    assert len(related) == 10 and "i1" not in [r["itemId"] for r in related]
    with pytest.raises(ClientError) as exc:
        rt.get_recommendations(campaignArn=sims_campaign, userId="u1")
    assert code(exc) == "InvalidInputException"
    with pytest.raises(ClientError) as exc:
        rt.get_recommendations(campaignArn=sims_campaign, itemId="not-an-item")
    assert code(exc) == "InvalidInputException"

    ranking = env.train(env.solution(trained["group"], recipe="aws-personalized-ranking"))
    rank_campaign = env.campaign(ranking["solutionVersionArn"])["campaignArn"]
    candidates = ["i1", "i2", "i3", "i4", "unknown-item"]
    ranked = rt.get_personalized_ranking(campaignArn=rank_campaign, userId="u4", inputList=candidates)
    order = [r["itemId"] for r in ranked["personalizedRanking"]]
    assert sorted(order) == sorted(candidates) and order[-1] == "unknown-item"
    scores = [r["score"] for r in ranked["personalizedRanking"] if "score" in r]
    assert scores == sorted(scores, reverse=True) and abs(sum(scores) - 1.0) < 1e-4
    with pytest.raises(ClientError) as exc:
        rt.get_personalized_ranking(campaignArn=trained["campaign"], userId="u4", inputList=candidates)
    assert code(exc) == "InvalidInputException"
    for arn in (sims_campaign, rank_campaign):
        p.delete_campaign(campaignArn=arn)
