"""The gate before import: the schema's value rules, then Great Expectations suites from expectations/.

Every value is first checked against its Avro field (schema_rules: types, nulls, lengths, as an import job parses
them); the suites then hold the quality rules on the typed columns. Each dataset has a suite; two more run on
frames derived from the interactions (users meeting Personalize's per-user minimum, and how many referenced ids
exist in the items/users files). Structural rules (the column list) run first: when they fail, content rules would
only repeat the problem, so they are skipped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from personalize_pipeline.config import PipelineConfig, ValidationConfig
from personalize_pipeline.datafiles import read_dataset
from personalize_pipeline.failures import DataFileError, RuleFailure
from personalize_pipeline.gx_runtime import ephemeral_context, import_gx
from personalize_pipeline.paths import expectations_dir
from personalize_pipeline.schemas import columns

RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}


@dataclass
class ValidationReport:
    success: bool
    failures: list[RuleFailure] = field(default_factory=list)
    statistics: dict[str, Any] = field(default_factory=dict)
    data_docs: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Small and JSON-safe: fit for XCom."""
        return {"success": self.success, "failures": [asdict(f) for f in self.failures],
                "statistics": self.statistics, "data_docs": self.data_docs}

    def table(self) -> str:
        return format_failures(self.failures)


class ValidationFailed(RuntimeError):
    def __init__(self, report: ValidationReport) -> None:
        where = f"\nData Docs: {report.data_docs}" if report.data_docs else ""
        super().__init__(f"{len(report.failures)} data rule(s) failed; nothing was imported.\n{report.table()}{where}")
        self.report = report


