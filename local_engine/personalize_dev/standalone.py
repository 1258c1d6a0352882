"""`make airflow`: Airflow's all-in-one `airflow standalone` (scheduler, triggerer, dag-processor, api-server with
the UI) on loopback, wired to the local S3 server and Personalize engine, with the project's DAGs and pools.

Runs in the foreground until Ctrl-C; the UI is at http://127.0.0.1:<port> (user admin, password printed by
Airflow and stored in <AIRFLOW_HOME>/simple_auth_manager_passwords.json.generated). The browser test starts the
same stack through `standalone_stack` on free ports in a temporary directory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from personalize_local.stack import LocalStack, local_stack

from personalize_dev.local_run import REPO, airflow_env, prepare_airflow
from personalize_dev.metadata_db import local_postgres, postgres_bin_dir

PASSWORDS_FILE = "simple_auth_manager_passwords.json.generated"  # a file name  # pragma: allowlist secret


def standalone_env(airflow_home: Path, stack: LocalStack, lms_db: Path, port: int, metadata_url: str | None = None,
                   **extra: str) -> dict[str, str]:
    """Environment for `airflow standalone`; metadata_url selects a PostgreSQL metadata DB (default: SQLite)."""
    env = airflow_env(airflow_home, stack.env(), lms_db)
    bin_dir = str(Path(sys.executable).parent)
    env.update({
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",  # standalone starts `airflow <component>`
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        # One signing key for every component: the api-server must accept the task tokens the scheduler issues
        # (a test runner's unit-test mode would otherwise leave each process its own generated key).
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # SQLite allows one writer: let the CLI and the components wait for the lock instead of failing.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url or f"sqlite:///{airflow_home / 'airflow.db'}?timeout=60",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
    })
    env.update(extra)  # last, so callers can move ports (log servers) or point at another config dir
    return env


@contextlib.contextmanager
def running_standalone(env: dict[str, str], log: Path, timeout: float = 180) -> Iterator[subprocess.Popen[bytes]]:
    """Start `airflow standalone`, wait until the API answers, stop it (and its components) afterwards."""
    proc = subprocess.Popen([sys.executable, "-m", "airflow", "standalone"], env=env, cwd=REPO,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"{env['AIRFLOW__API__BASE_URL']}/api/v2/version"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"airflow standalone exited ({proc.returncode}); see {log}")
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"Airflow API did not answer within {timeout:.0f}s; see {log}") from None
                time.sleep(1)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


@dataclass(frozen=True)
class Standalone:
    """A running standalone Airflow with its local stack."""

    url: str
    env: dict[str, str]
    stack: LocalStack
    home: Path
    log: Path

    def admin_password(self) -> str:
        """The admin password the simple auth manager generated (it writes the file before the API answers)."""
        passwords: dict[str, str] = json.loads((self.home / PASSWORDS_FILE).read_text())
        return passwords["admin"]


@contextlib.contextmanager
def standalone_stack(work: Path, lms_db: Path, port: int, *, engine_env: dict[str, str] | None = None,
                     metadata: str = "auto", keep_metadata: bool = False, **extra_env: str) -> Iterator[Standalone]:
    """moto S3 + the local engine + `airflow standalone`, all under `work` (services/, home/, standalone.log).

    metadata: "postgres" (a local server; kept for the next start with keep_metadata), "sqlite", or "auto"
    (PostgreSQL when it is installed)."""
    use_postgres = metadata == "postgres" or (metadata == "auto" and postgres_bin_dir() is not None)
    with contextlib.ExitStack() as services:
        stack = services.enter_context(local_stack(work / "services", engine_env=engine_env))
        metadata_url = (services.enter_context(local_postgres(work / "postgres", persistent=keep_metadata))
                        if use_postgres else None)
        home = work / "home"
        env = standalone_env(home, stack, lms_db, port, metadata_url, **extra_env)
        prepare_airflow(env)
        log = work / "standalone.log"
        with running_standalone(env, log):
            yield Standalone(url=env["AIRFLOW__API__BASE_URL"], env=env, stack=stack, home=home, log=log)


def _shown(path: Path) -> Path:
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


def main(argv: list[str] | None = None) -> int:
    # Stopped by a supervisor (SIGTERM) rather than Ctrl-C: unwind the same way, so Airflow, the local services and
    # the metadata PostgreSQL are stopped too instead of left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description="Airflow standalone with the local Personalize stack")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--work-dir", type=Path, default=REPO / "var" / "airflow",
                        help="AIRFLOW_HOME (home/), service state (services/) and standalone.log")
    parser.add_argument("--lms-db", type=Path, default=REPO / "include" / "data" / "lms.db")
    parser.add_argument("--min-job-seconds", type=float, default=None,
                        help="every local Personalize job takes at least this long (to watch deferred tasks)")
    parser.add_argument("--metadata", choices=["auto", "postgres", "sqlite"], default="auto",
                        help="metadata DB: a local PostgreSQL kept under the work dir (auto: when installed) or SQLite")
    args = parser.parse_args(argv)
    engine_env = ({"PERSONALIZE_LOCAL_MIN_JOB_SECONDS": str(args.min_job_seconds)}
                  if args.min_job_seconds is not None else None)
    with standalone_stack(args.work_dir, args.lms_db.resolve(), args.port, engine_env=engine_env,
                          metadata=args.metadata, keep_metadata=True) as airflow:
        print(f"Airflow UI: {airflow.url}  (user admin; password in {_shown(airflow.home / PASSWORDS_FILE)})\n"
              f"S3 (moto): {airflow.stack.s3_endpoint_url}   "
              f"Personalize (local): {airflow.stack.personalize_endpoint_url}\n"
              f"Logs: {_shown(airflow.log)}   Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
