"""The families Personalize added since 2022, each request checked against botocore's model by the Stubber.

Metric attributions, data deletion jobs, recommender start/stop, stopping a training, UpdateSolution and
UpdateDataset applied in place, batch inference themes, LimitExceeded waited out in the triggerer, and a check that
every Create/Update/Delete/Start/Stop operation of the service model is reachable through an operator.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import botocore.session
import pendulum
import personalize_provider
import pytest
from airflow.providers.common.compat.sdk import TaskDeferred
from botocore.stub import ANY
from personalize_cases import DSG, ROLE, SCHEMA_ARN, SOLUTION_ARN, SV_ARN
from personalize_provider import operators
from personalize_provider.exceptions import (
    PersonalizeResourceDriftError,
    PersonalizeResourceFailedError,
    PersonalizeResourceInUseError,
)
from personalize_provider.operators import (
    PersonalizeBatchInferenceJobOperator,
    PersonalizeCreateDatasetOperator,
    PersonalizeCreateMetricAttributionOperator,
    PersonalizeCreateRecommenderOperator,
    PersonalizeCreateSolutionOperator,
    PersonalizeDataDeletionJobOperator,
    PersonalizeDeleteMetricAttributionOperator,
    PersonalizeStartRecommenderOperator,
    PersonalizeStopRecommenderOperator,
    PersonalizeStopSolutionVersionOperator,
)
from personalize_provider.operators.base import (
    PersonalizeCreateResourceOperator,
    PersonalizeDeleteResourceOperator,
)
from personalize_stubs import arn

MA_ARN = arn("metric-attribution", "impact")
WATCH = {"eventType": "watch", "metricName": "WATCH_TIME", "expression": "SUM(Interactions.EVENT_VALUE)"}
CLICKS = {"eventType": "click", "metricName": "CLICKS", "expression": "SAMPLECOUNT()"}
OUTPUT = {"roleArn": ROLE, "s3DataDestination": {"path": "s3://bucket/attribution/"}}
RECOMMENDER_ARN = arn("recommender", "top-picks")


def _attribution(**kw: Any) -> PersonalizeCreateMetricAttributionOperator:
    kw.setdefault("metrics", [WATCH, CLICKS])
    return PersonalizeCreateMetricAttributionOperator(
        task_id="attribution",
        name="impact",
        dataset_group_arn=DSG,
        role_arn=ROLE,
        s3_output_path="s3://bucket/attribution/",
        **kw,
    )


def _ma(status: str = "ACTIVE", **extra: Any) -> dict[str, Any]:
    return {"metricAttribution": {"name": "impact", "metricAttributionArn": MA_ARN, "datasetGroupArn": DSG,
                                  "metricsOutputConfig": OUTPUT, "status": status, **extra}}


def _listed(p: Any, metrics: list[dict[str, str]]) -> None:
    p.ok("list_metric_attributions", {"metricAttributions": [{"name": "impact", "metricAttributionArn": MA_ARN}]},
         {"datasetGroupArn": DSG})
    p.ok("describe_metric_attribution", _ma(), {"metricAttributionArn": MA_ARN})
    p.ok("list_metric_attribution_metrics", {"metrics": metrics}, {"metricAttributionArn": MA_ARN})


# -- metric attributions ---------------------------------------------------------------------------------------


def test_metric_attribution_created_with_sorted_metrics_and_waited_for(personalize, context):
    p = personalize
    op = p.attach(_attribution())
    p.ok("list_metric_attributions", {"metricAttributions": []}, {"datasetGroupArn": DSG})
    p.ok("create_metric_attribution", {"metricAttributionArn": MA_ARN},
         {"name": "impact", "datasetGroupArn": DSG, "metrics": [CLICKS, WATCH], "metricsOutputConfig": OUTPUT})
    # No describe right after the create; the wait's checks; none after it (the request names every XCom field).
    p.ok("describe_metric_attribution", _ma("CREATE IN_PROGRESS"), {"metricAttributionArn": MA_ARN})
    p.ok("describe_metric_attribution", _ma(), {"metricAttributionArn": MA_ARN})
    result = op.execute(context)
    assert result == {"arn": MA_ARN, "name": "impact", "status": "ACTIVE", "datasetGroupArn": DSG}
    assert context["ti"].xcom_push.call_args.kwargs["key"] == "personalize_metric_attribution"


def test_metric_attribution_adopted_when_metrics_match_in_any_order(personalize, context):
    p = personalize
    op = p.attach(_attribution())
    _listed(p, [WATCH, CLICKS])
    assert op.execute(context)["status"] == "ACTIVE"


def test_metric_attribution_updated_in_place(personalize, context):
    """A new metric is added and a dropped one removed in one UpdateMetricAttribution."""
    p = personalize
    purchases = {"eventType": "purchase", "metricName": "REVENUE", "expression": "SUM(Items.PRICE)"}
    op = p.attach(_attribution())
    _listed(p, [WATCH, purchases])
    p.ok("update_metric_attribution", {"metricAttributionArn": MA_ARN},
         {"metricAttributionArn": MA_ARN, "addMetrics": [CLICKS], "removeMetrics": ["REVENUE"]})
    p.ok("describe_metric_attribution", _ma(), {"metricAttributionArn": MA_ARN})
    assert op.execute(context)["status"] == "ACTIVE"


def test_a_changed_metric_is_removed_then_added_back(personalize, context):
    p = personalize
    op = p.attach(_attribution(waiter_delay=0))
    _listed(p, [{**WATCH, "expression": "SAMPLECOUNT()"}, CLICKS])
    p.ok("update_metric_attribution", {"metricAttributionArn": MA_ARN},
         {"metricAttributionArn": MA_ARN, "removeMetrics": ["WATCH_TIME"]})
    p.ok("describe_metric_attribution", _ma(), {"metricAttributionArn": MA_ARN})
    p.ok("update_metric_attribution", {"metricAttributionArn": MA_ARN},
         {"metricAttributionArn": MA_ARN, "addMetrics": [WATCH]})
    p.ok("describe_metric_attribution", _ma(), {"metricAttributionArn": MA_ARN})
    assert op.execute(context)["status"] == "ACTIVE"


def test_drifted_metric_attribution_fails_when_updates_are_off(personalize, context):
    p = personalize
    op = p.attach(_attribution(update_if_changed=False))
    _listed(p, [WATCH])
    with pytest.raises(PersonalizeResourceDriftError, match="field 'metrics'"):
        op.execute(context)


def test_second_metric_attribution_in_a_group_names_the_first(personalize, context):
    p = personalize
    op = p.attach(_attribution())
    other = {"name": "old", "metricAttributionArn": arn("metric-attribution", "old")}
    p.ok("list_metric_attributions", {"metricAttributions": [other]}, {"datasetGroupArn": DSG})
    p.error("create_metric_attribution", "LimitExceededException", "one metric attribution per dataset group")
    p.ok("list_metric_attributions", {"metricAttributions": [other]}, {"datasetGroupArn": DSG})
    with pytest.raises(PersonalizeResourceDriftError, match="already has metric attribution 'old'"):
        op.execute(context)


def test_metric_attribution_validates_its_metrics():
    with pytest.raises(ValueError, match=r"metrics\[0\] lacks expression"):
        _attribution(metrics=[{"eventType": "watch", "metricName": "W"}]).build_request({})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unique"):
        _attribution(metrics=[WATCH, WATCH]).build_request({})  # type: ignore[arg-type]
    rendered = _attribution(metrics='[{"eventType": "watch", "metricName": "W", "expression": "SAMPLECOUNT()"}]')
    assert rendered.build_request({})["metrics"] == [{"eventType": "watch", "metricName": "W",  # type: ignore[arg-type]
                                                      "expression": "SAMPLECOUNT()"}]


def test_delete_metric_attribution(personalize, context):
    p = personalize
    op = p.attach(PersonalizeDeleteMetricAttributionOperator(task_id="d", metric_attribution_arn=MA_ARN,
                                                             waiter_delay=0))
    p.ok("delete_metric_attribution", {}, {"metricAttributionArn": MA_ARN})
    p.ok("describe_metric_attribution", _ma("DELETE PENDING"), {"metricAttributionArn": MA_ARN})
    p.ok("describe_metric_attribution", _ma("DELETE IN_PROGRESS"), {"metricAttributionArn": MA_ARN})
    p.error("describe_metric_attribution", "ResourceNotFoundException")
    assert op.execute(context) == {"arn": MA_ARN, "status": "DELETED"}


# -- data deletion jobs ----------------------------------------------------------------------------------------

DDJ_ARN = arn("data-deletion-job", "erase")


def _deletion(**kw: Any) -> PersonalizeDataDeletionJobOperator:
    return PersonalizeDataDeletionJobOperator(
        task_id="erase", dataset_group_arn=DSG, data_location="s3://bucket/erase/users.csv", role_arn=ROLE,
        waiter_delay=0, **kw)


def _ddj(status: str, **extra: Any) -> dict[str, Any]:
    return {"dataDeletionJob": {"jobName": "erase-x", "dataDeletionJobArn": DDJ_ARN, "datasetGroupArn": DSG,
                                "status": status, **extra}}


def test_data_deletion_job_runs_to_completed(personalize, context):
    p = personalize
    op = p.attach(_deletion())
    p.ok("create_data_deletion_job", {"dataDeletionJobArn": DDJ_ARN},
         {"jobName": ANY, "datasetGroupArn": DSG, "dataSource": {"dataLocation": "s3://bucket/erase/users.csv"},
          "roleArn": ROLE})
    p.ok("describe_data_deletion_job", _ddj("PENDING"), {"dataDeletionJobArn": DDJ_ARN})
    p.ok("describe_data_deletion_job", _ddj("IN_PROGRESS"), {"dataDeletionJobArn": DDJ_ARN})
    p.ok("describe_data_deletion_job", _ddj("COMPLETED", numDeleted=42), {"dataDeletionJobArn": DDJ_ARN})
    p.ok("describe_data_deletion_job", _ddj("COMPLETED", numDeleted=42), {"dataDeletionJobArn": DDJ_ARN})
    result = op.execute(context)
    assert result["status"] == "COMPLETED" and result["numDeleted"] == 42


def test_data_deletion_job_name_is_stable_and_a_retry_adopts_it(personalize, context):
    """The job list has no botocore paginator: the hook follows nextToken itself, and finds the run's job."""
    p = personalize
    name = next(iter(_deletion().candidate_requests(context)))["jobName"]
    assert name == next(iter(_deletion().candidate_requests(context)))["jobName"]
    op = p.attach(_deletion())
    p.error("create_data_deletion_job", "ResourceAlreadyExistsException")  # the retry's create: the name is taken
    p.ok("list_data_deletion_jobs", {"dataDeletionJobs": [{"jobName": "other", "dataDeletionJobArn": "x" * 20}],
                                     "nextToken": "t2"}, {"datasetGroupArn": DSG})
    p.ok("list_data_deletion_jobs", {"dataDeletionJobs": [{"jobName": name, "dataDeletionJobArn": DDJ_ARN}]},
         {"datasetGroupArn": DSG, "nextToken": "t2"})
    job = _ddj("COMPLETED", numDeleted=3, dataSource={"dataLocation": "s3://bucket/erase/users.csv"}, roleArn=ROLE)
    job["dataDeletionJob"]["jobName"] = name
    p.ok("describe_data_deletion_job", job, {"dataDeletionJobArn": DDJ_ARN})
    assert op.execute(context)["numDeleted"] == 3


