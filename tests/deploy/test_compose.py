"""Static checks of docker-compose.yaml and the docker/ env files (no Docker engine needed); the Dockerfile and the
platform bundles are checked in test_images.py."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from .deploy_files import (
    AWS_ENV,
    LOCAL_ENV,
    REPO,
    WORKSPACE_MEMBERS,
    command_words,
    compose,
    dockerfile_stages,
    dockerignore_allows,
    lock_pins,
    normalize,
    read_env_file,
)

AIRFLOW_SERVICES = {"airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer"}
SOURCE_DIRS = ("dags", "plugins", "include", "local_engine")
# Files of this task that name the env vars; the check below wants them named by someone else's code.
OWN_FILES = ("docs/deployment.md",)


@pytest.fixture(scope="module")
def local() -> dict:
    return compose()


@pytest.fixture(scope="module")
def aws() -> dict:
    return compose(read_env_file(AWS_ENV))


def project_scripts() -> dict[str, str]:
    """Console scripts of the workspace's own packages."""
    scripts: dict[str, str] = {}
    for member in WORKSPACE_MEMBERS:
        project = tomllib.loads((REPO / member / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        scripts |= project.get("scripts", {})
    return scripts


def test_services_match_the_executor(local: dict) -> None:
    services = local["services"]
    assert AIRFLOW_SERVICES | {"postgres", "s3", "personalize-local"} <= set(services)
    executor = services["airflow-scheduler"]["environment"]["AIRFLOW__CORE__EXECUTOR"]
    if executor == "LocalExecutor":
        # Tasks run inside the scheduler; a worker, redis or Celery settings would be dead weight.
        assert not {"airflow-worker", "redis", "flower"} & set(services)
        assert not any("CELERY" in key for s in services.values() for key in (s.get("environment") or {}))
    else:
        assert executor == "CeleryExecutor"
        assert {"airflow-worker", "redis"} <= set(services)


def test_triggerer_and_healthchecks(local: dict) -> None:
    services = local["services"]
    assert command_words(services["airflow-triggerer"]["command"]) == ["triggerer"]
    for name in ("postgres", "airflow-apiserver", "airflow-scheduler", "airflow-triggerer", "s3",
                 "personalize-local"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    api_check = " ".join(services["airflow-apiserver"]["healthcheck"]["test"])
    assert "localhost:8080/api/v2/" in api_check


def test_images_are_pinned(local: dict) -> None:
    for name, service in local["services"].items():
        image = service.get("image")
        assert image, f"{name}: no image name"
        repo, _, tag = image.rpartition(":")
        assert repo and "/" not in tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest", f"{name}: {image!r} uses :latest"
        if "build" not in service:  # pulled from a registry: an exact version, not a moving major tag
            assert re.match(r"^\d+\.\d+", tag), f"{name}: {image!r} is not pinned to an exact version"
    for name, stage in dockerfile_stages().items():
        base = stage["base"]
        if base in dockerfile_stages():  # an earlier stage of the same file
            continue
        assert re.match(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*$", base), f"stage {name}: FROM {base!r} is not pinned"


def test_airflow_services_run_the_engine_free_image(local: dict) -> None:
    """The Airflow services run the deployable target; only the stand-ins and the one-shot init add the engine."""
    services = local["services"]
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert services[name]["build"]["target"] == "airflow", name
    for name in ("s3", "personalize-local", "airflow-init"):
        assert services[name]["build"]["target"] == "local-engine", name
    assert services["airflow-scheduler"]["image"] != services["personalize-local"]["image"]


def test_build_contexts_and_mounts_exist(local: dict) -> None:
    named = set(local.get("volumes") or {})
    for name, service in local["services"].items():
        if "build" in service:
            context = REPO / service["build"]["context"]
            assert context.is_dir(), f"{name}: build context missing"
            assert (context / service["build"].get("dockerfile", "Dockerfile")).is_file()
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (REPO / source).resolve().exists(), f"{name}: mounted host path {source} is missing"
            else:
                assert source in named, f"{name}: volume {source!r} is not declared"


def test_env_files_exist_in_both_modes(local: dict, aws: dict) -> None:
    for config, expected in ((local, "docker/local.env"), (aws, "docker/aws.env")):
        for name in AIRFLOW_SERVICES:
            assert config["services"][name]["env_file"] == [expected]
            assert (REPO / expected).is_file()


def test_commands_resolve(local: dict) -> None:
    from airflow.cli.cli_config import core_commands

    airflow_cli = {c.name: {s.name for s in getattr(c, "subcommands", ())} for c in core_commands}
    scripts = {ep.name: ep for ep in importlib.metadata.entry_points(group="console_scripts")}
    pins, ours = lock_pins(), project_scripts()

    def check_airflow(words: list[str], where: str) -> None:
        assert words and words[0] in airflow_cli, f"{where}: 'airflow {' '.join(words)}' is no command"
        if airflow_cli[words[0]] and len(words) > 1 and not words[1].startswith("-"):
            assert words[1] in airflow_cli[words[0]], f"{where}: no 'airflow {words[0]} {words[1]}'"

    for name, service in local["services"].items():
        entrypoint, command = command_words(service.get("entrypoint")), command_words(service.get("command"))
        if not entrypoint and "build" in service:  # the image's own entrypoint runs `airflow <command>`
            if command[0] not in ("bash", "python"):
                check_airflow(command, name)
        elif entrypoint and entrypoint[0] in ("/bin/bash", "bash"):
            for word in command:
                if word.startswith("/opt/airflow/"):
                    relative = word.removeprefix("/opt/airflow/")
                    assert (REPO / relative).is_file(), f"{name}: {relative} is missing"
                    assert dockerignore_allows(relative), f"{name}: .dockerignore keeps {relative} out"
        elif entrypoint:
            binary = entrypoint[0]
            if binary in ours:
                continue
            assert binary in scripts, f"{name}: console script {binary!r} is not installed"
            dist = normalize(scripts[binary].dist.name)  # type: ignore[union-attr]
            assert dist in pins, f"{name}: {binary} comes from {dist}, which uv.lock does not pin"
        for word in " ".join(command_words(service.get("healthcheck", {}).get("test"))).split("airflow ")[1:]:
            check_airflow(word.replace("'", " ").split(), f"{name} healthcheck")

    engine = local["services"]["personalize-local"]
    assert command_words(engine["entrypoint"]) == ["personalize-local"]
    assert ours["personalize-local"].startswith("personalize_local.")
    assert "serve" in command_words(engine["command"])


def test_init_script_references_exist() -> None:
    from airflow.cli.cli_config import core_commands

    airflow_cli = {c.name: {s.name for s in getattr(c, "subcommands", ())} for c in core_commands}
    script = (REPO / "docker" / "airflow-init.sh").read_text()
    calls = re.findall(r"/entrypoint airflow (\S+)(?: (\S+))?", script)
    assert calls, "airflow-init.sh runs no airflow command"
    for group, sub in calls:
        assert group in airflow_cli, f"airflow-init.sh: no 'airflow {group}'"
        if airflow_cli[group]:
            assert sub in airflow_cli[group], f"airflow-init.sh: no 'airflow {group} {sub}'"
    for name in re.findall(r'python "\$\{HERE\}/(\S+?)"', script):
        assert (REPO / "docker" / name).is_file() and dockerignore_allows(f"docker/{name}")
    for module in re.findall(r"python -m ([\w.]+)", script):
        path = module.replace(".", "/")
        assert any((REPO / d / f"{path}.py").is_file() for d in SOURCE_DIRS), f"no module {module}"


def test_env_names_are_read_by_the_code(local: dict) -> None:
    set_names: set[str] = set()
    for service in local["services"].values():
        set_names |= set(service.get("environment") or {})
    for env_file in (LOCAL_ENV, AWS_ENV):
        set_names |= set(read_env_file(env_file))
    texts = [p.read_text(encoding="utf-8") for d in SOURCE_DIRS for p in (REPO / d).rglob("*.py")]
    texts += [p.read_text(encoding="utf-8") for p in (REPO / "include" / "config").glob("*.y*ml")]
    texts += [p.read_text(encoding="utf-8") for p in REPO.glob("*.md") if p.name not in OWN_FILES]
    corpus = "\n".join(texts)

    personalize = sorted(n for n in set_names if n.startswith("PERSONALIZE_"))
    missing = [n for n in personalize if n not in corpus]
    assert not missing, f"compose sets names no code or doc reads: {missing}"
    for name in sorted(n for n in set_names if n.startswith("AIRFLOW_CONN_")):
        conn_id = name.removeprefix("AIRFLOW_CONN_").lower()
        assert f'"{conn_id}"' in corpus or f"conn_id: {conn_id}" in corpus, f"no code uses conn id {conn_id}"
    # The brief's names, so a rename on either side shows up here.
    assert {"AIRFLOW_CONN_AWS_DEFAULT", "AIRFLOW_CONN_LMS_DB", "PERSONALIZE_PIPELINE_CONFIG_DIR",
            "PERSONALIZE_BUCKET", "PERSONALIZE_ROLE_ARN"} <= set_names


def _endpoint_urls(node: object) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "endpoint_url"] + [
            u for v in node.values() for u in _endpoint_urls(v)]
    return []


def test_local_connection_points_at_the_compose_stand_ins(local: dict) -> None:
    env = read_env_file(LOCAL_ENV)
    conn = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert conn["conn_type"] == "aws" and conn["login"] and conn["password"]
    service_config = conn["extra"]["service_config"]
    assert set(service_config) == {"s3", "personalize", "personalize-runtime"}
    for service_name, settings in service_config.items():
        url = urlsplit(settings["endpoint_url"])
        target = local["services"][url.hostname]
        listen = command_words(target["command"])
        port_flag = "-p" if "-p" in listen else "--port"
        assert str(url.port) == listen[listen.index(port_flag) + 1], f"{service_name}: wrong port"
    engine = command_words(local["services"]["personalize-local"]["command"])
    assert engine[engine.index("--s3-endpoint-url") + 1] == service_config["s3"]["endpoint_url"]


def test_aws_override_drops_the_endpoints(local: dict, aws: dict) -> None:
    local_env, aws_env = read_env_file(LOCAL_ENV), read_env_file(AWS_ENV)
    assert aws_env["AIRFLOW_ENV_FILE"] == "docker/aws.env"
    conn = json.loads(aws_env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert conn["conn_type"] == "aws" and conn["extra"]["region_name"]
    assert not _endpoint_urls(conn), "aws.env still points boto3 at local endpoints"
    assert not {"login", "password"} & set(conn), "aws.env must not carry keys"
    shared = {k for k in local_env if k.startswith(("AIRFLOW_CONN_", "PERSONALIZE_"))}
    assert shared <= set(aws_env), f"aws.env leaves {sorted(shared - set(aws_env))} at local values"
    for config in (local, aws):  # environment: would win over env_file and defeat the switch
        for name in AIRFLOW_SERVICES:
            assert not shared & set(config["services"][name].get("environment") or {})


def _compose_cli() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True,
                                                  check=False).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.mark.parametrize("env_file", [None, "docker/aws.env"], ids=["local", "aws"])
def test_docker_compose_accepts_the_file(env_file: str | None) -> None:
    """The real parser, when a compose CLI is installed (it needs no Docker engine for `config`)."""
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no docker compose / docker-compose on PATH")
    args = [*cli, "-f", str(REPO / "docker-compose.yaml")]
    if env_file:
        args += ["--env-file", str(REPO / env_file)]
    prefixes = ("AIRFLOW", "_AIRFLOW", "AWS_", "COMPOSE_", "PERSONALIZE_", "LOCAL_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}  # the shell must not leak in
    # Compose v2 prints JSON on request; v1 (Debian's docker-compose) prints YAML, which reads as well.
    json_flags = ["--format", "json"] if cli == ["docker", "compose"] else []
    result = subprocess.run([*args, "config", *json_flags], capture_output=True, text=True,
                            cwd=REPO, check=False, env=env)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    # As Compose itself merges the anchors: the init job runs the engine image, which holds its scripts.
    assert services["airflow-init"]["build"]["target"] == "local-engine"
    assert services["airflow-scheduler"]["build"]["target"] == "airflow"
    conn = services["airflow-scheduler"]["environment"]["AIRFLOW_CONN_AWS_DEFAULT"]
    assert bool(_endpoint_urls(json.loads(conn))) is (env_file is None)


def test_airflow_init_helpers(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("airflow_init", REPO / "docker" / "airflow_init.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.s3_endpoint_url(read_env_file(LOCAL_ENV)["AIRFLOW_CONN_AWS_DEFAULT"]) == "http://s3:5000"
    assert module.s3_endpoint_url(read_env_file(AWS_ENV)["AIRFLOW_CONN_AWS_DEFAULT"]) is None
    passwords = tmp_path / "passwords.json"
    passwords.write_text('{"viewer": "v"}')
    module.write_admin_password(passwords, "airflow", "secret")
    assert json.loads(passwords.read_text()) == {"viewer": "v", "airflow": "secret"}


def test_metadata_db_drivers_are_in_the_lock(local: dict) -> None:
    """The compose stack's metadata URL names a driver the lock pins (sync), plus the async one Airflow derives."""
    url = local["x-airflow-common"]["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    dialect, _, driver = urlsplit(url).scheme.partition("+")
    assert (dialect, driver) == ("postgresql", "psycopg2"), url
    assert {"psycopg2-binary", "asyncpg"} <= lock_pins().keys()
