"""Oversize fields in the staged files end in a named rule before any import (Personalize would fail the job).

Ids are at most 256 characters, categorical values at most 1000; an interactions id over the limit is in
tests/data/test_bad_input.py, and bad data never reaching an import through the DAG is
tests/e2e/test_pipeline_dag.py::test_invalid_data_stops_at_the_gate.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from personalize_pipeline.validate import validate_files

USERS = pd.DataFrame({"USER_ID": ["u1", "u2"], "AGE": [30, 40], "GENDER": ["F", "M"], "LOCATION": ["cali", "lima"],
                      "EDUCATION": ["pregrado", "posgrado"]})
ITEMS = pd.DataFrame({"ITEM_ID": ["i1", "i2"], "GENRES": ["arte", "fisica"], "CREATION_TIMESTAMP": [1_750_000_000] * 2})
GENRES_1001 = "|".join(["arte"] * 200) + "|a"  # lower-case words separated by '|': only the length is wrong


@pytest.mark.parametrize(("dataset", "frame", "column", "value", "rule"), [
    ("users", USERS, "USER_ID", "x" * 257, "USER_ID is 1-256 characters"),
    ("items", ITEMS, "ITEM_ID", "x" * 257, "ITEM_ID is 1-256 characters"),
    ("items", ITEMS, "GENRES", GENRES_1001, "GENRES is at most 1000 characters (Personalize's categorical limit)"),
    ("users", USERS, "LOCATION", "l" * 1001, "LOCATION is at most 1000 characters (Personalize's categorical limit)"),
    ("users", USERS, "EDUCATION", "e" * 1001, "EDUCATION is at most 1000 characters (Personalize's categorical limit)"),
], ids=["users-USER_ID", "items-ITEM_ID", "items-GENRES", "users-LOCATION", "users-EDUCATION"])
def test_oversize_field_ends_in_a_named_rule(tmp_path: Path, dataset: str, frame: pd.DataFrame, column: str,
                                              value: str, rule: str) -> None:
    frame = frame.copy()
    frame.loc[1, column] = value
    path = tmp_path / f"{dataset}.csv"
    frame.to_csv(path, index=False)
    report = validate_files({dataset: path})
    assert not report.success
    assert [f.rule for f in report.failures] == [rule]
    assert "CSV lines 3" in report.failures[0].where


def test_at_the_limit_is_fine(tmp_path: Path) -> None:
    items = ITEMS.copy()
    items.loc[1, "GENRES"] = GENRES_1001[:-2]  # 999 characters
    items.loc[0, "ITEM_ID"] = "x" * 256
    path = tmp_path / "items.csv"
    items.to_csv(path, index=False)
    assert validate_files({"items": path}).success