def test_data_deletion_job_failure_carries_the_reason(personalize, context):
    p = personalize
    op = p.attach(_deletion(max_job_attempts=1))
    p.ok("create_data_deletion_job", {"dataDeletionJobArn": DDJ_ARN}, None)
    p.ok("describe_data_deletion_job", _ddj("FAILED", failureReason="no USER_ID column"), None)
    with pytest.raises(PersonalizeResourceFailedError, match="no USER_ID column"):
        op.execute(context)


def test_data_deletion_job_defers_until_completed(personalize, context):
    p = personalize
    op = p.attach(_deletion(deferrable=True))
    p.ok("create_data_deletion_job", {"dataDeletionJobArn": DDJ_ARN}, None)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    trigger = deferred.value.trigger
    assert trigger.waiter_name == "data_deletion_job_active"
    # Read again when done: Personalize fills numDeleted in only then.
    assert trigger.serialized_fields["settled"] is None
    assert trigger.serialize()[1]["waiter_max_attempts"] == 1500  # a day, as Personalize documents


# -- recommender start / stop, stopping a training ---------------------------------------------------------------


def _rec(status: str) -> dict[str, Any]:
    return {"recommender": {"name": "top-picks", "recommenderArn": RECOMMENDER_ARN, "datasetGroupArn": DSG,
                            "status": status}}


