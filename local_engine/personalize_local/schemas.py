"""Avro schema checks (per dataset type, as Personalize enforces them) and CSV row validation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidInput

PRIMITIVES = {"string", "long", "int", "float", "double", "boolean"}
REQUIRED_FIELDS = {
    "INTERACTIONS": {"USER_ID": {"string"}, "ITEM_ID": {"string"}, "TIMESTAMP": {"long", "int"}},
    "ITEMS": {"ITEM_ID": {"string"}},
    "USERS": {"USER_ID": {"string"}},
    "ACTIONS": {"ACTION_ID": {"string"}},
    "ACTION_INTERACTIONS": {
        "USER_ID": {"string"},
        "ACTION_ID": {"string"},
        "TIMESTAMP": {"long", "int"},
        "EVENT_TYPE": {"string"},
    },
}
# Optional fields with a reserved meaning in interactions: metric attribution reads the last two.
RESERVED_OPTIONAL = {
    "EVENT_VALUE": {"float", "double", "int", "long"},
    "EVENT_TYPE": {"string"},
    "IMPRESSION": {"string"},
    "RECOMMENDATION_ID": {"string"},
    "EVENT_ATTRIBUTION_SOURCE": {"string"},
}
ACTION_EVENT_TYPES = ("TAKEN", "NOT_TAKEN", "VIEWED")


def normal_action_event(event_type: str) -> str:
    """An action interaction's event type: Taken / Not Taken / Viewed, in any case (TAKEN, NOT_TAKEN, VIEWED)."""
    normal = event_type.strip().upper().replace(" ", "_")
    if normal not in ACTION_EVENT_TYPES:
        raise InvalidInput(f"eventType {event_type!r} of an action interaction must be one of Taken, Not Taken, Viewed")
    return normal


ID_FIELDS = {"USER_ID", "ITEM_ID", "ACTION_ID"}
ID_MAX = 256
CATEGORICAL_MAX = 1000


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    nullable: bool
    categorical: bool


