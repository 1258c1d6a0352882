"""The bad-input corpus: each case ends in a named rule with observed and expected values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from personalize_pipeline.validate import validate_files

HEADER = ["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"]
T0 = 1_750_000_000


def interactions(users: int = 40, per_user: int = 30) -> pd.DataFrame:
    rows = [(f"u{u}", f"i{(u * 7 + k) % 90}", "watch" if k % 3 else "click", float(3 + k % 3), T0 + u * 1000 + k)
            for u in range(users) for k in range(per_user)]
    return pd.DataFrame(rows, columns=HEADER)


def write(tmp_path: Path, frame: pd.DataFrame, name: str = "interactions.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def failures(path: Path, dataset: str = "interactions") -> dict[str, tuple[str, str, str]]:
    report = validate_files({dataset: path})
    assert not report.success
    return {f.rule: (f.observed, f.expected, f.where) for f in report.failures}


def test_valid_file_passes(tmp_path: Path) -> None:
    report = validate_files({"interactions": write(tmp_path, interactions())})
    assert report.success, report.table()
    assert report.statistics["interactions"]["rows"] == 1200
    assert report.statistics["interactions"]["users_meeting_minimum"] == 40


def test_999_interactions(tmp_path: Path) -> None:
    got = failures(write(tmp_path, interactions().head(999)))
    observed, expected, _ = got["enough interactions after the event filter (Personalize minimum)"]
    assert (observed, expected) == ("999", ">= 1000")


def test_24_users_with_two_interactions(tmp_path: Path) -> None:
    frame = pd.concat([interactions(users=24, per_user=42),
                       interactions(users=60, per_user=1).assign(USER_ID=lambda f: "single" + f["USER_ID"])])
    got = failures(write(tmp_path, frame))
    assert list(got) == ["enough users with the minimum interactions each (Personalize minimum)"]
    observed, expected, where = got["enough users with the minimum interactions each (Personalize minimum)"]
    assert (observed, expected) == ("24", ">= 25")
    assert "users with >= 2" in where


def test_null_user_id(tmp_path: Path) -> None:
    frame = interactions()
    frame.loc[5, "USER_ID"] = None
    observed, _, where = failures(write(tmp_path, frame))["USER_ID is present"]
    assert observed.startswith("1 unexpected") and "CSV lines 7" in where


@pytest.mark.parametrize(("value", "rule"), [
    ("yesterday", "TIMESTAMP is a long"),
    ("4102444800", "TIMESTAMP is after 2000-01-01 and not in the future"),  # 2100-01-01
    ("12.5", "TIMESTAMP is a long"),
])
def test_bad_timestamps(tmp_path: Path, value: str, rule: str) -> None:
    frame = interactions().astype({"TIMESTAMP": "string"})
    frame.loc[3, "TIMESTAMP"] = value
    observed, _, where = failures(write(tmp_path, frame))[rule]
    assert observed.startswith("1 unexpected") and "CSV lines 5" in where


@pytest.mark.parametrize("change", ["missing", "extra", "delimiter"])
def test_wrong_columns(tmp_path: Path, change: str) -> None:
    frame = interactions()
    if change == "missing":
        path = write(tmp_path, frame.drop(columns=["EVENT_TYPE"]))
    elif change == "extra":
        path = write(tmp_path, frame.assign(TITLE="x"))
    else:
        path = tmp_path / "semicolons.csv"
        frame.to_csv(path, index=False, sep=";")
    got = failures(path)
    rule = "columns are the interactions schema's, in its order"
    assert list(got) == [rule], "content rules must not pile up behind a structural failure"
    observed, expected, _ = got[rule]
    assert expected == "columns USER_ID, ITEM_ID, EVENT_TYPE, EVENT_VALUE, TIMESTAMP"
    assert observed != expected


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert failures(path)["file has a header row"][0] == "empty file (0 bytes)"


def test_header_only(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(",".join(HEADER) + "\n")
    got = failures(path)
    assert got["enough interactions after the event filter (Personalize minimum)"][:2] == ("0", ">= 1000")


def test_non_utf8_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, interactions())
    path.write_bytes(path.read_bytes().replace(b"u1,", "\u00fa1,".encode("latin-1"), 1))
    _, expected, _ = failures(path)["file is UTF-8 encoded"]
    assert expected == "UTF-8 text"


def test_duplicate_rows(tmp_path: Path) -> None:
    frame = interactions()
    frame = pd.concat([frame, frame.iloc[[10, 11]]])
    observed, _, _ = failures(write(tmp_path, frame))["no duplicate (USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP) rows"]
    assert observed.startswith("4 unexpected")


def test_unknown_event_type_and_rating_out_of_range(tmp_path: Path) -> None:
    frame = interactions()
    frame.loc[0, "EVENT_TYPE"] = "purchase"
    frame.loc[1, "EVENT_VALUE"] = 7.0
    got = failures(write(tmp_path, frame))
    assert "'purchase'" in got["EVENT_TYPE is one of the configured event types"][0]
    assert got["EVENT_VALUE is within the rating range"][1] == "between 0.0 and 5.0"


def test_oversize_id(tmp_path: Path) -> None:
    frame = interactions()
    frame.loc[0, "ITEM_ID"] = "x" * 257
    assert "ITEM_ID is 1-256 characters" in failures(write(tmp_path, frame))


def test_items_and_users_rules(tmp_path: Path) -> None:
    items = pd.DataFrame({"ITEM_ID": ["i1", "i2", "i2"], "GENRES": ["arte|fisica", "Arte, Fisica", "arte"],
                          "CREATION_TIMESTAMP": [T0, T0, T0]})
    got = failures(write(tmp_path, items, "items.csv"), "items")
    assert {"ITEM_ID is unique", "GENRES is lower-case words separated by '|'"} <= set(got)
    users = pd.DataFrame({"USER_ID": ["u1", "u2"], "AGE": [34, 240], "GENDER": ["F", "Q"],
                          "LOCATION": ["cali", "lima"], "EDUCATION": ["pregrado", "posgrado"]})
    got = failures(write(tmp_path, users, "users.csv"), "users")
    assert {"AGE is in the sane range", "GENDER is one of the configured values"} <= set(got)


def test_references_mostly_present(tmp_path: Path) -> None:
    inter = write(tmp_path, interactions())
    items = write(tmp_path, pd.DataFrame({"ITEM_ID": [f"i{k}" for k in range(10)], "GENRES": "arte",
                                          "CREATION_TIMESTAMP": T0}), "items.csv")
    users = write(tmp_path, pd.DataFrame({"USER_ID": [f"u{k}" for k in range(40)], "AGE": 30, "GENDER": "F",
                                          "LOCATION": "cali", "EDUCATION": "pregrado"}), "users.csv")
    report = validate_files({"interactions": inter, "items": items, "users": users})
    rules = {f.rule: f for f in report.failures}
    assert list(rules) == ["share of interaction ITEM_IDs present in the items file"]
    assert rules["share of interaction ITEM_IDs present in the items file"].observed == "0.1111"


def test_cli_exit_codes_and_table(tmp_path: Path) -> None:
    good = write(tmp_path, interactions(), "good.csv")
    bad = write(tmp_path, interactions().head(500), "bad.csv")
    cli = [sys.executable, "-m", "personalize_pipeline.cli", "validate", "--dataset", "interactions"]
    ok = subprocess.run([*cli, str(good)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    fail = subprocess.run([*cli, str(bad)], capture_output=True, text=True, timeout=120)
    assert fail.returncode == 1
    assert "rule" in fail.stdout and "observed" in fail.stdout and ">= 1000" in fail.stdout
    assert "Skipping registering function" not in fail.stdout + fail.stderr
