"""The deployment paths, installed for real in clean virtualenvs of the platforms' Pythons.

- **mwaa-3.12**: what Amazon MWAA does with an environment's bucket: `make dist`'s MWAA bundle laid out as MWAA lays
  it out (everything under /usr/local/airflow/dags, plugins.zip unpacked into /usr/local/airflow/plugins, the
  wheels named by that path), `pip install -c <Airflow 3.3.1/3.12 constraints> -c <MWAA's pins> -r requirements.txt`
  into a clean Python 3.12 venv: exactly the deployable requirements, nothing else.
- **official-3.13**: what the Dockerfile does on the official image, on Python 3.13: requirements.txt with
  ./dist/ wheels under AIRFLOW_HOME (dags/, include/, expectations/ side by side), `pip install
  apache-airflow==<x> -r requirements.txt` under the lock's pins for 3.13 (no official 3.13 constraints file is
  kept here). First the provider's wheel alone, to show it needs nothing of the pipeline.

Then, on each: the DagBag parses dags/ with no import error, `airflow providers list` shows the provider once, no
module of ours loads twice, no engine or development package is installed, `airflow dags test` runs the default
pipeline against the local stack (moto S3 and the engine run from the development venv), and last, with pytest
added, the operator and DAG-integrity tests pass on that interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from personalize_dev import dist
from personalize_dev.local_run import airflow, dagrun_state, dags_test, prepare_airflow
from personalize_dev.pythons import find_python

from .deploy_files import REPO, lock_pins, normalize

pytestmark = pytest.mark.slow
CONSTRAINTS = Path(__file__).parent / "constraints"
PROVIDER = "airflow-provider-personalize"
# Installed by development or the local engine only; a worker with any of these carries what it does not need.
NOT_ON_A_WORKER = {"personalize-local", "implicit", "moto", "psycopg2-binary", "asyncpg", "pytest", "playwright",
                   "ruff", "mypy", "parliament", "bandit"}
PROVIDER_ALONE_FORBIDS = {"personalize-pipeline", "great-expectations", "matplotlib", "pyarrow"}


@dataclass
class Platform:
    id: str
    python: str  # minor version
    layout: str  # "mwaa" | "airflow-home"
    airflow_version: str
    constraints: list[Path] = field(default_factory=list)


PLATFORMS = [
    Platform("mwaa-3.12", "3.12", "mwaa", "3.3.1",
             [CONSTRAINTS / "airflow-3.3.1-python3.12.txt", CONSTRAINTS / "mwaa-3.3.1-essential.txt"]),
    Platform("official-3.13", "3.13", "airflow-home", lock_pins()["apache-airflow"]),
]


@dataclass
class Installed:
    platform: Platform
    python: str
    home: Path
    env: dict[str, str]
    install_seconds: float
    packages: dict[str, str]
    provider_alone: dict[str, Any] | None
    log: Path


def _run(args: list[str], log: Path, *, cwd: Path, env: dict[str, str] | None = None,
         timeout: int = 1800) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(args)}\n{done.stdout}\n{done.stderr}\n[exit {done.returncode}]\n")
    assert done.returncode == 0, f"{' '.join(args[:4])} ... failed (log {log}):\n{done.stderr[-3000:]}"
    return done


def _clean_env(home: Path) -> dict[str, str]:
    """A worker's environment: nothing of this test session's Airflow or pipeline settings leaks in."""
    # Index and cache settings (PIP_INDEX_URL, PIP_CACHE_DIR, ...) pass through; what would change the result does not.
    drop = ("AIRFLOW", "PERSONALIZE_", "PYTHON", "VIRTUAL_ENV", "PIP_CONSTRAINT", "PIP_TARGET", "PIP_PREFIX",
            "PIP_USER", "UV_PROJECT_ENVIRONMENT")
    keep = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**keep, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "GX_ANALYTICS_ENABLED": "false", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _lay_out(platform: Platform, bundles: Path, work: Path) -> Path:
    if platform.layout == "mwaa":
        home = work / "usr" / "local" / "airflow"
        shutil.copytree(bundles / "mwaa" / "dags", home / "dags")
        (home / "plugins").mkdir(parents=True)
        with zipfile.ZipFile(bundles / "mwaa" / "plugins.zip") as archive:
            archive.extractall(home / "plugins")
        text = (bundles / "mwaa" / "requirements.txt").read_text()
        (home / "requirements.txt").write_text(text.replace("/usr/local/airflow", str(home)))
    else:  # the Dockerfile's runtime stage: /opt/airflow/{dags,include/...,expectations,dist}
        home = work / "opt" / "airflow"
        (home / "dags").mkdir(parents=True)
        (home / "plugins").mkdir()
        shutil.copy2(REPO / "dags" / "personalize_pipelines.py", home / "dags")
        for folder in dist.DATA_DIRS:
            shutil.copytree(REPO / folder, home / folder)
        shutil.copytree(bundles, home / "dist", ignore=shutil.ignore_patterns("mwaa", "astro"))
        shutil.copy2(REPO / "requirements.txt", home / "requirements.txt")
    return home


def _lock_constraints(work: Path, python: str) -> Path:
    """The lock's pins as a pip constraints file (markers kept, so 3.13's resolution applies)."""
    out = work / "lock-constraints.txt"
    uv = Path(sys.executable).with_name("uv")
    done = subprocess.run([str(uv), "export", "--frozen", "--no-hashes", "--no-header", "--no-emit-workspace",
                           "--all-packages", "--no-dev", "--python", python], cwd=REPO, capture_output=True,
                          text=True, check=True, timeout=300)
    out.write_text(done.stdout)
    return out


def _pip_list(python: str, home: Path) -> dict[str, str]:
    done = subprocess.run([python, "-m", "pip", "list", "--format", "json"], capture_output=True, text=True,
                          check=True, cwd=home, timeout=300)
    return {normalize(p["name"]): p["version"] for p in json.loads(done.stdout)}


def _providers(python: str, env: dict[str, str], home: Path) -> list[dict[str, Any]]:
    done = airflow(env, "providers", "list", "-o", "json", python=python, cwd=home, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    listed: list[dict[str, Any]] = json.loads(done.stdout[done.stdout.index("["):])
    return listed


@pytest.fixture(scope="module", params=PLATFORMS, ids=[p.id for p in PLATFORMS])
def installed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    platform: Platform = request.param
    interpreter = find_python(platform.python)
    if interpreter is None:
        pytest.fail(f"Python {platform.python} is required for the {platform.id} deployment test; install it "
                    f"(pyenv install {platform.python}) and run again")
    work = tmp_path_factory.mktemp(platform.id)
    log = work / "install.log"
    bundles = work / "dist"
    assert dist.main(["--repo", str(REPO), "--out", str(bundles)]) == 0
    home = _lay_out(platform, bundles, work)
    venv = work / "venv"
    _run([interpreter, "-m", "venv", str(venv)], log, cwd=work)
    python = str(venv / "bin" / "python")
    env = _clean_env(home)
    constraints = platform.constraints or [_lock_constraints(work, python)]
    pip = [python, "-m", "pip", "install", "--quiet", *[f"--constraint={c}" for c in constraints]]
    if platform.layout == "mwaa":
        pip_args = ["-r", str(home / "requirements.txt")]  # MWAA's image has its Airflow; the constraints pin it
    else:
        pip_args = [f"apache-airflow=={platform.airflow_version}", "-r", "requirements.txt"]

    provider_alone = None
    if platform.layout == "airflow-home":
        (wheel,) = (home / "dist").glob("airflow_provider_personalize-*.whl")
        _run([*pip, f"apache-airflow=={platform.airflow_version}", str(wheel)], log, cwd=home, env=env)
        provider_alone = {"packages": _pip_list(python, home), "providers": _providers(python, env, home)}

    started = time.monotonic()
    _run([*pip, *pip_args], log, cwd=home, env=env)
    seconds = time.monotonic() - started
    packages = _pip_list(python, home)
    size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and "__pycache__" not in f.parts)
    print(f"\n{platform.id}: pip install under constraints {seconds:.0f} s; {len(packages)} distributions, "
          f"{size / 2**20:.0f} MiB without bytecode (log {log})")
    yield Installed(platform, python, home, env, seconds, packages, provider_alone, log)


def test_installs_under_the_platform_constraints(installed: Installed) -> None:
    done = subprocess.run([installed.python, "-m", "pip", "check"], capture_output=True, text=True, check=False,
                          cwd=installed.home, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert installed.packages["apache-airflow"] == installed.platform.airflow_version
    for constraints in installed.platform.constraints:
        for line in constraints.read_text().splitlines():
            name, sep, version = line.strip().partition("==")
            if sep and not name.startswith("#") and normalize(name) in installed.packages:
                assert installed.packages[normalize(name)] == version.strip(), f"{name} moved off {constraints.name}"


def test_worker_installs_no_engine_or_development_package(installed: Installed) -> None:
    assert not NOT_ON_A_WORKER & set(installed.packages), NOT_ON_A_WORKER & set(installed.packages)
    assert {PROVIDER, "personalize-pipeline", "great-expectations"} <= set(installed.packages)


def test_provider_installs_alone(installed: Installed) -> None:
    if installed.provider_alone is None:
        pytest.skip("shown on the official-image path (installed step by step there)")
    packages = installed.provider_alone["packages"]
    assert PROVIDER in packages and "apache-airflow-providers-amazon" in packages
    assert not PROVIDER_ALONE_FORBIDS & set(packages), PROVIDER_ALONE_FORBIDS & set(packages)
    assert [p["package_name"] for p in installed.provider_alone["providers"]].count(PROVIDER) == 1


def test_provider_is_listed_once_and_no_plugin(installed: Installed) -> None:
    listed = [p for p in _providers(installed.python, installed.env, installed.home) if p["package_name"] == PROVIDER]
    assert len(listed) == 1 and listed[0]["version"] == "0.2.0", listed
    done = airflow(installed.env, "plugins", "-o", "json", python=installed.python, cwd=installed.home)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "personalize" not in done.stdout.lower(), done.stdout


PARSE = textwrap.dedent("""
    import json, sys, time
    from airflow.dag_processing.dagbag import DagBag
    from airflow import plugins_manager
    plugins_manager.ensure_plugins_loaded()
    plugins, _ = plugins_manager._get_plugins()
    started = time.perf_counter()
    bag = DagBag(dag_folder=sys.argv[1])
    seconds = time.perf_counter() - started
    import personalize_provider
    package = personalize_provider.__path__[0]
    ours = sorted(name for name, module in list(sys.modules.items())
                  if str(getattr(module, "__file__", "") or "").startswith(package))
    print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": sorted(bag.dag_ids),
                      "seconds": seconds, "modules": ours, "plugins": [p.name for p in plugins],
                      "plugin_errors": plugins_manager.get_import_errors(),
                      "hook_modules": [n for n, m in list(sys.modules.items())
                                       if str(getattr(m, "__file__", "") or "").endswith("hooks/personalize.py")
                                       and str(getattr(m, "__file__", "")).startswith(package)]}))
