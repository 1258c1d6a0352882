"""The Avro schemas in include/schemas/ are the single source of column names and order."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from personalize_pipeline.paths import schema_dir


@cache
def avro_schema(dataset: str) -> dict[str, Any]:
    path = schema_dir() / f"{dataset}.avsc"
    if not path.exists():
        raise KeyError(f"no Avro schema for dataset {dataset!r} (looked for {path})")
    schema: dict[str, Any] = json.loads(schema_text(dataset))
    return schema


@cache
def schema_text(dataset: str) -> str:
    """The .avsc document as text (what CreateSchema takes); read once per process, not once per DAG."""
    return (schema_dir() / f"{dataset}.avsc").read_text(encoding="utf-8")


def columns(dataset: str) -> list[str]:
    return [field["name"] for field in avro_schema(dataset)["fields"]]
