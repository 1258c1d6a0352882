"""Start and stop the local AWS stand-ins: moto's S3 server and the personalize-local engine.

Used by the test harness, `make local-aws`, `make demo` and `make airflow`. Both servers listen on loopback
only and are started as child processes so a crash in one never takes the caller down with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"
FAKE_ACCESS_KEY = "testing-access-key"  # placeholder credentials for loopback servers only
FAKE_SECRET_KEY = "testing-secret-key"  # noqa: S105 - a placeholder, as above  # pragma: allowlist secret
DEFAULT_REGION = "us-east-1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _bin(name: str) -> str:
    """Console script next to the running interpreter (the venv), falling back to PATH."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else (shutil.which(name) or name)


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with code {proc.returncode} before answering; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback URL built here
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer means the server is up
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s; see {log}")


@dataclass
class LocalStack:
    """Endpoints of a running local stack and the Airflow connection that points at them."""

    s3_endpoint_url: str
    personalize_endpoint_url: str | None
    data_dir: Path
    region: str = DEFAULT_REGION
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def connection_extra(self) -> dict[str, object]:
        service_config: dict[str, dict[str, str]] = {"s3": {"endpoint_url": self.s3_endpoint_url}}
        if self.personalize_endpoint_url:
            for service in ("personalize", "personalize-runtime"):
                service_config[service] = {"endpoint_url": self.personalize_endpoint_url}
        return {"region_name": self.region, "service_config": service_config}

    def airflow_conn_uri_json(self) -> str:
        """Value for AIRFLOW_CONN_AWS_DEFAULT (Airflow accepts a JSON connection in the env var)."""
        return json.dumps(
            {
                "conn_type": "aws",
                "login": FAKE_ACCESS_KEY,
                "password": FAKE_SECRET_KEY,
                "extra": self.connection_extra(),
            }
        )

    def env(self) -> dict[str, str]:
        """Environment for child processes (Airflow, boto3) that should talk to this stack."""
        return {
            "AIRFLOW_CONN_AWS_DEFAULT": self.airflow_conn_uri_json(),
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
            "AWS_DEFAULT_REGION": self.region,
            "PERSONALIZE_LOCAL_S3_ENDPOINT_URL": self.s3_endpoint_url,
            **({"PERSONALIZE_LOCAL_ENDPOINT_URL": self.personalize_endpoint_url}
               if self.personalize_endpoint_url else {}),
        }

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.processes.clear()


def start_s3(
    log_dir: Path, port: int | None = None, count_requests: bool = False
) -> tuple[str, subprocess.Popen[bytes]]:
    """moto's S3 server; with count_requests, wrapped by personalize_local.s3_server (GET /_local/requests)."""
    port = port or free_port()
    log = log_dir / "moto_s3.log"
    server = [sys.executable, "-m", "personalize_local.s3_server"] if count_requests else [_bin("moto_server")]
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        [*server, "-H", LOOPBACK, "-p", str(port)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://{LOOPBACK}:{port}"
    _wait_http(f"{url}/moto-api/", proc, 60, log)
    return url, proc


def start_engine(
    data_dir: Path, s3_endpoint_url: str, log_dir: Path, port: int | None = None,
    extra_args: list[str] | None = None, extra_env: dict[str, str] | None = None,
) -> tuple[str, subprocess.Popen[bytes]]:
    port = port or free_port()
    log = log_dir / "personalize_local.log"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
           "AWS_DEFAULT_REGION": DEFAULT_REGION, **(extra_env or {})}
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        [_bin("personalize-local"), "serve", "--host", LOOPBACK, "--port", str(port),
         "--data-dir", str(data_dir), "--s3-endpoint-url", s3_endpoint_url, *(extra_args or [])],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://{LOOPBACK}:{port}"
    _wait_http(f"{url}/health", proc, 60, log)
    return url, proc


@contextlib.contextmanager
def local_stack(
    data_dir: Path, *, with_engine: bool = True, s3_port: int | None = None, engine_port: int | None = None,
    engine_args: list[str] | None = None, engine_env: dict[str, str] | None = None, count_s3_requests: bool = False,
) -> Iterator[LocalStack]:
    """Run moto S3 (and the engine unless with_engine=False) for the duration of the block."""
    data_dir.mkdir(parents=True, exist_ok=True)
    s3_url, s3_proc = start_s3(data_dir, s3_port, count_s3_requests)
    stack = LocalStack(s3_endpoint_url=s3_url, personalize_endpoint_url=None, data_dir=data_dir,
                       processes=[s3_proc])
    try:
        if with_engine:
            engine_url, engine_proc = start_engine(data_dir / "engine", s3_url, data_dir, engine_port,
                                                   engine_args, engine_env)
            stack.personalize_endpoint_url = engine_url
            stack.processes.append(engine_proc)
        yield stack
    finally:
        stack.stop()


def _daemon_main(argv: list[str] | None = None) -> None:
    """`python -m personalize_local.stack start|stop --data-dir DIR`: background services (make local-aws)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m personalize_local.stack")
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--s3-port", type=int, default=5055)
    parser.add_argument("--engine-port", type=int, default=5056)
    args = parser.parse_args(argv)
    pid_file = args.data_dir / "pids"
    env_file = args.data_dir / "local-aws.env"
    if args.action == "stop":
        if pid_file.exists():
            for pid in pid_file.read_text().split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGTERM)
            pid_file.unlink()
        print("local AWS services stopped")
        return
    args.data_dir.mkdir(parents=True, exist_ok=True)
    s3_url, s3_proc = start_s3(args.data_dir, args.s3_port)
    engine_url, engine_proc = start_engine(args.data_dir / "engine", s3_url, args.data_dir, args.engine_port)
    pid_file.write_text(f"{s3_proc.pid} {engine_proc.pid}\n")
    stack = LocalStack(s3_url, engine_url, args.data_dir)
    env_file.write_text("".join(f"export {k}='{v}'\n" for k, v in stack.env().items()))
    print(f"S3 (moto):         {s3_url}\nPersonalize local: {engine_url}\n"
          f"Environment for clients: source {env_file}\nStop with: make local-aws-stop")


if __name__ == "__main__":
    _daemon_main()
