"""Personalize's field limits at import: ids up to 256 characters, categorical values up to 1000."""

from __future__ import annotations

import pandas as pd
from personalize_local.synthetic import ITEMS_SCHEMA

from .conftest import Env


def test_over_long_id_or_categorical_value_fails_the_import(env: Env, frames: dict[str, pd.DataFrame]) -> None:
    items = env.dataset(env.dataset_group(), "ITEMS", ITEMS_SCHEMA)
    frame = frames["items"].iloc[:20].astype(object).copy()
    frame.loc[2, "GENRES"] = "|".join(["drama"] * 170)  # 1019 characters
    frame.loc[4, "ITEM_ID"] = "i" * 257
    job = env.import_frame(items, frame)
    assert job["status"] == "CREATE FAILED"
    assert "2 of 20 rows" in job["failureReason"]
    assert "line 4: GENRES is longer than 1000 characters" in job["failureReason"]
    assert "line 6: ITEM_ID is longer than 256 characters" in job["failureReason"]
    frame.loc[2, "GENRES"] = "|".join(["drama"] * 166)  # 1000: at the limit is fine
    frame.loc[4, "ITEM_ID"] = "i" * 256
    assert env.import_frame(items, frame)["status"] == "ACTIVE"
