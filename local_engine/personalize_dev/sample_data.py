"""Seeded generator of an LMS activity database shaped like the customer's platform.

The data has the structure recommendation quality depends on, so models can be told apart: power-law item
popularity, users with one or two favourite genres, a catalogue that grows over time (late items are cold),
a few heavy users and many light ones. Same seed and size give the same database, byte for byte in content.

    python -m personalize_dev.sample_data --out include/data/lms.db --events 50000 --seed 7
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from pathlib import Path

import numpy as np
import pandas as pd

GENRES = [
    "matematicas", "fisica", "computacion", "arte", "historia", "biologia",
    "quimica", "literatura", "musica", "idiomas", "economia", "filosofia",
]
LOCATIONS = ["bogota", "medellin", "cali", "barranquilla", "cartagena", "lima", "quito", "ciudad_de_mexico", "madrid"]
EDUCATION = ["primaria", "secundaria", "tecnico", "pregrado", "posgrado"]
GENDERS = ["F", "M", "X"]

# Activity spans six months ending 2026-11-01 00:00 UTC: fixed, so a seed always yields the same rows.
PERIOD_END = 1_793_491_200
PERIOD_SECONDS = 183 * 86_400
PERIOD_START = PERIOD_END - PERIOD_SECONDS

SCHEMA = """
CREATE TABLE users (
    user_id TEXT PRIMARY KEY, age INTEGER, gender TEXT, location TEXT, education TEXT, created_at INTEGER
);
CREATE TABLE items (
    item_id TEXT PRIMARY KEY, title TEXT, genres TEXT, duration_seconds INTEGER, created_at INTEGER
);
CREATE TABLE events (
    event_id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, item_id TEXT NOT NULL, event_type TEXT NOT NULL,
    rating INTEGER, completion REAL, seconds_watched INTEGER, occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    -- What the app knew when it logged the event: the recommendationId of the list the user picked from (null
    -- when the event did not follow a recommendation) or its own name for the surface (metric attribution).
    recommendation_id TEXT, event_attribution_source TEXT
);
"""
INDEXES = """
CREATE INDEX events_occurred_at ON events (occurred_at);
CREATE INDEX events_received_at ON events (received_at);
CREATE INDEX events_key ON events (user_id, item_id, occurred_at);
"""
# When events reach the database: most within seconds, some hours late (a flaky connection), a few days late (a
# mobile client offline, a batch upload of viewing history). Shares and spans of (seconds, hours, days) late.
ARRIVAL_SHARES = (0.88, 0.07, 0.05)


def arrival_times(occurred: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """received_at for each event: its occurred_at plus a delivery delay drawn from ARRIVAL_SHARES."""
    n = len(occurred)
    kind = rng.choice(3, size=n, p=ARRIVAL_SHARES)
    delay = np.select(
        [kind == 0, kind == 1],
        [rng.exponential(5.0, n), rng.uniform(3_600, 36 * 3_600, n)],
        rng.uniform(86_400, 14 * 86_400, n),
    )
    return occurred + delay.astype(np.int64)


def _sizes(n_events: int) -> tuple[int, int]:
    n_users = int(np.clip(n_events // 25, 60, 400_000))
    n_items = int(np.clip(n_events // 60, 120, 60_000))
    return n_users, n_items


def generate_frames(n_events: int = 50_000, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Return the users, items and events tables as DataFrames (events sorted by time)."""
    rng = np.random.default_rng(seed)
    n_users, n_items = _sizes(n_events)
    n_genres = len(GENRES)

    # Catalogue: 40% exists at the start, the rest arrives uniformly over the period.
    item_created = np.where(
        rng.random(n_items) < 0.4,
        PERIOD_START - rng.integers(0, 365 * 86_400, n_items),
        PERIOD_START + rng.integers(0, PERIOD_SECONDS, n_items),
    )
    primary_genre = rng.integers(0, n_genres, n_items)
    second_genre = np.where(rng.random(n_items) < 0.45, rng.integers(0, n_genres, n_items), -1)
    third_genre = np.where(rng.random(n_items) < 0.1, rng.integers(0, n_genres, n_items), -1)
    popularity = rng.pareto(1.2, n_items) + 1.0  # power law
    duration = rng.integers(120, 3_600, n_items)

    # Users: one or two favourite genres; activity is heavy tailed (few heavy users, many light ones).
    fav1 = rng.integers(0, n_genres, n_users)
    fav2 = np.where(rng.random(n_users) < 0.5, rng.integers(0, n_genres, n_users), fav1)
    activity = rng.lognormal(mean=0.0, sigma=1.1, size=n_users)
    activity /= activity.sum()

    users_of_events = rng.choice(n_users, size=n_events, p=activity)
    occurred = PERIOD_START + rng.integers(0, PERIOD_SECONDS, n_events)
    # 80% of picks follow the user's taste, the rest follow global popularity.
    on_taste = rng.random(n_events) < 0.8
    taste_genre = np.where(rng.random(n_events) < 0.6, fav1[users_of_events], fav2[users_of_events])

    items_of_events = rng.choice(n_items, size=n_events, p=popularity / popularity.sum())
    for genre in range(n_genres):
        pool = np.flatnonzero((primary_genre == genre) | (second_genre == genre) | (third_genre == genre))
        picks = np.flatnonzero(on_taste & (taste_genre == genre))
        if len(pool) and len(picks):
            weights = popularity[pool] / popularity[pool].sum()
            items_of_events[picks] = pool[rng.choice(len(pool), size=len(picks), p=weights)]
    # An item cannot be consumed before it exists: move such events just after its creation.
    created = item_created[items_of_events]
    too_early = occurred < created
    occurred[too_early] = np.minimum(
        created[too_early] + rng.integers(60, 14 * 86_400, too_early.sum()), PERIOD_END - 1
    )

    item_matches_taste = (
        (primary_genre[items_of_events] == fav1[users_of_events])
        | (primary_genre[items_of_events] == fav2[users_of_events])
        | (second_genre[items_of_events] == fav1[users_of_events])
    )
    is_watch = rng.random(n_events) < 0.6
    completion = np.clip(
        np.where(item_matches_taste, rng.beta(5, 1.5, n_events), rng.beta(1.5, 3, n_events)), 0, 1
    ).round(3)
    completion = np.where(is_watch, completion, np.nan)
    seconds = np.where(is_watch, (np.nan_to_num(completion) * duration[items_of_events]).astype(int), 0)
    liked = np.where(item_matches_taste, rng.integers(3, 6, n_events), rng.integers(1, 4, n_events))
    rated = rng.random(n_events) < np.where(is_watch, 0.5, 0.2)

    events = pd.DataFrame(
        {
            "user_id": pd.array([f"u{u:06d}" for u in users_of_events], dtype="string[pyarrow]"),
            "item_id": pd.array([f"i{i:05d}" for i in items_of_events], dtype="string[pyarrow]"),
            "event_type": np.where(is_watch, "watch", "click"),
            "rating": pd.Series(liked, dtype="Int64").where(rated),
            "completion": completion,
            "seconds_watched": pd.Series(seconds, dtype="Int64").where(is_watch),
            "occurred_at": occurred.astype(np.int64),
        }
    ).sort_values("occurred_at", kind="stable", ignore_index=True)
    events.insert(0, "event_id", np.arange(1, n_events + 1))

    def genres_of(i: int) -> str:
        chosen = dict.fromkeys(g for g in (primary_genre[i], second_genre[i], third_genre[i]) if g >= 0)
        return "|".join(GENRES[g] for g in chosen)

    items = pd.DataFrame(
        {
            "item_id": [f"i{i:05d}" for i in range(n_items)],
            "title": [f"{GENRES[primary_genre[i]].capitalize()} {i}" for i in range(n_items)],
            "genres": [genres_of(i) for i in range(n_items)],
            "duration_seconds": duration,
            "created_at": item_created.astype(np.int64),
        }
    )
    users = pd.DataFrame(
        {
            "user_id": [f"u{u:06d}" for u in range(n_users)],
            "age": rng.integers(13, 71, n_users),
            "gender": rng.choice(GENDERS, n_users, p=[0.48, 0.48, 0.04]),
            "location": rng.choice(LOCATIONS, n_users),
            "education": rng.choice(EDUCATION, n_users),
            "created_at": PERIOD_START - rng.integers(0, 730 * 86_400, n_users),
        }
    )
    # Drawn last, so every other column is what the same seed gave before arrival times existed.
    events["received_at"] = arrival_times(events["occurred_at"].to_numpy(), rng)
    return {"users": users, "items": items, "events": events}


def write_database(frames: dict[str, pd.DataFrame], path: Path, chunk_rows: int = 500_000) -> None:
    """Write the frames to a fresh SQLite file (written aside, then renamed, so readers never see half a DB)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(tmp) as conn:
        conn.executescript(SCHEMA)
        for table, frame in frames.items():
            columns = ", ".join(frame.columns)
            marks = ", ".join("?" * len(frame.columns))
            for start in range(0, len(frame), chunk_rows):
                chunk = frame.iloc[start : start + chunk_rows].astype(object)
                rows = chunk.where(chunk.notna(), None).itertuples(index=False, name=None)
                conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        conn.executescript(INDEXES)
    tmp.replace(path)


def generate_database(path: Path, n_events: int = 50_000, seed: int = 7) -> dict[str, int]:
    frames = generate_frames(n_events, seed)
    write_database(frames, path)
    return {name: len(frame) for name, frame in frames.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="SQLite file to write")
    parser.add_argument("--events", type=int, default=50_000, help="number of events (default 50000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = generate_database(args.out, args.events, args.seed)
    print(f"wrote {args.out}: " + ", ".join(f"{n} {t}" for t, n in counts.items())
          + f" in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