def test_stop_recommender_calls_stop_and_waits_for_inactive(personalize, context):
    p = personalize
    op = p.attach(PersonalizeStopRecommenderOperator(task_id="stop", recommender_arn=RECOMMENDER_ARN,
                                                     waiter_delay=0))
    p.ok("describe_recommender", _rec("ACTIVE"), {"recommenderArn": RECOMMENDER_ARN})
    p.ok("stop_recommender", {"recommenderArn": RECOMMENDER_ARN}, {"recommenderArn": RECOMMENDER_ARN})
    p.ok("describe_recommender", _rec("STOP PENDING"), {"recommenderArn": RECOMMENDER_ARN})
    p.ok("describe_recommender", _rec("STOP IN_PROGRESS"), {"recommenderArn": RECOMMENDER_ARN})  # link lookup
    p.ok("describe_recommender", _rec("STOP IN_PROGRESS"), {"recommenderArn": RECOMMENDER_ARN})
    p.ok("describe_recommender", _rec("INACTIVE"), {"recommenderArn": RECOMMENDER_ARN})
    assert op.execute(context)["status"] == "INACTIVE"


def test_stop_of_a_stopped_recommender_calls_nothing(personalize, context):
    p = personalize
    op = p.attach(PersonalizeStopRecommenderOperator(task_id="stop", recommender_arn=RECOMMENDER_ARN))
    p.ok("describe_recommender", _rec("INACTIVE"), {"recommenderArn": RECOMMENDER_ARN})
    assert op.execute(context)["status"] == "INACTIVE"


