"""Filters (real-time and batch) and batch inference / segment jobs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from personalize_local.errors import InvalidInput
from personalize_local.filters import parse

from .conftest import Env, statuses_seen, wait_for


def genres_of(frames: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    return {row.ITEM_ID: set(row.GENRES.split("|")) for row in frames["items"].itertuples()}


def make_filter(env: Env, group: str, expression: str) -> str:
    arn = env.personalize.create_filter(name=env.name("f"), datasetGroupArn=group, filterExpression=expression)[
        "filterArn"
    ]
    wait_for(lambda: env.personalize.describe_filter(filterArn=arn)["filter"])
    return str(arn)


def test_parser_accepts_documented_forms_and_rejects_others() -> None:
    parts = parse(
        'INCLUDE ItemID WHERE Items.GENRES IN ("Comedy", "Drama") AND Items.PRICE < 10 '
        '| EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")'
    )
    assert [p.include for p in parts] == [True, False]
    assert parts[0].groups[0][0].values == ("Comedy", "Drama")
    assert parse("EXCLUDE ItemID WHERE Items.GENRES IN ($GENRE)")[0].groups[0][0].param == "GENRE"
    for bad in (
        "",
        "INCLUDE Users WHERE Items.X IN (1)",
        "INCLUDE ItemID WHERE Nope.X IN (1)",
        'INCLUDE ItemID WHERE Items.X IN ("a") IF CurrentUser.AGE > 3',
        "INCLUDE ItemID Items.X",
    ):
        with pytest.raises(InvalidInput):
            parse(bad)


def test_filters_in_get_recommendations(env: Env, trained: dict[str, Any], frames: dict[str, pd.DataFrame]) -> None:
    genres = genres_of(frames)
    include = make_filter(env, trained["group"], 'INCLUDE ItemID WHERE Items.GENRES IN ("Comedy", "Drama")')
    result = env.runtime.get_recommendations(
        campaignArn=trained["campaign"], userId="u2", numResults=10, filterArn=include
    )["itemList"]
    assert result and all(genres[i["itemId"]] & {"Comedy", "Drama"} for i in result)

    param = make_filter(env, trained["group"], "EXCLUDE ItemID WHERE Items.GENRES IN ($GENRE)")
    result = env.runtime.get_recommendations(
        campaignArn=trained["campaign"],
        userId="u2",
        numResults=25,
        filterArn=param,
        filterValues={"GENRE": '"Action","Horror"'},
    )["itemList"]
    assert len(result) == 25 and not any(genres[i["itemId"]] & {"Action", "Horror"} for i in result)

    events = frames["interactions"]
    watched = set(events.loc[(events["USER_ID"] == "u2") & (events["EVENT_TYPE"] == "watch"), "ITEM_ID"])
    include_watched = make_filter(env, trained["group"], 'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")')
    assert watched
    # Seen items are excluded from recommendations, so "only watched items" leaves nothing to recommend.
    assert (
        env.runtime.get_recommendations(campaignArn=trained["campaign"], userId="u2", filterArn=include_watched)[
            "itemList"
        ]
        == []
    )
    sims = env.train(env.solution(trained["group"], recipe="aws-sims"))
    sims_campaign = env.campaign(sims["solutionVersionArn"])["campaignArn"]
    exclude_watched = make_filter(env, trained["group"], 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")')
    related = env.runtime.get_recommendations(
        campaignArn=sims_campaign, itemId="i1", userId="u2", numResults=50, filterArn=exclude_watched
    )["itemList"]
    assert related and not {r["itemId"] for r in related} & watched
    unfiltered = env.runtime.get_recommendations(campaignArn=sims_campaign, itemId="i1", userId="u2", numResults=50)[
        "itemList"
    ]
    assert {r["itemId"] for r in unfiltered} & watched, "the filter had something to remove"
    env.personalize.delete_campaign(campaignArn=sims_campaign)


def test_batch_inference_output_format(env: Env, trained: dict[str, Any], frames: dict[str, pd.DataFrame]) -> None:
    p = env.personalize
    genres = genres_of(frames)
    comedy = make_filter(env, trained["group"], 'INCLUDE ItemID WHERE Items.GENRES IN ("Comedy")')
    source = env.put_lines(
        "batch/in/users.json",
        [{"userId": "u1"}, {"userId": "new-user"}, "{not json", {"itemId": "i1"}, {"userId": "u7"}],
    )
    arn = p.create_batch_inference_job(
        jobName=env.name("batch"),
        solutionVersionArn=trained["version"],
        roleArn=env.role,
        numResults=5,
        filterArn=comedy,
        jobInput={"s3DataSource": {"path": source}},
        jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/batch/out/"}},
    )["batchInferenceJobArn"]
    job = wait_for(lambda: p.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"])
    assert job["status"] == "ACTIVE", job
    lines = env.read_lines("batch/out/users.json.out")
    assert len(lines) == 5
    assert lines[0]["input"] == {"userId": "u1"} and lines[0]["error"] is None
    out = lines[0]["output"]
    assert len(out["recommendedItems"]) == 5 and len(out["scores"]) == 5
    assert all("Comedy" in genres[i] for i in out["recommendedItems"])
    assert lines[1]["error"] is None and len(lines[1]["output"]["recommendedItems"]) == 5
    assert lines[2]["output"] is None and "Invalid JSON" in lines[2]["error"]
    assert lines[3]["output"] is None and "userId" in lines[3]["error"]
    assert [
        j["batchInferenceJobArn"]
        for j in p.list_batch_inference_jobs(solutionVersionArn=trained["version"])["batchInferenceJobs"]
    ] == [arn]


def test_batch_jobs_show_the_service_models_status_words(env: Env, trained: dict[str, Any]) -> None:
    """DescribeBatchInferenceJob: PENDING > IN PROGRESS > ACTIVE -or- CREATE FAILED, in describe and list alike."""
    p = env.personalize
    source = env.put_lines("batch/in/words.json", [{"userId": "u1"}, {"userId": "u2"}])
    arn = p.create_batch_inference_job(
        jobName=env.name("words"), solutionVersionArn=trained["version"], roleArn=env.role,
        jobInput={"s3DataSource": {"path": source}},
        jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/batch/words/"}},
    )["batchInferenceJobArn"]
    listed = {j["status"] for j in p.list_batch_inference_jobs(solutionVersionArn=trained["version"])[
        "batchInferenceJobs"] if j["batchInferenceJobArn"] == arn}
    seen = statuses_seen(lambda: p.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"],
                         timeout=60)
    assert seen[0] == "PENDING" and seen[-1] == "ACTIVE", seen
    assert set(seen) <= {"PENDING", "IN PROGRESS", "ACTIVE"}, seen
    assert listed <= {"PENDING", "IN PROGRESS", "ACTIVE"}, listed


def test_batch_related_ranking_and_segments(env: Env, trained: dict[str, Any]) -> None:
    p = env.personalize
    sims = env.train(env.solution(trained["group"], recipe="aws-sims"))["solutionVersionArn"]
    source = env.put_lines("batch2/items.json", [{"itemId": "i1"}, {"itemId": "missing"}])
    arn = p.create_batch_inference_job(
        jobName=env.name("b"),
        solutionVersionArn=sims,
        roleArn=env.role,
        numResults=3,
        jobInput={"s3DataSource": {"path": source}},
        jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/batch2/out"}},
    )["batchInferenceJobArn"]
    assert (
        wait_for(lambda: p.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"])["status"]
        == "ACTIVE"
    )
    lines = env.read_lines("batch2/out/items.json.out")
    assert len(lines[0]["output"]["recommendedItems"]) == 3 and lines[1]["error"]

    affinity = env.train(env.solution(trained["group"], recipe="aws-item-affinity"))["solutionVersionArn"]
    segment_in = env.put_lines(
        "seg/in.json", [{"itemId": "i1"}, {"itemAttributes": 'ITEMS.GENRES = "Comedy"'}, {"userId": "u1"}]
    )
    seg = p.create_batch_segment_job(
        jobName=env.name("seg"),
        solutionVersionArn=affinity,
        roleArn=env.role,
        numResults=7,
        jobInput={"s3DataSource": {"path": segment_in}},
        jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/seg/out/"}},
    )["batchSegmentJobArn"]
    done = wait_for(lambda: p.describe_batch_segment_job(batchSegmentJobArn=seg)["batchSegmentJob"])
    assert done["status"] == "ACTIVE", done
    lines = env.read_lines("seg/out/in.json.out")
    assert len(lines[0]["output"]["usersList"]) == 7 and lines[0]["error"] is None
    assert len(lines[1]["output"]["usersList"]) == 7
    assert lines[2]["output"] is None and lines[2]["error"]
    assert p.list_batch_segment_jobs(solutionVersionArn=affinity)["batchSegmentJobs"][0]["batchSegmentJobArn"] == seg
    with pytest.raises(Exception) as exc:  # a user-personalization version cannot run segment jobs
        p.create_batch_segment_job(
            jobName=env.name("seg"),
            solutionVersionArn=trained["version"],
            roleArn=env.role,
            jobInput={"s3DataSource": {"path": segment_in}},
            jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/seg/x/"}},
        )
    assert "InvalidInputException" in str(exc.value)


def test_batch_filter_values_per_line_and_exploration(
    env: Env, trained: dict[str, Any], frames: dict[str, pd.DataFrame]
) -> None:
    p = env.personalize
    genres = genres_of(frames)
    by_genre = make_filter(env, trained["group"], "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)")
    source = env.put_lines(
        "batch3/in.json",
        [
            {"userId": "u1", "filterValues": {"GENRE": '"Drama"'}},
            {"userId": "u2", "filterValues": {"GENRE": '"Action","Horror"'}},
            {"userId": "u3"},
        ],
    )
    arn = p.create_batch_inference_job(
        jobName=env.name("batch"),
        solutionVersionArn=trained["version"],
        roleArn=env.role,
        numResults=10,
        filterArn=by_genre,
        batchInferenceJobConfig={"itemExplorationConfig": {"explorationWeight": "0.0"}},
        jobInput={"s3DataSource": {"path": source}},
        jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/batch3/out/"}},
    )["batchInferenceJobArn"]
    job = wait_for(lambda: p.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"])
    assert job["status"] == "ACTIVE", job
    assert job["batchInferenceJobConfig"]["itemExplorationConfig"]["explorationWeight"] == "0.0"
    drama, action, unfiltered = env.read_lines("batch3/out/in.json.out")
    assert all("Drama" in genres[i] for i in drama["output"]["recommendedItems"])
    assert all(genres[i] & {"Action", "Horror"} for i in action["output"]["recommendedItems"])
    # Without a value for the placeholder the filter part is skipped, as Personalize does.
    assert len(unfiltered["output"]["recommendedItems"]) == 10
