"""Where the pipeline's data files are: the *pipeline root*, the folder holding ``include/`` (config, sql, schemas)
and ``expectations/``.

The code is installed (a wheel on MWAA, Astro or the official image), so the data cannot be found next to it.
The root is, in this order:

1. ``PERSONALIZE_PIPELINE_ROOT`` (environment) or ``[personalize] pipeline_root`` in Airflow's configuration
   (``AIRFLOW__PERSONALIZE__PIPELINE_ROOT``; on MWAA an "Airflow configuration option" ``personalize.pipeline_root``);
2. Airflow's DAGs folder, when the data was deployed inside it (MWAA: everything under one dags folder);
3. the DAGs folder's parent (AIRFLOW_HOME holding dags/, include/, expectations/ side by side: this repository,
   Astro, the official image);
4. the working directory (the ``personalize-pipeline`` CLI run from a checkout).

``PERSONALIZE_PIPELINE_CONFIG_DIR`` still moves the config folder alone.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

ROOT_ENV = "PERSONALIZE_PIPELINE_ROOT"
CONFIG_DIR_ENV = "PERSONALIZE_PIPELINE_CONFIG_DIR"
# What marks a folder as the pipeline root: both must be there.
_MARKERS = ("include", "expectations")


class PipelineRootNotFound(FileNotFoundError):
    """No folder holding include/ and expectations/ was found; the message lists where it looked."""


def _configured() -> str | None:
    if os.environ.get(ROOT_ENV):
        return os.environ[ROOT_ENV]
    if "airflow.configuration" in sys.modules:  # never import Airflow (and create ~/airflow) just to ask
        from airflow.configuration import conf

        value = conf.get("personalize", "pipeline_root", fallback=None)
        return str(value) if value else None
    return os.environ.get("AIRFLOW__PERSONALIZE__PIPELINE_ROOT") or None


def _dags_folder() -> Path | None:
    if "airflow.configuration" in sys.modules:
        from airflow.configuration import conf

        return Path(conf.get("core", "dags_folder")).expanduser()
    value = os.environ.get("AIRFLOW__CORE__DAGS_FOLDER")
    return Path(value).expanduser() if value else None


def _is_root(path: Path) -> bool:
    return all((path / marker).is_dir() for marker in _MARKERS)


@cache
def _resolve(configured: str | None, dags_folder: Path | None, cwd: Path) -> Path:
    if configured:
        root = Path(configured).expanduser().resolve()
        if not _is_root(root):
            raise PipelineRootNotFound(
                f"{ROOT_ENV}/[personalize] pipeline_root is {root}, which does not hold "
                f"{' and '.join(m + '/' for m in _MARKERS)}")
        return root
    candidates = [*([dags_folder, dags_folder.parent] if dags_folder else []), cwd]
    for candidate in candidates:
        if _is_root(candidate):
            return candidate.resolve()
    looked = ", ".join(str(c) for c in candidates)
    raise PipelineRootNotFound(
        f"no pipeline root (a folder holding include/ and expectations/) in {looked}; "
        f"set {ROOT_ENV} or [personalize] pipeline_root")


def pipeline_root() -> Path:
    """The folder holding include/ and expectations/ (see the module docstring for the order)."""
    return _resolve(_configured(), _dags_folder(), Path.cwd())


def config_dir() -> Path:
    """The folder of pipeline configs: one YAML file per DAG."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override).expanduser() if override else pipeline_root() / "include" / "config"


def sql_dir() -> Path:
    return pipeline_root() / "include" / "sql"


def schema_dir() -> Path:
    return pipeline_root() / "include" / "schemas"


def expectations_dir() -> Path:
    return pipeline_root() / "expectations"