def test_create_recommender_adopts_a_stopped_one_without_waiting(personalize, context):
    p = personalize
    recipe = "arn:aws:personalize:::recipe/aws-vod-top-picks"
    op = p.attach(PersonalizeCreateRecommenderOperator(task_id="rec", name="top-picks", dataset_group_arn=DSG,
                                                       recipe_arn=recipe, deferrable=True))
    p.ok("list_recommenders", {"recommenders": [{"name": "top-picks", "recommenderArn": RECOMMENDER_ARN}]},
         {"datasetGroupArn": DSG})
    stopped = _rec("INACTIVE")
    stopped["recommender"]["recipeArn"] = recipe
    p.ok("describe_recommender", stopped, {"recommenderArn": RECOMMENDER_ARN})
    assert op.execute(context)["status"] == "INACTIVE"  # no deferral, no StartRecommender


def test_start_recommender_defers_until_active(personalize, context):
    p = personalize
    op = p.attach(PersonalizeStartRecommenderOperator(task_id="start", recommender_arn=RECOMMENDER_ARN,
                                                      deferrable=True))
    p.ok("describe_recommender", _rec("INACTIVE"), {"recommenderArn": RECOMMENDER_ARN})
    p.ok("start_recommender", {"recommenderArn": RECOMMENDER_ARN}, {"recommenderArn": RECOMMENDER_ARN})
    p.ok("describe_recommender", _rec("START PENDING"), {"recommenderArn": RECOMMENDER_ARN})
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    assert deferred.value.trigger.waiter_name == "recommender_active"
    assert deferred.value.kwargs == {"target": "active"}
    assert deferred.value.trigger.settled == {
        "arn": RECOMMENDER_ARN, "name": "top-picks", "status": "ACTIVE", "datasetGroupArn": DSG}


def test_stop_defers_with_the_inactive_target_and_completes(personalize, context):
    p = personalize
    op = p.attach(PersonalizeStopRecommenderOperator(task_id="stop", recommender_arn=RECOMMENDER_ARN,
                                                     deferrable=True))
    p.ok("describe_recommender", _rec("STOP IN_PROGRESS"), {"recommenderArn": RECOMMENDER_ARN})
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    assert deferred.value.trigger.waiter_name == "recommender_inactive"
    trigger = deferred.value.trigger
    event = {"status": "success", "resource_arn": RECOMMENDER_ARN, "settled": trigger.settled}  # as its run() says
    assert op.execute_complete(context, event, **deferred.value.kwargs)["status"] == "INACTIVE"


