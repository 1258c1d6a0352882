"""Run the project's compose stack for real on a machine without a registry.

A private Docker daemon (data under var/docker, so image layers survive between runs; no bridge, no iptables),
base images built from Debian's packages (debootstrap -> docker import -> the stand-ins in compose_stack/ for
apache/airflow and postgres), the project's Dockerfile and docker-compose.yaml built and started unchanged but for
build arguments naming those bases, and an override that only moves every service to the host network, on
loopback, on free ports.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .deploy_files import LOCAL_ENV, REPO, read_env_file

HERE = Path(__file__).parent / "compose_stack"
SUITE = "bookworm"
ROOTFS_IMAGE = f"personalize-test/debian:{SUITE}"
AIRFLOW_BASE = "personalize-test/airflow"  # tagged with the Airflow version of the lock
POSTGRES_IMAGE = "personalize-test/postgres:debian"
CONSTRAINTS_IN_BASE = "/opt/airflow-python/constraints.txt"
PROJECT = "personalize-compose-test"
ROOTFS_PACKAGES = "python3,python3-venv,ca-certificates,curl,tini"
SKIP_COPY = {".git", ".venv", "var", "dist", "build", "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer")


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(args: list[str], env: dict[str, str], log: Path, *, timeout: float = 1800, cwd: Path | None = None,
        stdin: Any = None, capture: bool = False) -> subprocess.CompletedProcess[str]:
    """Run a command, appending its output to log (stderr only when capture keeps stdout); raise with the log's
    tail when it fails."""
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(args, env=env, cwd=cwd, stdout=subprocess.PIPE if capture else out,
                              stderr=out if capture else subprocess.STDOUT, text=True, timeout=timeout, check=False,
                              stdin=stdin)
    if done.returncode:
        tail = log.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"{' '.join(args[:4])} ... exited {done.returncode}; end of {log}:\n{tail}")
    return done


@contextmanager
def docker_daemon(root: Path) -> Iterator[dict[str, str]]:
    """dockerd as a child of this process, with its own data and exec roots, stopped (and waited for) on exit.

    The data root (images, layers) stays under root between runs; the exec root (sockets, whose paths must stay
    under the kernel's 108 characters) is a short temporary folder."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    exec_root = Path(tempfile.mkdtemp(prefix="dockerd-"))
    sock = exec_root / "docker.sock"
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock}"}
    log = (root / "dockerd.log").open("a")
    daemon = subprocess.Popen(
        ["dockerd", "--data-root", str(data), "--exec-root", str(exec_root), "--pidfile", str(exec_root / "pid"),
         "--host", f"unix://{sock}", "--bridge=none", "--iptables=false", "--ip6tables=false"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(["docker", "info"], env=env, capture_output=True, check=False).returncode:
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dockerd did not start; see {root / 'dockerd.log'}")
            time.sleep(0.5)
        yield env
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()
        log.close()
        for namespace in (exec_root / "netns").glob("*"):  # dockerd leaves its network namespace mounted
            subprocess.run(["umount", str(namespace)], capture_output=True, check=False)
        shutil.rmtree(exec_root, ignore_errors=True)


def _image_exists(env: dict[str, str], tag: str) -> bool:
    found = subprocess.run(["docker", "image", "inspect", tag], env=env, capture_output=True, check=False)
    return found.returncode == 0


def ca_bundle() -> Path:
    for candidate in (os.environ.get("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    import certifi

    return Path(certifi.where())


def lock_constraints(python: str) -> str:
    """The lock's pins for the base's Python, as a pip constraints file."""
    uv = Path(sys.executable).with_name("uv")
    done = subprocess.run([str(uv), "export", "--frozen", "--no-hashes", "--no-header", "--no-emit-workspace",
                           "--all-packages", "--no-dev", "--python", python], cwd=REPO, capture_output=True,
                          text=True, check=True, timeout=300)
    return done.stdout


def pinned(constraints: str, package: str) -> str:
    return next(line.split("==")[1].split(";")[0].strip() for line in constraints.splitlines()
                if line.startswith(f"{package}=="))


def build_bases(env: dict[str, str], root: Path, log: Path) -> str:
    """The Debian root filesystem (once per machine) and the two stand-in images (layer-cached); returns the
    Airflow version the base holds (the lock's)."""
    if not _image_exists(env, ROOTFS_IMAGE):
        rootfs = root / "rootfs"
        shutil.rmtree(rootfs, ignore_errors=True)
        run(["debootstrap", "--variant=minbase", f"--include={ROOTFS_PACKAGES}", SUITE, str(rootfs),
             "http://deb.debian.org/debian"], env, log)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        run(["docker", "import", "-", ROOTFS_IMAGE], env, log, stdin=tar.stdout)
        tar.wait()
        shutil.rmtree(rootfs)
    context = root / "base-context"
    shutil.rmtree(context, ignore_errors=True)
    shutil.copytree(HERE, context)
    shutil.copy(ca_bundle(), context / "ca-certificates.crt")
    constraints = lock_constraints("3.11")
    (context / "constraints.txt").write_text(constraints)
    airflow = pinned(constraints, "apache-airflow")
    for dockerfile, tag in (("airflow-base.Dockerfile", f"{AIRFLOW_BASE}:{airflow}"),
                            ("postgres.Dockerfile", POSTGRES_IMAGE)):
        run(["docker", "build", "--network", "host", "--build-arg", f"ROOTFS_IMAGE={ROOTFS_IMAGE}",
             "--build-arg", f"AIRFLOW_VERSION={airflow}", "-f", str(context / dockerfile), "-t", tag, str(context)],
            env, log)
    return airflow


def copy_project(target: Path) -> Path:
    """The working tree without caches, environments or git: what a clone holds, mounted by the stack."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(REPO, target, ignore=lambda d, names: [n for n in names if n in SKIP_COPY
                                                           or n == "__pycache__" or n.endswith(".pyc")])
    return target


@dataclass
class Ports:
    postgres: int = field(default_factory=free_port)
    s3: int = field(default_factory=free_port)
    engine: int = field(default_factory=free_port)
    api: int = field(default_factory=free_port)
    scheduler_health: int = field(default_factory=free_port)
    worker_logs: int = field(default_factory=free_port)
    trigger_logs: int = field(default_factory=free_port)


def networking_override(ports: Ports, local_env: dict[str, str]) -> dict[str, Any]:
    """Every service on the host network, bound to 127.0.0.1, on the given ports: the service names resolve to
    loopback through /etc/hosts, and the addresses, ports and health checks that name them follow."""
    hosts = [f"{name}:127.0.0.1" for name in ("postgres", "s3", "personalize-local", "airflow-apiserver")]
    conn = json.loads(local_env["AIRFLOW_CONN_AWS_DEFAULT"])
    for service in conn["extra"]["service_config"].values():
        service["endpoint_url"] = (f"http://127.0.0.1:{ports.s3}" if ":5000" in service["endpoint_url"]
                                   else f"http://127.0.0.1:{ports.engine}")
    airflow_env = {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN":
            f"postgresql+psycopg2://airflow:airflow@127.0.0.1:{ports.postgres}/airflow",  # pragma: allowlist secret
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{ports.api}/execution/",
        "AIRFLOW__API__PORT": str(ports.api),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(ports.scheduler_health),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(ports.worker_logs),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(ports.trigger_logs),
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(conn),
        # The tests' pace (as in tests/e2e): the engine's jobs finish in seconds, so polling every 5 s (local.env,
        # for people) mostly waits for the poll.
        "PERSONALIZE_PIPELINE_WAITER_DELAY": "2",
        "PERSONALIZE_PIPELINE_RETRY_DELAY": "3",
    }

    def health(url: str) -> dict[str, Any]:
        return {"test": ["CMD", "curl", "--fail", "--silent", "--output", "/dev/null", url], "interval": "5s"}

    services: dict[str, Any] = {
        "postgres": {"command": ["postgres", "-c", "listen_addresses=127.0.0.1", "-p", str(ports.postgres)],
                     "healthcheck": {"test": ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", str(ports.postgres),
                                              "-U", "airflow"], "interval": "2s"}},
        "s3": {"command": ["-H", "127.0.0.1", "-p", str(ports.s3)],
               "healthcheck": health(f"http://127.0.0.1:{ports.s3}/moto-api/")},
        "personalize-local": {
            "command": ["serve", "--host", "127.0.0.1", "--port", str(ports.engine), "--data-dir",
                        "/opt/personalize-local/data", "--s3-endpoint-url", f"http://127.0.0.1:{ports.s3}"],
            "healthcheck": health(f"http://127.0.0.1:{ports.engine}/health")},
        "airflow-apiserver": {"healthcheck": health(f"http://127.0.0.1:{ports.api}/api/v2/monitor/health")},
        "airflow-scheduler": {"healthcheck": health(f"http://127.0.0.1:{ports.scheduler_health}/health")},
    }
    for name in ("postgres", "s3", "personalize-local", *AIRFLOW_SERVICES):
        service = services.setdefault(name, {})
        service.update(network_mode="host", extra_hosts=list(hosts))
        if name in AIRFLOW_SERVICES:
            service["environment"] = dict(airflow_env)
    for name in ("s3", "personalize-local", *AIRFLOW_SERVICES):
        services[name]["build"] = {"network": "host"}  # RUN steps reach the package registry as the host does
    return {"services": services}


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for key, value in changes.items():
        base[key] = _merge(dict(base.get(key) or {}), value) if isinstance(value, dict) else value
    return base


def on_host_network(resolved: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """The project's resolved compose config with the override applied. Published ports and compose networks mean
    nothing on the host network (and Compose refuses them there), so they are dropped; nothing else changes."""
    config = json.loads(json.dumps(resolved))
    config["networks"] = {"default": {"name": "host", "external": True}}  # no compose bridge, no private subnet
    for service in config["services"].values():
        service.pop("ports", None)
        service.pop("networks", None)
    return _merge(config, override)


@dataclass
class Stack:
    project: Path
    env: dict[str, str]
    ports: Ports
    log: Path
    timings: dict[str, Any] = field(default_factory=dict)  # seconds since the start, written to timings.json

    def compose(self, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        return run(["docker-compose", "-p", PROJECT, "-f", "compose.test.yaml", *args],
                   self.env, self.log, cwd=self.project, timeout=timeout)

    def output(self, *args: str) -> str:
        return subprocess.run(["docker-compose", "-p", PROJECT, "-f", "compose.test.yaml", *args], env=self.env,
                              cwd=self.project, capture_output=True, text=True, check=False).stdout


@contextmanager
def compose_stack(root: Path) -> Iterator[Stack]:
    """Build the bases and the project's images, bring the stack up, yield it, and take it all down (volumes too)."""
    started = time.monotonic()
    root.mkdir(parents=True, exist_ok=True)
    log = root / "compose.log"
    log.write_text("")
    with docker_daemon(root / "docker") as docker_env:
        cold = not _image_exists(docker_env, ROOTFS_IMAGE)
        airflow = build_bases(docker_env, root, log)
        bases = round(time.monotonic() - started, 1)
        project = copy_project(root / "project")
        ports = Ports()
        env = {**docker_env, "BASE_IMAGE": f"{AIRFLOW_BASE}:{airflow}", "AIRFLOW_VERSION": airflow,
               "AIRFLOW_CONSTRAINTS": CONSTRAINTS_IN_BASE,
               "POSTGRES_IMAGE": POSTGRES_IMAGE, "AIRFLOW_UID": "50000", "COMPOSE_HTTP_TIMEOUT": "600"}
        resolved = run(["docker-compose", "-f", "docker-compose.yaml", "config"], env, log, cwd=project,
                       capture=True).stdout
        override = networking_override(ports, read_env_file(LOCAL_ENV))
        (project / "compose.test.yaml").write_text(yaml.safe_dump(on_host_network(yaml.safe_load(resolved),
                                                                                  override)))
        stack = Stack(project, env, ports, log, {"cold cache": cold, "base images": bases})
        try:
            stack.compose("build")
            stack.compose("up", "-d")
            stack.timings["built and started"] = round(time.monotonic() - started, 1)
            yield stack
        finally:
            with log.open("a") as out:
                out.write(stack.output("logs", "--no-color", "--tail", "200"))
            stack.compose("down", "--volumes", "--remove-orphans", timeout=600)
            # Stopped build containers and superseded layers; the tagged images stay as the cache.
            run(["docker", "container", "prune", "--force"], docker_env, log)
            run(["docker", "image", "prune", "--force"], docker_env, log)
            stack.timings["total"] = round(time.monotonic() - started, 1)
            (root / "timings.json").write_text(json.dumps(stack.timings, indent=2) + "\n")
