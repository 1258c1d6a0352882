"""Build one Airflow DAG per pipeline config file. Wiring only: task bodies live in personalize_pipeline.tasks
and import their heavy dependencies (pandas, GX, boto3 clients) when they run, not when the DAG is parsed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, CronDataIntervalTimetable, Param, task

from personalize_pipeline.config import ConfigError, PipelineConfig, config_files, load_config

DEFAULT_RETRIES = 2


def _default_args(config: PipelineConfig) -> dict[str, Any]:
    return {
        "owner": config.owner,
        "retries": config.retries,
        "retry_delay": timedelta(seconds=config.retry_delay_seconds),
        "retry_exponential_backoff": True,
    }


def _params(config: PipelineConfig) -> dict[str, Param]:
    return {
        "import_mode": Param(config.import_mode, enum=["FULL", "INCREMENTAL"], title="Import mode",
                             description="FULL imports a snapshot; INCREMENTAL only the run's data interval."),
    }


def _timetable(config: PipelineConfig) -> CronDataIntervalTimetable | None:
    """Cron schedules with data intervals: each nightly or backfilled run covers [previous run, this run),
    which is what INCREMENTAL imports need (Airflow 3's default cron timetable has zero-width intervals)."""
    return CronDataIntervalTimetable(config.schedule, timezone="UTC") if config.schedule else None


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

        @task(task_id="extract_and_stage")
        def extract_and_stage(**context: Any) -> dict[str, Any]:
            from personalize_pipeline.tasks.data_stage import extract_and_stage as run

            return run(config, context)

        @task(task_id="validate_data", retries=0)
        def validate_data(manifest: dict[str, Any]) -> dict[str, Any]:
            from personalize_pipeline.tasks.data_stage import validate_staged

            return validate_staged(config, manifest)

        validate_data(extract_and_stage())
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
            dag = build_dag(load_config(path))
        except ConfigError as exc:
            dag = broken_config_dag(path, str(exc))
        dags[dag.dag_id] = dag
    return dags