def format_failures(failures: list[RuleFailure]) -> str:
    headers = ("dataset", "rule", "observed", "expected", "where")
    rows = [headers] + [(f.dataset, f.rule, f.observed, f.expected, f.where) for f in failures]
    # Columns align up to 70 characters; longer cells are printed whole (a cut path loses the line number).
    widths = [min(max(len(r[i]) for r in rows), 70) for i in range(len(headers))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def load_suite_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((expectations_dir() / f"{name}.json").read_text(encoding="utf-8"))
    return data


def suite_parameters(rules: ValidationConfig, event_types: list[str], now: int | None = None) -> dict[str, Any]:
    return {
        "min_interactions": rules.min_interactions,
        "min_users": rules.min_users,
        "now": int(now if now is not None else time.time()),
        "event_types": event_types,
        "event_value_min": rules.event_value_min,
        "event_value_max": rules.event_value_max,
        "min_age": rules.min_age,
        "max_age": rules.max_age,
        "genders": rules.genders,
        "min_reference_coverage": rules.min_reference_coverage,
    }


def _describe_expected(kwargs: Mapping[str, Any], parameters: Mapping[str, Any] | None = None) -> str:
    def resolved(value: Any) -> Any:  # a suite's {"$PARAMETER": name} is the run's value of that parameter
        return (parameters or {}).get(value["$PARAMETER"], value) if isinstance(value, dict) else value

    kwargs = {key: resolved(value) for key, value in kwargs.items()}
    parts = []
    if "column_list" in kwargs:
        parts.append("columns " + ", ".join(kwargs["column_list"]))
    if "value_set" in kwargs:
        parts.append("one of " + ", ".join(map(str, kwargs["value_set"])))
    if kwargs.get("min_value") is not None and kwargs.get("max_value") is not None:
        parts.append(f"between {kwargs['min_value']} and {kwargs['max_value']}")
    elif kwargs.get("min_value") is not None:
        parts.append(f">= {kwargs['min_value']}")
    elif kwargs.get("max_value") is not None:
        parts.append(f"<= {kwargs['max_value']}")
    if "regex" in kwargs:
        parts.append(f"matching {kwargs['regex']}")
    return "; ".join(parts) or "no unexpected values"


def _describe_observed(result: dict[str, Any]) -> tuple[str, str]:
    """(observed, where): counts and a few sample values with their CSV line numbers."""
    if "observed_value" in result:
        value = result["observed_value"]
        value = value.item() if hasattr(value, "item") else value
        if isinstance(value, float):
            value = round(value, 4)
        return str(value), ""
    count = result.get("unexpected_count", 0)
    pct = result.get("unexpected_percent") or 0.0
    samples = result.get("partial_unexpected_list") or []
    lines = [int(i) + 2 for i in (result.get("partial_unexpected_index_list") or [])[:5]
             if isinstance(i, int | float)]
    observed = f"{count} unexpected ({pct:.2f}%)"
    if samples:
        observed += " e.g. " + ", ".join(repr(s.item() if hasattr(s, "item") else s) for s in samples[:3])
    return observed, ("CSV lines " + ", ".join(map(str, lines))) if lines else ""


def _skip_batch_fingerprints() -> None:
    """Stop GX hashing every in-memory batch for its "pandas_data_fingerprint" batch marker.

    GX 1.x hashes the whole DataFrame on each validation run (it already skips frames over 1 GB). Nothing here uses
    the marker, and at 10M source events the hashing was a third of the validation time. No rule is affected.
    """
    from great_expectations.execution_engine import pandas_execution_engine

    if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        pandas_execution_engine.HASH_THRESHOLD = 0


class _Validator:
    def __init__(self, docs_dir: Path | None) -> None:
        self.gx = import_gx()
        _skip_batch_fingerprints()
        self.context = ephemeral_context(docs_dir)
        self.asset = self.context.data_sources.add_pandas("staged").add_dataframe_asset("frames")

    def run(self, suite_name: str, dataset: str, frame: pd.DataFrame, parameters: dict[str, Any],
            where: str) -> list[RuleFailure]:
        spec = load_suite_json(suite_name)
        stages = [[e for e in spec["expectations"] if e["meta"].get("stage") == "structure"],
                  [e for e in spec["expectations"] if e["meta"].get("stage") != "structure"]]
        for index, expectations in enumerate(stages):
            if not expectations:
                continue
            name = f"{suite_name}-{index}"
            suite = self.context.suites.add(self.gx.ExpectationSuite(name=name, expectations=expectations))
            batch_definition = self.asset.add_batch_definition_whole_dataframe(name)
            definition = self.context.validation_definitions.add(
                self.gx.ValidationDefinition(name=name, data=batch_definition, suite=suite))
            result = definition.run(batch_parameters={"dataframe": frame}, expectation_parameters=parameters,
                                    result_format=RESULT_FORMAT)
            failures = []
            for item in result.results:
                if item.success:
                    continue
                config = item.expectation_config
                if item.exception_info and item.exception_info.get("raised_exception"):
                    observed, at = f"error: {item.exception_info.get('exception_message')}", ""
                else:
                    observed, at = _describe_observed(item.result or {})
                failures.append(RuleFailure(dataset, config.meta.get("rule", config.type), observed,
                                            _describe_expected(config.kwargs, parameters), f"{where} {at}".strip()))
            if failures:
                return failures
        return []

    def build_docs(self) -> None:
        self.context.build_data_docs(site_names=["staged"])


def _statistics(frames: Mapping[str, pd.DataFrame], per_user: pd.DataFrame | None,
                distinct: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Row counts and interaction facts; distinct holds already computed distinct non-null ids by column."""
    stats: dict[str, Any] = {name: {"rows": len(f)} for name, f in frames.items()}
    inter = frames.get("interactions")
    distinct = distinct or {}

    if inter is not None and {"USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"} <= set(inter.columns) and len(inter):
        def n_distinct(column: str) -> int:
            return len(distinct[column]) if column in distinct else int(inter[column].nunique())

        stats["interactions"].update(
            users=n_distinct("USER_ID"), items=n_distinct("ITEM_ID"),
            first_timestamp=int(inter["TIMESTAMP"].min()) if inter["TIMESTAMP"].notna().any() else None,
            last_timestamp=int(inter["TIMESTAMP"].max()) if inter["TIMESTAMP"].notna().any() else None,
            event_types={str(k): int(v) for k, v in inter["EVENT_TYPE"].value_counts().items()},
        )
        if per_user is not None:
            stats["interactions"]["users_meeting_minimum"] = len(per_user)
    return stats


def _share_present(distinct: Any, known: pd.Series) -> float:
    """Share of the distinct non-null ids that appear in known (NaN when there are none).

    Computed in Arrow: Series.isin on pyarrow strings turns the lookup values into Arrow scalars one by one, which
    is slow at hundreds of thousands of users."""
    if not len(distinct):
        return float("nan")
    values = pa.array(pd.Series(distinct, dtype="string[pyarrow]"), type=pa.large_string())
    value_set = pa.array(known.dropna().astype("string[pyarrow]"), type=pa.large_string())
    return int(pc.sum(pc.is_in(values, value_set=value_set)).as_py() or 0) / len(distinct)


def validate_files(
    files: Mapping[str, Path], config: PipelineConfig | None = None, *, docs_dir: Path | None = None,
    now: int | None = None,
) -> ValidationReport:
    """Validate staged CSVs (any of interactions/items/users); returns a report, never raises on bad data."""
    config = config or PipelineConfig(name="cli", dataset_group="cli")
    rules = config.validation
    parameters = suite_parameters(rules, config.event_filter.event_types, now)
    parameters.update({f"{ds}_columns": columns(config.schema_name(ds)) for ds in files})
    frames: dict[str, pd.DataFrame] = {}
    failures: list[RuleFailure] = []
    for dataset, path in files.items():
        try:
            staged = read_dataset(dataset, Path(path), config.schema_name(dataset))
        except DataFileError as exc:
            failures.append(exc.failure)
            continue
        frames[dataset] = staged.frame
        failures += staged.failures
    validator = _Validator(docs_dir)
    for dataset, frame in frames.items():
        failures += validator.run(dataset, dataset, frame, parameters, str(files[dataset]))

    per_user = None
    distinct: dict[str, Any] = {}  # distinct non-null ids, computed once for the rules and the statistics
    inter = frames.get("interactions")
    if inter is not None and "USER_ID" in inter.columns:
        counts = inter["USER_ID"].value_counts()
        distinct["USER_ID"] = counts.index
        per_user = counts[counts >= rules.min_interactions_per_user].rename("N_INTERACTIONS").reset_index()
        failures += validator.run("per_user_counts", "interactions", per_user, parameters,
                                  f"{files['interactions']} (users with >= {rules.min_interactions_per_user})")
        if {"items", "users"} <= frames.keys() and {"ITEM_ID"} <= set(inter.columns):
            items_known = frames["items"].get("ITEM_ID", pd.Series(dtype="string"))
            users_known = frames["users"].get("USER_ID", pd.Series(dtype="string"))
            distinct["ITEM_ID"] = inter["ITEM_ID"].dropna().unique()
            refs = pd.DataFrame({
                "ITEM_PRESENT": [_share_present(distinct["ITEM_ID"], items_known)],
                "USER_PRESENT": [_share_present(distinct["USER_ID"], users_known)],
            })
            failures += validator.run("references", "interactions", refs, parameters, str(files["interactions"]))

    statistics = _statistics(frames, per_user, distinct)
    report = ValidationReport(success=not failures, failures=failures, statistics=statistics)
    if failures and docs_dir is not None:
        validator.build_docs()
        report.data_docs = str(docs_dir / "index.html")
    return report
