"""Domain dataset groups and recommenders (VIDEO_ON_DEMAND use cases)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from botocore.exceptions import ClientError
from personalize_local.synthetic import INTERACTIONS_SCHEMA, ITEMS_SCHEMA

from .conftest import Env, wait_for

VOD = "arn:aws:personalize:::recipe/aws-vod-"


def test_recommender_lifecycle(env: Env, frames: dict[str, pd.DataFrame], trained: dict[str, Any]) -> None:
    p, rt = env.personalize, env.runtime
    group = p.create_dataset_group(name=env.name("vod"), domain="VIDEO_ON_DEMAND")["datasetGroupArn"]
    wait_for(lambda: p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
    for dataset_type, schema, key in (
        ("INTERACTIONS", INTERACTIONS_SCHEMA, "interactions"),
        ("ITEMS", ITEMS_SCHEMA, "items"),
    ):
        dataset = env.dataset(group, dataset_type, schema)
        assert env.import_frame(dataset, frames[key])["status"] == "ACTIVE"

    use_cases = {r["name"] for r in p.list_recipes(domain="VIDEO_ON_DEMAND")["recipes"]}
    assert {"aws-vod-top-picks", "aws-vod-more-like-x"} <= use_cases
    assert "aws-vod-top-picks" not in {r["name"] for r in p.list_recipes()["recipes"]}

    arn = p.create_recommender(
        name=env.name("top-picks"),
        datasetGroupArn=group,
        recipeArn=VOD + "top-picks",
        recommenderConfig={"itemExplorationConfig": {"explorationWeight": "0.1"}},
    )["recommenderArn"]
    recommender = wait_for(lambda: p.describe_recommender(recommenderArn=arn)["recommender"])
    assert recommender["status"] == "ACTIVE", recommender
    assert recommender["modelMetrics"]["normalized_discounted_cumulative_gain_at_10"] > 0
    items = rt.get_recommendations(recommenderArn=arn, userId="u1", numResults=7)["itemList"]
    assert len(items) == 7
    assert [r["recommenderArn"] for r in p.list_recommenders(datasetGroupArn=group)["recommenders"]] == [arn]

    # Stop and start go through Personalize's documented statuses; serving stops with the first.
    seen = []

    def status_until(done: str) -> dict[str, Any]:
        def describe() -> dict[str, Any]:
            record = p.describe_recommender(recommenderArn=arn)["recommender"]
            seen.append(record["status"])
            return dict(record)
        return wait_for(describe, done=(done,))

    p.stop_recommender(recommenderArn=arn)
    assert p.describe_recommender(recommenderArn=arn)["recommender"]["status"] == "STOP PENDING"
    with pytest.raises(ClientError) as exc:
        rt.get_recommendations(recommenderArn=arn, userId="u1")
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(ClientError) as exc:
        p.start_recommender(recommenderArn=arn)  # still stopping
    assert exc.value.response["Error"]["Code"] == "ResourceInUseException"
    status_until("INACTIVE")
    with pytest.raises(ClientError) as exc:
        rt.get_recommendations(recommenderArn=arn, userId="u1")
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"
    p.start_recommender(recommenderArn=arn)
    assert p.describe_recommender(recommenderArn=arn)["recommender"]["status"] == "START PENDING"
    status_until("ACTIVE")
    assert set(seen) <= {"STOP PENDING", "STOP IN_PROGRESS", "INACTIVE", "START PENDING", "START IN_PROGRESS",
                         "ACTIVE"}
    p.update_recommender(recommenderArn=arn, recommenderConfig={"itemExplorationConfig": {"explorationWeight": "0.5"}})
    updated = p.describe_recommender(recommenderArn=arn)["recommender"]
    assert updated["status"] == "ACTIVE" and updated["latestRecommenderUpdate"]["status"] == "ACTIVE"
    assert updated["recommenderConfig"]["itemExplorationConfig"]["explorationWeight"] == "0.5"

    more_like = p.create_recommender(name=env.name("more-like"), datasetGroupArn=group, recipeArn=VOD + "more-like-x")[
        "recommenderArn"
    ]
    assert wait_for(lambda: p.describe_recommender(recommenderArn=more_like)["recommender"])["status"] == "ACTIVE"
    related = rt.get_recommendations(recommenderArn=more_like, itemId="i3", numResults=5)["itemList"]
    assert len(related) == 5 and "i3" not in {r["itemId"] for r in related}

    with pytest.raises(ClientError) as exc:  # domain use cases need a domain dataset group
        p.create_recommender(name=env.name("r"), datasetGroupArn=trained["group"], recipeArn=VOD + "top-picks")
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(ClientError) as exc:  # and custom solutions cannot use them
        p.create_solution(name=env.name("s"), datasetGroupArn=group, recipeArn=VOD + "top-picks")
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(ClientError) as exc:
        p.delete_dataset_group(datasetGroupArn=group)
    assert exc.value.response["Error"]["Code"] == "ResourceInUseException"
    for recommender_arn in (arn, more_like):
        p.delete_recommender(recommenderArn=recommender_arn)
    with pytest.raises(ClientError) as exc:
        p.describe_recommender(recommenderArn=arn)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
