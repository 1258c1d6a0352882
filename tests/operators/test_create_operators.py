"""Create-or-adopt behaviour of every create operator, with requests validated by botocore's model."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from personalize_cases import (
    CASES,
    CASES_BY_KIND,
    SCHEMA_DOC,
    list_response,
    stub_created_links,
    stub_links,
    summary,
)
from personalize_provider.exceptions import PersonalizeResourceDriftError, PersonalizeResourceFailedError
from personalize_provider.utils.naming import NAME_PATTERN
from personalize_stubs import StubbedPersonalize, make_client

IDS = [case.kind for case in CASES]


def _create_method(case: Any) -> str:
    return f"create_{case.kind}"


def _expect_list(stub: Any, case: Any, items: list[dict[str, Any]]) -> None:
    stub.ok(f"list_{case.kind}s", list_response(case, items), case.list_params)


def _expect_created(stub: Any, case: Any) -> None:
    """List (nothing), create, the console link's lookups, then the wait: no describe between create and wait (the
    description right after a create is the request's, in the resource's first status)."""
    response = {case.spec.arn_key: case.arn}
    if case.kind == "event_tracker":  # CreateEventTracker answers the tracking id too
        response["trackingId"] = case.description["trackingId"]
    stub.ok(f"create_{case.kind}", response, case.create_params)
    stub_created_links(stub, case)


def _expect_done(stub: Any, case: Any, **overrides: Any) -> None:
    """The wait's one status check finding the resource done, and (only where Personalize fills fields in when it
    is done, as a training's hours) the describe after it."""
    if case.spec.has_status:
        stub.ok(f"describe_{case.kind}", case.described(**overrides), {case.spec.arn_key: case.arn})
    if case.spec.final_fields:
        stub.ok(f"describe_{case.kind}", case.described(**overrides), {case.spec.arn_key: case.arn})


def _creates_first(case: Any) -> bool:
    return bool(case.make().create_first)


def _expect_absent(stub: Any, case: Any) -> None:
    """Nothing of that name yet: jobs (``create_first``) send the create at once, resources list first."""
    if not _creates_first(case):
        _expect_list(stub, case, [])


def _expect_refused_then_absent(stub: Any, case: Any, code: str, message: str = "") -> None:
    """A first create refused with ``code`` and nothing of the name: jobs send the create at once and look then,
    others look first; either way the back-off starts from that refusal."""
    if _creates_first(case):
        stub.error(_create_method(case), code, message)
        _expect_list(stub, case, [])
    else:
        _expect_list(stub, case, [])
        stub.error(_create_method(case), code, message)


def _expect_find(stub: Any, case: Any, description: dict[str, Any]) -> None:
    """Listing that finds the resource, then the describe of the match (for jobs, after the create at once is
    refused: the name exists)."""
    if _creates_first(case):
        stub.error(_create_method(case), "ResourceAlreadyExistsException")
    _expect_list(stub, case, [summary(case, description)])
    stub.ok(f"describe_{case.kind}", {case.spec.describe_key: description}, {case.spec.arn_key: case.arn})


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_creates_when_absent(case, personalize, context):
    op = personalize.attach(case.make(waiter_delay=0))
    _expect_absent(personalize, case)
    _expect_created(personalize, case)
    _expect_done(personalize, case)

    result = op.execute(context)

    assert result["arn"] == case.arn
    assert result["status"] == case.description.get("status")
    # What a describe when done would have given, though none was sent (the request, Personalize's defaults).
    described = op.xcom_value({**case.description, case.spec.name_key: result["name"]})
    for field in op.case_insensitive_fields & set(result):  # the API may echo them in another case
        result[field], described[field] = str(result[field]).upper(), str(described[field]).upper()
    assert result == described
    json.dumps(result)  # XCom must stay JSON-safe: no datetimes, no payloads
    assert set(result) <= {"arn", "name", "status", *case.spec.xcom_fields}
    context["ti"].xcom_push.assert_called_once()
    assert context["ti"].xcom_push.call_args.kwargs["key"] == f"personalize_{case.kind}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_adopts_matching_existing_resource(case, personalize, context):
    op = personalize.attach(case.make())
    request = op.build_request(context)
    existing = {**case.description, case.spec.name_key: request[case.spec.name_key]}
    _expect_find(personalize, case, existing)
    stub_links(personalize, case)

    result = op.execute(context)  # no create_* stubbed: calling it would fail the test

    assert result["arn"] == case.arn


