"""Driving the pipeline DAG against a faulty local stack, and reading back what the engine and Airflow hold."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from personalize_dev.local_run import REPO
from personalize_local.stack import LocalStack, start_engine

T = TypeVar("T")


def wait_until(probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@contextlib.contextmanager
def readonly(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection, closed after use: looking must never hold a lock the owning process waits for."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


class Engine:
    """The running engine of a local stack: fault settings, its own records, and restarts on the same port."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.injected: Counter[str] = Counter()  # faults injected by engine processes since stopped

    @property
    def url(self) -> str:
        assert self.stack.personalize_endpoint_url
        return self.stack.personalize_endpoint_url

    def faults(self, **changes: Any) -> dict[str, Any]:
        body = json.dumps(changes).encode() if changes else None
        request = urllib.request.Request(f"{self.url}/admin/faults", data=body, method="POST" if body else "GET")
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read()))

    def reset_faults(self, **changes: Any) -> dict[str, Any]:
        """No fault at all, then `changes`: each test sets what it injects, whatever the one before left behind."""
        off = {"throttle_rate": 0, "error_rate": 0, "error_burst_length": 0, "lost_response_rate": 0,
               "fail_training": "", "min_job_seconds": 0}
        return self.faults(**{**off, **changes})

    def injected_total(self) -> Counter[str]:
        return self.injected + Counter(self.faults()["injected"])

    def records(self, kind: str) -> list[dict[str, Any]]:
        """Every record of a kind straight from the engine's SQLite (including its private fields, e.g. _rows)."""
        with readonly(self.stack.data_dir / "engine" / "personalize.sqlite3") as conn:
            rows = conn.execute("SELECT body FROM resources WHERE kind=? ORDER BY seq", (kind,)).fetchall()
        return [json.loads(body) for (body,) in rows]

    def names(self) -> dict[str, list[str]]:
        with readonly(self.stack.data_dir / "engine" / "personalize.sqlite3") as conn:
            rows = conn.execute("SELECT kind, name FROM resources ORDER BY seq").fetchall()
        names: dict[str, list[str]] = {}
        for kind, name in rows:
            names.setdefault(kind, []).append(name)
        return names

    def log(self) -> str:
        return (self.stack.data_dir / "personalize_local.log").read_text(errors="replace")

    def restart(self, *args: str) -> None:
        """Kill the engine (SIGKILL: no shutdown hook runs) and start it again on the same data dir and port."""
        self.injected += Counter(self.faults()["injected"])
        proc = self.stack.processes[-1]
        proc.kill()
        proc.wait(timeout=30)
        port = urlparse(self.url).port
        _, fresh = start_engine(self.stack.data_dir / "engine", self.stack.s3_endpoint_url, self.stack.data_dir,
                                port, extra_args=list(args))
        self.stack.processes[-1] = fresh


def duplicates(names: dict[str, list[str]]) -> dict[str, list[str]]:
    return {kind: sorted(n for n, c in Counter(found).items() if c > 1) for kind, found in names.items()
            if len(set(found)) != len(found)}


def extra_copies(names: dict[str, list[str]]) -> int:
    """How many resources or jobs exist beyond one per name."""
    return sum(len(found) - len(set(found)) for found in names.values())


class Airflow:
    """An `airflow ...` CLI process in its own process group, its output in a file that can be read while it runs."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log = log
        self.started = time.monotonic()
        with log.open("w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "airflow", *args], env=env, cwd=REPO,
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, timeout: float = 600) -> str:
        self.proc.wait(timeout=timeout)
        return self.output

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)  # the CLI and anything it forked, as an OOM kill would
        self.proc.wait(timeout=30)


def dags_test(env: dict[str, str], log: Path, date: str, conf: dict[str, Any] | None = None) -> Airflow:
    return Airflow(env, log, "dags", "test", "personalize_lms", date, *(["--conf", json.dumps(conf)] if conf else []))


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run([sys.executable, "-m", "airflow", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"airflow {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def airflow_db(env: dict[str, str]) -> Path:
    return Path(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///"))


def latest_run(env: dict[str, str], dag_id: str = "personalize_lms") -> str:
    with readonly(airflow_db(env)) as conn:
        return str(conn.execute("SELECT run_id FROM dag_run WHERE dag_id=? ORDER BY id DESC LIMIT 1",
                                (dag_id,)).fetchone()[0])


def task_states(env: dict[str, str], run_id: str) -> dict[str, str | None]:
    with readonly(airflow_db(env)) as conn:
        rows = conn.execute("SELECT task_id, state FROM task_instance WHERE run_id=?", (run_id,)).fetchall()
    return {task: state for task, state in rows}
