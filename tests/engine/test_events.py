"""PutEvents through an event tracker: stored as PUT data and applied to recommendations at once."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pandas as pd
import pytest
from botocore.exceptions import ClientError

from .conftest import Env, client, wait_for


def test_put_events_update_recommendations(env: Env, trained: dict[str, Any], frames: dict[str, pd.DataFrame]) -> None:
    p = env.personalize
    endpoint = env.stack.personalize_endpoint_url
    assert endpoint
    events_client = client("personalize-events", endpoint)
    tracker = p.create_event_tracker(name=env.name("tracker"), datasetGroupArn=trained["group"])
    wait_for(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"])

    campaign = trained["campaign"]
    before = [
        i["itemId"]
        for i in env.runtime.get_recommendations(campaignArn=campaign, userId="u5", numResults=10)["itemList"]
    ]
    now = time.time()
    events_client.put_events(
        trackingId=tracker["trackingId"],
        userId="u5",
        sessionId="s-1",
        eventList=[{"eventType": "watch", "itemId": item, "sentAt": now} for item in before[:3]],
    )
    after = [
        i["itemId"]
        for i in env.runtime.get_recommendations(campaignArn=campaign, userId="u5", numResults=10)["itemList"]
    ]
    assert not set(before[:3]) & set(after), "items just interacted with are no longer recommended"

    # A brand-new visitor starts with popular items and is personalised by its first events.
    cold = [
        i["itemId"]
        for i in env.runtime.get_recommendations(campaignArn=campaign, userId="visitor-1", numResults=10)["itemList"]
    ]
    comedy = frames["items"][frames["items"]["GENRES"] == "Comedy"]["ITEM_ID"].head(5).tolist()
    events_client.put_events(
        trackingId=tracker["trackingId"],
        userId="visitor-1",
        sessionId="s-2",
        eventList=[{"eventType": "watch", "itemId": item, "sentAt": now} for item in comedy],
    )
    warm = [
        i["itemId"]
        for i in env.runtime.get_recommendations(campaignArn=campaign, userId="visitor-1", numResults=10)["itemList"]
    ]
    assert warm != cold and not set(comedy) & set(warm)

    with pytest.raises(ClientError) as exc:
        events_client.put_events(
            trackingId="unknown",
            sessionId="s",
            eventList=[{"eventType": "watch", "itemId": "i1", "sentAt": now}],
        )
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"

    # The events are PUT data of the interactions dataset: exported with ingestionMode PUT.
    export = p.create_dataset_export_job(
        jobName=env.name("export"),
        datasetArn=trained["datasets"]["INTERACTIONS"],
        roleArn=env.role,
        ingestionMode="PUT",
        jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/put-export/"}},
    )["datasetExportJobArn"]
    done = wait_for(lambda: p.describe_dataset_export_job(datasetExportJobArn=export)["datasetExportJob"])
    assert done["status"] == "ACTIVE"
    key = env.s3.list_objects_v2(Bucket=env.bucket, Prefix="put-export/")["Contents"][0]["Key"]
    exported = pd.read_csv(io.BytesIO(env.s3.get_object(Bucket=env.bucket, Key=key)["Body"].read()))
    assert len(exported) == 8 and set(exported["USER_ID"]) == {"u5", "visitor-1"}
    p.delete_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])


def test_put_items_and_users(env: Env, frames: dict[str, pd.DataFrame]) -> None:
    p = env.personalize
    endpoint = env.stack.personalize_endpoint_url
    assert endpoint
    events_client = client("personalize-events", endpoint)
    _, datasets = env.loaded_group(frames, with_items=True, with_users=True)
    events_client.put_items(
        datasetArn=datasets["ITEMS"],
        items=[
            {"itemId": "i1", "properties": json.dumps({"genres": ["Comedy", "Drama"], "creationTimestamp": 1})},
            {"itemId": "brand-new", "properties": json.dumps({"GENRES": "Horror", "CREATION_TIMESTAMP": 5})},
        ],
    )
    events_client.put_users(
        datasetArn=datasets["USERS"], users=[{"userId": "u1", "properties": '{"favourite": "Crime"}'}]
    )
    export = p.create_dataset_export_job(
        jobName=env.name("export"),
        datasetArn=datasets["ITEMS"],
        roleArn=env.role,
        ingestionMode="ALL",
        jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/items-export/"}},
    )["datasetExportJobArn"]
    assert (
        wait_for(lambda: p.describe_dataset_export_job(datasetExportJobArn=export)["datasetExportJob"])["status"]
        == "ACTIVE"
    )
    key = env.s3.list_objects_v2(Bucket=env.bucket, Prefix="items-export/")["Contents"][0]["Key"]
    items = pd.read_csv(io.BytesIO(env.s3.get_object(Bucket=env.bucket, Key=key)["Body"].read())).set_index("ITEM_ID")
    assert len(items) == len(frames["items"]) + 1
    assert items.loc["i1", "GENRES"] == "Comedy|Drama" and items.loc["brand-new", "GENRES"] == "Horror"
    with pytest.raises(ClientError) as exc:  # CREATION_TIMESTAMP is required by the schema and not a number
        events_client.put_items(
            datasetArn=datasets["ITEMS"],
            items=[{"itemId": "x", "properties": '{"genres": "A", "creationTimestamp": "soon"}'}],
        )
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(ClientError) as exc:
        events_client.put_users(datasetArn=datasets["ITEMS"], users=[{"userId": "u1", "properties": "{}"}])
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"


def test_item_id_inside_properties_as_aws_samples_send_it(env: Env, trained: dict[str, Any]) -> None:
    """The getting-started notebook puts itemId (and eventValue) in the event's properties JSON."""
    p = env.personalize
    endpoint = env.stack.personalize_endpoint_url
    assert endpoint
    tracker = p.create_event_tracker(name=env.name("tracker"), datasetGroupArn=trained["group"])
    wait_for(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"])
    events_client = client("personalize-events", endpoint)
    events_client.put_events(
        trackingId=tracker["trackingId"], userId="sample-user", sessionId="s-9",
        eventList=[{"eventType": "watch", "sentAt": time.time(),
                    "properties": json.dumps({"itemId": "i7", "eventValue": 4.5})}])
    with pytest.raises(ClientError) as exc:
        events_client.put_events(trackingId=tracker["trackingId"], userId="sample-user", sessionId="s-9",
                                 eventList=[{"eventType": "watch", "sentAt": time.time(), "properties": "[1]"}])
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"
    export = p.create_dataset_export_job(
        jobName=env.name("export"), datasetArn=trained["datasets"]["INTERACTIONS"], roleArn=env.role,
        ingestionMode="PUT", jobOutput={"s3DataDestination": {"path": f"s3://{env.bucket}/props-export/"}},
    )["datasetExportJobArn"]
    assert wait_for(lambda: p.describe_dataset_export_job(datasetExportJobArn=export)["datasetExportJob"])[
        "status"] == "ACTIVE"
    key = env.s3.list_objects_v2(Bucket=env.bucket, Prefix="props-export/")["Contents"][0]["Key"]
    exported = pd.read_csv(io.BytesIO(env.s3.get_object(Bucket=env.bucket, Key=key)["Body"].read()))
    mine = exported[exported["USER_ID"] == "sample-user"]
    assert mine[["ITEM_ID", "EVENT_VALUE"]].values.tolist() == [["i7", 4.5]]
    p.delete_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])
