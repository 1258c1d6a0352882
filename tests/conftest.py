"""Shared test harness: an isolated AIRFLOW_HOME, a small generated LMS database, and local services
(moto's S3 server, the local Personalize engine) started for real on loopback."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_HOME = Path(tempfile.mkdtemp(prefix="airflow-home-"))
# Before anything imports airflow: never touch a developer's ~/airflow.
os.environ.update(
    AIRFLOW_HOME=str(_HOME),
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
    AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
    AIRFLOW__CORE__UNIT_TEST_MODE="True",
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{_HOME / 'airflow.db'}",
    PERSONALIZE_PIPELINE_CONFIG_DIR=str(REPO / "include" / "config"),
    GX_ANALYTICS_ENABLED="false",
)


@pytest.fixture(scope="session")
def lms_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from personalize_dev.sample_data import generate_database

    path = tmp_path_factory.mktemp("lms") / "lms.db"
    generate_database(path, n_events=20_000, seed=11)
    return path


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated metadata DB in the session's AIRFLOW_HOME, for `airflow dags test` runs."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True,
                   env=os.environ.copy(), timeout=300)
    return _HOME

