from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
from personalize_dev.sample_data import GENRES, PERIOD_END, generate_database, generate_frames


def test_deterministic_by_seed() -> None:
    a, b, c = generate_frames(5_000, seed=3), generate_frames(5_000, seed=3), generate_frames(5_000, seed=4)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["events"].equals(c["events"])


def test_shape_supports_recommendation_quality() -> None:
    frames = generate_frames(40_000, seed=1)
    events, items = frames["events"], frames["items"]
    assert len(events) == 40_000
    assert set(events["event_type"]) == {"click", "watch"}
    assert events["rating"].dropna().between(1, 5).all()
    assert events["completion"].dropna().between(0, 1).all()
    assert events["occurred_at"].is_monotonic_increasing and events["occurred_at"].max() < PERIOD_END
    # power law: the top 10% of items take far more than 10% of events
    per_item = events["item_id"].value_counts()
    assert per_item.head(len(per_item) // 10).sum() > 0.3 * len(events)
    # heavy and light users
    per_user = events["user_id"].value_counts()
    assert per_user.max() > 10 * per_user.median()
    # genres are pipe-separated known genres; some items arrive during the period (cold items)
    assert all(g in GENRES for gs in items["genres"] for g in gs.split("|"))
    assert (items["created_at"] > events["occurred_at"].min()).sum() > len(items) // 4
    # no event before its item existed
    created = items.set_index("item_id")["created_at"]
    assert (events["occurred_at"].to_numpy() >= created.loc[events["item_id"]].to_numpy()).all()


def test_database_tables(tmp_path: Path) -> None:
    path = tmp_path / "lms.db"
    counts = generate_database(path, n_events=3_000, seed=5)
    with sqlite3.connect(path) as conn:
        assert conn.execute("select count(*) from events").fetchone()[0] == counts["events"] == 3_000
        cols = [r[1] for r in conn.execute("pragma table_info(users)")]
        assert cols == ["user_id", "age", "gender", "location", "education", "created_at"]
        assert conn.execute("select count(*) from events where rating is not null").fetchone()[0] > 0
