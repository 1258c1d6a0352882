"""Build one Airflow DAG per pipeline config file.

Wiring only: task bodies live in personalize_pipeline.tasks and import their heavy dependencies (pandas, GX, boto3
clients) when they run, never when the DAG is parsed.

    plan_run ─┬─ extract_and_stage → validate_data → dataset_group → schema/dataset/import per dataset → filters
              │        → per solution: solution → plan_training → train → metrics → compare → decide
              │                                    ├─ promote (campaign create/update) → record_promotion
              │                                    └─ keep (rejected: campaign untouched, the run says why)
              └─ batch_only ───────────→ per solution: resolve_serving → prepare_batch_input → batch_inference
    summary (always)
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import (
    DAG,
    Asset,
    BaseOperatorLink,
    CronDataIntervalTimetable,
    MultipleCronTriggerTimetable,
    Param,
    TaskGroup,
    XComArg,
    task,
)

from personalize_pipeline.config import ConfigError, PipelineConfig, SolutionConfig, config_files, load_config
from personalize_pipeline.links import PersonalizePromotionReportLink, PersonalizeRunSummaryLink
from personalize_pipeline.notify import make_failure_callback
from personalize_pipeline.promotion import METRIC_NAMES
from personalize_pipeline.schemas import schema_text

DEFAULT_RETRIES = 2
# Personalize answers ResourceInUse to imports and trainings of a dataset group while a data deletion job (an
# erasure, up to a day) runs in it. With the back-off doubling from 60 s to its 15-minute cap, 100 retries wait
# about a day, deferred on a timer: the nightly holds no worker slot and resumes when the group is free.
GROUP_BUSY_RETRIES = 100


def _xcom(producer: Any, *path: str) -> str:
    """A template pulling one field of the producing task's XCom dict (rendered by the operators' template fields).
    ``producer`` is the operator or its @task output: its task id (with its group's prefix) comes from it."""
    task_id = _task_id(producer)
    fields = "".join(f"['{key}']" for key in path)
    return f"{{{{ ti.xcom_pull(task_ids='{task_id}'){fields} }}}}"


def _group_for_links(group: Any) -> dict[str, str]:
    """The dataset group's ARN for the console links of jobs, versions and campaigns (their descriptions do not
    name it): saves a describe per task. Empty, and so looked up, where the group's task did not run."""
    pulled = f"(ti.xcom_pull(task_ids='{_task_id(group)}') or {{}}).get('arn', '')"
    return {"console_dataset_group_arn": f"{{{{ {pulled} }}}}"}


def _task_id(producer: Any) -> str:
    """The task id of an operator or of the task behind a @task output."""
    return str(getattr(producer, "operator", producer).task_id)


def _with_links(output: Any, *links: BaseOperatorLink) -> None:
    """Extra links for a @task (it takes no operator_extra_links argument): set on the operator its call made."""
    output.operator.operator_extra_links = links


def _default_args(config: PipelineConfig) -> dict[str, Any]:
    args: dict[str, Any] = {
        "owner": config.owner,
        "retries": config.retries,
        "retry_delay": timedelta(seconds=config.retry_delay_seconds),
        "retry_exponential_backoff": True,
    }
    if config.notification_conn_id:
        args["on_failure_callback"] = make_failure_callback(config.notification_conn_id)
    return args


def _params(config: PipelineConfig) -> dict[str, Param]:
    return {
        "import_mode": Param(config.import_mode, enum=["FULL", "INCREMENTAL"], title="Import mode",
                             description="FULL imports a snapshot; INCREMENTAL only the run's data interval."),
        "training_mode": Param("CONFIG", enum=["CONFIG", "FULL", "UPDATE", "AUTO"], title="Training mode",
                               description="CONFIG uses each solution's configured mode."),
        "force_retrain": Param(False, type="boolean", title="Force retrain",
                               description="Train even when the staged data did not change."),
        "dry_run": Param(False, type="boolean", title="Dry run (skip promotion)",
                         description="Train and compare, but never touch campaigns."),
        "promotion_metric": Param("", enum=["", *METRIC_NAMES], title="Promotion metric override"),
        "min_relative_change": Param(None, type=["null", "number"], title="Minimum relative change override",
                                     description="e.g. 0.02 requires a 2% improvement; empty keeps the config."),
        "batch_inference_only": Param(False, type="boolean", title="Batch inference only",
                                      description="Skip extract, import and training; run batch jobs on the "
                                      "versions in service."),
    }


def _timetable(config: PipelineConfig) -> CronDataIntervalTimetable | None:
    """Cron schedules with data intervals: each nightly or backfilled run covers [previous run, this run),
    which is what INCREMENTAL imports need (Airflow 3's default cron timetable has zero-width intervals)."""
    return CronDataIntervalTimetable(config.schedule, timezone="UTC") if config.schedule else None


def _waits(config: PipelineConfig) -> dict[str, Any]:
    return {"aws_conn_id": config.aws_conn_id, "deferrable": config.wait.deferrable,
            "waiter_delay": config.wait.delay_seconds, "waiter_max_attempts": config.wait.max_attempts}


def _dataset_stage(config: PipelineConfig, manifest: Any, validated: Any) -> tuple[Any, list[Any], dict[str, Any]]:
    """Dataset group, schemas, datasets, the imports of the staged files and the filters (in the ``data`` group)."""
    from personalize_provider.operators import (
        PersonalizeCreateDatasetGroupOperator,
        PersonalizeCreateDatasetOperator,
        PersonalizeCreateFilterOperator,
        PersonalizeCreateSchemaOperator,
        PersonalizeDatasetImportJobOperator,
    )

    waits = _waits(config)
    group = PersonalizeCreateDatasetGroupOperator(
        task_id="dataset_group", name=config.dataset_group, domain=config.domain, kms_key_arn=config.kms_key_arn,
        role_arn=config.role_arn if config.kms_key_arn else None, **waits)
    validated >> group
    attribution = _metric_attribution(config, group)
    imports = []
    for dataset in config.datasets:
        schema_name = config.schema_name(dataset)
        # Another schema is another Personalize schema (they are immutable): the dataset moves to it (UpdateDataset).
        schema = PersonalizeCreateSchemaOperator(
            task_id=f"schema_{dataset}", name=config.resource_name(schema_name.replace("_", "-")),
            schema=schema_text(schema_name), domain=config.domain, **waits)
        created = PersonalizeCreateDatasetOperator(
            task_id=f"dataset_{dataset}", name=config.resource_name(dataset), dataset_type=dataset.upper(),
            dataset_group_arn=_xcom(group, "arn"), schema_arn=_xcom(schema, "arn"), **waits)
        job = PersonalizeDatasetImportJobOperator(
            task_id=f"import_{dataset}", dataset_arn=_xcom(created, "arn"),
            data_location=_xcom(manifest, "files", dataset), role_arn=config.role_arn,
            import_mode="{{ params.import_mode }}", job_name=_xcom(manifest, "job_names", dataset),
            pool=config.pools.imports, limit_exceeded_max_retries=GROUP_BUSY_RETRIES,
            # INCREMENTAL intervals must land in order: a backfill's runs may overlap, the imports may not.
            depends_on_past=config.import_mode == "INCREMENTAL",
            publish_attribution_metrics_to_s3=True if attribution and dataset == "interactions" else None,
            **_group_for_links(group), **waits)
        [group, schema] >> created >> job
        if attribution:
            created >> attribution >> job  # Personalize reports only on data imported after it exists
        imports.append(job)
    filters = {
        f.name: PersonalizeCreateFilterOperator(
            task_id=f"filter_{f.name}", name=config.resource_name(f.name), filter_expression=f.expression,
            dataset_group_arn=_xcom(group, "arn"), **waits)
        for f in config.filters
    }
    imported = EmptyOperator(task_id="datasets_imported")
    imports >> imported
    imported >> list(filters.values())
    return group, [imported, *filters.values()], filters


def _recommenders(config: PipelineConfig, group: Any, after: list[Any]) -> None:
    """Domain recommenders: Personalize trains them on the imported data (and retrains them itself)."""
    if not config.recommenders:
        return
    from personalize_provider.operators import PersonalizeCreateRecommenderOperator

    with TaskGroup(group_id="recommenders"):
        for rec in config.recommenders:
            after >> PersonalizeCreateRecommenderOperator(
                task_id=rec.name, name=config.resource_name(rec.name), dataset_group_arn=_xcom(group, "arn"),
                recipe_arn=rec.recipe_arn,
                recommender_config={"minRecommendationRequestsPerSecond": rec.min_recommendation_requests_per_second},
                **_waits(config))


def _metric_attribution(config: PipelineConfig, group: Any) -> Any:
    if not config.metric_attribution:
        return None
    from personalize_provider.operators import PersonalizeCreateMetricAttributionOperator

    metrics = [{"eventType": m.event_type, "metricName": m.name, "expression": m.expression}
               for m in config.metric_attribution.metrics]
    return PersonalizeCreateMetricAttributionOperator(
        task_id="metric_attribution", name=config.resource_name("attribution"),
        dataset_group_arn=_xcom(group, "arn"), metrics=metrics, role_arn=config.role_arn,
        s3_output_path=config.attribution_output_path, kms_key_arn=config.kms_key_arn, **_waits(config))


def _solution_group(
    config: PipelineConfig, sol: SolutionConfig, group: Any, manifest: Any, after: list[Any], batch_only: Any,
    filters: dict[str, Any],
) -> dict[str, Any]:
    """The solution's task group; returns its outputs the run summary reads (plan, compared, serving, prepared)."""
    from personalize_provider.operators import (
        PersonalizeBatchInferenceJobOperator,
        PersonalizeCreateCampaignOperator,
        PersonalizeCreateSolutionOperator,
        PersonalizeCreateSolutionVersionOperator,
        PersonalizeGetSolutionMetricsOperator,
    )

    from personalize_pipeline.tasks.batch import asset_uri

    waits = _waits(config)
    g = sol.name
    with TaskGroup(group_id=g):
        solution = PersonalizeCreateSolutionOperator(
            task_id="solution", name=config.resource_name(sol.name), dataset_group_arn=_xcom(group, "arn"),
            recipe_arn=sol.recipe_arn, event_type=sol.event_type, perform_auto_training=sol.perform_auto_training,
            solution_config=sol.solution_config or None, **waits)

        @task(task_id="plan_training")
        def plan_training(solution: Any, manifest: Any, **context: Any) -> dict[str, Any]:
            from personalize_pipeline.tasks.training import plan_training as run

            return run(config, sol, solution["arn"], manifest, context["params"], context["run_id"])

        plan = plan_training(solution.output, manifest)
        train = PersonalizeCreateSolutionVersionOperator(
            task_id="train", solution_arn=_xcom(solution, "arn"), training_mode=_xcom(plan, "training_mode"),
            job_name=_xcom(plan, "version_name"), pool=config.pools.trainings,
            limit_exceeded_max_retries=GROUP_BUSY_RETRIES, **_group_for_links(group), **waits)
        metrics = PersonalizeGetSolutionMetricsOperator(
            task_id="metrics", solution_version_arn=_xcom(train, "arn"), aws_conn_id=config.aws_conn_id)

        # The fair comparison (config.evaluation): the incumbent and the candidate answer one batch job each for
        # the same sampled users of the held-back window; a mapped task, so each paid job keeps its own retries.
        fair = sol.recommends_for_users and config.evaluation.gate != "personalize"
        evaluation = evaluate = None
        if fair:

            @task(task_id="plan_evaluation")
            def plan_evaluation(solution: Any, trained: Any, manifest: Any, **context: Any) -> list[dict[str, Any]]:
                """Returns the batch jobs to map (none: gate on Personalize's metrics); the plan goes to XCom
                key "plan" for compare."""
                from personalize_pipeline.tasks.evaluation import plan_evaluation as run
                from personalize_pipeline.tasks.training import incumbent_of

                incumbent = incumbent_of(config, sol, solution["arn"])
                plan = run(config, sol, incumbent["arn"], trained["solutionVersionArn"],
                           incumbent["trained_through"], manifest, incumbent["tags"])
                context["ti"].xcom_push(key="plan", value=plan)
                return list(plan["jobs"])

            planned = plan_evaluation(solution.output, metrics.output, manifest)
            evaluation = XComArg(getattr(planned, "operator"), key="plan")  # noqa: B009 - typed as XComArg
            evaluate = PersonalizeBatchInferenceJobOperator.partial(
                task_id="evaluate", role_arn=config.role_arn, num_results=config.evaluation.num_results,
                pool=config.pools.batch, **_group_for_links(group), **waits).expand_kwargs(planned)

        # With no fair comparison to make, the mapped evaluate task has nothing to map and is skipped.
        @task(task_id="compare", trigger_rule="none_failed_min_one_success" if fair else "all_success")
        def compare(solution: Any, trained: Any, manifest: Any, evaluation: Any,
                    **context: Any) -> dict[str, Any]:
            from personalize_pipeline.tasks.training import compare_and_report

            result = compare_and_report(config, sol, solution["arn"], trained["solutionVersionArn"],
                                        trained["metrics"], manifest, context["params"], evaluation)
            PersonalizePromotionReportLink.persist(context, result["report"]["url"])
            return result

        compared = compare(solution.output, metrics.output, manifest, evaluation)
        if evaluate is not None:
            evaluate >> compared
        # A "Promotion report" button on the task (Details tab): the s3:// URI in the log is not clickable.
        _with_links(compared, PersonalizePromotionReportLink())

        @task.branch(task_id="decide")
        def decide(result: Any) -> str:
            return _task_id(promote_first) if result["promote"] else _task_id(kept)

        @task(task_id="record_promotion")
        def record_promotion(result: Any, **context: Any) -> None:
            from personalize_pipeline.tasks.training import record_promotion as run

            run(config, result["candidate"], context["run_id"], result.get("trained_through"))

        @task(task_id="keep")
        def keep(result: Any, **context: Any) -> str:
            from personalize_pipeline.tasks.training import keep_incumbent

            return keep_incumbent(config, sol, result, context["run_id"], context["ti"].task_id)

        branch = decide(compared)
        recorded = record_promotion(compared)
        promote_first: Any = recorded
        if sol.campaign:
            from personalize_pipeline.tasks.training import campaign_config, campaign_name

            promote_first = PersonalizeCreateCampaignOperator(
                task_id="promote", name=campaign_name(config, sol),
                solution_version_arn=_xcom(compared, "candidate"),
                min_provisioned_tps=sol.campaign.min_provisioned_tps, campaign_config=campaign_config(sol),
                **_group_for_links(group), **waits)
            branch >> promote_first >> recorded
        else:
            branch >> recorded
        kept = keep(compared)
        branch >> kept
        after >> solution
        plan >> train >> metrics

        outputs = {"plan": plan, "compared": compared}
        if sol.batch_inference:
            wanted = filters.get(sol.batch_inference.filter or "")

            @task(task_id="resolve_serving", trigger_rule="none_failed")
            def resolve_serving(manifest: Any, solution: Any, compared: Any, wanted: Any) -> dict[str, Any]:
                from personalize_pipeline.tasks.training import resolve_serving as run

                return run(config, sol, manifest, solution, compared, wanted["arn"] if wanted else None)

            serving = resolve_serving(manifest, solution.output, compared, wanted.output if wanted else None)
            [recorded, kept, batch_only] >> serving
            outputs["serving"] = serving

            @task(task_id="prepare_batch_input")
            def prepare_batch_input(serving: Any) -> dict[str, Any]:
                from personalize_pipeline.tasks.batch import prepare_batch_input as run

                return run(config, sol, serving, serving["manifest"])

            prepared = prepare_batch_input(serving)
            outputs["prepared"] = prepared
            PersonalizeBatchInferenceJobOperator(
                task_id="batch_inference", solution_version_arn=_xcom(serving, "version_arn"),
                input_path=_xcom(prepared, "input_path"), output_path=_xcom(prepared, "output_path"),
                role_arn=config.role_arn,
                num_results=sol.batch_inference.num_results,
                filter_arn=_xcom(serving, "filter_arn") if sol.batch_inference.filter else None,
                job_name=_xcom(prepared, "job_name"), pool=config.pools.batch,
                outlets=[Asset(uri=asset_uri(config, sol))],
                trigger_rule="none_failed", **_group_for_links(group), **waits,
            ).set_upstream(prepared)
    return outputs


def build_dag(config: PipelineConfig) -> DAG:
    with DAG(
        dag_id=config.dag_id,
        description=config.description or f"Amazon Personalize pipeline for {config.dataset_group}",
        schedule=_timetable(config),
        start_date=datetime.combine(config.start_date, time(), tzinfo=UTC),
        catchup=False,
        max_active_runs=1,
        tags=sorted({"personalize", *config.tags}),
        default_args=_default_args(config),
        params=_params(config),
        doc_md=f"Pipeline config `{config.name}`: dataset group `{config.dataset_group}`, "
        f"staging in `s3://{config.bucket}/{config.prefix}/{config.dataset_group}/`.",
    ) as dag:

        @task.branch(task_id="plan_run")
        def plan_run(**context: Any) -> str:
            return batch_only.task_id if context["params"].get("batch_inference_only") else _task_id(manifest)

        @task(task_id="extract_and_stage")
        def extract_and_stage(**context: Any) -> dict[str, Any]:
            from personalize_pipeline.tasks.data_stage import extract_and_stage as run

            return run(config, context)

        @task(task_id="validate_data", retries=0)
        def validate_data(manifest: Any) -> dict[str, Any]:
            from personalize_pipeline.tasks.data_stage import validate_staged

            return validate_staged(config, manifest)

        @task(task_id="summary", trigger_rule="all_done", retries=0)
        def summary(manifest: Any, validation: Any, solutions: Any, **context: Any) -> str:
            """Writes the run summary, then decides the run: it fails when any task of the run failed (the
            summary is the only leaf, so its state is the run's)."""
            from personalize_pipeline.tasks.batch import fail_if_any_task_failed, summarize_run

            text = summarize_run(config, context, manifest, validation, solutions)
            fail_if_any_task_failed(context)
            return text

        plan = plan_run()
        batch_only = EmptyOperator(task_id="batch_only")
        # The grid's top rows: plan_run, batch_only, data, one group per solution (and recommenders), summary.
        with TaskGroup(group_id="data", tooltip="extract, validate, datasets, imports, filters"):
            manifest = extract_and_stage()
            validated = validate_data(manifest)
            group, ready, filters = _dataset_stage(config, manifest, validated)
        plan >> [manifest, batch_only]
        outputs = {sol.name: _solution_group(config, sol, group, manifest, ready, batch_only, filters)
                   for sol in config.solutions}
        _recommenders(config, group, ready)
        leaves: list[Any] = list(dag.leaves)
        end = summary(manifest, validated, outputs)
        # A "Run summary" button on the task (Details tab), next to the summary printed in its log.
        _with_links(end, PersonalizeRunSummaryLink())
        leaves >> end
    return dag


def _companion_dag(config: PipelineConfig, suffix: str, description: str, tag: str, params: dict[str, Param],
                   doc_md: str | None = None, schedule: Any = None) -> DAG:
    """A DAG beside the nightly one (erasure, rollback, recommender hours): manual unless scheduled, one run at a
    time, the config's owner, retries and notifications."""
    return DAG(
        dag_id=f"{config.dag_id}_{suffix}", description=description, schedule=schedule,
        start_date=datetime.combine(config.start_date, time(), tzinfo=UTC), catchup=False, max_active_runs=1,
        tags=sorted({"personalize", tag, *config.tags}), default_args=_default_args(config), params=params,
        doc_md=doc_md)


def _erasure_params() -> dict[str, Param]:
    # Optional text is typed null-or-string: the trigger form sends an empty field as null and would otherwise
    # refuse to trigger until it is filled.
    return {
        "user_ids": Param([], type="array", items={"type": "string"}, title="User ids",
                          description="USER_IDs to erase, one per line."),
        "users_csv": Param(None, type=["null", "string"], title="Or: S3 CSV of USER_IDs",
                           description="s3://bucket/key of a CSV with a USER_ID column (added to the ids above)."),
        "reason": Param(None, type=["null", "string"], title="Reason",
                        description="Why (e.g. the ticket of the privacy request); kept in the erasure report."),
        "dry_run": Param(False, type="boolean", title="Dry run",
                         description="Report what would be removed; change nothing."),
    }


def build_erasure_dag(config: PipelineConfig) -> DAG:
    """Manual runs that forget users: in Personalize (a data deletion job), in every S3 object under the pipeline's
    prefix, and in every later extract. The same request again removes nothing more."""
    from personalize_provider.operators import PersonalizeDataDeletionJobOperator

    # max_active_runs=1: two scrubs rewriting one file at once would each undo the other's removals.
    with _companion_dag(
        config, "erasure", f"Erase users from {config.dataset_group} (privacy requests)", "erasure",
        _erasure_params(), doc_md=f"Erase users from dataset group `{config.dataset_group}` and from "
        f"`s3://{config.bucket}/{config.prefix}/{config.dataset_group}/`; the report is written under `erasure/`.",
    ) as dag:

        @task(task_id="plan_erasure")
        def plan_erasure(**context: Any) -> dict[str, Any]:
            from personalize_pipeline.tasks.erasure import plan_erasure as run

            return run(config, context["params"])

        @task(task_id="scrub_s3")
        def scrub_s3(plan: Any) -> dict[str, Any]:
            from personalize_pipeline.tasks.erasure import scrub_s3 as run

            return run(config, plan)

        @task(task_id="find_dataset_group")
        def find_dataset_group(plan: Any) -> dict[str, Any]:
            from personalize_pipeline.tasks.erasure import find_dataset_group as run

            return run(config)

        @task.short_circuit(task_id="deletion_needed", ignore_downstream_trigger_rules=False)
        def deletion_needed(plan: Any, group: Any) -> bool:
            return not plan["dry_run"] and bool(group["arn"])

        @task(task_id="erasure_report", trigger_rule="all_done")
        def erasure_report(plan: Any, scrubbed: Any, group: Any, deletion: Any) -> dict[str, Any]:
            from personalize_pipeline.tasks.erasure import write_report

            return write_report(config, plan, scrubbed, group, deletion)

        plan = plan_erasure()
        scrubbed = scrub_s3(plan)
        group = find_dataset_group(plan)
        deletion = PersonalizeDataDeletionJobOperator(
            task_id="delete_from_personalize", dataset_group_arn=_xcom(group, "arn"),
            data_location=_xcom(plan, "data_location"), role_arn=config.role_arn,
            job_name=_xcom(plan, "job_name"), **_waits(config))
        deletion_needed(plan, group) >> deletion
        erasure_report(plan, scrubbed, group, deletion.output)
    return dag


def build_rollback_dag(config: PipelineConfig) -> DAG | None:
    """Manual runs that put a solution's previous version back in service: the campaign points back (deferred
    wait), the versions' tags record it, a report and a notification say it."""
    if not config.solutions:
        return None
    from personalize_provider.operators import PersonalizeCreateCampaignOperator

    from personalize_pipeline.links import PersonalizeRollbackReportLink

    names = [s.name for s in config.solutions]
    with _companion_dag(
        config, "rollback", f"Roll a solution of {config.dataset_group} back to an earlier version", "rollback",
        {
            "solution": Param(names[0], enum=names, title="Solution"),
            "target_version": Param(None, type=["null", "string"], title="Target version",
                                    description="Solution version ARN (or its last part); empty: the version "
                                    "promoted before the one in service."),
            "reason": Param(None, type=["null", "string"], title="Reason",
                            description="Kept in the rollback report."),
        },
        doc_md=f"Roll back a solution of `{config.dataset_group}`; reports under `{config.prefix}/"
        f"{config.dataset_group}/rollbacks/`.",
    ) as dag:

        @task(task_id="plan_rollback", retries=0)
        def plan_rollback(**context: Any) -> dict[str, Any]:
            from airflow.sdk.exceptions import AirflowFailException

            from personalize_pipeline.tasks.rollback import RollbackError
            from personalize_pipeline.tasks.rollback import plan_rollback as run

            try:
                return run(config, context["params"])
            except RollbackError as exc:  # a wrong form value: retrying cannot help
                raise AirflowFailException(str(exc)) from exc

        @task.branch(task_id="has_campaign")
        def has_campaign(plan: Any) -> str:
            return _task_id(point) if plan["campaign_name"] else _task_id(recorded)

        @task(task_id="record_rollback", trigger_rule="none_failed_min_one_success")
        def record_rollback(plan: Any, **context: Any) -> dict[str, Any]:
            from personalize_pipeline.tasks.rollback import record_rollback as run

            record = run(config, plan, context["run_id"])
            PersonalizeRollbackReportLink.persist(context, record["url"])
            return record

        plan = plan_rollback()
        point = PersonalizeCreateCampaignOperator(
            task_id="point_campaign", name=_xcom(plan, "campaign_name"), solution_version_arn=_xcom(plan, "target"),
            min_provisioned_tps=_xcom(plan, "min_provisioned_tps"), **_waits(config))
        recorded = record_rollback(plan)
        _with_links(recorded, PersonalizeRollbackReportLink())
        has_campaign(plan) >> [point, recorded]
        point >> recorded
    return dag


def build_recommender_hours_dag(config: PipelineConfig) -> DAG | None:
    """Start the recommenders at ``recommender_hours.start`` and stop them at ``stop`` (UTC): a stopped recommender
    does not bill. A manual run takes the action from its form."""
    hours = config.recommender_hours
    if hours is None:
        return None
    from personalize_provider.operators import PersonalizeStartRecommenderOperator, PersonalizeStopRecommenderOperator

    with _companion_dag(
        config, "recommender_hours",
        f"Start {config.dataset_group}'s recommenders at {hours.start} and stop them at {hours.stop} UTC",
        "recommenders",
        {"action": Param("by schedule", enum=["by schedule", "start", "stop"], title="Action",
                         description="Scheduled runs start at the start time and stop at the stop time.")},
        schedule=MultipleCronTriggerTimetable(hours.cron(hours.start), hours.cron(hours.stop), timezone="UTC"),
    ) as dag:

        @task.branch(task_id="choose")
        def choose(**context: Any) -> list[str]:
            from personalize_pipeline.tasks.recommenders import choose_action

            return choose_action(config, context["params"], context["logical_date"])

        @task(task_id="find_recommenders")
        def find_recommenders() -> dict[str, str]:
            from personalize_pipeline.tasks.recommenders import find_recommenders as run

            return run(config)

        found = find_recommenders()
        branch = choose()
        found >> branch
        for action, operator in (("start", PersonalizeStartRecommenderOperator),
                                 ("stop", PersonalizeStopRecommenderOperator)):
            with TaskGroup(group_id=action):
                for rec in config.recommenders:
                    branch >> operator(
                        task_id=rec.name, recommender_arn=_xcom(found, rec.name), **_waits(config))
    return dag


def broken_config_dag(path: Path, error: str) -> DAG:
    """A stand-in DAG whose only task fails with the config error: visible in the UI, harmless to the others."""
    dag_id = f"personalize_{path.stem.replace('.', '_')}"
    with DAG(dag_id=dag_id, schedule=None, catchup=False, tags=["personalize", "broken-config"],
             default_args={"owner": "data-platform", "retries": DEFAULT_RETRIES},
             description=f"BROKEN CONFIG {path.name}", doc_md=f"```\n{error}\n```") as dag:

        @task(task_id="config_error", retries=0)
        def config_error() -> None:
            raise ValueError(error)

        config_error()
    return dag


def build_all(directory: Path | None = None) -> dict[str, DAG]:
    dags: dict[str, DAG] = {}
    for path in config_files(directory):
        try:
            config = load_config(path)
        except ConfigError as exc:
            broken = broken_config_dag(path, str(exc))
            dags[broken.dag_id] = broken
            continue
        for dag in (build_dag(config), build_erasure_dag(config), build_rollback_dag(config),
                    build_recommender_hours_dag(config)):
            if dag is not None:
                dags[dag.dag_id] = dag
    return dags
