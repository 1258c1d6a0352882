"""Read staged Personalize CSVs for validation, turning unreadable files into named rule failures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

NUMERIC_COLUMNS = {"EVENT_VALUE": "float32", "TIMESTAMP": "Int64", "CREATION_TIMESTAMP": "Int64", "AGE": "Int64"}


@dataclass(frozen=True)
class RuleFailure:
    """One broken rule, in the words a person needs: what, seen, wanted, where."""

    dataset: str
    rule: str
    observed: str
    expected: str
    where: str = ""


class DataFileError(ValueError):
    def __init__(self, failure: RuleFailure) -> None:
        super().__init__(f"{failure.dataset}: {failure.rule}: observed {failure.observed}, expected {failure.expected}"
                         f" ({failure.where})")
        self.failure = failure


def _header(path: Path) -> list[str] | None:
    """The header's column names, or None when the first line is not plain UTF-8 text we can split safely."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            line = handle.readline().rstrip("\r\n")
    except (OSError, UnicodeDecodeError):
        return None
    if '"' in line:  # quoted header: leave it to the full reader
        return None
    return line.split(",")


def _read_typed(path: Path) -> pd.DataFrame | None:
    """Fast path: numeric columns parsed by pyarrow straight to their types, the rest as pyarrow strings.

    Gives the same frame as the all-string read plus coercion whenever it succeeds; any value pyarrow will not parse
    as its column's type (or any other problem with the file) returns None and the caller takes the careful path,
    which names the problem.
    """
    names = _header(path)
    if not names or len(set(names)) != len(names):
        return None
    dtypes = {n: ("float64" if NUMERIC_COLUMNS.get(n) == "float32" else "Int64") if n in NUMERIC_COLUMNS
              else "string[pyarrow]" for n in names}
    try:
        frame = pd.read_csv(path, dtype=dtypes, engine="pyarrow", encoding="utf-8")
    except Exception:  # the careful path re-reads the file and names the problem
        return None
    if list(frame.columns) != names:
        return None
    for column in frame.columns:
        if column in NUMERIC_COLUMNS:
            frame[column] = frame[column].astype(NUMERIC_COLUMNS[column])
    return frame


def _native(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns as plain numpy dtypes where no value is lost, so GX takes its vectorised comparisons.

    Great Expectations compares column values to bounds element by element in Python unless the column's dtype is a
    plain int or float: Int64 without nulls becomes int64 and float32 becomes float64 (every float32 is exact in
    float64, so values and failures are unchanged). An Int64 column with nulls stays as it is.
    """
    for column in frame.columns:
        if column not in NUMERIC_COLUMNS:
            continue
        values = frame[column]
        if NUMERIC_COLUMNS[column] == "float32":
            frame[column] = values.astype("float64")
        elif not values.hasnans:
            frame[column] = values.astype("int64")
    return frame


def read_dataset(dataset: str, path: Path) -> pd.DataFrame:
    """All columns read as (pyarrow) strings, then known numeric columns coerced; non-numeric values become
    nulls, which the suites' not-null rules report with their line numbers.

    A typed read is tried first (much faster and lighter on large files); it is used only when it succeeds, and it
    yields the same values as the string read would.
    """
    where = str(path)
    if not path.exists():
        raise DataFileError(RuleFailure(dataset, "file exists", "missing", "a CSV file", where))
    if path.stat().st_size == 0:
        raise DataFileError(RuleFailure(dataset, "file has a header row", "empty file (0 bytes)",
                                        "a header line naming the columns", where))
    typed = _read_typed(path)
    if typed is not None:
        return _native(typed)
    try:
        frame = pd.read_csv(path, dtype="string[pyarrow]", engine="pyarrow", encoding="utf-8")
    except (pa.ArrowInvalid, UnicodeDecodeError, ValueError) as exc:
        message = str(exc)
        if "UTF8" in message or "utf-8" in message.lower():
            raise DataFileError(RuleFailure(dataset, "file is UTF-8 encoded", "bytes that are not valid UTF-8",
                                            "UTF-8 text", f"{where}: {message.splitlines()[0]}")) from exc
        raise DataFileError(RuleFailure(dataset, "file is well-formed CSV", message.splitlines()[0],
                                        "comma-separated rows with as many fields as the header", where)) from exc
    for column, dtype in NUMERIC_COLUMNS.items():
        if column in frame.columns:
            numeric = pd.to_numeric(frame[column], errors="coerce")
            if dtype == "Int64":
                numeric = numeric.where(numeric % 1 == 0)  # 12.5 is not an epoch second or an age
            frame[column] = numeric.astype(dtype)
    return _native(frame)
