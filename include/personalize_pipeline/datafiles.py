"""Read a staged Personalize CSV strictly, as the import job would, and type every value by the schema.

Personalize documents its bulk format as CSV in UTF-8 with an unquoted header row and every record on a single
line. The reader holds files to that and to RFC 4180 quoting, because the lenient parses a CSV library offers
change data silently: a byte order mark glued to the first column name, ``"x"y`` read as ``xy``, an unbalanced
quote swallowing the lines after it into one value. Such a file is refused with the rule and the line instead.
CRLF line ends, quoted fields (with doubled inner quotes) and any UTF-8 text are fine.

The happy path stays in C: pyarrow reads every column as text and the checks that need Python (quotes, which
line broke a rule) run only when the fast ones found something.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from personalize_pipeline.failures import DataFileError, RuleFailure
from personalize_pipeline.schema_rules import check_values

BOM = b"\xef\xbb\xbf"
BLOCK = 1 << 24
# One record of RFC 4180 fields: bare (no quote, comma or line break) or quoted as a whole with quotes doubled.
_FIELD = r'(?:[^",\r\n]*|"(?:[^"]|"")*")'
_RECORD = re.compile(rf"{_FIELD}(?:,{_FIELD})*")
_LONE_CR = re.compile(rb"\r(?!\n)")
EXAMPLES = 5


@dataclass
class StagedFile:
    """A staged file as typed columns (values that broke a rule are null) and the rules its values broke."""

    frame: pd.DataFrame
    failures: list[RuleFailure] = field(default_factory=list)


@dataclass(frozen=True)
class _Scan:
    has_quotes: bool
    lone_cr_line: int | None


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line without its line end), for the slow paths that must name a line."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            yield number, line.rstrip(b"\n").removesuffix(b"\r")


def _scan(path: Path) -> _Scan:
    """One pass over the bytes in large blocks: are there quotes, and where is the first carriage return that
    does not end a line (a record split by a bare CR, which readers disagree on)?"""
    has_quotes, lines_before, pending = False, 0, b""
    with path.open("rb") as handle:
        while True:
            block = handle.read(BLOCK)
            data, pending = pending + block, b""
            if block and data.endswith(b"\r"):  # lone or not depends on the next block's first byte
                data, pending = data[:-1], b"\r"
            has_quotes = has_quotes or b'"' in data
            if match := _LONE_CR.search(data):
                return _Scan(has_quotes, lines_before + data.count(b"\n", 0, match.start()) + 1)
            lines_before += data.count(b"\n")
            if not block:
                return _Scan(has_quotes, None)


def _refuse(dataset: str, rule: str, observed: str, expected: str, where: str) -> DataFileError:
    return DataFileError(RuleFailure(dataset, rule, observed, expected, where))


def _show(line: bytes) -> str:
    text = line.decode("utf-8", "replace")
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _check_header(dataset: str, path: Path) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline().rstrip(b"\n").removesuffix(b"\r")
    where = f"{path} CSV line 1"
    if first.startswith(BOM):
        raise _refuse(dataset, "file has no byte order mark", "a UTF-8 byte order mark before the header",
                      "the header's first column name as the first bytes", where)
    try:
        header = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(dataset, "file is UTF-8 encoded", "bytes that are not valid UTF-8", "UTF-8 text",
                      where) from exc
    if '"' in header:
        raise _refuse(dataset, "header names are not quoted", _show(first),
                      "column names without quotation marks (Personalize's CSV rule)", where)
    names = header.split(",")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise _refuse(dataset, "header names are unique", f"{', '.join(twice)} more than once",
                      "each column once", where)
    return names


def _check_quoting(dataset: str, path: Path) -> None:
    bad = [(n, line) for n, line in _lines(path) if not _RECORD.fullmatch(line.decode("utf-8", "replace"))]
    if bad:
        raise _refuse(
            dataset, "every record is one line of well-quoted fields",
            f"{len(bad)} line(s) with a stray or unbalanced double quote, e.g. {_show(bad[0][1])}",
            "bare fields without quotes, or fields quoted whole with inner quotes doubled, and no line break "
            "inside a record", f"{path} CSV lines " + ", ".join(str(n) for n, _ in bad[:EXAMPLES]))


def _locate_field_counts(dataset: str, path: Path, width: int) -> DataFileError:
    bad = []
    for number, line in _lines(path):
        fields = len(next(csv.reader([line.decode("utf-8", "replace")]), []))
        if fields != width:
            bad.append((number, fields))
    shown = ", ".join(f"line {n}: {f}" for n, f in bad[:EXAMPLES])
    return _refuse(dataset, "every record has as many fields as the header", f"{len(bad)} line(s) differ ({shown})",
                   f"{width} fields", f"{path} CSV lines " + ", ".join(str(n) for n, _ in bad[:EXAMPLES]))


def _locate_bad_utf8(dataset: str, path: Path) -> DataFileError:
    bad = []
    for number, line in _lines(path):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
    return _refuse(dataset, "file is UTF-8 encoded", f"{len(bad)} line(s) with bytes that are not valid UTF-8",
                   "UTF-8 text", f"{path} CSV lines " + ", ".join(map(str, bad[:EXAMPLES])))


def _read_text(dataset: str, path: Path, names: list[str]) -> pa.Table:
    """Every column as text, exactly as written: no value is turned into a null or a number here."""
    try:
        return pv.read_csv(
            path,
            parse_options=pv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), null_values=[],
                                              strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "UTF8" in message:
            raise _locate_bad_utf8(dataset, path) from exc
        if "Expected" in message and "columns" in message:
            raise _locate_field_counts(dataset, path, len(names)) from exc
        raise _refuse(dataset, "file is well-formed CSV", message.splitlines()[0],
                      "comma-separated rows with as many fields as the header", str(path)) from exc


def _blank_records(dataset: str, table: pa.Table, where: str) -> tuple[pa.Table, pa.Array, list[RuleFailure]]:
    """Empty lines (or lines of commas only) are records with no values: reported once and left out, so that
    they do not also show up as a missing value in every required column. Returns the other records and their
    CSV line numbers."""
    lines = pa.array(range(2, table.num_rows + 2), type=pa.int64())
    if not table.num_rows or not table.num_columns:
        return table, lines, []
    blank = pc.equal(table.column(0), "")
    for name in table.column_names[1:]:
        blank = pc.and_(blank, pc.equal(table[name], ""))
    blank = blank.combine_chunks() if isinstance(blank, pa.ChunkedArray) else blank
    rows = pc.indices_nonzero(blank)
    if not len(rows):
        return table, lines, []
    shown = ", ".join(str(int(i) + 2) for i in rows.slice(0, EXAMPLES).to_pylist())
    failure = RuleFailure(dataset, "no blank lines", f"{len(rows)} blank line(s)",
                          "one record per line, no empty lines between or after them", f"{where} CSV lines {shown}")
    keep = pc.invert(blank)
    return table.filter(keep), lines.filter(keep), [failure]


def read_dataset(dataset: str, path: Path, schema: str | None = None) -> StagedFile:
    """The staged file typed by its Avro schema (``schema``, default the dataset's own). Raises DataFileError when
    the file itself cannot be read as CSV (missing, empty, not UTF-8, bad quoting, ragged rows); value-level
    problems come back as failures."""
    where = str(path)
    if not path.exists():
        raise _refuse(dataset, "file exists", "missing", "a CSV file", where)
    if path.stat().st_size == 0:
        raise _refuse(dataset, "file has a header row", "empty file (0 bytes)", "a header line naming the columns",
                      where)
    names = _check_header(dataset, path)
    scan = _scan(path)
    if scan.lone_cr_line is not None:
        raise _refuse(dataset, "lines end in LF or CRLF", "a carriage return that does not end a line",
                      "LF or CRLF line ends only", f"{where} CSV line {scan.lone_cr_line}")
    if scan.has_quotes:
        _check_quoting(dataset, path)
    table, lines, failures = _blank_records(dataset, _read_text(dataset, path, names), where)
    frame, value_failures = check_values(dataset, table, where, lines, schema)
    return StagedFile(_native(frame), failures + value_failures)


def _native(frame: pd.DataFrame) -> pd.DataFrame:
    """Integer columns without nulls as plain int64, so Great Expectations takes its vectorised comparisons (it
    compares nullable Int64 values to bounds one by one in Python)."""
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.Int64Dtype) and not values.hasnans:
            frame[column] = values.astype("int64")
    return frame
