"""Durable state: one SQLite database for resource records and tags, files beside it for data and models.

Every resource is one JSON document keyed by ARN, which lets a single generic code path serve create,
describe, list, update and delete for all resource kinds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import AlreadyExists, NotFound

Record = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    arn TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT,
    parent TEXT,
    created REAL NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS resources_kind ON resources(kind, parent);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);
CREATE TABLE IF NOT EXISTS live_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_arn TEXT NOT NULL,
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    ts REAL NOT NULL,
    event_type TEXT,
    event_value REAL,
    received REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS live_events_user ON live_events(dataset_arn, user_id, received);
CREATE TABLE IF NOT EXISTS recommendations (
    recommendation_id TEXT PRIMARY KEY,
    source_arn TEXT NOT NULL,
    issued REAL NOT NULL
);
"""


class Store:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "datasets").mkdir(exist_ok=True)
        (data_dir / "models").mkdir(exist_ok=True)
        # One connection behind a lock, shared by request and job threads (SQLite serialises writes anyway).
        self._conn = sqlite3.connect(
            data_dir / "personalize.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def insert(self, kind: str, record: Record, arn_field: str, parent: str | None = None) -> Record:
        arn = record[arn_field]
        now = time.time()
        record.setdefault("creationDateTime", now)
        record.setdefault("lastUpdatedDateTime", now)
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM resources WHERE arn=?", (arn,)).fetchone():
                raise AlreadyExists(f"{kind} {arn} already exists")
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM resources").fetchone()[0]
            conn.execute(
                "INSERT INTO resources(arn, kind, name, parent, created, seq, body) VALUES (?,?,?,?,?,?,?)",
                (
                    arn,
                    kind,
                    record.get("name") or record.get("jobName"),
                    parent,
                    now,
                    seq,
                    json.dumps(record),
                ),
            )
        return record

    def get(self, arn: str, kind: str | None = None) -> Record | None:
        with self._lock:
            row = self._conn.execute("SELECT kind, body FROM resources WHERE arn=?", (arn,)).fetchone()
        if row is None or (kind is not None and row[0] != kind):
            return None
        return dict(json.loads(row[1]))

    def require(self, arn: str, kind: str, label: str | None = None) -> Record:
        record = self.get(arn, kind)
        if record is None:
            raise NotFound(f"Could not find resource of type {label or kind} with ARN: {arn}")
        return record

    def kind_of(self, arn: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT kind FROM resources WHERE arn=?", (arn,)).fetchone()
        return None if row is None else str(row[0])

    def update(self, arn: str, changes: Record, touch: bool = True) -> Record:
        with self.transaction() as conn:
            row = conn.execute("SELECT body FROM resources WHERE arn=?", (arn,)).fetchone()
            if row is None:
                raise NotFound(f"Resource {arn} does not exist")
            record = dict(json.loads(row[0]))
            record.update(changes)
            if touch:
                record["lastUpdatedDateTime"] = time.time()
            conn.execute("UPDATE resources SET body=? WHERE arn=?", (json.dumps(record), arn))
        return record

    def delete(self, arn: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM resources WHERE arn=?", (arn,))
            conn.execute("DELETE FROM tags WHERE arn=?", (arn,))

    def records(self, kind: str, parent: str | None = None) -> list[Record]:
        """Records of a kind, newest first (the order Personalize's list calls use)."""
        query = "SELECT body FROM resources WHERE kind=?"
        args: tuple[Any, ...] = (kind,)
        if parent is not None:
            query += " AND parent=?"
            args = (kind, parent)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY seq DESC", args).fetchall()
        return [dict(json.loads(r[0])) for r in rows]

    def all_records(self) -> list[tuple[str, Record]]:
        with self._lock:
            rows = self._conn.execute("SELECT kind, body FROM resources ORDER BY seq").fetchall()
        return [(str(r[0]), dict(json.loads(r[1]))) for r in rows]

    # Tags -----------------------------------------------------------------------------------------------
    def tag(self, arn: str, tags: dict[str, str]) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO tags(arn, key, value) VALUES (?,?,?)",
                [(arn, k, v) for k, v in tags.items()],
            )

    def untag(self, arn: str, keys: list[str]) -> None:
        with self.transaction() as conn:
            conn.executemany("DELETE FROM tags WHERE arn=? AND key=?", [(arn, k) for k in keys])

    def tags(self, arn: str) -> dict[str, str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, value FROM tags WHERE arn=? ORDER BY key", (arn,)
            ).fetchall()
        return {str(k): str(v) for k, v in rows}

    # Events recorded with PutEvents (kept apart from bulk imports, as Personalize's ingestionMode PUT) ----
    def add_events(
        self, dataset_arn: str, rows: list[tuple[str, str, float, str | None, float | None]]
    ) -> None:
        now = time.time()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO live_events(dataset_arn, user_id, item_id, ts, event_type, event_value, "
                "received) VALUES (?,?,?,?,?,?,?)",
                [(dataset_arn, *row, now) for row in rows],
            )

    def recent_items(self, dataset_arn: str, user_id: str, received_after: float) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT item_id FROM live_events WHERE dataset_arn=? AND user_id=? AND received>? "
                "ORDER BY seq",
                (dataset_arn, user_id, received_after),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def recent_events(
        self, dataset_arn: str, user_id: str, received_after: float, event_type: str
    ) -> list[tuple[str, float]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT item_id, ts FROM live_events WHERE dataset_arn=? AND user_id=? AND received>? "
                "AND event_type=? ORDER BY seq",
                (dataset_arn, user_id, received_after, event_type),
            ).fetchall()
        return [(str(r[0]), float(r[1])) for r in rows]

    def live_events(self, dataset_arn: str) -> list[tuple[str, str, float, str | None, float | None]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT user_id, item_id, ts, event_type, event_value FROM live_events WHERE dataset_arn=? "
                "ORDER BY seq",
                (dataset_arn,),
            ).fetchall()
        return [tuple(r) for r in rows]

    def delete_user_events(self, dataset_arn: str, user_ids: set[str]) -> int:
        """Forget the PutEvents records of these users (a data deletion job); returns how many went."""
        with self.transaction() as conn:
            cursor = conn.executemany(
                "DELETE FROM live_events WHERE dataset_arn=? AND user_id=?", [(dataset_arn, u) for u in user_ids]
            )
            return int(cursor.rowcount or 0)

    # Recommendation ids handed out by the runtime, so metric attribution can name what served an event -------
    def record_recommendation(self, recommendation_id: str, source_arn: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO recommendations VALUES (?,?,?)", (recommendation_id, source_arn, time.time())
            )

    def recommendation_sources(self, recommendation_ids: Iterable[str]) -> dict[str, str]:
        wanted = list(recommendation_ids)
        found: dict[str, str] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = self._conn.execute(
                    "SELECT recommendation_id, source_arn FROM recommendations WHERE recommendation_id IN "
                    f"({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
                found.update({str(r): str(s) for r, s in rows})
        return found

    # Files ----------------------------------------------------------------------------------------------
    def dataset_path(self, dataset_arn: str) -> Path:
        return self.data_dir / "datasets" / (_slug(dataset_arn) + ".parquet")

    def model_path(self, solution_version_arn: str) -> Path:
        return self.data_dir / "models" / (_slug(solution_version_arn) + ".pkl")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _slug(arn: str) -> str:
    return arn.split(":", 5)[-1].replace("/", "__")
