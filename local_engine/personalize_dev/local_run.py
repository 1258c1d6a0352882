"""Run pipeline DAGs against the local stack through `airflow dags test` (used by `make demo` and the tests)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from personalize_pipeline.config import PipelineConfig, pools_document

REPO = Path(__file__).resolve().parents[2]


def airflow_env(airflow_home: Path, stack_env: dict[str, str], lms_db: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        **stack_env,
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW_CONN_LMS_DB": json.dumps({"conn_type": "sqlite", "host": str(lms_db)}),
        "GX_ANALYTICS_ENABLED": "false",
        # Local jobs take seconds: poll every 2 s and retry quickly (real AWS keeps the config's defaults).
        "PERSONALIZE_PIPELINE_WAITER_DELAY": "2",
        "PERSONALIZE_PIPELINE_RETRY_DELAY": "3",
    }
    env.update(extra)
    return env


def _airflow(env: dict[str, str], *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    # Our own interpreter running the airflow CLI with arguments this module builds; no shell.
    return subprocess.run([sys.executable, "-m", "airflow", *args], capture_output=True, text=True, env=env,  # noqa: S603
                          timeout=timeout, cwd=REPO, check=False)


def prepare_airflow(env: dict[str, str], config: PipelineConfig | None = None) -> None:
    """Migrate the metadata DB and create the Personalize quota pools."""
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    done = _airflow(env, "db", "migrate", timeout=300)
    if done.returncode:
        raise RuntimeError(f"airflow db migrate failed:\n{done.stderr[-3000:]}")
    pools_file = Path(env["AIRFLOW_HOME"]) / "pools.json"
    pools_file.write_text(json.dumps(pools_document(config.pools if config else None)))
    done = _airflow(env, "pools", "import", str(pools_file), timeout=120)
    if done.returncode:
        raise RuntimeError(f"airflow pools import failed:\n{done.stderr[-3000:]}")


def dagrun_state(output: str) -> str | None:
    """The final state `airflow dags test` reports for the run ("success", "failed"), or None if it never ended."""
    found = re.findall(r"DagRun Finished: .*?\bstate=(\w+)", output)
    return found[-1] if found else None


def dags_test(env: dict[str, str], dag_id: str, logical_date: str, conf: dict[str, object] | None = None,
              timeout: int = 1200) -> subprocess.CompletedProcess[str]:
    args = ["dags", "test", dag_id, logical_date]
    if conf:
        args += ["--conf", json.dumps(conf)]
    return _airflow(env, *args, timeout=timeout)
