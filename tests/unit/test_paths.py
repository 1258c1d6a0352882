"""The pipeline root: found from configuration or Airflow's DAGs folder, the way each platform lays files out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from personalize_pipeline import paths


def _root(where: Path) -> Path:
    (where / "include" / "config").mkdir(parents=True)
    (where / "expectations").mkdir()
    return where


def test_mwaa_layout_everything_under_the_dags_folder(tmp_path: Path) -> None:
    dags = _root(tmp_path / "usr" / "local" / "airflow" / "dags")
    assert paths._resolve(None, dags, tmp_path) == dags.resolve()


def test_airflow_home_layout_dags_beside_include(tmp_path: Path) -> None:
    home = _root(tmp_path / "opt" / "airflow")
    (home / "dags").mkdir()
    assert paths._resolve(None, home / "dags", tmp_path) == home.resolve()


def test_working_directory_last(tmp_path: Path) -> None:
    checkout = _root(tmp_path / "checkout")
    assert paths._resolve(None, tmp_path / "elsewhere" / "dags", checkout) == checkout.resolve()
    assert paths._resolve(None, None, checkout) == checkout.resolve()


def test_configured_root_wins_and_is_checked(tmp_path: Path) -> None:
    configured = _root(tmp_path / "configured")
    dags = _root(tmp_path / "dags")
    assert paths._resolve(str(configured), dags, tmp_path) == configured.resolve()
    with pytest.raises(paths.PipelineRootNotFound, match=r"PERSONALIZE_PIPELINE_ROOT.*does not hold include/ and"):
        paths._resolve(str(tmp_path / "empty"), dags, tmp_path)


def test_nothing_found_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(paths.PipelineRootNotFound) as error:
        paths._resolve(None, tmp_path / "a" / "dags", tmp_path / "b")
    message = str(error.value)
    for looked in (tmp_path / "a" / "dags", tmp_path / "a", tmp_path / "b"):
        assert str(looked) in message
    assert "PERSONALIZE_PIPELINE_ROOT" in message


def test_environment_and_airflow_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _root(tmp_path / "root")
    monkeypatch.setenv("PERSONALIZE_PIPELINE_ROOT", str(root))
    assert paths.pipeline_root() == root.resolve()
    assert paths.sql_dir() == root.resolve() / "include" / "sql"
    assert paths.expectations_dir() == root.resolve() / "expectations"
    monkeypatch.setenv("PERSONALIZE_PIPELINE_CONFIG_DIR", str(tmp_path / "configs"))
    assert paths.config_dir() == tmp_path / "configs"
    # [personalize] pipeline_root, read through Airflow's configuration (the way MWAA sets options).
    monkeypatch.delenv("PERSONALIZE_PIPELINE_ROOT")
    monkeypatch.setenv("AIRFLOW__PERSONALIZE__PIPELINE_ROOT", str(root))
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(tmp_path / "nowhere"))
    code = "import airflow.configuration; from personalize_pipeline.paths import pipeline_root; print(pipeline_root())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300,
                          cwd=tmp_path)
    assert done.stdout.strip().splitlines()[-1] == str(root.resolve())


def test_the_repository_is_a_pipeline_root() -> None:
    repo = Path(__file__).resolve().parents[2]
    assert paths._resolve(None, repo / "dags", repo) == repo