def parse_schema(text: str) -> list[Field]:
    """Parse and check a Personalize Avro record schema; raises InvalidInput with the reason."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"Schema is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("type") != "record" or not isinstance(doc.get("fields"), list):
        raise InvalidInput("Schema must be an Avro record with a 'fields' list")
    if not doc["fields"]:
        raise InvalidInput("Schema must declare at least one field")
    fields: list[Field] = []
    seen: set[str] = set()
    for raw in doc["fields"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise InvalidInput("Every schema field needs a name")
        name = raw["name"]
        if name.upper() in seen:
            raise InvalidInput(f"Duplicate field {name}")
        seen.add(name.upper())
        types = raw.get("type")
        options = types if isinstance(types, list) else [types]
        nullable = "null" in options
        concrete = [t for t in options if t != "null"]
        if len(concrete) != 1 or concrete[0] not in PRIMITIVES:
            raise InvalidInput(
                f"Field {name} has unsupported type {types!r}; use one primitive, optionally "
                "in a union with null"
            )
        categorical = bool(raw.get("categorical", False))
        if categorical and concrete[0] != "string":
            raise InvalidInput(f"Field {name} is categorical but not of type string")
        fields.append(Field(name, concrete[0], nullable, categorical))
    return fields


def check_for_dataset_type(fields: list[Field], dataset_type: str) -> None:
    by_name = {f.name.upper(): f for f in fields}
    for name, allowed in REQUIRED_FIELDS.get(dataset_type, {}).items():
        field = by_name.get(name)
        if field is None:
            raise InvalidInput(f"Schema for {dataset_type} dataset must include required field {name}")
        if field.type not in allowed or field.nullable:
            raise InvalidInput(
                f"Field {name} of a {dataset_type} dataset must be a non-null {sorted(allowed)[0]}"
            )
    for name, allowed in RESERVED_OPTIONAL.items():
        if name in by_name and dataset_type == "INTERACTIONS" and by_name[name].type not in allowed:
            raise InvalidInput(f"Field {name} must be one of {sorted(allowed)}")
    if dataset_type in ("ITEMS", "USERS") and len(fields) < 2:
        raise InvalidInput(f"Schema for {dataset_type} dataset must include at least one metadata field")


@dataclass
class RowCheck:
    frame: pd.DataFrame
    bad_rows: int
    examples: list[str]

    def failure_reason(self, total: int) -> str:
        return f"{self.bad_rows} of {total} rows failed schema validation, e.g. " + "; ".join(self.examples)


INTEGER_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
FLOAT32_MAX = float(np.finfo(np.float32).max)
INTEGER_TEXT = r"[+-]?[0-9]+"
DECIMAL_TEXT = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"


def _integers(col: pd.Series, kind: str) -> tuple[pd.Series, np.ndarray]:
    """(values, mask of values that are not a whole number within the Avro type's width)."""
    low, high = INTEGER_RANGES[kind]
    written = col.notna() & col.astype("string").str.fullmatch(INTEGER_TEXT).fillna(False)
    values = col[written].map(int)  # Python ints: exact at any length, so the range check is exact too
    inside = values.between(low, high)
    good = written.copy()
    good[written] = inside.to_numpy()
    out = pd.Series(pd.NA, index=col.index, dtype="Int64")
    out[good] = values[inside].astype("int64")
    return out, (col.notna() & ~good).to_numpy()


def _decimals(col: pd.Series, kind: str) -> tuple[pd.Series, np.ndarray]:
    """Decimal notation only: NaN and Infinity are not values Personalize's numeric fields can rank or filter."""
    written = col.notna() & col.astype("string").str.fullmatch(DECIMAL_TEXT).fillna(False)
    values = pd.to_numeric(col.where(written), errors="coerce").astype("float64")
    limit = FLOAT32_MAX if kind == "float" else np.inf
    good = written & np.isfinite(values) & (values.abs() <= limit)
    if kind == "float":
        values = values.astype("float32").astype("float64")
    return values.where(good), (col.notna() & ~good).to_numpy()


def conform(raw: pd.DataFrame, fields: list[Field]) -> RowCheck:
    """Map CSV columns onto schema fields (case-insensitive) and type-check every value as written.

    Values are not trimmed or coerced: text that is not the field's type fails its row, it never becomes a null
    (an empty value is the null, allowed only for a union with null). Line numbers count the header as line 1.
    """
    columns = {c.strip().upper(): c for c in raw.columns}
    missing = [f.name for f in fields if f.name.upper() not in columns and not f.nullable]
    if missing:
        raise InvalidInput(f"Input CSV is missing the following columns: {missing}")
    out: dict[str, Any] = {}
    bad = np.zeros(len(raw), dtype=bool)
    examples: list[str] = []

    def flag(mask: np.ndarray, why: str) -> None:
        new = mask & ~bad
        for idx in np.flatnonzero(new)[: max(0, 5 - len(examples))]:
            examples.append(f"line {idx + 2}: {why}")
        bad[:] |= mask

    for field in fields:
        source = columns.get(field.name.upper())
        if source is None:
            col = pd.Series([None] * len(raw), dtype=object)
        else:
            text = raw[source].fillna("").astype(str)
            col = text.astype(object).where(text != "", None)
        null = col.isna().to_numpy()
        if not field.nullable:
            flag(null, f"{field.name} is empty but not nullable")
        if field.type == "string":
            limit = ID_MAX if field.name.upper() in ID_FIELDS else CATEGORICAL_MAX if field.categorical else None
            if limit:  # Personalize fails the import job over an over-long id or categorical value
                flag((col.str.len().fillna(0) > limit).to_numpy(), f"{field.name} is longer than {limit} characters")
            out[field.name] = col
        elif field.type in INTEGER_RANGES:
            out[field.name], wrong = _integers(col, field.type)
            low, high = INTEGER_RANGES[field.type]
            article = "an" if field.type == "int" else "a"
            flag(wrong, f"{field.name} is not {article} {field.type} (a whole number from {low} to {high})")
        elif field.type in ("float", "double"):
            out[field.name], wrong = _decimals(col, field.type)
            flag(wrong, f"{field.name} is not a finite {field.type}")
        else:  # boolean
            lowered = col.str.lower()
            flag((~null) & ~lowered.isin(["true", "false"]).to_numpy(), f"{field.name} is not a boolean")
            out[field.name] = (lowered == "true").astype(object).where(~null, None)
    frame = pd.DataFrame(out)
    return RowCheck(frame=frame, bad_rows=int(bad.sum()), examples=examples)
