"""Extract datasets from the source database in chunks and write Personalize CSVs with bounded memory."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from personalize_pipeline import transform
from personalize_pipeline.config import PipelineConfig
from personalize_pipeline.paths import sql_dir

ExtractMode = Literal["full", "interval"]


@dataclass(frozen=True)
class Interval:
    """The run's data interval as epoch seconds (end exclusive)."""

    start: int
    end: int


@dataclass
class FileStats:
    dataset: str
    rows: int
    source_rows: int
    duplicates_dropped: int
    bytes: int
    sha256: str
    erased_rows: int = 0  # rows of users with an active erasure request, left out
    # Which of those users the source still returned (retires the others after a FULL extract); never serialised.
    erased_seen: frozenset[str] = field(default=frozenset(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["erased_seen"]
        return data


def render_sql(filename: str, mode: ExtractMode, interval: Interval, arrival_column: str | None = None,
               attribution: bool = False, **params: Any) -> str:
    """Render a SQL template from include/sql; bounds are integers we computed, the arrival column an identifier and
    ``params`` values the config validated, never free user text."""
    # autoescape is for HTML; this renders SQL from our own templates and integer bounds.
    env = Environment(loader=FileSystemLoader(sql_dir()), undefined=StrictUndefined, autoescape=False)  # noqa: S701
    return env.get_template(filename).render(
        mode=mode, interval_start=int(interval.start), interval_end=int(interval.end), arrival_column=arrival_column,
        attribution=attribution, **params,
    )


class _ChunkDeduper:
    """Drop duplicate rows across chunks.

    Interactions arrive ordered by TIMESTAMP, so only rows at the previous chunk's last timestamp can repeat:
    remembering just those keeps memory flat however large the extract is. Other datasets remember all keys
    (their size is the catalogue or user base, not the event log).
    """

    def __init__(self, key: list[str], order_column: str | None = None) -> None:
        self.key = key
        self.order_column = order_column
        self.seen: set[tuple[Any, ...]] = set()
        self.edge: Any = None  # the last order value seen; only rows at it can repeat in the next chunk

    def _keys(self, frame: pd.DataFrame) -> list[tuple[Any, ...]]:
        return list(frame[self.key].itertuples(index=False, name=None))

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.drop_duplicates(self.key)
        if self.order_column is None:
            keys = self._keys(frame)
            out = frame[[k not in self.seen for k in keys]]
            self.seen.update(keys)
            return out
        order = frame[self.order_column]
        if self.seen:
            at_edge = (order == self.edge).to_numpy()
            repeat = at_edge.copy()
            repeat[at_edge] = [k in self.seen for k in self._keys(frame[at_edge])]
            frame, order = frame[~repeat], order[~repeat]
        if len(frame):
            last = order.max()
            tail = set(self._keys(frame[(order == last).to_numpy()]))
            # A chunk that is all one timestamp extends the previous edge rather than replacing it.
            self.seen = self.seen | tail if last == self.edge else tail
            self.edge = last
        return frame


TRANSFORMS: dict[str, tuple[Callable[..., pd.DataFrame], list[str], str | None]] = {
    "interactions": (transform.interactions, transform.INTERACTION_KEY, "TIMESTAMP"),
    "items": (transform.items, ["ITEM_ID"], None),
    "users": (transform.users, ["USER_ID"], None),
}


def write_csv(dataset: str, chunks: Iterable[pd.DataFrame], out_path: Path, config: PipelineConfig,
              erased: frozenset[str] = frozenset()) -> FileStats:
    """Transform chunks and append them to one UTF-8 CSV; the file is complete only if this returns. Rows of the
    ``erased`` users never reach the file."""
    fn, key, order_column = TRANSFORMS[dataset]
    schema = config.schema_name(dataset)
    dedupe = _ChunkDeduper(key, order_column)
    source_rows = rows = dropped = erased_rows = 0
    seen: set[str] = set()
    tmp = out_path.with_name(out_path.name + ".partial")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        header = True
        for chunk in chunks:
            source_rows += len(chunk)
            if erased and "user_id" in chunk.columns:
                # Seen in the source at all (not just in rows the event filter keeps): the source still has them.
                source_ids = chunk["user_id"].astype(str)
                seen.update(source_ids[source_ids.isin(erased)])
            frame = fn(chunk, config.event_filter, schema) if dataset == "interactions" else fn(chunk)
            if erased and "USER_ID" in frame.columns:
                gone = frame["USER_ID"].astype(str).isin(erased).to_numpy()
                erased_rows += int(gone.sum())
                frame = frame[~gone]
            before = len(frame)
            frame = dedupe(frame)
            dropped += before - len(frame)
            frame.to_csv(handle, index=False, header=header, lineterminator="\n")
            header = False
            rows += len(frame)
        if header:  # no chunk at all: still write the header so the file is a valid (empty) CSV
            from personalize_pipeline.schemas import columns

            handle.write(",".join(columns(schema)) + "\n")
    tmp.replace(out_path)
    digest = hashlib.sha256()
    with out_path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return FileStats(dataset, rows, source_rows, dropped, out_path.stat().st_size, digest.hexdigest(), erased_rows,
                     frozenset(seen))


def source_chunks(conn_id: str, sql: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Stream query results through the connection's common.sql hook (SQLite, Postgres, MySQL, ...)."""
    from airflow.providers.common.sql.hooks.sql import DbApiHook
    from airflow.sdk import BaseHook

    hook = BaseHook.get_connection(conn_id).get_hook()
    if not isinstance(hook, DbApiHook):
        raise TypeError(f"connection {conn_id!r} does not use a SQL hook (got {type(hook).__name__})")
    yield from hook.get_df_by_chunks(sql, chunksize=chunk_rows, df_type="pandas")


def extract_dataset(
    config: PipelineConfig, dataset: str, mode: ExtractMode, interval: Interval, out_dir: Path,
    chunks_for: Callable[[str], Iterable[pd.DataFrame]] | None = None, erased: frozenset[str] = frozenset(),
) -> FileStats:
    sql = render_sql(config.source.sql[dataset], "interval" if dataset == "interactions" and mode == "interval"
                     else "full", interval, config.source.arrival_column,
                     attribution=dataset == "interactions" and config.metric_attribution is not None)
    chunks = chunks_for(sql) if chunks_for else source_chunks(config.source.conn_id, sql, config.source.chunk_rows)
    return write_csv(dataset, chunks, out_dir / f"{dataset}.csv", config, erased)