@pytest.mark.parametrize("status", ["CREATE IN_PROGRESS", "START IN_PROGRESS", "CREATE FAILED"])
def test_stop_refuses_a_recommender_it_cannot_stop(personalize, context, status):
    p = personalize
    op = p.attach(PersonalizeStopRecommenderOperator(task_id="stop", recommender_arn=RECOMMENDER_ARN))
    p.ok("describe_recommender", _rec(status), {"recommenderArn": RECOMMENDER_ARN})
    with pytest.raises(PersonalizeResourceInUseError, match=f"its status is '{status}'"):
        op.execute(context)


def test_stop_training_in_progress_and_leave_a_finished_one(personalize, context):
    p = personalize
    version = {"solutionVersionArn": SV_ARN, "solutionArn": SOLUTION_ARN, "datasetGroupArn": DSG}
    op = p.attach(PersonalizeStopSolutionVersionOperator(task_id="stop", solution_version_arn=SV_ARN,
                                                         waiter_delay=0))
    p.ok("describe_solution_version", {"solutionVersion": {**version, "status": "CREATE IN_PROGRESS"}}, None)
    p.ok("stop_solution_version_creation", {}, {"solutionVersionArn": SV_ARN})
    for status in ("CREATE STOPPING", "CREATE STOPPING", "CREATE STOPPED", "CREATE STOPPED"):
        p.ok("describe_solution_version", {"solutionVersion": {**version, "status": status}}, None)
    assert op.execute(context)["status"] == "CREATE STOPPED"
    p.ok("describe_solution_version", {"solutionVersion": {**version, "status": "ACTIVE"}}, None)
    assert op.execute(context)["status"] == "ACTIVE"  # nothing to stop


# -- UpdateSolution / UpdateDataset ------------------------------------------------------------------------------

RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization-v2"
WEEKLY = {"autoTrainingConfig": {"schedulingExpression": "rate(7 days)"}}


def _solution(**kw: Any) -> PersonalizeCreateSolutionOperator:
    return PersonalizeCreateSolutionOperator(task_id="solution", name="ups", dataset_group_arn=DSG,
                                             recipe_arn=RECIPE, waiter_delay=0, **kw)


def _sol(**extra: Any) -> dict[str, Any]:
    return {"solution": {"name": "ups", "solutionArn": SOLUTION_ARN, "datasetGroupArn": DSG, "recipeArn": RECIPE,
                         "status": "ACTIVE", "performAutoTraining": False, "solutionConfig": {}, **extra}}


def test_auto_training_switched_on_through_update_solution(personalize, context):
    p = personalize
    op = p.attach(_solution(perform_auto_training=True, solution_config=WEEKLY))
    p.ok("list_solutions", {"solutions": [{"name": "ups", "solutionArn": SOLUTION_ARN}]}, {"datasetGroupArn": DSG})
    p.ok("describe_solution", _sol(), {"solutionArn": SOLUTION_ARN})
    p.ok("update_solution", {"solutionArn": SOLUTION_ARN},
         {"solutionArn": SOLUTION_ARN, "performAutoTraining": True, "solutionUpdateConfig": WEEKLY})
    update = {"performAutoTraining": True, "solutionUpdateConfig": WEEKLY}
    p.ok("describe_solution", _sol(latestSolutionUpdate={**update, "status": "CREATE IN_PROGRESS"}), None)
    p.ok("describe_solution", _sol(latestSolutionUpdate={**update, "status": "ACTIVE"}), None)
    p.ok("describe_solution", _sol(latestSolutionUpdate={**update, "status": "ACTIVE"}), None)
    assert op.execute(context)["status"] == "ACTIVE"


def test_an_update_already_sent_is_not_sent_again(personalize, context):
    """A retried task finds its own update (in flight or done) and only waits."""
    p = personalize
    op = p.attach(_solution(perform_auto_training=True, solution_config=WEEKLY))
    p.ok("list_solutions", {"solutions": [{"name": "ups", "solutionArn": SOLUTION_ARN}]}, None)
    update = {"performAutoTraining": True, "solutionUpdateConfig": WEEKLY, "status": "ACTIVE"}
    p.ok("describe_solution", _sol(latestSolutionUpdate=update), None)
    assert op.execute(context)["status"] == "ACTIVE"


