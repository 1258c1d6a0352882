"""Metric attribution reports for bulk interactions imports (``publishAttributionMetricsToS3``).

As Personalize documents them: each metric (an event type and SUM(Interactions.COL), SUM(Items.COL) or
SAMPLECOUNT()) is aggregated over 15-minute windows of the events' TIMESTAMP, per event attribution source. The
source of an event is its EVENT_ATTRIBUTION_SOURCE; otherwise the campaign or recommender that served its
RECOMMENDATION_ID; otherwise SOURCE_NAME_UNDEFINED. Each published import writes one new CSV file,
``AggregatedAttributionMetrics-<import mode>-<timestamp>.csv``, under the attribution's S3 path.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pandas as pd

from ..data import Record, write_s3

if TYPE_CHECKING:
    from ..backend import BackendState

WINDOW_SECONDS = 15 * 60
UNDEFINED_SOURCE = "SOURCE_NAME_UNDEFINED"
REPORT_COLUMNS = ["METRIC_NAME", "EVENT_TYPE", "VALUE", "MATH_FUNCTION", "EVENT_ATTRIBUTION_SOURCE", "TIMESTAMP"]
_SUM = re.compile(r"SUM\(\s*(Interactions|Items)\.([A-Za-z_][A-Za-z0-9_]*)\s*\)", re.IGNORECASE)


def _column(frame: pd.DataFrame, name: str) -> pd.Series | None:
    """A column by its schema name, case-insensitively (stored frames keep the schema's spelling)."""
    for column in frame.columns:
        if str(column).upper() == name.upper():
            return frame[column]
    return None


def _required(frame: pd.DataFrame, name: str) -> pd.Series:
    column = _column(frame, name)
    if column is None:  # the schema checks guarantee these; a KeyError here is a bug, not bad input
        raise KeyError(name)
    return column


def attribution_sources(events: pd.DataFrame, resolve: Callable[[Iterable[str]], dict[str, str]]) -> pd.Series:
    """Each event's source: EVENT_ATTRIBUTION_SOURCE wins over what served its RECOMMENDATION_ID."""
    sources = pd.Series(UNDEFINED_SOURCE, index=events.index, dtype=object)
    recommendation = _column(events, "RECOMMENDATION_ID")
    if recommendation is not None:
        given = recommendation.dropna().astype(str)
        served = resolve(set(given))
        sources.loc[given.index] = given.map(lambda rid: served.get(rid, UNDEFINED_SOURCE))
    explicit = _column(events, "EVENT_ATTRIBUTION_SOURCE")
    if explicit is not None:
        named = explicit.dropna().astype(str)
        named = named[named != ""]
        sources.loc[named.index] = named
    return sources


def aggregate(
    metrics: list[Record],
    events: pd.DataFrame,
    items: pd.DataFrame | None,
    resolve: Callable[[Iterable[str]], dict[str, str]],
) -> pd.DataFrame:
    """The report rows for these imported events, ordered by metric, source and window."""
    event_types = _column(events, "EVENT_TYPE")
    if event_types is None or events.empty:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    frame = pd.DataFrame(
        {
            "EVENT_TYPE": event_types.astype(object),
            "EVENT_ATTRIBUTION_SOURCE": attribution_sources(events, resolve),
            "TIMESTAMP": (_required(events, "TIMESTAMP").astype("int64") // WINDOW_SECONDS) * WINDOW_SECONDS,
            "ITEM_ID": _required(events, "ITEM_ID").astype(str),
        }
    )
    parts = []
    for metric in metrics:
        chosen = frame[frame["EVENT_TYPE"] == metric["eventType"]].copy()
        if chosen.empty:
            continue
        match = _SUM.fullmatch(metric["expression"].strip())
        if match is None:  # SAMPLECOUNT(): checked when the attribution was created
            chosen["VALUE"] = 1.0
            function = "samplecount"
        else:
            chosen["VALUE"] = _summed_values(match.group(1), match.group(2), events.loc[chosen.index], items)
            function = "sum"
        grouped = chosen.groupby(["EVENT_ATTRIBUTION_SOURCE", "TIMESTAMP"], as_index=False)["VALUE"].sum()
        grouped.insert(0, "METRIC_NAME", metric["metricName"])
        grouped.insert(1, "EVENT_TYPE", metric["eventType"])
        grouped["MATH_FUNCTION"] = function
        parts.append(grouped[REPORT_COLUMNS])
    if not parts:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    report = pd.concat(parts, ignore_index=True)
    report["VALUE"] = report["VALUE"].astype("float64")
    return report.sort_values(["METRIC_NAME", "EVENT_ATTRIBUTION_SOURCE", "TIMESTAMP"], ignore_index=True)


def _summed_values(dataset: str, column: str, events: pd.DataFrame, items: pd.DataFrame | None) -> pd.Series:
    """The numbers a SUM adds: the event's own column, or the column of the event's item (0 when unknown)."""
    if dataset.lower() == "interactions":
        values = _column(events, column)
        if values is None:
            return pd.Series(0.0, index=events.index)
        return pd.to_numeric(values, errors="coerce").fillna(0.0)
    if items is None or _column(items, column) is None:
        return pd.Series(0.0, index=events.index)
    by_item = pd.Series(
        pd.to_numeric(_required(items, column), errors="coerce").to_numpy(),
        index=_required(items, "ITEM_ID").astype(str),
    )
    by_item = by_item[~by_item.index.duplicated(keep="last")]
    looked_up = _required(events, "ITEM_ID").astype(str).map(by_item)
    return pd.to_numeric(looked_up, errors="coerce").fillna(0.0)


def report_key(import_mode: str, at: float) -> str:
    return f"AggregatedAttributionMetrics-{import_mode}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(at))}.csv"


def publish(backend: BackendState, attribution: Record, job: Record, report: pd.DataFrame, at: float) -> str:
    """Write the report under the attribution's S3 path; returns the object's s3:// path."""
    base = attribution["metricsOutputConfig"]["s3DataDestination"]["path"].rstrip("/")
    path = f"{base}/{report_key(job.get('importMode') or 'FULL', at)}"
    write_s3(backend, path, report.to_csv(index=False).encode())
    return path
