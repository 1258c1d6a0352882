"""Readers for the deployment files: compose ${...} substitution, env files, the lock, .dockerignore, the
Dockerfile's stages, parliament import."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
import types
import warnings
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yaml"
LOCAL_ENV = REPO / "docker" / "local.env"
AWS_ENV = REPO / "docker" / "aws.env"
WORKSPACE_MEMBERS = ("plugins", "include", "local_engine")


def normalize(name: str) -> str:
    return str(canonicalize_name(name))


def lock_pins() -> dict[str, str]:
    """Every registry package uv.lock pins (one version per name: the lock resolves them universally)."""
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    return {normalize(p["name"]): p["version"] for p in lock["package"]
            if "registry" in p.get("source", {}) and "version" in p}


def dockerignore_allows(relative: str) -> bool:
    """True when the allow-list .dockerignore re-includes the path or one of its parent folders."""
    allowed = [line.strip()[1:].rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip().startswith("!")]
    return any(relative == entry or relative.startswith(entry + "/") for entry in allowed)


def dockerfile_stages(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The Dockerfile's stages by name: base image (ARG defaults substituted) and instructions (continuations
    joined). Global ARGs before the first FROM are the defaults."""
    text = (path or REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    args: dict[str, str] = {}
    stages: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "ARG" and current is None:
            name, _, default = rest.partition("=")  # a default may use the ARGs declared before it
            args[name.strip()] = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], m[0]), default.strip())
        elif word == "FROM":
            parts = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], m[0]), parts[0])
            name = parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else str(len(stages))
            current = stages[name] = {"base": base, "lines": [], "args": dict(args)}
        elif current is not None:
            current["lines"].append((word, rest))
    return stages

# $$ is a literal $; ${NAME}, ${NAME:-default} and ${NAME-default} as docker compose reads them.
_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<name>\w+)(?:(?P<op>:?-)(?P<default>[^}]*))?\})")


def substitute(text: str, env: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        value = env.get(match["name"])
        if match["op"] == ":-" and not value:
            return substitute(match["default"], env)
        if match["op"] == "-" and value is None:
            return substitute(match["default"], env)
        return value or ""

    return _VARIABLE.sub(replace, text)


def interpolate(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return substitute(node, env)
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    return node


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; '...' is literal, as in compose's env-file format. ${HOME} is left as written."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {raw!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    """docker-compose.yaml with YAML anchors merged and ${...} substituted from env (defaults otherwise)."""
    return interpolate(yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8")), env or {})


def command_words(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return value.split() if isinstance(value, str) else [str(v) for v in value]


def import_parliament() -> types.ModuleType:
    """parliament 1.6 imports pkg_resources, which the locked setuptools no longer ships. It only calls
    pkg_resources.resource_filename(__name__, file), so a stand-in for the duration of the import does."""
    with warnings.catch_warnings():  # its regexes are not raw strings: DeprecationWarning on first compile
        warnings.simplefilter("ignore", DeprecationWarning)
        return _import_parliament()


def _import_parliament() -> types.ModuleType:
    try:
        import parliament
    except ModuleNotFoundError as exc:
        if exc.name != "pkg_resources":
            raise
        shim = types.ModuleType("pkg_resources")

        def resource_filename(package: str, resource: str) -> str:
            spec = importlib.util.find_spec(package)
            assert spec is not None and spec.origin is not None
            return str(Path(spec.origin).parent / resource)

        shim.resource_filename = resource_filename  # type: ignore[attr-defined]
        sys.modules["pkg_resources"] = shim
        try:
            import parliament
        finally:
            del sys.modules["pkg_resources"]
    return parliament