def test_a_changed_recipe_is_still_drift(personalize, context):
    p = personalize
    op = p.attach(_solution(perform_auto_training=True, solution_config={**WEEKLY, "eventValueThreshold": "1"}))
    p.ok("list_solutions", {"solutions": [{"name": "ups", "solutionArn": SOLUTION_ARN}]}, None)
    p.ok("describe_solution", _sol(), None)
    with pytest.raises(PersonalizeResourceDriftError, match="solutionConfig"):
        op.execute(context)


def test_a_new_schema_replaces_the_datasets_through_update_dataset(personalize, context):
    p = personalize
    dataset_arn, new_schema = arn("dataset", "shop/ITEMS"), arn("schema", "items-v2")
    op = p.attach(PersonalizeCreateDatasetOperator(task_id="ds", name="items", dataset_group_arn=DSG,
                                                   dataset_type="Items", schema_arn=new_schema, waiter_delay=0))
    described = {"name": "items", "datasetArn": dataset_arn, "datasetGroupArn": DSG, "datasetType": "ITEMS",
                 "schemaArn": SCHEMA_ARN, "status": "ACTIVE"}
    p.ok("list_datasets", {"datasets": [{"name": "items", "datasetArn": dataset_arn}]}, {"datasetGroupArn": DSG})
    p.ok("describe_dataset", {"dataset": described}, None)
    p.ok("update_dataset", {"datasetArn": dataset_arn}, {"datasetArn": dataset_arn, "schemaArn": new_schema})
    updating = {**described, "latestDatasetUpdate": {"schemaArn": new_schema, "status": "CREATE IN_PROGRESS"}}
    p.ok("describe_dataset", {"dataset": updating}, None)
    p.ok("describe_dataset", {"dataset": updating}, None)  # console link (the dataset names its group)
    done = {**updating, "schemaArn": new_schema, "latestDatasetUpdate": {"schemaArn": new_schema,
                                                                         "status": "ACTIVE"}}
    p.ok("describe_dataset", {"dataset": done}, None)
    p.ok("describe_dataset", {"dataset": done}, None)
    assert op.execute(context)["schemaArn"] == new_schema


# -- themes ------------------------------------------------------------------------------------------------------


def _batch(**kw: Any) -> PersonalizeBatchInferenceJobOperator:
    return PersonalizeBatchInferenceJobOperator(task_id="themes", solution_version_arn=SV_ARN,
                                                input_path="s3://b/in.json", output_path="s3://b/out/",
                                                role_arn=ROLE, **kw)


def test_themes_request_carries_the_mode_and_the_config(context):
    request = _batch(theme_generation_config="TITLE").build_definition(context)
    assert request["batchInferenceJobMode"] == "THEME_GENERATION"
    assert request["themeGenerationConfig"] == {"fieldsForThemeGeneration": {"itemName": "TITLE"}}
    templated = _batch(batch_inference_job_mode="theme_generation",
                       theme_generation_config='{"fieldsForThemeGeneration": {"itemName": "NAME"}}')
    assert templated.build_definition(context)["themeGenerationConfig"]["fieldsForThemeGeneration"] == {
        "itemName": "NAME"}
    assert "themeGenerationConfig" not in _batch().build_definition(context)


@pytest.mark.parametrize(("kw", "message"), [
    ({"batch_inference_job_mode": "THEME_GENERATION"}, "needs theme_generation_config"),
    ({"batch_inference_job_mode": "BATCH_INFERENCE", "theme_generation_config": "TITLE"}, "only applies"),
    ({"theme_generation_config": {"fieldsForThemeGeneration": {}}}, "itemName"),
    ({"batch_inference_job_mode": "THEMES"}, "must be BATCH_INFERENCE or THEME_GENERATION"),
])
def test_themes_misuse_is_refused_before_any_call(context, kw, message):
    with pytest.raises(ValueError, match=message):
        _batch(**kw).build_definition(context)


