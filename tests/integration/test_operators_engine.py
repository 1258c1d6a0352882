"""The Personalize operators' full life cycle against the local engine, over HTTP through real boto3.

Every resource type the engine implements is created, waited for, described, re-adopted and deleted
by the operators themselves (``operator.execute(context)``), with the Airflow ``aws_default``
connection pointing at the local stack, including in-place updates, metric attributions, data deletion jobs and
stopping and starting a domain recommender.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import numpy as np
import pandas as pd
import pytest
from airflow.providers.common.compat.sdk import TaskDeferred
from personalize_provider.exceptions import PersonalizeResourceDriftError, PersonalizeResourceFailedError
from personalize_provider.hooks.personalize import PersonalizeHook, PersonalizeRuntimeHook
from personalize_provider.operators import (
    PersonalizeBatchInferenceJobOperator,
    PersonalizeBatchSegmentJobOperator,
    PersonalizeCreateCampaignOperator,
    PersonalizeCreateDatasetGroupOperator,
    PersonalizeCreateDatasetOperator,
    PersonalizeCreateEventTrackerOperator,
    PersonalizeCreateFilterOperator,
    PersonalizeCreateMetricAttributionOperator,
    PersonalizeCreateRecommenderOperator,
    PersonalizeCreateSchemaOperator,
    PersonalizeCreateSolutionOperator,
    PersonalizeCreateSolutionVersionOperator,
    PersonalizeDataDeletionJobOperator,
    PersonalizeDatasetExportJobOperator,
    PersonalizeDatasetImportJobOperator,
    PersonalizeDeleteCampaignOperator,
    PersonalizeDeleteDatasetGroupOperator,
    PersonalizeDeleteDatasetOperator,
    PersonalizeDeleteEventTrackerOperator,
    PersonalizeDeleteFilterOperator,
    PersonalizeDeleteSchemaOperator,
    PersonalizeDeleteSolutionOperator,
    PersonalizeGetSolutionMetricsOperator,
    PersonalizeRecommendationsSmokeCheckOperator,
    PersonalizeStartRecommenderOperator,
    PersonalizeStopRecommenderOperator,
    PersonalizeTeardownDatasetGroupOperator,
)

personalize_local = pytest.importorskip("personalize_local.stack")
synthetic = pytest.importorskip("personalize_local.synthetic")

ROLE = "arn:aws:iam::123456789012:role/personalize"
FAST = {"waiter_delay": 1, "waiter_max_attempts": 300}


class Stack:
    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.s3 = boto3.client(
            "s3",
            endpoint_url=stack.s3_endpoint_url,
            region_name=stack.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # pragma: allowlist secret
        )
        self.bucket = "operators-" + uuid.uuid4().hex[:8]
        self.s3.create_bucket(Bucket=self.bucket)
        self.prefix = "t" + uuid.uuid4().hex[:6]

    def name(self, what: str) -> str:
        return f"{self.prefix}-{what}"

    def put(self, key: str, body: str) -> str:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body.encode())
        return f"s3://{self.bucket}/{key}"

    def put_frame(self, key: str, frame: Any) -> str:
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        return self.put(key, buffer.getvalue())

    def keys(self, prefix: str) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for item in listing.get("Contents", [])]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("operators-engine")
    with (
        personalize_local.local_stack(data_dir, engine_args=["--fail-training", "*-doomed"]) as running,
        pytest.MonkeyPatch.context() as patch,
    ):
        for key, value in running.env().items():
            patch.setenv(key, value)
        yield Stack(running)


def _context(run_id: str = "manual__2026-01-01") -> dict[str, Any]:
    ti = mock.MagicMock()
    ti.dag_id, ti.task_id, ti.run_id, ti.map_index = "operators_engine", "task", run_id, -1
    return {"ti": ti, "run_id": run_id}


def _run(op: Any, context: dict[str, Any] | None = None) -> dict[str, Any]:
    return op.execute(context or _context())


def _describe(kind: str, arn: str) -> dict[str, Any] | None:
    return PersonalizeHook().describe_or_none(kind, arn)


def _run_deferred(op: Any, context: dict[str, Any], must_defer: bool = True) -> dict[str, Any]:
    """Execute a deferrable operator, run its trigger for real (aiobotocore over HTTP), then resume.

    An operator finding its resource already terminal returns without deferring; that is only
    accepted when ``must_defer`` is False (the engine deletes most resources synchronously).
    """
    try:
        result = op.execute(context)
    except TaskDeferred as deferred_exc:
        deferred = deferred_exc
    else:
        assert not must_defer, f"{op.task_id} did not defer"
        return dict(result)
    classpath, kwargs = deferred.trigger.serialize()
    module, _, name = classpath.rpartition(".")
    trigger = getattr(__import__(module, fromlist=[name]), name)(**kwargs)

    async def first_event() -> dict[str, Any]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("trigger yielded nothing")

    event = asyncio.run(first_event())
    return dict(getattr(op, deferred.method_name)(context, event))


def test_full_life_cycle(stack: Stack) -> None:
    frames = synthetic.generate(4000, seed=5, n_users=120, n_items=100)
    interactions_csv = stack.put_frame("in/interactions.csv", frames["interactions"])
    items_csv = stack.put_frame("in/items.csv", frames["items"])

    # Dataset group: create, then a second run adopts the same resource.
    group_op = PersonalizeCreateDatasetGroupOperator(task_id="group", name=stack.name("shop"), **FAST)
    group = _run(group_op)
    assert group["status"] == "ACTIVE"
    assert (
        _run(PersonalizeCreateDatasetGroupOperator(task_id="group", name=stack.name("shop")))["arn"]
        == group["arn"]
    )
    group_arn = group["arn"]

    # Schemas: create, adopt, and a changed definition is reported as drift.
    schemas = {}
    for kind, doc in (("interactions", synthetic.INTERACTIONS_SCHEMA), ("items", synthetic.ITEMS_SCHEMA)):
        op = PersonalizeCreateSchemaOperator(task_id=f"schema_{kind}", name=stack.name(kind), schema=doc)
        schemas[kind] = _run(op)["arn"]
        assert _run(op)["arn"] == schemas[kind]
    changed = {**synthetic.ITEMS_SCHEMA, "fields": synthetic.ITEMS_SCHEMA["fields"][:2]}
    with pytest.raises(
        PersonalizeResourceDriftError, match=r"schema '.*-items' was modified out of band: field 'schema'"
    ):
        _run(
            PersonalizeCreateSchemaOperator(task_id="schema_items", name=stack.name("items"), schema=changed)
        )

    # Datasets.
    datasets = {}
    for kind, dataset_type in (("interactions", "INTERACTIONS"), ("items", "ITEMS")):
        op = PersonalizeCreateDatasetOperator(
            task_id=f"dataset_{kind}",
            name=stack.name(f"ds-{kind}"),
            dataset_group_arn=group_arn,
            dataset_type=dataset_type,
            schema_arn=schemas[kind],
            **FAST,
        )
        datasets[kind] = _run(op)
        assert datasets[kind]["status"] == "ACTIVE"
        assert datasets[kind]["datasetGroupArn"] == group_arn

    # Import jobs; a retry of the same run re-attaches instead of importing twice.
    run = _context("scheduled__2026-01-01")
    for kind, location in (("interactions", interactions_csv), ("items", items_csv)):
        op = PersonalizeDatasetImportJobOperator(
            task_id=f"import_{kind}",
            dataset_arn=datasets[kind]["arn"],
            data_location=location,
            role_arn=ROLE,
            import_mode="FULL",
            **FAST,
        )
        job = _run(op, run)
        assert job["status"] == "ACTIVE", job
        assert _run(op, run)["arn"] == job["arn"]
        jobs = list(PersonalizeHook().list_resources("dataset_import_job", datasets[kind]["arn"]))
        assert len(jobs) == 1

    # A new run with an incremental import gets a new job.
    incremental = PersonalizeDatasetImportJobOperator(
        task_id="import_interactions",
        dataset_arn=datasets["interactions"]["arn"],
        data_location=interactions_csv,
        role_arn=ROLE,
        import_mode="INCREMENTAL",
        **FAST,
    )
    assert _run(incremental, _context("scheduled__2026-01-02"))["importMode"] == "INCREMENTAL"
    assert (
        len(list(PersonalizeHook().list_resources("dataset_import_job", datasets["interactions"]["arn"])))
        == 2
    )

    # Export job.
    export = _run(
        PersonalizeDatasetExportJobOperator(
            task_id="export",
            dataset_arn=datasets["items"]["arn"],
            s3_output_path=f"s3://{stack.bucket}/export/",
            role_arn=ROLE,
            **FAST,
        )
    )
    assert export["status"] == "ACTIVE"

    # Filter and event tracker.
    flt = _run(
        PersonalizeCreateFilterOperator(
            task_id="filter",
            name=stack.name("no-comedy"),
            dataset_group_arn=group_arn,
            filter_expression='EXCLUDE ItemID WHERE Items.GENRES IN ("Comedy")',
            **FAST,
        )
    )
    tracker = _run(
        PersonalizeCreateEventTrackerOperator(
            task_id="tracker", name=stack.name("tracker"), dataset_group_arn=group_arn, **FAST
        )
    )
    assert flt["status"] == "ACTIVE" and tracker["trackingId"]

    # Solution, training (deferrable: the trigger polls the engine through aiobotocore), metrics.
    solution = _run(
        PersonalizeCreateSolutionOperator(
            task_id="solution",
            name=stack.name("ups"),
            dataset_group_arn=group_arn,
            recipe_arn="arn:aws:personalize:::recipe/aws-user-personalization",
            **FAST,
        )
    )
    described = _describe("solution", solution["arn"])
    assert described and described["performAutoTraining"] is False
    train = PersonalizeCreateSolutionVersionOperator(
        task_id="train", solution_arn=solution["arn"], training_mode="FULL", deferrable=True, **FAST
    )
    version = _run_deferred(train, run)
    assert version["status"] == "ACTIVE" and version["name"].startswith("train-")
    assert (
        _run(
            PersonalizeCreateSolutionVersionOperator(
                task_id="train", solution_arn=solution["arn"], training_mode="FULL", **FAST
            ),
            run,
        )["arn"]
        == version["arn"]
    )
    metrics = _run(
        PersonalizeGetSolutionMetricsOperator(task_id="metrics", solution_version_arn=version["arn"])
    )
    assert metrics["metrics"] and json.dumps(metrics)

    # Campaign: create, smoke check through the runtime hook, then update its config in place.
    campaign_op = PersonalizeCreateCampaignOperator(
        task_id="campaign",
        name=stack.name("campaign"),
        solution_version_arn=version["arn"],
        min_provisioned_tps="1",
        **FAST,
    )
    campaign = _run(campaign_op)
    assert campaign["status"] == "ACTIVE" and campaign["minProvisionedTPS"] == 1
    items = PersonalizeRuntimeHook().get_recommendations(
        campaignArn=campaign["arn"], userId="u1", numResults=5
    )
    assert items
    smoke = PersonalizeRecommendationsSmokeCheckOperator(
        task_id="smoke", campaign_arn=campaign["arn"], user_ids=["u1", "u2"], num_results=5, min_results=1
    )
    assert _run(smoke)["checked"] == 2
    updated_op = PersonalizeCreateCampaignOperator(
        task_id="campaign",
        name=stack.name("campaign"),
        solution_version_arn=version["arn"],
        min_provisioned_tps=1,
        campaign_config={"itemExplorationConfig": {"explorationWeight": 0.5}},
        **FAST,
    )
    assert _run(updated_op)["arn"] == campaign["arn"]
    current = _describe("campaign", campaign["arn"])
    assert current and current["campaignConfig"]["itemExplorationConfig"]["explorationWeight"] == "0.5"

    # Batch inference job.
    batch_in = stack.put("batch/in.json", "\n".join(json.dumps({"userId": f"u{i}"}) for i in range(5)) + "\n")
    batch = _run(
        PersonalizeBatchInferenceJobOperator(
            task_id="batch",
            solution_version_arn=version["arn"],
            input_path=batch_in,
            output_path=f"s3://{stack.bucket}/batch/out/",
            role_arn=ROLE,
            num_results="10",
            filter_arn=flt["arn"],
            **FAST,
        )
    )
    assert batch["status"] == "ACTIVE"
    assert stack.keys("batch/out/")

    # Batch segment job (needs a user-segmentation recipe).
    affinity = _run(
        PersonalizeCreateSolutionOperator(
            task_id="affinity",
            name=stack.name("affinity"),
            dataset_group_arn=group_arn,
            recipe_arn="arn:aws:personalize:::recipe/aws-item-affinity",
            **FAST,
        )
    )
    affinity_version = _run(
        PersonalizeCreateSolutionVersionOperator(
            task_id="train_affinity", solution_arn=affinity["arn"], **FAST
        )
    )
    segment_in = stack.put("segment/in.json", json.dumps({"itemId": "i1"}) + "\n")
    segment = _run(
        PersonalizeBatchSegmentJobOperator(
            task_id="segment",
            solution_version_arn=affinity_version["arn"],
            input_path=segment_in,
            output_path=f"s3://{stack.bucket}/segment/out/",
            role_arn=ROLE,
            **FAST,
        )
    )
    assert segment["status"] == "ACTIVE"

    # Deletes, in the order Personalize requires; each waits until describe answers NotFound.
    deletes = [
        PersonalizeDeleteCampaignOperator(task_id="d1", campaign_arn=campaign["arn"], **FAST),
        PersonalizeDeleteSolutionOperator(task_id="d2", solution_arn=solution["arn"], **FAST),
        PersonalizeDeleteSolutionOperator(
            task_id="d3", solution_arn=affinity["arn"], deferrable=True, **FAST
        ),
        PersonalizeDeleteFilterOperator(task_id="d4", filter_arn=flt["arn"], **FAST),
        PersonalizeDeleteEventTrackerOperator(task_id="d5", event_tracker_arn=tracker["arn"], **FAST),
        PersonalizeDeleteDatasetOperator(task_id="d6", dataset_arn=datasets["interactions"]["arn"], **FAST),
        PersonalizeDeleteDatasetOperator(task_id="d7", dataset_arn=datasets["items"]["arn"], **FAST),
        PersonalizeDeleteDatasetGroupOperator(task_id="d8", dataset_group_arn=group_arn, **FAST),
        PersonalizeDeleteSchemaOperator(task_id="d9", schema_arn=schemas["interactions"], **FAST),
        PersonalizeDeleteSchemaOperator(task_id="d10", schema_arn=schemas["items"], **FAST),
    ]
    for op in deletes:
        result = _run_deferred(op, _context(), must_defer=False) if op.deferrable else _run(op)
        assert result["status"] == "DELETED"
        assert _describe(op.resource.kind, op.resource_arn) is None
    # Deleting again is a no-op.
    assert _run(deletes[0])["status"] == "DELETED"


def test_training_failure_surfaces_reason(stack: Stack) -> None:
    frames = synthetic.generate(2000, seed=9, n_users=80, n_items=60)
    location = stack.put_frame("fail/interactions.csv", frames["interactions"])
    group = _run(PersonalizeCreateDatasetGroupOperator(task_id="g", name=stack.name("failing"), **FAST))
    schema = _run(
        PersonalizeCreateSchemaOperator(
            task_id="s", name=stack.name("interactions"), schema=synthetic.INTERACTIONS_SCHEMA
        )
    )
    dataset = _run(
        PersonalizeCreateDatasetOperator(
            task_id="d",
            name=stack.name("failing-interactions"),
            dataset_group_arn=group["arn"],
            dataset_type="Interactions",
            schema_arn=schema["arn"],
            **FAST,
        )
    )
    _run(
        PersonalizeDatasetImportJobOperator(
            task_id="i", dataset_arn=dataset["arn"], data_location=location, role_arn=ROLE, **FAST
        )
    )
    solution = _run(
        PersonalizeCreateSolutionOperator(
            task_id="sol",
            name=stack.name("ups-doomed"),
            dataset_group_arn=group["arn"],
            recipe_arn="arn:aws:personalize:::recipe/aws-user-personalization",
            **FAST,
        )
    )
    with pytest.raises(PersonalizeResourceFailedError) as err:
        _run(PersonalizeCreateSolutionVersionOperator(task_id="train", solution_arn=solution["arn"], **FAST))
    assert "arn:aws:personalize" in str(err.value)
    assert "failed:" in str(err.value)

    # Teardown removes the whole group (solutions, datasets, group) in order; schemas on request.
    result = _run(
        PersonalizeTeardownDatasetGroupOperator(
            task_id="teardown", dataset_group_name=stack.name("failing"), delete_schemas=True, waiter_delay=1
        )
    )
    assert result["deleted"]["solution"] == [solution["arn"]]
    assert result["deleted"]["dataset_group"] == [group["arn"]]
    assert result["deleted"]["schema"] == [schema["arn"]]
    assert _describe("dataset_group", group["arn"]) is None


def test_life_cycle_under_throttling_and_server_errors(tmp_path_factory: pytest.TempPathFactory) -> None:
    """30% throttled and 10% 5xx answers: adaptive retries and the waiters' retriable errors absorb them."""
    engine_args = ["--throttle-rate", "0.3", "--error-rate", "0.1", "--min-job-seconds", "2", "--seed", "3"]
    with (
        personalize_local.local_stack(tmp_path_factory.mktemp("faulty"), engine_args=engine_args) as running,
        pytest.MonkeyPatch.context() as patch,
    ):
        for key, value in running.env().items():
            patch.setenv(key, value)
        faulty = Stack(running)
        frames = synthetic.generate(1500, seed=2, n_users=60, n_items=50)
        location = faulty.put_frame("in/interactions.csv", frames["interactions"])

        group = _run(PersonalizeCreateDatasetGroupOperator(task_id="g", name=faulty.name("noisy"), **FAST))
        schema = _run(
            PersonalizeCreateSchemaOperator(
                task_id="s", name=faulty.name("i"), schema=synthetic.INTERACTIONS_SCHEMA
            )
        )
        dataset = _run(
            PersonalizeCreateDatasetOperator(
                task_id="d",
                name=faulty.name("interactions"),
                dataset_group_arn=group["arn"],
                dataset_type="INTERACTIONS",
                schema_arn=schema["arn"],
                **FAST,
            )
        )
        imported = _run_deferred(
            PersonalizeDatasetImportJobOperator(
                task_id="i",
                dataset_arn=dataset["arn"],
                data_location=location,
                role_arn=ROLE,
                deferrable=True,
                **FAST,
            ),
            _context(),
        )
        assert imported["status"] == "ACTIVE"
        for op in (
            PersonalizeDeleteDatasetOperator(task_id="x1", dataset_arn=dataset["arn"], **FAST),
            PersonalizeDeleteDatasetGroupOperator(task_id="x2", dataset_group_arn=group["arn"], **FAST),
            PersonalizeDeleteSchemaOperator(task_id="x3", schema_arn=schema["arn"], **FAST),
        ):
            assert _run(op)["status"] == "DELETED"


