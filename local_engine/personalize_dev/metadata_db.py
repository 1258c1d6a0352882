"""A throwaway PostgreSQL server on loopback for Airflow's metadata DB, from the machine's PostgreSQL binaries.

SQLite serialises every writer: when `airflow backfill create` writes its runs while the scheduler is busy, one of
them can get "database is locked", and Airflow then deletes the half-created runs under the scheduler's feet. The
compose stack and production use PostgreSQL; this gives `make airflow` and the scheduler tests the same footing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from personalize_local.stack import free_port

# Debian installs the server binaries outside PATH, one directory per major version.
_DEBIAN_BIN_DIRS = "/usr/lib/postgresql"


def postgres_bin_dir() -> Path | None:
    """Where initdb and pg_ctl live, or None when PostgreSQL is not installed."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path(_DEBIAN_BIN_DIRS).glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def _as_server_user(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI containers often are root, so hand the server to the `postgres` user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _run(cmd: list[str]) -> None:
    # PostgreSQL's own binaries with arguments built here; no shell.
    done = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    if done.returncode:
        output = (done.stdout + done.stderr)[-3000:]
        raise RuntimeError(f"{Path(cmd[0]).name} failed ({done.returncode}):\n{output}")


def _cluster_dir(data_dir: Path) -> Path:
    if os.geteuid() != 0:
        return data_dir
    # The server user cannot reach a root-owned private tree (a pytest tmp dir, a checkout under /root): keep the
    # cluster under the system temp dir instead, at a path derived from the requested one so it persists the same.
    digest = hashlib.sha1(str(data_dir.resolve()).encode()).hexdigest()[:12]  # noqa: S324 - a name, not security
    return Path(tempfile.gettempdir()) / f"airflow-metadata-{digest}"


@contextlib.contextmanager
def local_postgres(data_dir: Path, *, persistent: bool = False, database: str = "airflow") -> Iterator[str]:
    """Run a PostgreSQL cluster for data_dir on a free loopback port and yield its SQLAlchemy URL.

    persistent=True keeps the cluster (and the run history in it) for the next start; otherwise it is removed."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found: install Debian's `postgresql` package")
    cluster = _cluster_dir(data_dir)
    fresh = not (cluster / "PG_VERSION").exists()
    if fresh:
        shutil.rmtree(cluster, ignore_errors=True)  # a half-initialised cluster from an interrupted start
        cluster.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(cluster, "postgres", "postgres")
        # Trust auth is safe only because the server listens on loopback and a private socket directory.
        _run([str(bin_dir / "initdb"), "-D", str(cluster), "-U", "airflow", "--auth=trust", "-E", "UTF8",
              "--no-instructions"])
    port = free_port()
    _run([str(bin_dir / "pg_ctl"), "-D", str(cluster), "-l", str(cluster / "server.log"), "-w", "-t", "60",
          "-o", f"-h 127.0.0.1 -p {port} -k {cluster} -c fsync=off -c full_page_writes=off", "start"])
    try:
        if fresh:
            _run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "airflow", database])
        yield f"postgresql+psycopg2://airflow@127.0.0.1:{port}/{database}"
    finally:
        _run([str(bin_dir / "pg_ctl"), "-D", str(cluster), "-m", "fast", "-w", "stop"])
        if not persistent:
            shutil.rmtree(cluster, ignore_errors=True)
