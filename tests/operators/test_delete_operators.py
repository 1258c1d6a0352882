"""Delete operators wait until describe answers NotFound; teardown deletes in Personalize's order."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from personalize_cases import DATASET_ARN, DSG, SCHEMA_ARN, SOLUTION_ARN, SV_ARN
from personalize_provider.exceptions import PersonalizeResourceInUseError
from personalize_provider.operators import (
    PersonalizeDeleteCampaignOperator,
    PersonalizeDeleteDatasetGroupOperator,
    PersonalizeDeleteDatasetOperator,
    PersonalizeDeleteEventTrackerOperator,
    PersonalizeDeleteFilterOperator,
    PersonalizeDeleteRecommenderOperator,
    PersonalizeDeleteSchemaOperator,
    PersonalizeDeleteSolutionOperator,
    PersonalizeTeardownDatasetGroupOperator,
)
from personalize_stubs import arn

DELETES = [
    (PersonalizeDeleteCampaignOperator, "campaign_arn", "campaign", arn("campaign", "c")),
    (PersonalizeDeleteRecommenderOperator, "recommender_arn", "recommender", arn("recommender", "r")),
    (PersonalizeDeleteSolutionOperator, "solution_arn", "solution", SOLUTION_ARN),
    (PersonalizeDeleteFilterOperator, "filter_arn", "filter", arn("filter", "f")),
    (PersonalizeDeleteEventTrackerOperator, "event_tracker_arn", "event_tracker", arn("event-tracker", "e")),
    (PersonalizeDeleteDatasetOperator, "dataset_arn", "dataset", DATASET_ARN),
    (PersonalizeDeleteSchemaOperator, "schema_arn", "schema", SCHEMA_ARN),
    (PersonalizeDeleteDatasetGroupOperator, "dataset_group_arn", "dataset_group", DSG),
]
IDS = [d[2] for d in DELETES]


def _described(op, arn_value, status="DELETE PENDING"):
    spec = op.resource
    body = {spec.arn_key: arn_value, "name": "x"}
    if spec.has_status:
        body["status"] = status
    return {spec.describe_key: body}


@pytest.mark.parametrize(("cls", "arg", "kind", "arn_value"), DELETES, ids=IDS)
def test_delete_waits_until_not_found(cls, arg, kind, arn_value, personalize, context):
    op = personalize.attach(cls(task_id="delete", waiter_delay=0, **{arg: arn_value}))
    key = op.resource.arn_key
    assert arg in op.template_fields
    personalize.ok(f"delete_{kind}", {}, {key: arn_value})
    personalize.ok(f"describe_{kind}", _described(op, arn_value), {key: arn_value})  # still there
    personalize.ok(f"describe_{kind}", _described(op, arn_value), {key: arn_value})  # waiter: retry
    personalize.error(f"describe_{kind}", "ResourceNotFoundException", params={key: arn_value})

    assert op.execute(context) == {"arn": arn_value, "status": "DELETED"}


@pytest.mark.parametrize(("cls", "arg", "kind", "arn_value"), DELETES, ids=IDS)
def test_delete_of_missing_resource_succeeds(cls, arg, kind, arn_value, personalize, context):
    op = personalize.attach(cls(task_id="delete", **{arg: arn_value}))
    personalize.error(f"delete_{kind}", "ResourceNotFoundException", params={op.resource.arn_key: arn_value})
    assert op.execute(context)["status"] == "DELETED"


def test_delete_in_use_fails_with_reason(personalize, context):
    op = personalize.attach(PersonalizeDeleteSolutionOperator(task_id="d", solution_arn=SOLUTION_ARN))
    personalize.error("delete_solution", "ResourceInUseException", "Solution is used by campaign c")
    personalize.ok(
        "describe_solution",
        {"solution": {"solutionArn": SOLUTION_ARN, "status": "ACTIVE"}},
        {"solutionArn": SOLUTION_ARN},
    )
    with pytest.raises(PersonalizeResourceInUseError, match="used by campaign c") as err:
        op.execute(context)
    assert SOLUTION_ARN in str(err.value)


def test_delete_already_in_progress_just_waits(personalize, context):
    op = personalize.attach(
        PersonalizeDeleteDatasetGroupOperator(task_id="d", dataset_group_arn=DSG, waiter_delay=0)
    )
    personalize.error("delete_dataset_group", "ResourceInUseException", "being deleted")
    pending = {"datasetGroup": {"datasetGroupArn": DSG, "status": "DELETE PENDING"}}
    personalize.ok("describe_dataset_group", pending, {"datasetGroupArn": DSG})
    personalize.ok("describe_dataset_group", pending, {"datasetGroupArn": DSG})
    personalize.error("describe_dataset_group", "ResourceNotFoundException")
    assert op.execute(context)["status"] == "DELETED"


def test_delete_without_waiting(personalize, context):
    op = personalize.attach(
        PersonalizeDeleteCampaignOperator(
            task_id="d", campaign_arn=arn("campaign", "c"), wait_for_completion=False
        )
    )
    personalize.ok("delete_campaign", {}, {"campaignArn": arn("campaign", "c")})
    assert op.execute(context)["status"] == "DELETE PENDING"


def _gone(personalize, kind, key, value):
    personalize.error(f"describe_{kind}", "ResourceNotFoundException", params={key: value})


def test_teardown_deletes_in_required_order(personalize, context):
    campaign, recommender = arn("campaign", "c"), arn("recommender", "r")
    flt, tracker = arn("filter", "f"), arn("event-tracker", "e")
    attribution = arn("metric-attribution", "m")
    op = personalize.attach(
        PersonalizeTeardownDatasetGroupOperator(
            task_id="teardown", dataset_group_name="shop", delete_schemas=True, waiter_delay=0
        )
    )
    p = personalize
    p.ok("list_dataset_groups", {"datasetGroups": [{"name": "shop", "datasetGroupArn": DSG}]}, {})
    domain_group = {"datasetGroup": {"datasetGroupArn": DSG, "status": "ACTIVE", "domain": "ECOMMERCE"}}
    p.ok("describe_dataset_group", domain_group, None)
    p.ok("describe_dataset_group", domain_group, None)
    p.ok("list_solutions", {"solutions": [{"solutionArn": SOLUTION_ARN}]}, {"datasetGroupArn": DSG})
    p.ok("list_campaigns", {"campaigns": [{"campaignArn": campaign}]}, {"solutionArn": SOLUTION_ARN})
    training = SV_ARN.replace("abcd1234", "training")
    versions = [
        {"solutionVersionArn": SV_ARN, "status": "ACTIVE"},
        {"solutionVersionArn": training, "status": "CREATE IN_PROGRESS"},
    ]
    p.ok("list_solution_versions", {"solutionVersions": versions}, {"solutionArn": SOLUTION_ARN})
    p.ok("stop_solution_version_creation", {}, {"solutionVersionArn": training})
    p.ok("list_datasets", {"datasets": [{"datasetArn": DATASET_ARN}]}, {"datasetGroupArn": DSG})
    p.ok("describe_dataset", {"dataset": {"datasetArn": DATASET_ARN, "schemaArn": SCHEMA_ARN}}, None)
    p.ok("list_recommenders", {"recommenders": [{"recommenderArn": recommender}]}, {"datasetGroupArn": DSG})
    p.ok("list_filters", {"Filters": [{"filterArn": flt}]}, {"datasetGroupArn": DSG})
    p.ok("list_event_trackers", {"eventTrackers": [{"eventTrackerArn": tracker}]}, {"datasetGroupArn": DSG})
    p.ok("list_metric_attributions", {"metricAttributions": [{"metricAttributionArn": attribution}]},
         {"datasetGroupArn": DSG})
    # Stage by stage: delete, then wait until gone, before the next stage starts.
    p.ok("delete_campaign", {}, {"campaignArn": campaign})
    _gone(p, "campaign", "campaignArn", campaign)
    p.ok("delete_recommender", {}, {"recommenderArn": recommender})
    _gone(p, "recommender", "recommenderArn", recommender)
    p.error("delete_solution", "ResourceInUseException", "campaign still deleting")  # retried
    p.ok("delete_solution", {}, {"solutionArn": SOLUTION_ARN})
    _gone(p, "solution", "solutionArn", SOLUTION_ARN)
    p.ok("delete_filter", {}, {"filterArn": flt})
    _gone(p, "filter", "filterArn", flt)
    p.ok("delete_event_tracker", {}, {"eventTrackerArn": tracker})
    _gone(p, "event_tracker", "eventTrackerArn", tracker)
    p.ok("delete_metric_attribution", {}, {"metricAttributionArn": attribution})
    _gone(p, "metric_attribution", "metricAttributionArn", attribution)
    p.ok("delete_dataset", {}, {"datasetArn": DATASET_ARN})
    _gone(p, "dataset", "datasetArn", DATASET_ARN)
    p.ok("delete_dataset_group", {}, {"datasetGroupArn": DSG})
    _gone(p, "dataset_group", "datasetGroupArn", DSG)
    p.ok("delete_schema", {}, {"schemaArn": SCHEMA_ARN})

    result = op.execute(context)

    assert result["datasetGroupArn"] == DSG
    assert list(result["deleted"]) == [
        "campaign",
        "recommender",
        "solution",
        "filter",
        "event_tracker",
        "metric_attribution",
        "dataset",
        "dataset_group",
        "schema",
    ]
    assert result["deleted"]["schema"] == [SCHEMA_ARN]


def test_teardown_keeps_shared_schema(personalize, context):
    op = personalize.attach(
        PersonalizeTeardownDatasetGroupOperator(
            task_id="t", dataset_group_arn=DSG, delete_schemas=True, waiter_delay=0
        )
    )
    p = personalize
    p.ok("describe_dataset_group", {"datasetGroup": {"datasetGroupArn": DSG, "status": "ACTIVE"}}, None)
    p.ok("list_solutions", {"solutions": []}, {"datasetGroupArn": DSG})
    p.ok("list_datasets", {"datasets": [{"datasetArn": DATASET_ARN}]}, {"datasetGroupArn": DSG})
    p.ok("describe_dataset", {"dataset": {"datasetArn": DATASET_ARN, "schemaArn": SCHEMA_ARN}}, None)
    for method, key in (
        ("list_filters", "Filters"),
        ("list_event_trackers", "eventTrackers"),
        ("list_metric_attributions", "metricAttributions"),
    ):
        p.ok(method, {key: []}, {"datasetGroupArn": DSG})
    p.ok("delete_dataset", {}, {"datasetArn": DATASET_ARN})
    _gone(p, "dataset", "datasetArn", DATASET_ARN)
    p.ok("delete_dataset_group", {}, {"datasetGroupArn": DSG})
    _gone(p, "dataset_group", "datasetGroupArn", DSG)
    p.error("delete_schema", "ResourceInUseException", "used by another dataset")
    assert op.execute(context)["deleted"]["schema"] == []


def test_teardown_of_missing_group_is_a_no_op(personalize, context):
    op = personalize.attach(PersonalizeTeardownDatasetGroupOperator(task_id="t", dataset_group_name="gone"))
    personalize.ok("list_dataset_groups", {"datasetGroups": []}, {})
    assert op.execute(context) == {"datasetGroupArn": None, "deleted": {}}


def test_teardown_requires_a_target():
    with pytest.raises(ValueError, match="dataset_group_arn or dataset_group_name"):
        PersonalizeTeardownDatasetGroupOperator(task_id="t")


def test_solution_version_cannot_be_deleted(personalize):
    from personalize_provider.hooks.personalize import PersonalizeHook

    with pytest.raises(ValueError, match="cannot be deleted"):
        PersonalizeHook(aws_conn_id=None).delete("solution_version", SV_ARN)


def test_unexpected_delete_error_propagates(personalize, context):
    op = personalize.attach(PersonalizeDeleteFilterOperator(task_id="d", filter_arn=arn("filter", "f")))
    personalize.error("delete_filter", "AccessDeniedException", status=403)
    with pytest.raises(ClientError, match="AccessDenied"):
        op.execute(context)
