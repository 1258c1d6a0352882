"""The local PostgreSQL behind `make airflow` and the scheduler tests: throwaway by default, kept when asked."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy
from personalize_dev.metadata_db import _cluster_dir, local_postgres


def _count_after_insert(url: str) -> int:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text("CREATE TABLE IF NOT EXISTS runs (id int)"))
            conn.execute(sqlalchemy.text("INSERT INTO runs VALUES (1)"))
            return int(conn.execute(sqlalchemy.text("SELECT count(*) FROM runs")).scalar_one())
    finally:
        engine.dispose()


def test_persistent_cluster_keeps_its_data_and_a_throwaway_one_does_not(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    for expected in (1, 2):
        with local_postgres(kept, persistent=True) as url:
            assert url.startswith("postgresql+psycopg2://airflow@127.0.0.1:")
            assert _count_after_insert(url) == expected
    assert (_cluster_dir(kept) / "PG_VERSION").exists()
    with local_postgres(kept) as url:  # not persistent: this start is its last
        assert _count_after_insert(url) == 3
    assert not _cluster_dir(kept).exists()
