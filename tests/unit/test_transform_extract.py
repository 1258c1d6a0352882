from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from personalize_pipeline import transform
from personalize_pipeline.config import EventFilter, PipelineConfig
from personalize_pipeline.extract import Interval, extract_dataset, render_sql

CONFIG = PipelineConfig(name="t", dataset_group="t")


def raw(rows: list[tuple]) -> pd.DataFrame:  # type: ignore[type-arg]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "event_type", "rating", "completion", "occurred_at"])


def test_positive_only_filter_and_event_value() -> None:
    frame = raw([
        ("u1", "i1", "watch", None, 0.95, 100),   # complete view -> kept, value 4.75
        ("u1", "i2", "watch", None, 0.30, 101),   # partial view, no rating -> dropped
        ("u2", "i1", "click", 4, None, 102),      # rated 4 -> kept
        ("u2", "i3", "click", 2, None, 103),      # rated 2 -> dropped
        ("u3", "i1", "WATCH ", 3, 0.1, 104),      # normalised type, rating 3 -> kept
        ("u4", "i1", "share", 5, None, 105),      # type not configured -> dropped
    ])
    out = transform.interactions(frame, EventFilter())
    assert list(out.columns) == ["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"]
    assert out["USER_ID"].tolist() == ["u1", "u2", "u3"]
    assert out["EVENT_VALUE"].round(2).tolist() == [4.75, 4.0, 3.0]
    assert out["EVENT_TYPE"].tolist() == ["watch", "click", "watch"]
    everything = transform.interactions(frame, EventFilter(positive_only=False, event_types=["click", "watch"]))
    assert len(everything) == 5


def test_timestamps_become_epoch_seconds() -> None:
    frame = raw([("u1", "i1", "click", 5, None, 1_700_000_000_123), ("u1", "i2", "click", 5, None, 1_700_000_001)])
    assert transform.interactions(frame, EventFilter())["TIMESTAMP"].tolist() == [1_700_000_000, 1_700_000_001]


def test_genres_normalised() -> None:
    out = transform.normalize_genres(pd.Series(["Matemáticas | Física", "arte||Arte", None, "Ciencia de datos"]))
    assert out.tolist()[:2] == ["matematicas|fisica", "arte"]
    assert pd.isna(out.iloc[2])
    assert out.iloc[3] == "ciencia_de_datos"


def test_interval_sql_templates() -> None:
    full = render_sql("interactions.sql", "full", Interval(100, 200), "received_at")
    part = render_sql("interactions.sql", "interval", Interval(100, 200), "received_at")
    assert "occurred_at < 200" in full and ">= 100" not in full and "received_at" not in full
    assert "e.received_at >= 100" in part and "e.received_at < 200" in part and "occurred_at < 200" not in part
    assert "earlier.received_at < e.received_at" in part  # a second delivery is not read again
    by_event_time = render_sql("interactions.sql", "interval", Interval(100, 200), None)
    assert "e.occurred_at >= 100" in by_event_time and "received_at" not in by_event_time


def test_dedupe_across_chunk_boundaries(tmp_path: Path) -> None:
    rows = [("u1", "i1", "click", 5, None, 100)] * 3 + [("u2", "i2", "click", 5, None, 100),
                                                         ("u1", "i1", "click", 5, None, 101)]
    chunks = [raw(rows[:2]), raw(rows[2:4]), raw(rows[4:])]  # the duplicate straddles a chunk edge
    stats = extract_dataset(CONFIG, "interactions", "full", Interval(0, 10**10), tmp_path,
                            chunks_for=lambda sql: iter(chunks))
    out = pd.read_csv(tmp_path / "interactions.csv")
    assert len(out) == stats.rows == 3
    assert stats.duplicates_dropped == 2 and stats.source_rows == 5


def test_extract_from_sqlite_interval_mode(lms_db: Path, tmp_path: Path) -> None:
    """An interval reads the events that arrived in it, late ones included, with their own event time."""
    conn = sqlite3.connect(lms_db)
    lo, hi = conn.execute("select min(received_at), max(received_at) from events").fetchone()
    mid = (lo + hi) // 2
    interval = Interval(mid, mid + 7 * 86_400)
    stats = extract_dataset(CONFIG, "interactions", "interval", interval, tmp_path,
                            chunks_for=lambda sql: pd.read_sql(sql, conn, chunksize=1_000))
    out = pd.read_csv(tmp_path / "interactions.csv")
    assert stats.rows == len(out) > 0
    assert (out["TIMESTAMP"] < interval.end).all()
    assert (out["TIMESTAMP"] < interval.start).sum() > 0  # late arrivals keep the time they occurred
    expected_source = conn.execute("select count(*) from events where received_at >= ? and received_at < ?",
                                   (interval.start, interval.end)).fetchone()[0]
    assert stats.source_rows == expected_source
    assert (tmp_path / "interactions.csv").read_bytes().decode("utf-8")  # UTF-8


def test_failing_source_leaves_no_file(tmp_path: Path) -> None:
    def broken(sql: str):  # type: ignore[no-untyped-def]
        yield raw([("u1", "i1", "click", 5, None, 100)])
        raise ConnectionError("server closed the connection mid-query")

    with pytest.raises(ConnectionError):
        extract_dataset(CONFIG, "interactions", "full", Interval(0, 10**10), tmp_path, chunks_for=broken)
    assert not (tmp_path / "interactions.csv").exists()
