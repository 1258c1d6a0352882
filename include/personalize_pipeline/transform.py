"""Turn source rows into Personalize CSV rows (columns and order from the Avro schemas).

Duplicates are dropped by the extractor, which sees across chunks."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from personalize_pipeline.config import EventFilter
from personalize_pipeline.schemas import columns

INTERACTION_KEY = ["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"]
_GENRE_CLEAN = re.compile(r"[^a-z0-9]+")


def _epoch_seconds(values: pd.Series) -> pd.Series:
    """Epoch seconds from ints, epoch milliseconds or datetimes (sources differ)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return (values.astype("datetime64[s, UTC]" if getattr(values.dt, "tz", None) else "datetime64[s]")
                .astype("int64"))
    numeric = pd.to_numeric(values, errors="coerce")
    return numeric.where(numeric < 1e11, numeric // 1000).astype("Int64")


def _optional_text(chunk: pd.DataFrame, column: str) -> pd.Series:
    """A nullable text column of the source, or all nulls when the query does not select it."""
    if column not in chunk.columns:
        return pd.Series(pd.NA, index=chunk.index, dtype="string[pyarrow]")
    return chunk[column].astype("string[pyarrow]").str.strip().replace("", pd.NA)


def interactions(chunk: pd.DataFrame, event_filter: EventFilter, schema: str = "interactions") -> pd.DataFrame:
    """Positive-only filter (configurable), EVENT_VALUE = rating or, unrated views, 5 x completion. The columns are
    those of ``schema``; the attribution schema adds the recommendation an event followed."""
    rating = pd.to_numeric(chunk["rating"], errors="coerce")
    completion = pd.to_numeric(chunk["completion"], errors="coerce")
    event_type = chunk["event_type"].astype("string").str.strip().str.lower()
    keep = event_type.isin(event_filter.event_types)
    if event_filter.positive_only:
        positive = (rating >= event_filter.min_rating) | (
            (event_type == "watch") & (completion >= event_filter.min_completion)
        )
        keep &= positive.fillna(False)
    value = rating.where(rating.notna(), (completion * 5).round(2))
    wanted = columns(schema)
    data = {
        "USER_ID": chunk["user_id"].astype("string[pyarrow]"),
        "ITEM_ID": chunk["item_id"].astype("string[pyarrow]"),
        "EVENT_TYPE": event_type.astype("string[pyarrow]"),
        "EVENT_VALUE": value.astype("float32"),
        "TIMESTAMP": _epoch_seconds(chunk["occurred_at"]),
    }
    # Only the attribution schema has these: the default one spends nothing on them, chunk after chunk.
    for name, source in (("RECOMMENDATION_ID", "recommendation_id"),
                         ("EVENT_ATTRIBUTION_SOURCE", "event_attribution_source")):
        if name in wanted:
            data[name] = _optional_text(chunk, source)
    return pd.DataFrame(data)[keep.to_numpy()][wanted]


def normalize_genres(raw: pd.Series) -> pd.Series:
    """'Matemáticas | Física' -> 'matematicas|fisica': ASCII, lower case, '|' separated, no empties."""

    def clean(value: object) -> object:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return pd.NA
        text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().lower()
        parts = [_GENRE_CLEAN.sub("_", p.strip()).strip("_") for p in text.split("|")]
        joined = "|".join(dict.fromkeys(p for p in parts if p))
        return joined or pd.NA

    return raw.map(clean).astype("string[pyarrow]")


def items(chunk: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "ITEM_ID": chunk["item_id"].astype("string[pyarrow]"),
            "GENRES": normalize_genres(chunk["genres"]),
            "CREATION_TIMESTAMP": _epoch_seconds(chunk["created_at"]),
        }
    )
    return out[columns("items")]


def users(chunk: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "USER_ID": chunk["user_id"].astype("string[pyarrow]"),
            "AGE": pd.to_numeric(chunk["age"], errors="coerce").astype("Int64"),
            "GENDER": chunk["gender"].astype("string[pyarrow]").str.strip().str.upper(),
            "LOCATION": chunk["location"].astype("string[pyarrow]").str.strip().str.lower(),
            "EDUCATION": chunk["education"].astype("string[pyarrow]").str.strip().str.lower(),
        }
    )
    return out[columns("users")]