# Placeholders __SCHEMA__, __PREFIX__ and __BUCKET__ are filled in per test run.
DAG_FILE = """
import datetime as dt

from airflow.sdk import DAG
from personalize_provider.operators import (
    PersonalizeCreateDatasetGroupOperator,
    PersonalizeCreateDatasetOperator,
    PersonalizeCreateSchemaOperator,
    PersonalizeDatasetImportJobOperator,
    PersonalizeTeardownDatasetGroupOperator,
)

with DAG(
    "personalize_operators_smoke",
    schedule=None,
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    params={"prefix": "__PREFIX__", "bucket": "__BUCKET__"},
    render_template_as_native_obj=True,
):
    group = PersonalizeCreateDatasetGroupOperator(
        task_id="group", name="{{ params.prefix }}-{{ ds_nodash }}", waiter_delay=1
    )
    schema = PersonalizeCreateSchemaOperator(
        task_id="schema", name="{{ params.prefix }}-interactions", schema=__SCHEMA__
    )
    dataset = PersonalizeCreateDatasetOperator(
        task_id="dataset",
        name="{{ params.prefix }}-interactions",
        dataset_group_arn="{{ ti.xcom_pull(task_ids='group')['arn'] }}",
        dataset_type="Interactions",
        schema_arn="{{ ti.xcom_pull(task_ids='schema')['arn'] }}",
        waiter_delay=1,
    )
    load = PersonalizeDatasetImportJobOperator(
        task_id="import",
        dataset_arn="{{ ti.xcom_pull(task_ids='dataset')['arn'] }}",
        data_location="s3://{{ params.bucket }}/daily/{{ ds }}/interactions.csv",
        role_arn="arn:aws:iam::123456789012:role/personalize",
        deferrable=True,
        waiter_delay=1,
    )
    teardown = PersonalizeTeardownDatasetGroupOperator(
        task_id="teardown",
        dataset_group_arn="{{ ti.xcom_pull(task_ids='group')['arn'] }}",
        delete_schemas=True,
        waiter_delay=1,
    )
    [group, schema] >> dataset >> load >> teardown
"""


