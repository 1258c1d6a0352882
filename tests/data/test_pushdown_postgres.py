"""Push-down SQL on a real PostgreSQL server: the database computes the same Personalize rows as the streaming
transform does from the same source (the sample LMS data, plus rows that exercise each rule)."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from personalize_dev.metadata_db import local_postgres, postgres_bin_dir
from personalize_dev.sample_data import INDEXES, SCHEMA, generate_frames, write_database
from personalize_pipeline.config import PipelineConfig
from personalize_pipeline.extract import Interval, extract_dataset
from personalize_pipeline.pushdown import render_pushdown_sql

pytestmark = pytest.mark.skipif(postgres_bin_dir() is None, reason="PostgreSQL server binaries not installed")
CONFIG = PipelineConfig(name="pushdown", dataset_group="grp")
END = 1_793_491_200  # 2026-11-01
KEYS = {"interactions": ["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"], "items": ["ITEM_ID"], "users": ["USER_ID"]}


def _frames() -> dict[str, pd.DataFrame]:
    frames = generate_frames(20_000, seed=5)
    events, items = frames["events"], frames["items"]
    last = int(events["event_id"].max()) if "event_id" in events else len(events)
    odd = events.iloc[:6].copy()
    odd["event_id"] = range(last + 1, last + 7)
    odd["event_type"] = [" WATCH ", "Click", "purchase", "watch", "watch", "click"]
    odd["rating"] = [None, 5, 5, None, None, 2]
    odd["completion"] = [0.9, None, None, 0.2, 0.95, None]
    odd.loc[odd.index[4], "occurred_at"] = int(odd["occurred_at"].iloc[4]) * 1000  # epoch milliseconds
    dup = events.iloc[10:13].copy()
    dup["event_id"] = range(last + 7, last + 10)  # the same events delivered twice
    frames["events"] = pd.concat([events, odd, dup], ignore_index=True)
    extra = items.iloc[:3].copy()
    extra["item_id"] = ["x-accents", "x-messy", "x-empty"]
    extra["genres"] = ["Matemáticas | Física", "  ARTE|arte||Música & Arte ", " | "]
    frames["items"] = pd.concat([items, extra], ignore_index=True)
    return frames


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import psycopg2

    root = tmp_path_factory.mktemp("pushdown")
    frames = _frames()
    write_database(frames, root / "lms.db")
    with local_postgres(root / "pg", database="lms") as url:
        conn = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
        conn.autocommit = True
        with conn.cursor() as cur:
            # SQLite stores 8-byte numbers: REAL is a double, INTEGER holds epoch milliseconds.
            cur.execute(SCHEMA.replace(" REAL", " DOUBLE PRECISION").replace(" INTEGER", " BIGINT"))
            for table, frame in frames.items():
                frame = frame.copy()
                for column in frame.columns:  # integers with nulls come as floats: "2.0" is no INTEGER
                    values = frame[column]
                    if values.dtype.kind == "f" and column != "completion" and (values.dropna() % 1 == 0).all():
                        frame[column] = values.astype("Int64")
                buf = io.StringIO()
                frame.to_csv(buf, index=False, header=False)
                buf.seek(0)
                cur.copy_expert(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)", buf)
            cur.execute(INDEXES)
        yield {"sqlite": root / "lms.db", "pg": conn, "root": root}
        conn.close()


def _streamed(sources: dict[str, Any], dataset: str, mode: Any, interval: Interval, out: Path) -> pd.DataFrame:
    with sqlite3.connect(sources["sqlite"]) as conn:
        extract_dataset(CONFIG, dataset, mode, interval, out,
                        chunks_for=lambda sql: pd.read_sql_query(sql, conn, chunksize=5_000))
    return pd.read_csv(out / f"{dataset}.csv", dtype={"USER_ID": str, "ITEM_ID": str})


def _pushed(sources: dict[str, Any], dataset: str, mode: Any, interval: Interval) -> pd.DataFrame:
    sql = render_pushdown_sql(CONFIG, dataset, mode, interval)
    buf = io.StringIO()
    with sources["pg"].cursor() as cur:
        cur.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
    buf.seek(0)
    return pd.read_csv(buf, dtype={"USER_ID": str, "ITEM_ID": str})


@pytest.mark.parametrize(("dataset", "mode"), [("interactions", "full"), ("interactions", "interval"),
                                               ("items", "full"), ("users", "full")])
def test_the_database_computes_the_rows_the_stream_does(sources: dict[str, Any], dataset: str, mode: str,
                                                        tmp_path: Path) -> None:
    interval = Interval(END - 7 * 86_400, END)
    streamed = _streamed(sources, dataset, mode, interval, tmp_path)
    pushed = _pushed(sources, dataset, mode, interval)
    assert list(pushed.columns) == list(streamed.columns)
    assert len(streamed) > 0
    key = KEYS[dataset]
    pushed, streamed = (f.sort_values(key).reset_index(drop=True) for f in (pushed, streamed))
    pd.testing.assert_frame_equal(pushed[key], streamed[key], check_dtype=False)  # the same rows, no more
    if dataset == "interactions":
        # Two events of a user, item and type in the same second are one row in both modes; which one's value is
        # kept is the source's tie order in both (arbitrary), so those rows only need a value that one event had.
        tied = _tied_values(sources, interval, mode)
        ambiguous = pushed.set_index(key).index.isin(tied.index.unique())
        allowed = tied.groupby(level=list(range(len(key))))["EVENT_VALUE"].apply(set)
        for row in pushed[ambiguous].itertuples(index=False):
            assert round(row.EVENT_VALUE, 2) in allowed[(row.USER_ID, row.ITEM_ID, row.EVENT_TYPE, row.TIMESTAMP)]
        pushed, streamed = pushed[~ambiguous], streamed[~ambiguous]
        assert (~ambiguous).sum() > 0.99 * len(ambiguous)
    pd.testing.assert_frame_equal(pushed, streamed, check_dtype=False, atol=1e-5)


def _tied_values(sources: dict[str, Any], interval: Interval, mode: str) -> pd.DataFrame:
    """Per interaction key with more than one source event: the events' values (2 decimals), as the stream shapes
    them, indexed by the key."""
    from personalize_pipeline import transform
    from personalize_pipeline.extract import render_sql

    sql = render_sql("interactions.sql", mode, interval, CONFIG.source.arrival_column)  # type: ignore[arg-type]
    with sqlite3.connect(sources["sqlite"]) as conn:
        shaped = transform.interactions(pd.read_sql_query(sql, conn), CONFIG.event_filter)
    shaped["EVENT_VALUE"] = shaped["EVENT_VALUE"].astype(float).round(2)
    key = KEYS["interactions"]
    return shaped[shaped.duplicated(key, keep=False)].set_index(key)


def test_the_rules_the_extra_rows_exercise(sources: dict[str, Any]) -> None:
    """Each rule on its own: case and spaces of event types, the positive filter, milliseconds, genres."""
    rows = _pushed(sources, "interactions", "full", Interval(0, END))
    assert set(rows["EVENT_TYPE"]) == {"click", "watch"}  # "purchase" is not a configured type
    assert rows["TIMESTAMP"].max() < 100_000_000_000  # milliseconds divided down
    assert not rows.duplicated(KEYS["interactions"]).any()
    genres = _pushed(sources, "items", "full", Interval(0, END)).set_index("ITEM_ID")["GENRES"]
    assert genres["x-accents"] == "matematicas|fisica"
    assert genres["x-messy"] == "arte|musica_arte"
    assert pd.isna(genres["x-empty"])


def test_event_types_that_cannot_be_sql_literals_are_refused() -> None:
    config = CONFIG.model_copy(update={"event_filter": CONFIG.event_filter.model_copy(
        update={"event_types": ["watch", "x'); drop table events; --"]})})
    with pytest.raises(ValueError, match="cannot be pushed down"):
        render_pushdown_sql(config, "interactions", "full", Interval(0, END))
