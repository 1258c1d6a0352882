"""The local services listen on loopback only unless told otherwise: they have no authentication."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from personalize_local.stack import free_port

SERVERS = {
    "engine": lambda port, data: [str(Path(sys.executable).parent / "personalize-local"), "serve", "--port",
                                  str(port), "--data-dir", str(data)],
    "s3": lambda port, data: [sys.executable, "-m", "personalize_local.s3_server", "--port", str(port)],
}


def listening_addresses(pid: int) -> set[str]:
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return {c.laddr.ip for p in procs for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    port = free_port()
    proc = subprocess.Popen(SERVERS[request.param](port, tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not listening_addresses(proc.pid):
            assert proc.poll() is None, f"{request.param} exited with {proc.returncode}"
            assert time.monotonic() < deadline, f"{request.param} never listened"
            time.sleep(0.3)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_default_bind_is_loopback_only(server: subprocess.Popen[bytes]) -> None:
    assert listening_addresses(server.pid) == {"127.0.0.1"}