@pytest.mark.slow
def test_operators_in_a_real_dag_run(airflow_db: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """`airflow dags test`: real TaskInstances render the templates, pass ARNs by XCom, defer and resume."""
    root = tmp_path_factory.mktemp("dag-run")
    with (
        personalize_local.local_stack(root / "stack", engine_args=["--min-job-seconds", "2"]) as running,
        pytest.MonkeyPatch.context() as patch,
    ):
        s3 = Stack(running)
        frames = synthetic.generate(1000, seed=4, n_users=40, n_items=40)
        s3.put_frame("daily/2026-01-02/interactions.csv", frames["interactions"])
        dags = root / "dags"
        dags.mkdir()
        source = (
            DAG_FILE.replace("__SCHEMA__", repr(synthetic.INTERACTIONS_SCHEMA))
            .replace("__PREFIX__", s3.prefix)
            .replace("__BUCKET__", s3.bucket)
        )
        (dags / "personalize_operators_smoke.py").write_text(source)
        env = {**os.environ, **running.env(), "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
        result = subprocess.run(
            [sys.executable, "-m", "airflow", "dags", "test", "personalize_operators_smoke", "2026-01-02"],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-5000:]
        assert "state=success" in output, output[-5000:]
        # The name was rendered from params + ds_nodash, and its console link logged.
        assert f"dataset-group${s3.prefix}-20260102/setup" in output
        assert "Deferring until dataset import job" in output
        for key, value in running.env().items():
            patch.setenv(key, value)
        assert PersonalizeHook().find_by_name("dataset_group", f"{s3.prefix}-20260102") is None  # torn down


def test_changed_settings_are_applied_in_place(stack: Stack) -> None:
    """UpdateSolution (auto-training on, weekly) and UpdateDataset (a schema with a new item column) through the
    create operators: applied, waited for, and a second run with the same settings sends nothing new."""
    group = _run(PersonalizeCreateDatasetGroupOperator(task_id="g", name=stack.name("updates"), **FAST))
    items_v1 = _run(PersonalizeCreateSchemaOperator(task_id="s1", name=stack.name("items-v1"),
                                                    schema=synthetic.ITEMS_SCHEMA))
    wider = {**synthetic.ITEMS_SCHEMA,
             "fields": [*synthetic.ITEMS_SCHEMA["fields"], {"name": "TITLE", "type": ["null", "string"]}]}
    items_v2 = _run(PersonalizeCreateSchemaOperator(task_id="s2", name=stack.name("items-v2"), schema=wider))

    def dataset(schema_arn: str) -> PersonalizeCreateDatasetOperator:
        return PersonalizeCreateDatasetOperator(task_id="items", name=stack.name("items"),
                                                dataset_group_arn=group["arn"], dataset_type="Items",
                                                schema_arn=schema_arn, **FAST)

    first = _run(dataset(items_v1["arn"]))
    replaced = _run(dataset(items_v2["arn"]))
    assert replaced["arn"] == first["arn"] and replaced["schemaArn"] == items_v2["arn"]
    described = _describe("dataset", first["arn"])
    assert described and described["latestDatasetUpdate"]["schemaArn"] == items_v2["arn"]
    assert described["latestDatasetUpdate"]["status"] == "ACTIVE"

    def solution(**kw: Any) -> PersonalizeCreateSolutionOperator:
        return PersonalizeCreateSolutionOperator(task_id="sol", name=stack.name("auto"),
                                                 dataset_group_arn=group["arn"],
                                                 recipe_arn="arn:aws:personalize:::recipe/aws-similar-items",
                                                 **kw, **FAST)

    created = _run(solution())
    weekly = {"autoTrainingConfig": {"schedulingExpression": "rate(7 days)"}}
    updated = _run(solution(perform_auto_training=True, solution_config=weekly))
    assert updated["arn"] == created["arn"] and updated["performAutoTraining"] is True
    current = _describe("solution", created["arn"])
    assert current and current["latestSolutionUpdate"]["solutionUpdateConfig"] == weekly
    again = solution(perform_auto_training=True, solution_config=weekly)
    sent: list[str] = []
    again.hook.conn.meta.events.register("before-call.personalize", lambda model, **_: sent.append(model.name))
    assert _run(again)["arn"] == created["arn"]
    assert sent and "UpdateSolution" not in sent  # adopted: the update is already applied
    with pytest.raises(PersonalizeResourceDriftError, match="recipeArn"):
        _run(PersonalizeCreateSolutionOperator(task_id="sol", name=stack.name("auto"),
                                               dataset_group_arn=group["arn"],
                                               recipe_arn="arn:aws:personalize:::recipe/aws-sims", **FAST))

    # Metric attribution: created, adopted, a metric added in place; the teardown deletes it with the group.
    watch = {"eventType": "watch", "metricName": "WATCH_TIME", "expression": "SUM(Interactions.EVENT_VALUE)"}
    clicks = {"eventType": "click", "metricName": "CLICKS", "expression": "SAMPLECOUNT()"}

    def attribution(*metrics: dict[str, str]) -> PersonalizeCreateMetricAttributionOperator:
        return PersonalizeCreateMetricAttributionOperator(
            task_id="attribution", name=stack.name("impact"), dataset_group_arn=group["arn"], metrics=list(metrics),
            role_arn=ROLE, s3_output_path=f"s3://{stack.bucket}/attribution/", **FAST)

    made = _run(attribution(watch))
    assert made["status"] == "ACTIVE" and _run(attribution(watch))["arn"] == made["arn"]
    assert _run(attribution(watch, clicks))["arn"] == made["arn"]
    listed = PersonalizeHook().client.list_metric_attribution_metrics(metricAttributionArn=made["arn"])["metrics"]
    assert sorted(m["metricName"] for m in listed) == ["CLICKS", "WATCH_TIME"]

    # Data deletion job: runs to COMPLETED; a retry of the same run adopts it instead of deleting twice.
    users_csv = stack.put("erase/users.csv", "USER_ID\nu1\nu2\n")
    erase = PersonalizeDataDeletionJobOperator(task_id="erase", dataset_group_arn=group["arn"],
                                               data_location=users_csv, role_arn=ROLE, **FAST)
    erased = _run(erase, _context("manual__erase"))
    assert erased["status"] == "COMPLETED" and erased["numDeleted"] == 0
    assert _run(erase, _context("manual__erase"))["arn"] == erased["arn"]
    assert len(list(PersonalizeHook().list_resources("data_deletion_job", group["arn"]))) == 1

    torn = _run(PersonalizeTeardownDatasetGroupOperator(task_id="t", dataset_group_arn=group["arn"], waiter_delay=1))
    assert torn["deleted"]["metric_attribution"] == [made["arn"]]
    assert _describe("metric_attribution", made["arn"]) is None


def test_recommender_stopped_and_started_by_the_operators(stack: Stack) -> None:
    """Stop (deferred: the trigger waits for INACTIVE over HTTP), a second stop is a no-op, then start again."""
    frames = synthetic.generate(3000, seed=9, n_users=100, n_items=80)
    group = _run(PersonalizeCreateDatasetGroupOperator(task_id="g", name=stack.name("vod"),
                                                       domain="VIDEO_ON_DEMAND", **FAST))
    for kind, doc in (("interactions", synthetic.INTERACTIONS_SCHEMA), ("items", synthetic.ITEMS_SCHEMA)):
        schema = _run(PersonalizeCreateSchemaOperator(task_id=f"s_{kind}", name=stack.name(f"vod-{kind}"),
                                                      schema=doc, domain="VIDEO_ON_DEMAND"))
        dataset = _run(PersonalizeCreateDatasetOperator(task_id=f"d_{kind}", name=stack.name(f"vod-{kind}"),
                                                        dataset_group_arn=group["arn"], dataset_type=kind,
                                                        schema_arn=schema["arn"], **FAST))
        _run(PersonalizeDatasetImportJobOperator(task_id=f"i_{kind}", dataset_arn=dataset["arn"], role_arn=ROLE,
                                                 data_location=stack.put_frame(f"vod/{kind}.csv", frames[kind]),
                                                 **FAST))
    recommender = _run(PersonalizeCreateRecommenderOperator(
        task_id="r", name=stack.name("top-picks"), dataset_group_arn=group["arn"],
        recipe_arn="arn:aws:personalize:::recipe/aws-vod-top-picks", **FAST))
    assert recommender["status"] == "ACTIVE"

    stop = PersonalizeStopRecommenderOperator(task_id="stop", recommender_arn=recommender["arn"], deferrable=True,
                                              **FAST)
    assert _run_deferred(stop, _context())["status"] == "INACTIVE"
    assert _run(PersonalizeStopRecommenderOperator(task_id="stop", recommender_arn=recommender["arn"],
                                                   **FAST))["status"] == "INACTIVE"
    with pytest.raises(Exception, match="InvalidInput"):
        PersonalizeRuntimeHook().get_recommendations(recommenderArn=recommender["arn"], userId="u1")
    start = PersonalizeStartRecommenderOperator(task_id="start", recommender_arn=recommender["arn"], **FAST)
    assert _run(start)["status"] == "ACTIVE"
    assert PersonalizeRuntimeHook().get_recommendations(recommenderArn=recommender["arn"], userId="u1")
    _run(PersonalizeTeardownDatasetGroupOperator(task_id="t", dataset_group_arn=group["arn"], waiter_delay=1))


def test_next_best_action_through_the_operators(stack: Stack) -> None:
    """Actions and action interactions imported by the operators, an aws-next-best-action campaign, and the smoke
    check asking GetActionRecommendations; the import's lineage names its S3 file and the Personalize dataset."""
    rng = np.random.default_rng(3)
    now = 1_780_000_000
    actions = pd.DataFrame({"ACTION_ID": ["enrol", "quiz"], "VALUE": [10.0, 2.0]})
    events = pd.DataFrame(
        [(f"u{u}", action, now - 3600 * (u + 1), event)
         for u in range(120) for action, rate in (("enrol", 0.6), ("quiz", 0.3))
         for event in ("VIEWED", "TAKEN" if rng.random() < rate else "NOT_TAKEN")],
        columns=["USER_ID", "ACTION_ID", "TIMESTAMP", "EVENT_TYPE"])
    schemas = {
        "Actions": [{"name": "ACTION_ID", "type": "string"}, {"name": "VALUE", "type": ["null", "float"]}],
        "Action_Interactions": [{"name": n, "type": t} for n, t in (
            ("USER_ID", "string"), ("ACTION_ID", "string"), ("TIMESTAMP", "long"), ("EVENT_TYPE", "string"))],
    }
    group = _run(PersonalizeCreateDatasetGroupOperator(task_id="g", name=stack.name("nba"), **FAST))
    for kind, frame in (("Actions", actions), ("Action_Interactions", events)):
        doc = {"type": "record", "name": kind.replace("_", ""), "namespace": "com.amazonaws.personalize.schema",
               "fields": schemas[kind], "version": "1.0"}
        schema = _run(PersonalizeCreateSchemaOperator(task_id=f"s_{kind}", name=stack.name(kind), schema=doc))
        dataset = _run(PersonalizeCreateDatasetOperator(task_id=f"d_{kind}", name=stack.name(kind),
                                                        dataset_group_arn=group["arn"], dataset_type=kind,
                                                        schema_arn=schema["arn"], **FAST))
        imported = PersonalizeDatasetImportJobOperator(
            task_id=f"i_{kind}", dataset_arn=dataset["arn"], role_arn=ROLE,
            data_location=stack.put_frame(f"nba/{kind}.csv", frame), **FAST)
        assert _run(imported)["status"] == "ACTIVE"
    lineage = imported.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [(f"s3://{stack.bucket}", "nba/Action_Interactions.csv")]
    assert lineage.outputs[0].name == f"dataset/{stack.name('nba')}/ACTION_INTERACTIONS"

    solution = _run(PersonalizeCreateSolutionOperator(
        task_id="sol", name=stack.name("nba"), dataset_group_arn=group["arn"],
        recipe_arn="arn:aws:personalize:::recipe/aws-next-best-action", **FAST))
    version = _run(PersonalizeCreateSolutionVersionOperator(task_id="sv", solution_arn=solution["arn"], **FAST))
    campaign = _run(PersonalizeCreateCampaignOperator(task_id="c", name=stack.name("nba"),
                                                      solution_version_arn=version["arn"], **FAST))
    checked = _run(PersonalizeRecommendationsSmokeCheckOperator(
        task_id="smoke", campaign_arn=campaign["arn"], user_ids=["u1", "someone-new"], actions=True, min_results=2))
    assert checked["counts"] == {"u1": 2, "someone-new": 2}
    served = PersonalizeRuntimeHook().get_action_recommendations(campaignArn=campaign["arn"], userId="someone-new")
    assert [a["actionId"] for a in served] == ["enrol", "quiz"]
    _run(PersonalizeTeardownDatasetGroupOperator(task_id="t", dataset_group_arn=group["arn"], waiter_delay=1))
