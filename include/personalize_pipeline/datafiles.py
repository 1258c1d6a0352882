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


def read_dataset(dataset: str, path: Path) -> pd.DataFrame:
    """All columns read as (pyarrow) strings, then known numeric columns coerced; non-numeric values become
    nulls, which the suites' not-null rules report with their line numbers."""
    where = str(path)
    if not path.exists():
        raise DataFileError(RuleFailure(dataset, "file exists", "missing", "a CSV file", where))
    if path.stat().st_size == 0:
        raise DataFileError(RuleFailure(dataset, "file has a header row", "empty file (0 bytes)",
                                        "a header line naming the columns", where))
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
    return frame
