"""Seeded synthetic interactions with real structure: power-law item popularity and users with genre tastes.

Used by the engine tests and the benchmark, so that a personalised recipe has something to learn that
popularity alone cannot capture.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GENRES = [
    "Action",
    "Comedy",
    "Drama",
    "Horror",
    "Romance",
    "SciFi",
    "Documentary",
    "Animation",
    "Thriller",
    "Western",
    "Musical",
    "Crime",
]
START = 1_700_000_000


def generate(
    n_events: int,
    seed: int = 7,
    n_users: int | None = None,
    n_items: int | None = None,
    taste_strength: float = 0.85,
    days: int = 90,
) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_users = n_users or max(60, n_events // 40)
    n_items = n_items or max(120, n_events // 200)
    n_genres = len(GENRES)
    # Items: one or two genres, Zipf-like popularity, creation times spread over the period.
    primary = rng.integers(0, n_genres, n_items)
    secondary = np.where(rng.random(n_items) < 0.3, rng.integers(0, n_genres, n_items), primary)
    popularity = 1.0 / np.power(rng.permutation(n_items) + 1.0, 0.8)
    created = START + rng.integers(-days * 86400, days * 86400, n_items)
    created[: max(1, n_items // 50)] = (
        START + days * 86400 - rng.integers(0, 3 * 86400, max(1, n_items // 50))
    )
    # Users: two favourite genres and a lognormal activity level.
    favourites = rng.integers(0, n_genres, (n_users, 2))
    activity = rng.lognormal(0.0, 0.8, n_users)
    users = rng.choice(n_users, size=n_events, p=activity / activity.sum())
    users[: n_users * 2] = np.repeat(np.arange(n_users), 2)  # everyone has at least two events
    items = np.empty(n_events, dtype=np.int64)
    by_taste = rng.random(n_events) < taste_strength
    genre = favourites[users, rng.integers(0, 2, n_events)]
    for g in range(n_genres):
        members = np.flatnonzero((primary == g) | (secondary == g))
        idx = np.flatnonzero(by_taste & (genre == g))
        if len(members) == 0:
            by_taste[idx] = False
            continue
        weights = popularity[members] / popularity[members].sum()
        items[idx] = rng.choice(members, size=len(idx), p=weights)
    rest = np.flatnonzero(~by_taste)
    items[rest] = rng.choice(n_items, size=len(rest), p=popularity / popularity.sum())
    timestamps = START + np.sort(rng.integers(0, days * 86400, n_events))
    timestamps = np.maximum(timestamps, created[items])  # no event before its item exists
    event_type = np.where(rng.random(n_events) < 0.6, "click", "watch")
    value = np.round(np.clip(rng.normal(3.5, 1.0, n_events), 1, 5)).astype(float)
    interactions = (
        pd.DataFrame(
            {
                "USER_ID": np.char.add("u", users.astype(str)),
                "ITEM_ID": np.char.add("i", items.astype(str)),
                "TIMESTAMP": timestamps.astype(np.int64),
                "EVENT_TYPE": event_type,
                "EVENT_VALUE": value,
            }
        )
        .sort_values("TIMESTAMP", kind="stable")
        .reset_index(drop=True)
    )
    genres = [
        GENRES[p] if p == s else f"{GENRES[p]}|{GENRES[s]}" for p, s in zip(primary, secondary, strict=True)
    ]
    item_frame = pd.DataFrame(
        {
            "ITEM_ID": np.char.add("i", np.arange(n_items).astype(str)),
            "GENRES": genres,
            "CREATION_TIMESTAMP": created.astype(np.int64),
        }
    )
    user_frame = pd.DataFrame(
        {
            "USER_ID": np.char.add("u", np.arange(n_users).astype(str)),
            "FAVOURITE": [GENRES[f] for f in favourites[:, 0]],
        }
    )
    return {"interactions": interactions, "items": item_frame, "users": user_frame}


INTERACTIONS_SCHEMA = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "EVENT_VALUE", "type": ["null", "float"]},
    ],
    "version": "1.0",
}
ITEMS_SCHEMA = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "GENRES", "type": "string", "categorical": True},
        {"name": "CREATION_TIMESTAMP", "type": "long"},
    ],
    "version": "1.0",
}
USERS_SCHEMA = {
    "type": "record",
    "name": "Users",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "FAVOURITE", "type": "string", "categorical": True},
    ],
    "version": "1.0",
}