DRIFTS = {
    "dataset_group": ("domain", "VIDEO_ON_DEMAND"),
    "schema": ("schema", json.dumps({**SCHEMA_DOC, "version": "2.0"})),
    "dataset": ("schemaArn", "arn:aws:personalize:us-east-1:111122223333:schema/other"),
    "dataset_import_job": ("importMode", "FULL"),
    "dataset_export_job": ("ingestionMode", "PUT"),
    "solution": ("performAutoTraining", True),
    "solution_version": ("trainingMode", "UPDATE"),
    "batch_inference_job": ("numResults", 10),
    "batch_segment_job": ("roleArn", "arn:aws:iam::111122223333:role/other"),
    "filter": ("filterExpression", 'INCLUDE ItemID WHERE Items.GENRE IN ("x")'),
    "event_tracker": ("datasetGroupArn", "arn:aws:personalize:us-east-1:111122223333:dataset-group/other"),
    "campaign": ("minProvisionedTPS", 5),  # updatable: drift fails only with update_if_changed=False
    "recommender": ("recipeArn", "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views"),
}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_drift_fails_naming_each_field(case, personalize, context):
    field, other = DRIFTS[case.kind]
    op = personalize.attach(case.make(update_if_changed=False))
    request = op.build_request(context)
    existing = {**case.description, case.spec.name_key: request[case.spec.name_key], field: other}
    _expect_find(personalize, case, existing)

    with pytest.raises(PersonalizeResourceDriftError) as err:
        op.execute(context)

    message = str(err.value)
    assert f"{case.spec.label} '{request[case.spec.name_key]}' was modified out of band" in message
    assert f"field '{field}' is " in message
    assert "expected" in message


def test_schema_drift_message_shows_documents(personalize, context):
    case = CASES_BY_KIND["schema"]
    op = personalize.attach(case.make())
    changed = {**SCHEMA_DOC, "fields": SCHEMA_DOC["fields"][:2]}
    _expect_find(personalize, case, {**case.description, "schema": json.dumps(changed)})
    with pytest.raises(
        PersonalizeResourceDriftError,
        match=r"schema 'interactions' was modified out of band: "
        r"field 'schema' is \{.*\}, expected \{.*TIMESTAMP.*\}",
    ):
        op.execute(context)


def test_schema_whitespace_is_not_drift(personalize, context):
    case = CASES_BY_KIND["schema"]
    op = personalize.attach(case.make())
    _expect_find(personalize, case, {**case.description, "schema": json.dumps(SCHEMA_DOC, indent=4)})
    assert op.execute(context)["arn"] == case.arn


def test_schema_request_is_the_json_document(personalize, context):
    op = CASES_BY_KIND["schema"].make()
    assert json.loads(op.build_request(context)["schema"]) == SCHEMA_DOC


def test_several_drifting_fields_are_all_named(personalize, context):
    case = CASES_BY_KIND["filter"]
    op = personalize.attach(case.make())
    _expect_find(personalize, case, {**case.description, "filterExpression": "x", "datasetGroupArn": "y"})
    with pytest.raises(PersonalizeResourceDriftError) as err:
        op.execute(context)
    assert "field 'datasetGroupArn' is \"y\"" in str(err.value)
    assert "field 'filterExpression' is \"x\"" in str(err.value)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_already_exists_race_adopts(case, personalize, context):
    """Created concurrently (or under another parent): re-list without the parent filter and adopt. A job, created
    at once, is looked for under its parent first (a retry finds the job its first try started)."""
    op = personalize.attach(case.make())
    request = op.build_request(context)
    existing = {**case.description, case.spec.name_key: request[case.spec.name_key]}
    if _creates_first(case):
        personalize.error(_create_method(case), "ResourceAlreadyExistsException")
        _expect_list(personalize, case, [summary(case, existing)])
    else:
        _expect_list(personalize, case, [])
        personalize.error(_create_method(case), "ResourceAlreadyExistsException")
        personalize.ok(f"list_{case.kind}s", list_response(case, [summary(case, existing)]), {})
    personalize.ok(f"describe_{case.kind}", {case.spec.describe_key: existing}, {case.spec.arn_key: case.arn})
    stub_links(personalize, case)

    assert op.execute(context)["arn"] == case.arn


def test_a_job_refused_as_existing_is_looked_for_beyond_its_parent(personalize, context):
    """Created at once, refused (the name exists) and not under the parent listed: listed again without it."""
    case = CASES_BY_KIND["dataset_import_job"]
    op = personalize.attach(case.make())
    request = op.build_request(context)
    existing = {**case.description, case.spec.name_key: request[case.spec.name_key]}
    personalize.error(_create_method(case), "ResourceAlreadyExistsException")
    _expect_list(personalize, case, [])
    personalize.ok(f"list_{case.kind}s", list_response(case, [summary(case, existing)]), {})
    personalize.ok(f"describe_{case.kind}", {case.spec.describe_key: existing}, {case.spec.arn_key: case.arn})
    stub_links(personalize, case)
    assert op.execute(context)["arn"] == case.arn


