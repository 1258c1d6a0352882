"""`make dist`: the wheels a deployment installs and one bundle per platform, built from the repository.

dist/
  airflow_provider_personalize-<v>-py3-none-any.whl   the provider
  personalize_pipeline-<v>-py3-none-any.whl           the pipeline's code
  mwaa/    dags/ (DAG file, include/{config,sql,schemas}, expectations/), plugins.zip (the wheels),
           requirements.txt (the wheels named by their path on MWAA's workers): `aws s3 sync` these three
  astro/   an Astro project: Dockerfile, requirements.txt, packages.txt, .astro/config.yaml, dags/, include/,
           expectations/, plugins/ (empty), wheels/

requirements.txt at the repository root is the single source of what a deployment installs; each bundle derives
its own from it. The root file names the wheels by their path under dist/, so it must name what this builds.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from personalize_pipeline.paths import pipeline_root

WHEEL_PACKAGES = ("airflow-provider-personalize", "personalize-pipeline")
# Where MWAA unpacks plugins.zip on its workers; requirements.txt names wheels inside it by this path.
MWAA_PLUGINS = "/usr/local/airflow/plugins"
# The Astro Runtime image of Airflow 3.3 on Python 3.12 (set the Runtime your Deployment runs).
ASTRO_RUNTIME = "astrocrpublic.azurecr.io/runtime:3.3-1-python-3.12"
# The data a run reads, deployed beside the DAG file (found through personalize_pipeline.paths).
DATA_DIRS = ("include/config", "include/sql", "include/schemas", "expectations")
_WHEEL_LINE = re.compile(r"^\./dist/(?P<file>[^\s#]+\.whl)\s*$")


class DistError(RuntimeError):
    pass


def requirement_lines(repo: Path) -> list[str]:
    """requirements.txt without comments and blank lines."""
    lines = []
    for raw in (repo / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def named_wheels(repo: Path) -> list[str]:
    """The wheel files requirements.txt names (./dist/<file>)."""
    return [m["file"] for line in requirement_lines(repo) if (m := _WHEEL_LINE.match(line))]


@contextmanager
def _source_tree_lock(repo: Path) -> Iterator[None]:
    """One build at a time per source tree: setuptools builds in the sources (build/, *.egg-info), and two builds at
    once (two test workers, two `make dist`) would mix or delete each other's scratch files."""
    import fcntl

    digest = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"personalize-dist-{digest}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(repo: Path, out: Path) -> None:
    uv = Path(sys.executable).with_name("uv")
    for package in WHEEL_PACKAGES:
        # Our own uv and interpreter, arguments built here; no shell.
        done = subprocess.run(  # noqa: S603
            [str(uv), "build", "--quiet", "--wheel", "--no-build-isolation", "--package", package,
             "--python", sys.executable, "--out-dir", str(out)],
            cwd=repo, capture_output=True, text=True, check=False)
        if done.returncode:
            raise DistError(f"building the {package} wheel failed:\n{done.stderr[-3000:]}")
    for member in ("plugins", "include"):  # setuptools' scratch folders, left in the sources
        shutil.rmtree(repo / member / "build", ignore_errors=True)


def build_wheels(repo: Path, out: Path) -> list[Path]:
    """Build the provider's and the pipeline's wheels into `out` with the dev venv's setuptools (no download)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.whl"):
        old.unlink()
    with _source_tree_lock(repo):
        _build(repo, out)
    wheels = sorted(out.glob("*.whl"))
    named = sorted(named_wheels(repo))
    if sorted(w.name for w in wheels) != named:
        raise DistError(f"requirements.txt names {named} but the build made {[w.name for w in wheels]}: "
                        "update the ./dist/ lines of requirements.txt to the versions in the pyproject files")
    return wheels


def _copy_data(repo: Path, dest: Path) -> None:
    for folder in DATA_DIRS:
        shutil.copytree(repo / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def _requirements_with_wheels_at(repo: Path, prefix: str | None) -> str:
    """The root requirements.txt with ./dist/<wheel> rewritten to <prefix>/<wheel>, or dropped if prefix is None."""
    out = []
    for raw in (repo / "requirements.txt").read_text(encoding="utf-8").splitlines():
        match = _WHEEL_LINE.match(raw.strip())
        if match and prefix is None:
            continue
        out.append(f"{prefix}/{match['file']}" if match else raw)
    return "\n".join(out) + "\n"


def mwaa_bundle(repo: Path, wheels: list[Path], dest: Path) -> Path:
    """What an MWAA environment reads from its S3 bucket: dags/, plugins.zip, requirements.txt."""
    shutil.rmtree(dest, ignore_errors=True)
    dags = dest / "dags"
    dags.mkdir(parents=True)
    shutil.copy2(repo / "dags" / "personalize_pipelines.py", dags)
    _copy_data(repo, dags)
    # Only the DAG file is Python; keep the dag processor out of the data folders.
    (dags / ".airflowignore").write_text("include/\nexpectations/\n", encoding="utf-8")
    with zipfile.ZipFile(dest / "plugins.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for wheel in wheels:
            archive.write(wheel, wheel.name)
    (dest / "requirements.txt").write_text(_requirements_with_wheels_at(repo, MWAA_PLUGINS), encoding="utf-8")
    return dest


_ASTRO_DOCKERFILE = """\
# Astro Runtime (Airflow 3.3, Python 3.12): its build installs packages.txt and requirements.txt, then copies this
# project to /usr/local/airflow; the two wheels (whose dependencies requirements.txt lists) install after that.
FROM {runtime}
RUN pip install --no-cache-dir --no-deps /usr/local/airflow/wheels/*.whl
"""


def astro_bundle(repo: Path, wheels: list[Path], dest: Path) -> Path:
    """An Astro project (`astro dev start`, `astro deploy` from inside it)."""
    shutil.rmtree(dest, ignore_errors=True)
    (dest / "dags").mkdir(parents=True)
    shutil.copy2(repo / "dags" / "personalize_pipelines.py", dest / "dags")
    _copy_data(repo, dest)
    (dest / "plugins").mkdir()
    (dest / "wheels").mkdir()
    for wheel in wheels:
        shutil.copy2(wheel, dest / "wheels")
    (dest / "Dockerfile").write_text(_ASTRO_DOCKERFILE.format(runtime=ASTRO_RUNTIME), encoding="utf-8")
    (dest / "requirements.txt").write_text(_requirements_with_wheels_at(repo, None), encoding="utf-8")
    (dest / "packages.txt").write_text("", encoding="utf-8")
    (dest / ".astro").mkdir()
    (dest / ".astro" / "config.yaml").write_text("project:\n  name: personalize-pipeline\n", encoding="utf-8")
    (dest / ".dockerignore").write_text(".astro\n", encoding="utf-8")
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=None, help="repository root (default: the pipeline root)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: <repo>/dist)")
    args = parser.parse_args(argv)
    repo = (args.repo or pipeline_root()).resolve()
    out = (args.out or repo / "dist").resolve()
    try:
        wheels = build_wheels(repo, out)
    except DistError as exc:
        print(exc, file=sys.stderr)
        return 1
    mwaa = mwaa_bundle(repo, wheels, out / "mwaa")
    astro = astro_bundle(repo, wheels, out / "astro")
    for wheel in wheels:
        print(f"{wheel.relative_to(out.parent)}  {wheel.stat().st_size / 1024:.0f} KiB")
    print(f"{mwaa.relative_to(out.parent)}/  (dags/, plugins.zip, requirements.txt)")
    print(f"{astro.relative_to(out.parent)}/  (an Astro project)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