def test_themes_request_is_valid_for_botocore(personalize, context):
    p = personalize
    job_arn = arn("batch-inference-job", "themes")
    op = p.attach(_batch(theme_generation_config="TITLE", waiter_delay=0))
    p.ok("create_batch_inference_job", {"batchInferenceJobArn": job_arn}, {
        "jobName": ANY, "solutionVersionArn": SV_ARN, "jobInput": {"s3DataSource": {"path": "s3://b/in.json"}},
        "jobOutput": {"s3DataDestination": {"path": "s3://b/out/"}}, "roleArn": ROLE,
        "batchInferenceJobMode": "THEME_GENERATION",
        "themeGenerationConfig": {"fieldsForThemeGeneration": {"itemName": "TITLE"}}})
    described = {"batchInferenceJob": {"jobName": "t", "batchInferenceJobArn": job_arn, "solutionVersionArn": SV_ARN,
                                       "status": "ACTIVE", "batchInferenceJobMode": "THEME_GENERATION"}}
    p.ok("describe_solution_version", {"solutionVersion": {"solutionVersionArn": SV_ARN, "datasetGroupArn": DSG}},
         None)  # the console link's dataset group
    p.ok("describe_batch_inference_job", described, None)
    assert op.execute(context)["batchInferenceJobMode"] == "THEME_GENERATION"


# -- LimitExceeded waited out without a worker slot ----------------------------------------------------------------


def test_deferrable_limit_exceeded_defers_on_a_timer_then_adopts_or_creates(personalize, context, _no_sleep):
    p = personalize
    op = p.attach(_deletion(deferrable=True, limit_exceeded_retry_delay=60))
    # The create at once is refused (busy) and nothing of the name exists: the back-off starts from that refusal.
    p.error("create_data_deletion_job", "LimitExceededException", "too many concurrent jobs")
    p.ok("list_data_deletion_jobs", {"dataDeletionJobs": []}, None)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    assert _no_sleep == []  # nothing slept in the worker
    assert type(deferred.value.trigger).__name__ == "TimeDeltaTrigger"
    assert deferred.value.method_name == "resume_after_limit" and deferred.value.kwargs == {"limit_attempt": 1}
    # Back from the timer, on a fresh operator as the worker builds it: the second back-off doubles.
    again = p.attach(_deletion(deferrable=True, limit_exceeded_retry_delay=60))
    p.error("create_data_deletion_job", "LimitExceededException", "still too many")
    p.ok("list_data_deletion_jobs", {"dataDeletionJobs": []}, None)
    with pytest.raises(TaskDeferred) as second:
        again.resume_after_limit(context, {}, **deferred.value.kwargs)
    assert second.value.kwargs == {"limit_attempt": 2}
    trigger = second.value.trigger  # the moment it fires: `_moment` in the standard provider 1.21, `moment` in 1.17
    fires_in = ((getattr(trigger, "_moment", None) or trigger.moment) - pendulum.now("UTC")).total_seconds()
    assert 110 < fires_in <= 120
    last = p.attach(_deletion(deferrable=True, limit_exceeded_max_retries=2))
    p.error("create_data_deletion_job", "LimitExceededException", "still too many")
    p.ok("list_data_deletion_jobs", {"dataDeletionJobs": []}, None)
    with pytest.raises(Exception, match="still too many"):  # bounded: the retries are spent
        last.resume_after_limit(context, {}, **second.value.kwargs)


# -- every mutating operation of the service model has an operator ---------------------------------------------

#: Operations no operator sends, and why.
DELIBERATELY_NOT: dict[str, str] = {}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_every_create_update_delete_start_stop_operation_has_an_operator():
    model = botocore.session.get_session().get_service_model("personalize")
    mutating = {op for op in model.operation_names if re.match(r"(Create|Update|Delete|Start|Stop)", op)}
    reached: set[str] = set()
    for name in operators.__all__:
        cls = getattr(operators, name)
        spec = getattr(cls, "resource", None)
        if spec is not None and issubclass(cls, PersonalizeCreateResourceOperator):
            reached.add(f"create_{spec.kind}")
        if spec is not None and issubclass(cls, PersonalizeDeleteResourceOperator):
            reached.add(f"delete_{spec.kind}")
        if action := getattr(cls, "action", None):
            reached.add(action)
    package = Path(inspect.getfile(personalize_provider)).parent
    for source in (package / "operators").glob("*.py"):
        reached |= set(re.findall(r"\.client\.(\w+)\(", source.read_text()))
    missing = {op for op in mutating if _snake(op) not in reached and op not in DELIBERATELY_NOT}
    assert not missing, f"no operator sends {sorted(missing)}"
    assert len(mutating) == 32  # a new operation in botocore's model: give it an operator (or a reason above)