def test_a_job_refused_for_another_reason_and_not_found_fails_with_that_reason(personalize, context):
    case = CASES_BY_KIND["batch_inference_job"]
    op = personalize.attach(case.make())
    personalize.error(_create_method(case), "InvalidInputException", "the filter does not exist")
    _expect_list(personalize, case, [])
    with pytest.raises(ClientError, match="the filter does not exist"):
        op.execute(context)


def test_already_exists_but_not_found_reraises(personalize, context):
    case = CASES_BY_KIND["filter"]
    op = personalize.attach(case.make())
    _expect_list(personalize, case, [])
    personalize.error("create_filter", "ResourceAlreadyExistsException")
    personalize.ok("list_filters", {"Filters": []}, {})
    with pytest.raises(ClientError, match="ResourceAlreadyExistsException"):
        op.execute(context)


@pytest.mark.parametrize("kind", ["dataset_import_job", "solution_version", "batch_inference_job"])
def test_limit_exceeded_backs_off_then_creates(kind, personalize, context, _no_sleep):
    case = CASES_BY_KIND[kind]
    op = personalize.attach(case.make(limit_exceeded_retry_delay=10, limit_exceeded_max_retries=3, waiter_delay=0))
    _expect_refused_then_absent(personalize, case, "LimitExceededException", "too many concurrent jobs")
    personalize.error(_create_method(case), "LimitExceededException", "too many concurrent jobs")
    _expect_created(personalize, case)
    _expect_done(personalize, case)

    assert op.execute(context)["arn"] == case.arn
    assert _no_sleep == [10, 20]  # exponential back-off


def test_job_blocked_by_another_in_progress_waits_its_turn(personalize, context, _no_sleep):
    """Personalize answers ResourceInUse while another import into the dataset is running."""
    case = CASES_BY_KIND["dataset_import_job"]
    op = personalize.attach(case.make(limit_exceeded_retry_delay=30, waiter_delay=0))
    _expect_refused_then_absent(personalize, case, "ResourceInUseException", "import in progress")
    _expect_created(personalize, case)
    _expect_done(personalize, case)
    assert op.execute(context)["arn"] == case.arn
    assert _no_sleep == [30]


def test_resource_in_use_on_create_fails_for_resources(personalize, context, _no_sleep):
    case = CASES_BY_KIND["dataset"]
    op = personalize.attach(case.make())
    _expect_list(personalize, case, [])
    personalize.error("create_dataset", "ResourceInUseException", "dataset group is being deleted")
    with pytest.raises(ClientError, match="being deleted"):
        op.execute(context)
    assert _no_sleep == []


def test_limit_exceeded_is_bounded(personalize, context, _no_sleep):
    case = CASES_BY_KIND["dataset_import_job"]
    op = personalize.attach(case.make(limit_exceeded_retry_delay=1000, limit_exceeded_max_retries=2))
    _expect_refused_then_absent(personalize, case, "LimitExceededException")
    for _ in range(2):
        personalize.error(_create_method(case), "LimitExceededException")
    with pytest.raises(ClientError, match="LimitExceededException"):
        op.execute(context)
    assert _no_sleep == [900, 900]  # capped


def test_limit_exceeded_on_a_resource_is_a_hard_quota(personalize, context, _no_sleep):
    """One event tracker per dataset group: retrying would only delay the inevitable failure."""
    case = CASES_BY_KIND["event_tracker"]
    op = personalize.attach(case.make())
    _expect_list(personalize, case, [])
    personalize.error("create_event_tracker", "LimitExceededException", "only one event tracker")
    with pytest.raises(ClientError, match="only one event tracker"):
        op.execute(context)
    assert _no_sleep == []


def test_other_create_errors_are_not_retried(personalize, context):
    case = CASES_BY_KIND["dataset"]
    op = personalize.attach(case.make())
    _expect_list(personalize, case, [])
    personalize.error("create_dataset", "InvalidInputException", "bad schema")
    with pytest.raises(ClientError, match="bad schema"):
        op.execute(context)


