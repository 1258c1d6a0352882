"""Deferral, trigger serialization, trigger run() on a real aiobotocore client, waiter acceptors."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from aiobotocore.session import get_session
from airflow.providers.common.compat.sdk import AirflowException, TaskDeferred
from botocore.stub import Stubber
from personalize_cases import CASES, CASES_BY_KIND, DSG, list_response, stub_created_links, stub_links, summary
from personalize_provider.exceptions import PersonalizeResourceFailedError
from personalize_provider.hooks.personalize import PersonalizeHook
from personalize_provider.operators import PersonalizeDeleteDatasetGroupOperator
from personalize_provider.operators.base import waiter_outcome
from personalize_provider.resources import RESOURCES
from personalize_provider.triggers.personalize import PersonalizeResourceTrigger
from personalize_stubs import REGION, arn

IMPORT = CASES_BY_KIND["dataset_import_job"]
BOTOCORE_CONFIG = {"retries": {"mode": "standard", "max_attempts": 3}}


def _deferrable(case: Any, **kwargs: Any) -> Any:
    return case.make(
        deferrable=True,
        waiter_delay=7,
        waiter_max_attempts=9,
        region_name=REGION,
        verify=False,
        botocore_config=BOTOCORE_CONFIG,
        **kwargs,
    )


def _expect_created(personalize: Any, case: Any) -> None:
    """List (nothing), create, the link's lookups: no describe before deferring (a resource just created is in its
    first status, and the trigger checks it after one delay). Jobs send the create at once."""
    if not case.make().create_first:
        personalize.ok(f"list_{case.kind}s", list_response(case, []), case.list_params)
    personalize.ok(f"create_{case.kind}", {case.spec.arn_key: case.arn}, case.create_params)
    stub_created_links(personalize, case)


def _expect_found(personalize: Any, case: Any, context: Any, **overrides: Any) -> None:
    request = case.make().build_request(context)
    existing = {**case.description, case.spec.name_key: request[case.spec.name_key], **overrides}
    if case.make().create_first:  # the create at once is refused: the name exists (a retry)
        personalize.error(f"create_{case.kind}", "ResourceAlreadyExistsException")
    personalize.ok(f"list_{case.kind}s", list_response(case, [summary(case, existing)]), case.list_params)
    personalize.ok(f"describe_{case.kind}", {case.spec.describe_key: existing}, {case.spec.arn_key: case.arn})
    stub_links(personalize, case)


@pytest.mark.parametrize("case", [c for c in CASES if c.spec.has_status], ids=lambda c: c.kind)
def test_defers_with_the_right_trigger(case, personalize, context):
    op = personalize.attach(_deferrable(case))
    _expect_created(personalize, case)

    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)

    trigger = deferred.value.trigger
    assert isinstance(trigger, PersonalizeResourceTrigger)
    assert deferred.value.method_name == "execute_complete"
    settled = trigger.serialized_fields.pop("settled")
    assert trigger.serialized_fields == {"resource": case.kind, "resource_arn": case.arn, "target": "active",
                                         "first_check_after": 7}
    assert trigger.waiter_name == f"{case.kind}_active"
    assert trigger.waiter_args == {case.spec.arn_key: case.arn}
    assert (trigger.waiter_delay, trigger.attempts) == (7, 9)
    assert (trigger.region_name, trigger.verify, trigger.botocore_config) == (REGION, False, BOTOCORE_CONFIG)
    # What the XCom value will be once done, handed back by the trigger so completing costs no describe; nothing
    # where Personalize fills fields in only when done (a training's hours).
    if case.spec.final_fields:
        assert settled is None
    else:
        assert settled["arn"] == case.arn and settled["status"] == case.spec.done_status


def test_completing_with_the_settled_value_calls_nothing(personalize, context):
    """No describe is stubbed: any call fails the test."""
    op = personalize.attach(_deferrable(IMPORT))
    settled = {"arn": IMPORT.arn, "name": "n", "status": "ACTIVE", "datasetArn": "d"}
    event = {"status": "success", "resource_arn": IMPORT.arn, "settled": settled}
    assert op.execute_complete(context, event) == settled


def test_an_update_in_flight_is_described_again_when_done(personalize, context):
    """A campaign being updated to another version shows the old one until the update is done."""
    campaign = CASES_BY_KIND["campaign"]
    op = campaign.make()
    updating = {**campaign.description, "latestCampaignUpdate": {"status": "CREATE IN_PROGRESS"}}
    assert op.settled_value(updating, "active") is None
    done = {**campaign.description, "latestCampaignUpdate": {"status": "ACTIVE"}}
    assert op.settled_value(done, "active")["status"] == "ACTIVE"


def test_no_deferral_when_found_active(personalize, context):
    op = personalize.attach(_deferrable(IMPORT))
    _expect_found(personalize, IMPORT, context, status="ACTIVE")
    assert op.execute(context)["status"] == "ACTIVE"


def test_no_deferral_when_found_failed(personalize, context):
    dataset = CASES_BY_KIND["dataset"]
    op = personalize.attach(_deferrable(dataset))
    _expect_found(personalize, dataset, context, status="CREATE FAILED")
    with pytest.raises(PersonalizeResourceFailedError, match="CREATE FAILED"):
        op.execute(context)


def test_a_resource_found_running_is_checked_after_one_delay_only_if_it_has_not_started(personalize, context):
    op = personalize.attach(_deferrable(IMPORT))
    _expect_found(personalize, IMPORT, context, status="CREATE IN_PROGRESS")
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    assert deferred.value.trigger.first_check_after == 0


def test_delete_defers_with_deleted_target(personalize, context):
    op = personalize.attach(
        PersonalizeDeleteDatasetGroupOperator(task_id="d", dataset_group_arn=DSG, deferrable=True)
    )
    personalize.ok("delete_dataset_group", {}, {"datasetGroupArn": DSG})
    pending = {"datasetGroup": {"datasetGroupArn": DSG, "status": "DELETE PENDING"}}
    personalize.ok("describe_dataset_group", pending, {"datasetGroupArn": DSG})
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    trigger = deferred.value.trigger
    assert trigger.serialized_fields["target"] == "deleted"
    assert trigger.waiter_name == "dataset_group_deleted"


def test_delete_does_not_defer_when_already_gone(personalize, context):
    op = personalize.attach(
        PersonalizeDeleteDatasetGroupOperator(task_id="d", dataset_group_arn=DSG, deferrable=True)
    )
    personalize.ok("delete_dataset_group", {}, {"datasetGroupArn": DSG})
    personalize.error("describe_dataset_group", "ResourceNotFoundException")
    assert op.execute(context)["status"] == "DELETED"


class TestExecuteComplete:
    def test_success_returns_xcom_summary(self, personalize, context):
        op = personalize.attach(IMPORT.make())
        personalize.ok("describe_dataset_import_job", IMPORT.described(), {"datasetImportJobArn": IMPORT.arn})
        result = op.execute_complete(context, {"status": "success", "resource_arn": IMPORT.arn})
        assert result["arn"] == IMPORT.arn and result["status"] == "ACTIVE"

    def test_failure_raises_with_trigger_message(self, personalize, context):
        op = IMPORT.make()
        event = {
            "status": "error",
            "message": f"Personalize dataset import job {IMPORT.arn} failed: CREATE FAILED - bad csv",
            "resource_arn": IMPORT.arn,
        }
        with pytest.raises(PersonalizeResourceFailedError, match="bad csv") as err:
            op.execute_complete(context, event)
        assert IMPORT.arn in str(err.value)

    def test_missing_event(self, context):
        with pytest.raises(AirflowException, match="event is None"):
            IMPORT.make().execute_complete(context, None)

    def test_delete_success_and_failure(self, context):
        op = PersonalizeDeleteDatasetGroupOperator(task_id="d", dataset_group_arn=DSG)
        assert op.execute_complete(context, {"status": "success", "resource_arn": DSG}) == {
            "arn": DSG,
            "status": "DELETED",
        }
        with pytest.raises(AirflowException, match="max attempts"):
            op.execute_complete(context, {"status": "error", "message": "max attempts", "resource_arn": DSG})


WAITABLE = [(k, "active") for k, s in sorted(RESOURCES.items()) if s.has_status] + [
    (k, "deleted") for k, s in sorted(RESOURCES.items()) if s.deletable
]


@pytest.mark.parametrize(("kind", "target"), WAITABLE, ids=[f"{k}-{t}" for k, t in WAITABLE])
def test_trigger_serialize_round_trip(kind, target):
    trigger = PersonalizeResourceTrigger(
        resource=kind,
        resource_arn=arn(kind, "x"),
        target=target,
        waiter_delay=3,
        waiter_max_attempts=4,
        aws_conn_id="my_aws",
        region_name="eu-west-1",
        verify="/ca.pem",
        botocore_config=BOTOCORE_CONFIG,
    )
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs["region_name"] == "eu-west-1" and kwargs["verify"] == "/ca.pem"
    assert kwargs["botocore_config"] == BOTOCORE_CONFIG
    assert rebuilt.waiter_name in PersonalizeHook(aws_conn_id=None)._list_custom_waiters()


def test_trigger_rejects_unknown_kind_and_target():
    with pytest.raises(ValueError, match="Unknown Personalize resource type"):
        PersonalizeResourceTrigger(resource="campagne", resource_arn="x")
    with pytest.raises(ValueError, match="target"):
        PersonalizeResourceTrigger(resource="campaign", resource_arn="x", target="stopped")  # type: ignore[arg-type]


# -- the trigger's run() against a real aiobotocore client (answers stubbed, requests model-validated)


class _EnteredClient:
    def __init__(self, client: Any) -> None:
        self.client = client

    async def __aenter__(self) -> Any:
        return self.client

    async def __aexit__(self, *exc: Any) -> None:
        return None


def _run_trigger(monkeypatch, trigger, responses) -> list[dict[str, Any]]:
    async def scenario() -> list[dict[str, Any]]:
        session = get_session()
        async with session.create_client(
            "personalize", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        ) as client:
            stubber = Stubber(client)
            for method, kind, payload in responses:
                if kind == "ok":
                    stubber.add_response(method, payload)
                else:
                    stubber.add_client_error(method, service_error_code=payload, http_status_code=400)
            stubber.activate()

            async def fake_get_async_conn(self):
                return _EnteredClient(client)

            monkeypatch.setattr(PersonalizeHook, "get_async_conn", fake_get_async_conn)
            events = [event.payload async for event in trigger.run()]
            stubber.assert_no_pending_responses()
            return events

    return asyncio.run(scenario())


def test_trigger_run_success(monkeypatch):
    trigger = PersonalizeResourceTrigger(
        resource="dataset_import_job", resource_arn=IMPORT.arn, waiter_delay=0
    )
    body = IMPORT.described(status="CREATE IN_PROGRESS")
    done = IMPORT.described(status="ACTIVE")
    events = _run_trigger(
        monkeypatch,
        trigger,
        [("describe_dataset_import_job", "ok", body), ("describe_dataset_import_job", "ok", done)],
    )
    assert events == [{"status": "success", "resource_arn": IMPORT.arn}]


@pytest.fixture
def slept(monkeypatch) -> list[float]:
    """The delays the trigger sleeps (asyncio.sleep recorded, not waited)."""
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def record(delay: float, *args: Any) -> None:
        delays.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", record)
    return delays


def test_trigger_run_first_check_waits(monkeypatch, slept):
    trigger = PersonalizeResourceTrigger(
        resource="dataset_import_job", resource_arn=IMPORT.arn, waiter_delay=5, first_check_after=5
    )
    done = IMPORT.described(status="ACTIVE")
    events = _run_trigger(monkeypatch, trigger, [("describe_dataset_import_job", "ok", done)])
    assert events == [{"status": "success", "resource_arn": IMPORT.arn}]
    assert slept[0] == 5  # before the first (and only) status check


def test_trigger_hands_back_the_settled_value_on_success_only(monkeypatch, slept):
    settled = {"arn": IMPORT.arn, "status": "ACTIVE"}
    trigger = PersonalizeResourceTrigger(resource="dataset_import_job", resource_arn=IMPORT.arn, waiter_delay=0,
                                         settled=settled)
    classpath, kwargs = trigger.serialize()
    assert kwargs["settled"] == settled
    # The triggerer runs the trigger rebuilt from what serialize() gave, not the one the task built.
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**{**kwargs, "first_check_after": 1})
    done = IMPORT.described(status="ACTIVE")
    events = _run_trigger(monkeypatch, rebuilt, [("describe_dataset_import_job", "ok", done)])
    assert slept[:1] == [1]
    assert events == [{"status": "success", "resource_arn": IMPORT.arn, "settled": settled}]
    failed = IMPORT.described(status="CREATE FAILED", failureReason="bad")
    events = _run_trigger(monkeypatch, PersonalizeResourceTrigger(
        resource="dataset_import_job", resource_arn=IMPORT.arn, waiter_delay=0, settled=settled),
        [("describe_dataset_import_job", "ok", failed)])
    assert events[0]["status"] == "error" and "settled" not in events[0]


def test_trigger_run_failure_carries_reason_and_arn(monkeypatch):
    trigger = PersonalizeResourceTrigger(
        resource="dataset_import_job", resource_arn=IMPORT.arn, waiter_delay=0
    )
    failed = IMPORT.described(status="CREATE FAILED", failureReason="Column ITEM_ID missing")
    events = _run_trigger(monkeypatch, trigger, [("describe_dataset_import_job", "ok", failed)])
    assert events[0]["status"] == "error"
    assert "Column ITEM_ID missing" in events[0]["message"]
    assert IMPORT.arn in events[0]["message"]


def test_trigger_run_deleted(monkeypatch):
    trigger = PersonalizeResourceTrigger(
        resource="campaign", resource_arn="c", target="deleted", waiter_delay=0
    )
    pending = {"campaign": {"campaignArn": "c", "status": "DELETE PENDING"}}
    events = _run_trigger(
        monkeypatch,
        trigger,
        [("describe_campaign", "ok", pending), ("describe_campaign", "error", "ResourceNotFoundException")],
    )
    assert events == [{"status": "success", "resource_arn": "c"}]


def test_trigger_run_max_attempts(monkeypatch):
    trigger = PersonalizeResourceTrigger(
        resource="filter", resource_arn="f", waiter_delay=0, waiter_max_attempts=2
    )
    pending = {"filter": {"filterArn": "f", "status": "CREATE IN_PROGRESS"}}
    events = _run_trigger(monkeypatch, trigger, [("describe_filter", "ok", pending)] * 2)
    assert events[0]["status"] == "error" and "max attempts" in events[0]["message"]


# -- waiter acceptors (one definition of "terminal" shared by sync wait, trigger and pre-defer check)


@pytest.mark.parametrize("kind", [k for k, s in RESOURCES.items() if s.has_status])
def test_waiter_acceptors(kind):
    spec = RESOURCES[kind]
    assert waiter_outcome(spec, {"status": spec.done_status}) == "success"
    for failed in spec.failed_statuses:
        assert waiter_outcome(spec, {"status": failed}) == "failure"
    assert waiter_outcome(spec, {"status": "DELETE PENDING"}) == "failure"
    for transitional in ("CREATE PENDING", "CREATE IN_PROGRESS", "PENDING", "IN_PROGRESS", "IN PROGRESS"):
        assert waiter_outcome(spec, {"status": transitional}) is None


def test_data_deletion_jobs_end_completed_or_failed():
    spec = RESOURCES["data_deletion_job"]
    assert waiter_outcome(spec, {"status": "COMPLETED", "numDeleted": 3}) == "success"
    assert waiter_outcome(spec, {"status": "FAILED"}) == "failure"
    assert waiter_outcome(spec, {"status": "ACTIVE"}) is None  # not a status of these jobs


@pytest.mark.parametrize(("kind", "update_key"), [("solution", "latestSolutionUpdate"),
                                                  ("dataset", "latestDatasetUpdate")])
def test_in_place_updates_gate_success(kind, update_key):
    """UpdateSolution / UpdateDataset: the resource is done only once its latest update is."""
    spec = RESOURCES[kind]
    assert waiter_outcome(spec, {"status": "ACTIVE", update_key: {"status": "CREATE IN_PROGRESS"}}) is None
    assert waiter_outcome(spec, {"status": "ACTIVE", update_key: {"status": "ACTIVE"}}) == "success"
    assert waiter_outcome(spec, {"status": "ACTIVE", update_key: {"status": "CREATE FAILED"}}) == "failure"


def test_recommender_stop_and_start_targets():
    spec = RESOURCES["recommender"]
    for status in ("STOP PENDING", "STOP IN_PROGRESS"):
        assert waiter_outcome(spec, {"status": status}, "inactive") is None
    assert waiter_outcome(spec, {"status": "INACTIVE"}, "inactive") == "success"
    for status in ("START PENDING", "START IN_PROGRESS"):
        assert waiter_outcome(spec, {"status": status}) is None
    assert waiter_outcome(spec, {"status": "INACTIVE"}) == "failure"  # stopped: never ACTIVE by itself
    with pytest.raises(ValueError, match="no wait target 'inactive'"):
        waiter_outcome(RESOURCES["campaign"], {"status": "ACTIVE"}, "inactive")


def test_solution_version_stopped_is_failure():
    assert waiter_outcome(RESOURCES["solution_version"], {"status": "CREATE STOPPED"}) == "failure"
    assert waiter_outcome(RESOURCES["solution_version"], {"status": "CREATE STOPPING"}) is None


@pytest.mark.parametrize(
    ("kind", "update_key"), [("campaign", "latestCampaignUpdate"), ("recommender", "latestRecommenderUpdate")]
)
def test_endpoint_updates_gate_success(kind, update_key):
    spec = RESOURCES[kind]
    assert waiter_outcome(spec, {"status": "ACTIVE", update_key: {"status": "CREATE IN_PROGRESS"}}) is None
    assert waiter_outcome(spec, {"status": "ACTIVE", update_key: {"status": "ACTIVE"}}) == "success"
    assert waiter_outcome(spec, {"status": "ACTIVE", update_key: {"status": "CREATE FAILED"}}) == "failure"


def test_hook_uses_the_spec_generated_waiters():
    hook = PersonalizeHook(aws_conn_id=None, region_name=REGION)
    custom = hook.list_waiters()
    assert {f"{k}_active" for k, s in RESOURCES.items() if s.has_status} <= set(custom)
    assert {f"{k}_deleted" for k, s in RESOURCES.items() if s.deletable} <= set(custom)
    assert hook.get_waiter("campaign_active").name == "campaign_active"
