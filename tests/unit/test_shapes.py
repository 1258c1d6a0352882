from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from personalize_dev.shapes import SHAPES, load_shape

N = 20_000


@pytest.fixture(scope="module")
def frames() -> dict[str, dict[str, pd.DataFrame]]:
    return {name: load_shape(name, N, seed=1) for name in SHAPES}


def test_deterministic_by_seed(frames: dict[str, dict[str, pd.DataFrame]]) -> None:
    for name in SHAPES:
        again, other = load_shape(name, N, seed=1), load_shape(name, N, seed=2)
        for table in ("interactions", "items"):
            pd.testing.assert_frame_equal(frames[name][table], again[table])
        assert not frames[name]["interactions"].equals(other["interactions"])


def test_columns_and_dtypes(frames: dict[str, dict[str, pd.DataFrame]]) -> None:
    for name, f in frames.items():
        ev, items = f["interactions"], f["items"]
        assert list(ev.columns) == ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"], name
        assert list(items.columns) == ["ITEM_ID", "GENRES", "CREATION_TIMESTAMP"], name
        for frame, column in ((ev, "USER_ID"), (ev, "ITEM_ID"), (ev, "EVENT_TYPE"), (items, "ITEM_ID")):
            assert pd.api.types.is_string_dtype(frame[column]), (name, column)
        assert ev["TIMESTAMP"].dtype == np.int64 and items["CREATION_TIMESTAMP"].dtype == np.int64, name
        assert ev["EVENT_VALUE"].dtype == np.float64, name
        assert pd.api.types.is_string_dtype(items["GENRES"]) and items["GENRES"].str.len().min() > 0, name
        assert set(ev["ITEM_ID"]) <= set(items["ITEM_ID"]), name
        assert len(ev) >= 1000, name
        per_user = ev["USER_ID"].value_counts()
        assert (per_user >= 2).sum() >= 25, name
        # nothing happens to an item before it exists
        created = items.set_index("ITEM_ID")["CREATION_TIMESTAMP"]
        assert (ev["TIMESTAMP"].to_numpy() >= created.loc[ev["ITEM_ID"]].to_numpy()).all(), name


def _genre_agreement(ev: pd.DataFrame, items: pd.DataFrame, part: int) -> tuple[float, float]:
    """Share of consecutive item pairs of a user with the same genre (part of GENRES), and of random pairs."""
    genre = items.set_index("ITEM_ID")["GENRES"].str.split("|").str[part]
    ordered = ev.sort_values(["USER_ID", "TIMESTAMP"], kind="stable")
    g, u = ordered["ITEM_ID"].map(genre).to_numpy(), ordered["USER_ID"].to_numpy()
    consecutive = float((g[1:] == g[:-1])[u[1:] == u[:-1]].mean())
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, len(g), 50_000), rng.integers(0, len(g), 50_000)
    return consecutive, float((g[a] == g[b]).mean())


def test_movies(frames: dict[str, dict[str, pd.DataFrame]]) -> None:
    ev, items = frames["movies"]["interactions"], frames["movies"]["items"]
    per_user = ev["USER_ID"].value_counts()
    assert per_user.min() >= 20 and per_user.max() > 5 * per_user.median()
    assert set(ev["EVENT_TYPE"]) == {"rating"}
    values = ev["EVENT_VALUE"]
    assert values.between(0.5, 5.0).all() and ((values * 2) % 1 == 0).all()
    assert not ev.duplicated(["USER_ID", "ITEM_ID"]).any()
    per_item = ev["ITEM_ID"].value_counts()
    assert (per_item == 1).mean() > 0.1 and per_item.iloc[0] > 20 * per_item.median()
    assert (items["CREATION_TIMESTAMP"] > ev["TIMESTAMP"].min()).mean() > 0.1  # new releases
    consecutive, random = _genre_agreement(ev, items, 0)
    assert consecutive > 1.6 * random
    # sessions: most gaps between a user's ratings are minutes, some are weeks
    ordered = ev.sort_values(["USER_ID", "TIMESTAMP"], kind="stable")
    same = ordered["USER_ID"].to_numpy()[1:] == ordered["USER_ID"].to_numpy()[:-1]
    gaps = np.diff(ordered["TIMESTAMP"].to_numpy())[same]
    assert np.median(gaps) < 600 and (gaps > 7 * 86_400).mean() > 0.02


def test_ecommerce(frames: dict[str, dict[str, pd.DataFrame]]) -> None:
    ev, items = frames["ecommerce"]["interactions"], frames["ecommerce"]["items"]
    per_user = ev["USER_ID"].value_counts()
    assert per_user.median() <= 5 and per_user.max() > 50
    shares = ev["EVENT_TYPE"].value_counts(normalize=True)
    assert set(shares.index) == {"view", "add_to_cart", "purchase"}
    assert shares["view"] > 0.9 and shares["purchase"] < shares["add_to_cart"]
    assert ev["EVENT_VALUE"].isna().all()
    assert ev["ITEM_ID"].nunique() < 0.9 * len(items)  # large catalogue, part of it never seen
    consecutive, random = _genre_agreement(ev, items, 1)
    assert consecutive > 5 * random
