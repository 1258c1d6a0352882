"""The bulk-import CSV format as Personalize documents it, read strictly.

CSV in UTF-8, the first row a header of unquoted column names, every record on a single line. Quoting follows
RFC 4180 (a field is bare, or quoted whole with inner quotes doubled); anything a lenient reader would have to
guess at (a byte order mark, a quote inside a bare field, a carriage return that does not end a line, a record
with more or fewer fields than the header, an empty line) fails the import job with the line that broke it.
"""

from __future__ import annotations

import pandas as pd

from .errors import InvalidInput

BOM = b"\xef\xbb\xbf"


def _quoted_fields(line: str) -> list[str] | None:
    """Split one line holding double quotes; None when its quoting is not RFC 4180."""
    fields: list[str] = []
    i, n = 0, len(line)
    while True:
        if i < n and line[i] == '"':
            parts, j = [], i + 1
            while True:
                k = line.find('"', j)
                if k < 0:
                    return None  # unterminated: the record would continue on the next line
                parts.append(line[j:k])
                if line.startswith('"', k + 1):  # a doubled quote inside the field
                    parts.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
            fields.append("".join(parts))
            if i < n and line[i] != ",":
                return None  # text after the closing quote
        else:
            comma = line.find(",", i)
            end = n if comma < 0 else comma
            if '"' in line[i:end]:
                return None  # a quote inside a bare field
            fields.append(line[i:end])
            i = end
        if i >= n:
            return fields
        i += 1  # past the comma; a comma at the very end leaves one empty field
        if i == n:
            fields.append("")
            return fields


def read_csv(body: bytes, where: str) -> pd.DataFrame:
    """All values as written (str), columns named by the header; raises InvalidInput naming the line."""
    if body.startswith(BOM):
        raise InvalidInput(f"{where}: the file begins with a byte order mark; the first line must be the header")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = body.count(b"\n", 0, exc.start) + 1
        raise InvalidInput(f"{where}: line {at} is not valid UTF-8") from exc
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final line end
    lines = [line.removesuffix("\r") for line in lines]
    if not lines:
        raise InvalidInput(f"{where}: the file is empty; the first line must be the header")
    header = lines[0]
    if '"' in header:
        raise InvalidInput(f"{where}: column headers must not be enclosed in quotation marks")
    names = header.split(",")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidInput(f"{where}: column {twice[0]} appears more than once in the header")
    rows: list[list[str]] = []
    for number, line in enumerate(lines[1:], start=2):
        if "\r" in line:
            raise InvalidInput(f"{where}: line {number} holds a carriage return that does not end the line")
        fields = _quoted_fields(line) if '"' in line else line.split(",")
        if fields is None:
            raise InvalidInput(f"{where}: line {number} is not a single well-quoted CSV record")
        if line == "":
            raise InvalidInput(f"{where}: line {number} is empty")
        if len(fields) != len(names):
            raise InvalidInput(f"{where}: line {number} has {len(fields)} fields, the header has {len(names)}")
        rows.append(fields)
    return pd.DataFrame(rows, columns=names, dtype=object) if rows else pd.DataFrame(columns=names, dtype=object)
