"""The demo's metadata DB cache: migrated once per Airflow version and pools, copied afterwards."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from personalize_dev import local_run


def test_second_prepare_copies_the_prepared_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []

    def fake_airflow(env: dict[str, str], *args: str, **_: object) -> subprocess.CompletedProcess[str]:
        calls.append(args)
        if args[:2] == ("db", "migrate"):
            (Path(env["AIRFLOW_HOME"]) / "airflow.db").write_bytes(b"migrated")
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(local_run, "airflow", fake_airflow)
    cache = tmp_path / "cache"
    for run in ("first", "second"):
        home = tmp_path / run
        env = {"AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}"}
        local_run.prepare_airflow(env, cache=cache)
        assert (home / "airflow.db").read_bytes() == b"migrated"
    assert [c[:2] for c in calls] == [("db", "migrate"), ("pools", "import")]  # the second run ran neither
    assert len(list(cache.glob("airflow-metadata-*.db"))) == 1
    # Another metadata DB (PostgreSQL) is never cached.
    env = {"AIRFLOW_HOME": str(tmp_path / "pg"), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql://x/y"}
    local_run.prepare_airflow(env, cache=cache)
    assert [c[:2] for c in calls][-2:] == [("db", "migrate"), ("pools", "import")]
