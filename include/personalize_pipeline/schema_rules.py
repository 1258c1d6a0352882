"""Personalize's value rules, derived from the Avro schemas and checked on every value of a staged file.

An import job parses each value as its field's Avro type and fails on the first that does not fit, after the
pipeline has staged (and paid for) the data. So every column is read as text and checked here, before import:
a non-empty value that does not parse as the type is an error naming the column, the line and the value; it never
becomes a null that a nullable field would then allow. Empty is null, which only a ``["null", ...]`` union accepts.

Numbers are written in decimal (an optional sign, digits, for floats an optional fraction and exponent): ``NaN``
and ``Infinity`` are not numbers for the ranges our rules check, ints take no decimal point, and each type keeps to
its Avro width (int 32-bit, long 64-bit, float single precision). Ids are at most 256 characters and categorical
values at most 1000, as Personalize documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from personalize_pipeline.failures import RuleFailure
from personalize_pipeline.schemas import avro_schema

ID_FIELDS = frozenset({"USER_ID", "ITEM_ID", "ACTION_ID"})
ID_MAX = 256
CATEGORICAL_MAX = 1000
INTEGER_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
FLOAT32_MAX = float(np.finfo(np.float32).max)
# RE2 patterns (pyarrow's regex engine) for the text of a value of each type.
_INTEGER = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
SYNTAX = {"int": _INTEGER, "long": _INTEGER, "float": _DECIMAL, "double": _DECIMAL, "boolean": r"^(?i:true|false)$"}
EXAMPLES = 5
NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}  # keep nulls without turning ints to floats


@dataclass(frozen=True)
class FieldRule:
    """What one schema field accepts, in the terms an import job applies."""

    name: str
    type: str  # an Avro primitive: string, int, long, float, double, boolean
    nullable: bool
    max_length: int | None = None

    @property
    def type_rule(self) -> str:
        article = "an" if self.type[0] in "aeiou" else "a"
        return f"{self.name} is {article} {self.type}"

    @property
    def type_expected(self) -> str:
        if self.type in INTEGER_RANGES:
            low, high = INTEGER_RANGES[self.type]
            wanted = f"a whole number from {low} to {high}, digits only"
        elif self.type == "float":
            wanted = f"a finite decimal number within +/-{FLOAT32_MAX:.7g} (single precision)"
        elif self.type == "double":
            wanted = "a finite decimal number"
        else:
            wanted = "true or false"
        return wanted + (", or empty for null" if self.nullable else "")

    @property
    def length_rule(self) -> str:
        if self.name in ID_FIELDS:
            return f"{self.name} is 1-{self.max_length} characters"
        return f"{self.name} is at most {self.max_length} characters (Personalize's categorical limit)"


def _field_rule(field: dict[str, object]) -> FieldRule:
    name = str(field["name"])
    types = field["type"] if isinstance(field["type"], list) else [field["type"]]
    concrete = [t for t in types if t != "null"]
    if len(concrete) != 1 or not isinstance(concrete[0], str):
        raise ValueError(f"field {name}: expected one Avro primitive, optionally with null, got {field['type']!r}")
    kind = concrete[0]
    limit = ID_MAX if name in ID_FIELDS else CATEGORICAL_MAX if field.get("categorical") else None
    return FieldRule(name, kind, "null" in types, limit if kind == "string" else None)


@cache
def field_rules(dataset: str) -> tuple[FieldRule, ...]:
    return tuple(_field_rule(f) for f in avro_schema(dataset)["fields"])


def _failure(dataset: str, rule: str, expected: str, where: str, column: pa.ChunkedArray, bad: pa.ChunkedArray,
             lines: pa.Array) -> RuleFailure:
    """The same shape as a Great Expectations failure: a count, a few values and their CSV lines."""
    total = len(lines)
    rows = pc.indices_nonzero(bad.combine_chunks() if isinstance(bad, pa.ChunkedArray) else bad)
    count = len(rows)
    first = rows.slice(0, EXAMPLES)
    values = column.take(first).to_pylist()
    observed = f"{count} unexpected ({100 * count / max(total, 1):.2f}%)"
    observed += " e.g. " + ", ".join(repr(v if len(v) <= 40 else v[:37] + "...") for v in values[:3])
    shown = ", ".join(str(n) for n in lines.take(first).to_pylist())
    return RuleFailure(dataset, rule, observed, expected, f"{where} CSV lines {shown}")


def _integers(text: pa.ChunkedArray, valid: pa.ChunkedArray, kind: str) -> tuple[pa.ChunkedArray, pa.Array]:
    """(values as int64, null where not a valid in-range integer; mask of well-written values out of range)."""
    low, high = INTEGER_RANGES[kind]
    digits = pc.utf8_length(pc.replace_substring_regex(text, r"^[+-]?0*", ""))
    # Up to 9 significant digits always fit an int and up to 18 a long: only longer values are checked one by one.
    long_ones = pc.indices_nonzero(pc.and_(valid, pc.greater(digits, 9 if kind == "int" else 18)).combine_chunks())
    beyond = np.zeros(len(text), dtype=bool)
    if len(long_ones):
        flat = text.combine_chunks()
        for row in long_ones.to_pylist():
            beyond[row] = not low <= int(flat[row].as_py()) <= high
    mask = pa.array(beyond)
    castable = pc.and_(valid, pc.invert(mask))
    unsigned = pc.if_else(castable, pc.replace_substring_regex(text, r"^\+", ""), pa.scalar(None, pa.string()))
    return pc.cast(unsigned, pa.int64()), mask


def _floats(text: pa.ChunkedArray, valid: pa.ChunkedArray, kind: str) -> tuple[pa.Array, pa.ChunkedArray]:
    values = pc.cast(pc.if_else(valid, text, pa.scalar(None, pa.string())), pa.float64())
    limit = FLOAT32_MAX if kind == "float" else float("inf")
    beyond = pc.fill_null(pc.or_(pc.is_inf(values), pc.greater(pc.abs(values), limit)), False)
    values = pc.if_else(beyond, pa.scalar(None, pa.float64()), values)
    if kind == "float":  # what Personalize stores: the nearest single-precision value
        values = pc.cast(pc.cast(values, pa.float32()), pa.float64())
    return values, beyond


def check_values(dataset: str, table: pa.Table, where: str, lines: pa.Array | None = None,
                 schema: str | None = None) -> tuple[pd.DataFrame, list[RuleFailure]]:
    """Type every schema column of an all-text table; returns the typed frame (bad values null) and the failures.

    lines holds each row's CSV line number (default: row 0 is line 2, after the header). Columns the schema does
    not know stay text (the column-list rule reports them); missing ones are left to that rule too.
    """
    failures: list[RuleFailure] = []
    rules = {rule.name: rule for rule in field_rules(schema or dataset)}
    lines = pa.array(range(2, table.num_rows + 2), type=pa.int64()) if lines is None else lines
    frame: dict[str, pd.Series] = {}
    for name in table.column_names:
        text = table[name]
        rule = rules.get(name)
        if rule is None:
            frame[name] = text.to_pandas(types_mapper=pd.ArrowDtype).astype("string[pyarrow]")
            continue
        empty = pc.equal(text, "")
        if not rule.nullable and pc.any(empty).as_py():
            failures.append(_failure(dataset, f"{name} is present", "a value in every row (the schema does not "
                                     "allow null)", where, text, empty, lines))
        if rule.type == "string":
            if rule.max_length is not None:
                over = pc.greater(pc.utf8_length(text), rule.max_length)
                if pc.any(over).as_py():
                    failures.append(_failure(dataset, rule.length_rule, f"at most {rule.max_length} characters",
                                             where, text, over, lines))
            frame[name] = pd.Series(pc.if_else(empty, pa.scalar(None, pa.string()), text).to_pandas(),
                                    dtype="string[pyarrow]")
            continue
        valid = pc.and_(pc.invert(empty), pc.match_substring_regex(text, SYNTAX[rule.type]))
        malformed = pc.and_(pc.invert(empty), pc.invert(valid))
        if rule.type in INTEGER_RANGES:
            values, beyond = _integers(text, valid, rule.type)
        elif rule.type == "boolean":
            values = pc.if_else(valid, pc.equal(pc.utf8_lower(text), "true"), pa.scalar(None, pa.bool_()))
            beyond = pa.array(np.zeros(len(text), dtype=bool))
        else:
            values, beyond = _floats(text, valid, rule.type)
        wrong = pc.or_(malformed, beyond)
        if pc.any(wrong).as_py():
            failures.append(_failure(dataset, rule.type_rule, rule.type_expected, where, text, wrong, lines))
        dtype = {"boolean": "boolean", "float": "float64", "double": "float64"}.get(rule.type, "Int64")
        frame[name] = values.to_pandas(types_mapper=NULLABLE.get).astype(dtype)
    return pd.DataFrame(frame), failures
