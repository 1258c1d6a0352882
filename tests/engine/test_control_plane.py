"""Control-plane protocol behaviour: errors, validation, shapes, pagination, tags, recipes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError, ParamValidationError
from personalize_local.synthetic import INTERACTIONS_SCHEMA, ITEMS_SCHEMA

from .conftest import Env, statuses_seen, wait_for


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_dataset_group_lifecycle(env: Env) -> None:
    p = env.personalize
    name = env.name("dsg")
    arn = p.create_dataset_group(name=name)["datasetGroupArn"]
    assert arn == f"arn:aws:personalize:us-east-1:123456789012:dataset-group/{name}"
    first = p.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]
    assert first["status"] in ("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE")
    group = wait_for(lambda: p.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"])
    assert group["status"] == "ACTIVE"
    assert isinstance(group["creationDateTime"], dt.datetime)  # epoch floats parsed by botocore
    assert len(p.describe_dataset_group(datasetGroupArn=arn)["ResponseMetadata"]["RequestId"]) == 36
    with pytest.raises(ClientError) as exc:
        p.create_dataset_group(name=name)
    assert code(exc) == "ResourceAlreadyExistsException"
    assert arn in [g["datasetGroupArn"] for g in p.list_dataset_groups(maxResults=100)["datasetGroups"]]
    p.delete_dataset_group(datasetGroupArn=arn)
    with pytest.raises(ClientError) as exc:
        p.describe_dataset_group(datasetGroupArn=arn)
    assert code(exc) == "ResourceNotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("name", ["bad name", "-leading", "x" * 64, "semi;colon"])
def test_invalid_names_rejected(env: Env, name: str) -> None:
    try:
        env.personalize.create_dataset_group(name=name)
    except ParamValidationError:
        return  # botocore's own length check caught it client-side, equally fine
    except ClientError as err:
        assert err.response["Error"]["Code"] == "InvalidInputException"
        return
    pytest.fail(f"{name!r} was accepted")


def test_invalid_arn_rejected(env: Env) -> None:
    with pytest.raises(ClientError) as exc:
        env.personalize.describe_solution(solutionArn="not-an-arn")
    assert code(exc) == "InvalidInputException"


def test_missing_required_member_rejected_over_raw_http(env: Env) -> None:
    url = env.stack.personalize_endpoint_url
    headers = {
        "X-Amz-Target": "AmazonPersonalize.CreateDatasetGroup",
        "Content-Type": "application/x-amz-json-1.1",
    }
    response = requests.post(f"{url}/", data=json.dumps({}), headers=headers, timeout=10)
    assert response.status_code == 400
    assert response.json()["__type"] == "InvalidInputException"
    unknown = requests.post(
        f"{url}/", data="{}", headers={**headers, "X-Amz-Target": "AmazonPersonalize.Nope"}, timeout=10
    )
    assert unknown.status_code == 400
    assert requests.get(f"{url}/health", timeout=10).status_code == 200


def test_pagination(env: Env) -> None:
    p = env.personalize
    names = [env.name("page") for _ in range(5)]
    for name in names:
        p.create_schema(name=name, schema=json.dumps(ITEMS_SCHEMA))
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"maxResults": 2}
        if token:
            kwargs["nextToken"] = token
        page = p.list_schemas(**kwargs)
        assert len(page["schemas"]) <= 2
        seen += [s["name"] for s in page["schemas"]]
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert set(names) <= set(seen)
    assert pages >= 3
    assert len(seen) == len(set(seen))
    with pytest.raises(ClientError) as exc:
        p.list_schemas(nextToken="garbage!")
    assert code(exc) == "InvalidNextTokenException"
    paginated = [
        s["name"]
        for page in p.get_paginator("list_schemas").paginate(PaginationConfig={"PageSize": 2})
        for s in page["schemas"]
    ]
    assert set(names) <= set(paginated)


def test_schema_validation_per_dataset_type(env: Env) -> None:
    p = env.personalize
    with pytest.raises(ClientError) as exc:
        p.create_schema(name=env.name("s"), schema="{not json")
    assert code(exc) == "InvalidInputException"
    bad_categorical = {
        "type": "record",
        "name": "Items",
        "fields": [
            {"name": "ITEM_ID", "type": "string"},
            {"name": "PRICE", "type": "float", "categorical": True},
        ],
    }
    with pytest.raises(ClientError) as exc:
        p.create_schema(name=env.name("s"), schema=json.dumps(bad_categorical))
    assert "categorical" in exc.value.response["Error"]["Message"]
    group = env.dataset_group()
    items_schema = env.schema(ITEMS_SCHEMA)
    with pytest.raises(ClientError) as exc:  # items schema lacks USER_ID / TIMESTAMP
        p.create_dataset(
            name=env.name("d"), schemaArn=items_schema, datasetGroupArn=group, datasetType="Interactions"
        )
    assert code(exc) == "InvalidInputException"
    assert "USER_ID" in exc.value.response["Error"]["Message"]
    no_user = {
        "type": "record",
        "name": "Users",
        "fields": [{"name": "AGE", "type": "int"}, {"name": "G", "type": "string"}],
    }
    with pytest.raises(ClientError) as exc:
        p.create_dataset(
            name=env.name("d"), schemaArn=env.schema(no_user), datasetGroupArn=group, datasetType="USERS"
        )
    assert "USER_ID" in exc.value.response["Error"]["Message"]
    dataset = env.dataset(group, "INTERACTIONS", INTERACTIONS_SCHEMA)
    described = p.describe_dataset(datasetArn=dataset)["dataset"]
    assert described["datasetType"] == "INTERACTIONS"
    assert dataset.endswith("/INTERACTIONS")
    with pytest.raises(ClientError) as exc:
        env.dataset(group, "INTERACTIONS", INTERACTIONS_SCHEMA)
    assert code(exc) == "ResourceAlreadyExistsException"
    schema_arn = described["schemaArn"]
    with pytest.raises(ClientError) as exc:
        p.delete_schema(schemaArn=schema_arn)
    assert code(exc) == "ResourceInUseException"
    with pytest.raises(ClientError) as exc:
        p.delete_dataset_group(datasetGroupArn=group)
    assert code(exc) == "ResourceInUseException"
    p.update_dataset(datasetArn=dataset, schemaArn=env.schema(INTERACTIONS_SCHEMA))
    assert p.describe_dataset(datasetArn=dataset)["dataset"]["latestDatasetUpdate"]["status"] == "ACTIVE"
    assert [d["datasetArn"] for d in p.list_datasets(datasetGroupArn=group)["datasets"]] == [dataset]
    p.delete_dataset(datasetArn=dataset)
    p.delete_schema(schemaArn=schema_arn)
    p.delete_dataset_group(datasetGroupArn=group)


def test_tags(env: Env) -> None:
    p = env.personalize
    arn = p.create_dataset_group(name=env.name("tagged"), tags=[{"tagKey": "team", "tagValue": "recs"}])[
        "datasetGroupArn"
    ]
    p.tag_resource(resourceArn=arn, tags=[{"tagKey": "stage", "tagValue": "prod"}])
    assert p.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"tagKey": "stage", "tagValue": "prod"},
        {"tagKey": "team", "tagValue": "recs"},
    ]
    p.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert p.list_tags_for_resource(resourceArn=arn)["tags"] == [{"tagKey": "stage", "tagValue": "prod"}]
    with pytest.raises(ClientError) as exc:
        p.tag_resource(resourceArn=arn + "-missing", tags=[{"tagKey": "a", "tagValue": "b"}])
    assert code(exc) == "ResourceNotFoundException"


def test_recipes(env: Env) -> None:
    p = env.personalize
    recipes = {r["name"]: r for r in p.list_recipes()["recipes"]}
    for name in (
        "aws-user-personalization",
        "aws-user-personalization-v2",
        "aws-popularity-count",
        "aws-sims",
        "aws-similar-items",
        "aws-personalized-ranking",
        "aws-trending-now",
    ):
        assert recipes[name]["recipeArn"] == f"arn:aws:personalize:::recipe/{name}"
    recipe = p.describe_recipe(recipeArn="arn:aws:personalize:::recipe/aws-sims")["recipe"]
    assert recipe["recipeType"] == "RELATED_ITEMS"
    with pytest.raises(ClientError) as exc:
        p.describe_recipe(recipeArn="arn:aws:personalize:::recipe/aws-nope")
    assert code(exc) == "ResourceNotFoundException"


def test_event_tracker_and_filter_crud(env: Env) -> None:
    p = env.personalize
    group = env.dataset_group()
    tracker = p.create_event_tracker(name=env.name("et"), datasetGroupArn=group)
    assert tracker["trackingId"]
    described = wait_for(
        lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])["eventTracker"]
    )
    assert described["status"] == "ACTIVE" and described["accountId"] == "123456789012"
    with pytest.raises(ClientError) as exc:
        p.create_event_tracker(name=env.name("et"), datasetGroupArn=group)
    assert code(exc) == "LimitExceededException"
    assert len(p.list_event_trackers(datasetGroupArn=group)["eventTrackers"]) == 1
    with pytest.raises(ClientError) as exc:
        p.create_filter(name=env.name("f"), datasetGroupArn=group, filterExpression="SELECT * FROM items")
    assert code(exc) == "InvalidInputException"
    with pytest.raises(ClientError) as exc:  # no interactions dataset yet
        p.create_filter(name=env.name("f"), datasetGroupArn=group,
                        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")')
    assert "INTERACTIONS" in exc.value.response["Error"]["Message"]
    interactions = env.dataset(group, "INTERACTIONS", INTERACTIONS_SCHEMA)
    with pytest.raises(ClientError) as exc:
        p.create_filter(name=env.name("f"), datasetGroupArn=group,
                        filterExpression='INCLUDE ItemID WHERE Items.GENRES IN ("Comedy")')
    assert code(exc) == "InvalidInputException"
    flt = p.create_filter(
        name=env.name("f"),
        datasetGroupArn=group,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")',
    )["filterArn"]
    assert wait_for(lambda: p.describe_filter(filterArn=flt)["filter"])["status"] == "ACTIVE"
    assert [f["filterArn"] for f in p.list_filters(datasetGroupArn=group)["Filters"]] == [flt]
    p.delete_filter(filterArn=flt)
    p.delete_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])
    p.delete_dataset(datasetArn=interactions)
    with pytest.raises(ClientError) as exc:
        p.list_filters(datasetGroupArn=group + "x")
    assert code(exc) == "ResourceNotFoundException"


def test_new_resources_pass_through_create_pending(env: Env) -> None:
    """Personalize shows CREATE PENDING right after a create call, then CREATE IN_PROGRESS, then ACTIVE."""
    p = env.personalize
    arn = p.create_dataset_group(name=env.name("pending"))["datasetGroupArn"]
    seen = statuses_seen(lambda: p.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"])
    assert seen[0] == "CREATE PENDING"
    assert seen[-1] == "ACTIVE"
    assert [s for s in seen if s not in ("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE")] == []
