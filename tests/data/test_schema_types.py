"""Every value is checked against its Avro field: text that is not the type is an error with the line, never a null."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from personalize_pipeline.validate import validate_files

USERS = "USER_ID,AGE,GENDER,LOCATION,EDUCATION\n"
INTERACTIONS = "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\n"
T0 = 1_750_000_000


def users(*ages: str) -> str:
    return USERS + "".join(f"u{n},{age},F,cali,pregrado\n" for n, age in enumerate(ages))


def interactions(value: str = "3", timestamp: str | None = None, row: int = 7) -> str:
    lines = [f"u{n % 40},i{n % 90},watch,{value if n == row else '4'},{timestamp if n == row and timestamp else T0 + n}"
             for n in range(1200)]
    return INTERACTIONS + "\n".join(lines) + "\n"


def failures(tmp_path: Path, dataset: str, text: str | bytes) -> dict[str, tuple[str, str, str]]:
    path = tmp_path / f"{dataset}.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return {f.rule: (f.observed, f.expected, f.where) for f in validate_files({dataset: path}).failures}


def test_text_in_an_int_field_fails_with_column_line_and_value(tmp_path: Path) -> None:
    got = failures(tmp_path, "users", users("34", "abc", "", "41"))
    observed, expected, where = got["AGE is an int"]
    assert "'abc'" in observed and "1 unexpected" in observed
    assert where.endswith("CSV lines 3")
    assert "or empty for null" in expected  # AGE is ["null", "int"]: the empty value on line 4 is fine
    assert list(got) == ["AGE is an int"]


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-Infinity", "1e39"])
def test_not_a_finite_float_in_event_value(tmp_path: Path, value: str) -> None:
    observed, _, where = failures(tmp_path, "interactions", interactions(value))["EVENT_VALUE is a float"]
    assert repr(value) in observed and where.endswith("CSV lines 9")


@pytest.mark.parametrize(("age", "broken"), [("12.0", True), ("12.5", True), ("3e1", True), (" 30", True),
                                             ("2147483647", False), ("2147483648", True), ("-2147483649", True),
                                             ("+30", False), ("030", False)])
def test_int_syntax_and_width(tmp_path: Path, age: str, broken: bool) -> None:
    assert ("AGE is an int" in failures(tmp_path, "users", users("30", age))) is broken


@pytest.mark.parametrize(("timestamp", "broken"), [("9223372036854775807", False), ("9223372036854775808", True),
                                                   ("-9223372036854775809", True), ("1750000000.0", True)])
def test_long_width_is_exact(tmp_path: Path, timestamp: str, broken: bool) -> None:
    got = failures(tmp_path, "interactions", interactions(timestamp=timestamp))
    assert ("TIMESTAMP is a long" in got) is broken


def test_required_field_empty_is_named(tmp_path: Path) -> None:
    text = interactions().replace(f"u7,i7,watch,3,{T0 + 7}", f",i7,watch,3,{T0 + 7}")
    observed, expected, where = failures(tmp_path, "interactions", text)["USER_ID is present"]
    assert observed.startswith("1 unexpected") and "does not allow null" in expected and where.endswith("lines 9")


def test_valid_variants_stay_valid(tmp_path: Path) -> None:
    text = USERS + 'u1,30,F,cali,pregrado\r\n"u,2","41",M,"bogotá","pos""grado"\r\njosé-ñandú,,X,lima,\r\n'
    path = tmp_path / "users.csv"
    path.write_bytes(text.encode())
    report = validate_files({"users": path})
    assert report.success, report.table()


@pytest.mark.parametrize(("text", "rule", "line"), [
    (b"\xef\xbb\xbf" + users("30").encode(), "file has no byte order mark", "line 1"),
    (users("30", "31").replace("\nu1", "\n\nu1").encode(), "no blank lines", "lines 3"),
    (users("30", "31").replace("u1,31", 'u1,"31').encode(), "every record is one line of well-quoted fields", "3"),
    (users("30", "31").replace("u1,31", 'u1,"3"1').encode(), "every record is one line of well-quoted fields", "3"),
    (users("30", "31").replace("u1,31", 'u"1,31').encode(), "every record is one line of well-quoted fields", "3"),
    (users("30", "31").replace("u1,31", "u1,31,extra").encode(), "every record has as many fields as the header", "3"),
    (users("30", "31").replace("u1,31", "u1\r,31").encode(), "lines end in LF or CRLF", "line 3"),
    (users("30").replace("USER_ID", '"USER_ID"').encode(), "header names are not quoted", "line 1"),
])
def test_files_a_lenient_reader_would_misread(tmp_path: Path, text: bytes, rule: str, line: str) -> None:
    got = failures(tmp_path, "users", text)
    assert rule in got, got
    assert got[rule][2].endswith(line), got[rule]


def test_cli_names_the_rule_and_line(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(users("34", "abc"))
    cli = [sys.executable, "-m", "personalize_pipeline.cli", "validate", "--dataset", "users", str(path)]
    result = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "AGE is an int" in result.stdout and "'abc'" in result.stdout and "CSV lines 3" in result.stdout