@pytest.mark.parametrize("case", [c for c in CASES if c.spec.has_status], ids=lambda c: c.kind)
def test_failure_reason_and_arn_surface(case, personalize, context):
    op = personalize.attach(case.make(waiter_delay=0))
    _expect_absent(personalize, case)
    _expect_created(personalize, case)
    shape = personalize.client.meta.service_model.shape_for(case.spec.api_name)
    has_reason = "failureReason" in shape.members  # datasets and event trackers have none
    reason = {"failureReason": "Input data has fewer than 1000 interactions"} if has_reason else {}
    failed = case.described(status="CREATE FAILED", **reason)
    personalize.ok(f"describe_{case.kind}", failed, {case.spec.arn_key: case.arn})

    with pytest.raises(PersonalizeResourceFailedError) as err:
        op.execute(context)
    expected = "fewer than 1000 interactions" if has_reason else "status 'CREATE FAILED'"
    assert expected in str(err.value)
    assert case.arn in str(err.value)


def test_sync_wait_polls_until_active(personalize, context):
    case = CASES_BY_KIND["solution_version"]
    op = personalize.attach(case.make(waiter_delay=0))
    _expect_absent(personalize, case)
    _expect_created(personalize, case)
    for status in ("CREATE IN_PROGRESS", "ACTIVE", "ACTIVE"):  # the last: read again for the training hours
        personalize.ok(
            "describe_solution_version", case.described(status=status), {"solutionVersionArn": case.arn}
        )
    result = op.execute(context)
    assert result["status"] == "ACTIVE"
    assert result["trainingHours"] == 1.5


def test_sync_wait_that_runs_out_of_attempts_is_not_called_a_failure(personalize, context):
    """Out of attempts while still in progress: the wait's own error, not 'failed' (both provider versions raise
    AirflowException; only the resource's status tells them apart)."""
    from airflow.providers.common.compat.sdk import AirflowException

    case = CASES_BY_KIND["solution_version"]
    op = personalize.attach(case.make(waiter_delay=0, waiter_max_attempts=2))
    _expect_absent(personalize, case)
    _expect_created(personalize, case)
    for _ in range(3):  # two waiter attempts, the status read after the wait gave up
        personalize.ok("describe_solution_version", case.described(status="CREATE IN_PROGRESS"),
                       {"solutionVersionArn": case.arn})
    with pytest.raises(AirflowException, match="max attempts") as err:
        op.execute(context)
    assert not isinstance(err.value, PersonalizeResourceFailedError)


def test_no_wait_returns_current_status(personalize, context):
    case = CASES_BY_KIND["dataset_group"]
    op = personalize.attach(case.make(wait_for_completion=False))
    _expect_absent(personalize, case)
    _expect_created(personalize, case)
    assert op.execute(context)["status"] == "CREATE PENDING"  # what Personalize shows right after the create


def test_adopting_a_failed_resource_fails_with_its_reason(personalize, context):
    case = CASES_BY_KIND["dataset_group"]
    op = personalize.attach(case.make())
    _expect_find(
        personalize, case, {**case.description, "status": "CREATE FAILED", "failureReason": "KMS denied"}
    )
    with pytest.raises(PersonalizeResourceFailedError, match="KMS denied"):
        op.execute(context)


def test_solution_disables_auto_training_explicitly(context):
    request = CASES_BY_KIND["solution"].make().build_request(context)
    assert request["performAutoTraining"] is False


def test_misspelled_parameter_is_rejected_by_the_service_model():
    """The safety net the suite relies on: botocore validates params before Stubber answers."""
    stub = StubbedPersonalize(make_client())
    stub.ok("create_dataset_group", {"datasetGroupArn": "arn"}, None)
    with stub.stubber, pytest.raises(ParamValidationError, match="domian"):
        stub.client.create_dataset_group(name="x", domian="ECOMMERCE")


def test_pagination_and_parent_filter(personalize, context):
    case = CASES_BY_KIND["dataset"]
    op = personalize.attach(case.make())
    other = {"name": "items", "datasetArn": "arn:aws:personalize:us-east-1:111122223333:dataset/shop/ITEMS"}
    personalize.ok(
        "list_datasets",
        {"datasets": [other], "nextToken": "p2"},
        {"datasetGroupArn": case.list_params["datasetGroupArn"]},
    )
    personalize.ok(
        "list_datasets",
        {"datasets": [summary(case)]},
        {"datasetGroupArn": case.list_params["datasetGroupArn"], "nextToken": "p2"},
    )
    personalize.ok("describe_dataset", case.described(), {"datasetArn": case.arn})
    assert op.execute(context)["arn"] == case.arn


def test_job_names_follow_personalize_rules(context):
    for case in CASES:
        if case.spec.name_key == "jobName" or case.kind == "solution_version":
            name = case.make().build_request(context)[case.spec.name_key]
            assert NAME_PATTERN.match(name) and len(name) <= 63, name
            assert re.fullmatch(r"[a-z_]+-[0-9a-f]{12}", name), name