""")


def test_dagbag_parses_and_nothing_loads_twice(installed: Installed) -> None:
    done = subprocess.run([installed.python, "-c", PARSE, str(installed.home / "dags")], capture_output=True,
                          text=True, env=installed.env, cwd=installed.home, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    parsed = json.loads(done.stdout.strip().splitlines()[-1])
    assert parsed["errors"] == {}
    assert "personalize_lms" in parsed["dags"]
    print(f"\n{installed.platform.id}: DagBag parse {parsed['seconds']:.2f} s")
    # Each module of the provider once, under its package name (not also as `base`, `jobs`, ... from a plugins walk).
    assert all(name.startswith("personalize_provider") for name in parsed["modules"]), parsed["modules"]
    assert parsed["hook_modules"] == ["personalize_provider.hooks.personalize"]
    assert parsed["plugins"] == [] and parsed["plugin_errors"] == {}


def test_default_pipeline_runs_against_the_local_stack(installed: Installed, lms_db: Path) -> None:
    from personalize_local.stack import local_stack

    with local_stack(installed.home.parent / "services") as stack:
        env = {**installed.env, **stack.env(),
               "AIRFLOW_CONN_LMS_DB": json.dumps({"conn_type": "sqlite", "host": str(lms_db)}),
               "PERSONALIZE_BUCKET": f"deploy-{installed.platform.id}",
               "PERSONALIZE_PIPELINE_WAITER_DELAY": "2", "PERSONALIZE_PIPELINE_RETRY_DELAY": "3"}
        prepare_airflow(env, python=installed.python)
        started = time.monotonic()
        result = dags_test(env, "personalize_lms", "2026-11-01", python=installed.python)
        output = result.stdout + result.stderr
        (installed.log.parent / "dags-test.log").write_text(output)
        assert dagrun_state(output) == "success", output[-4000:]
        print(f"\n{installed.platform.id}: airflow dags test personalize_lms {time.monotonic() - started:.0f} s")


def test_operator_and_dag_tests_pass_on_this_python(installed: Installed) -> None:
    """Last: it adds pytest to the venv, which the checks above must not see."""
    constraints = installed.platform.constraints or [installed.home.parent.parent / "lock-constraints.txt"]
    pins = lock_pins()
    _run([installed.python, "-m", "pip", "install", "--quiet", *[f"--constraint={c}" for c in constraints],
          f"pytest=={pins['pytest']}", f"pytest-timeout=={pins['pytest-timeout']}"],
         installed.log, cwd=installed.home, env=installed.env)
    env = {k: v for k, v in installed.env.items() if not k.startswith("AIRFLOW")}
    done = subprocess.run([installed.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/operators",
                           "tests/dags/test_dag_integrity.py"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=1200, check=False)
    tail = done.stdout[-3000:]
    assert done.returncode == 0, tail + done.stderr[-2000:]
    print(f"\n{installed.platform.id}: {tail.strip().splitlines()[-1]}")
