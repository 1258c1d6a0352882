"""Run pipeline DAGs against the local stack through `airflow dags test` (used by `make demo` and the tests)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from personalize_pipeline.config import PipelineConfig, pools_document
from personalize_pipeline.paths import pipeline_root

# The checkout these tools run from (the pipeline root of the repository: dags/, include/, expectations/).
REPO = pipeline_root()


def airflow_env(airflow_home: Path, stack_env: dict[str, str], lms_db: Path, *, dags_folder: Path | None = None,
                plugins_folder: Path | None = None, **extra: str) -> dict[str, str]:
    """Environment of an `airflow` process on the local stack; the repository's folders unless told otherwise."""
    env = {
        **os.environ,
        **stack_env,
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder or REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins_folder or REPO / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW_CONN_LMS_DB": json.dumps({"conn_type": "sqlite", "host": str(lms_db)}),
        "GX_ANALYTICS_ENABLED": "false",
        # Local jobs take seconds: poll every 2 s and retry quickly (real AWS keeps the config's defaults).
        "PERSONALIZE_PIPELINE_WAITER_DELAY": "2",
        "PERSONALIZE_PIPELINE_RETRY_DELAY": "3",
    }
    env.update(extra)
    return env


def airflow(env: dict[str, str], *args: str, timeout: int = 900, python: str | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`airflow <args>` run by `python` (ours by default: another venv's for the platform install tests)."""
    # An interpreter we were given, running the airflow CLI with arguments this module builds; no shell.
    return subprocess.run([python or sys.executable, "-m", "airflow", *args], capture_output=True, text=True,  # noqa: S603
                          env=env, timeout=timeout, cwd=cwd or REPO, check=False)


def create_local_bucket(env: dict[str, str], config: PipelineConfig | None = None) -> None:
    """The bucket the pipeline stages to, on the local stack's S3 server: on AWS it exists before the pipeline runs
    (the pipeline never creates buckets), so the local runs make it as an operator would."""
    endpoint = env.get("PERSONALIZE_LOCAL_S3_ENDPOINT_URL")
    if not endpoint:
        return
    import boto3

    bucket = env.get("PERSONALIZE_BUCKET") or (config.bucket if config else "personalize-pipeline-local")
    region = env.get("AWS_DEFAULT_REGION", "us-east-1")
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region,
                      aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
                      aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"))
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        if region == "us-east-1":  # the one region S3 takes no location constraint for
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})  # type: ignore[typeddict-item]


def prepare_airflow(env: dict[str, str], config: PipelineConfig | None = None, python: str | None = None,
                    cache: Path | None = None) -> None:
    """Migrate the metadata DB and create the Personalize quota pools.

    With `cache` (a folder), a SQLite metadata DB prepared once is copied instead: migrating takes seconds of
    every demo run. The copy is keyed by the Airflow version and the pools, so an upgrade prepares a new one.
    """
    create_local_bucket(env, config)
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    pools = json.dumps(pools_document(config.pools if config else None), sort_keys=True)
    database = home / "airflow.db"
    sqlite_home = env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") == f"sqlite:///{database}"
    template = None
    if cache is not None and sqlite_home:
        from importlib.metadata import version

        key = hashlib.sha256(f"{version('apache-airflow-core')}\n{pools}".encode()).hexdigest()[:16]
        template = cache / f"airflow-metadata-{key}.db"
        if template.is_file():
            shutil.copyfile(template, database)
            return
    done = airflow(env, "db", "migrate", timeout=300, python=python)
    if done.returncode:
        raise RuntimeError(f"airflow db migrate failed:\n{done.stderr[-3000:]}")
    pools_file = home / "pools.json"
    pools_file.write_text(pools)
    done = airflow(env, "pools", "import", str(pools_file), timeout=120, python=python)
    if done.returncode:
        raise RuntimeError(f"airflow pools import failed:\n{done.stderr[-3000:]}")
    if template is not None:
        template.parent.mkdir(parents=True, exist_ok=True)
        partial = template.with_suffix(".partial")
        shutil.copyfile(database, partial)
        partial.replace(template)  # never a half-copied template, even if two demos race


def dagrun_state(output: str) -> str | None:
    """The final state `airflow dags test` reports for the run ("success", "failed"), or None if it never ended."""
    found = re.findall(r"DagRun Finished: .*?\bstate=(\w+)", output)
    return found[-1] if found else None


def dags_test(env: dict[str, str], dag_id: str, logical_date: str, conf: dict[str, object] | None = None,
              timeout: int = 1200, python: str | None = None) -> subprocess.CompletedProcess[str]:
    args = ["dags", "test", dag_id, logical_date]
    if conf:
        args += ["--conf", json.dumps(conf)]
    return airflow(env, *args, timeout=timeout, python=python)
