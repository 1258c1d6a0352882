"""Progress of a DAG run as Airflow records it: one line per task as it finishes, and one when it starts to wait.

Read from the run's task instances in Airflow's own metadata database (the SQLite file of a local
`airflow dags test`), opened read-only while the run writes it: what the UI would show, not a guess from logs.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

FINISHED = ("success", "failed", "skipped", "upstream_failed", "removed")
WAITING = ("deferred", "up_for_reschedule")
_QUERY = """
    SELECT ti.task_id, ti.map_index, ti.state, ti.start_date, ti.end_date
    FROM task_instance AS ti
    WHERE ti.dag_id = ? AND ti.run_id = (SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1)
"""


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


@dataclass
class RunProgress:
    """Call :meth:`poll` now and then; it returns the lines of what changed since the last call."""

    database: Path
    dag_id: str
    started: float = field(default_factory=time.monotonic)
    _seen: dict[str, str] = field(default_factory=dict)

    def _rows(self) -> list[tuple[str, int, str | None, str | None, str | None]]:
        if not self.database.exists():
            return []
        try:
            with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=1) as db:
                return list(db.execute(_QUERY, (self.dag_id, self.dag_id)))
        except sqlite3.OperationalError:  # not migrated yet, or locked by the run's writer for a moment
            return []

    def poll(self) -> list[str]:
        lines = []
        for task_id, map_index, state, start, end in sorted(self._rows(), key=lambda r: (r[4] or "~", r[0])):
            name = task_id if map_index < 0 else f"{task_id}[{map_index}]"
            if state is None or self._seen.get(name) == state:
                continue
            if state in FINISHED:
                took = _seconds(start, end)
                lines.append(self._line(name, state, f"{took:.1f} s" if took is not None else ""))
            elif state in WAITING and self._seen.get(name) not in WAITING:
                lines.append(self._line(name, "waiting", "(deferred: the triggerer polls Personalize)"))
            else:
                continue
            self._seen[name] = state
        return lines

    def _line(self, task: str, state: str, detail: str) -> str:
        return f"  {time.monotonic() - self.started:5.0f}s  {task:<42} {state:<16} {detail}".rstrip()


def follow(progress: RunProgress, running: Callable[[], bool], emit: Callable[[str], None],
           interval: float = 0.5) -> None:
    """Emit progress lines until `running()` turns false, then once more for the last tasks."""
    while running():
        for line in progress.poll():
            emit(line)
        time.sleep(interval)
    for line in progress.poll():
        emit(line)
