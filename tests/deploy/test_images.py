"""Static checks of the images a platform builds from this repository (no Docker engine here): the official-image
Dockerfile and the Astro project that `make dist` assembles. The installs themselves run for real in
test_platform_installs.py."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
from personalize_dev import dist
from personalize_pipeline import paths

from .deploy_files import REPO, dockerfile_stages, dockerignore_allows, normalize

SUPPORTED_PYTHONS = {"3.11", "3.12", "3.13"}
ENGINE_ONLY = {"personalize-local", "implicit", "moto", "fastapi", "uvicorn", "scipy"}


@pytest.fixture(scope="module")
def stages() -> dict:
    return dockerfile_stages()


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    assert dist.main(["--repo", str(REPO), "--out", str(out)]) == 0
    return out


def _runs(stage: dict) -> list[str]:
    return [rest for word, rest in stage["lines"] if word == "RUN"]


def _copies(stage: dict) -> list[tuple[list[str], str]]:
    out = []
    for word, rest in stage["lines"]:
        if word == "COPY":
            parts = [p for p in rest.split() if not p.startswith("--")]
            out.append((parts[:-1], parts[-1]))
    return out


def test_base_is_the_official_image_on_a_supported_python(stages: dict) -> None:
    base = re.fullmatch(r"apache/airflow:(\d+\.\d+\.\d+)-python(\d+\.\d+)", stages["runtime"]["base"])
    assert base, f"runtime stage must build FROM apache/airflow:<x.y.z>-python<X.Y>, not {stages['runtime']['base']}"
    assert base[1].startswith("3.3."), "the compatibility table covers Airflow 3.3.x"
    assert base[2] in {"3.12", "3.13"}, "the official images and MWAA run 3.12/3.13"
    assert list(stages)[-1] == "airflow" and stages["airflow"]["base"] == "runtime", \
        "`docker build .` (the last stage) must be the deployable image"


def test_runtime_installs_requirements_under_official_constraints(stages: dict) -> None:
    (install,) = [r for r in _runs(stages["runtime"]) if "pip install" in r]
    assert "-r /opt/airflow/requirements.txt" in install
    assert '"apache-airflow==${AIRFLOW_VERSION}"' in install, "requirements may not move the image's Airflow"
    assert '--constraint "${AIRFLOW_CONSTRAINTS}"' in install
    (constraints,) = [rest for word, rest in stages["runtime"]["lines"]
                      if word == "ARG" and rest.startswith("AIRFLOW_CONSTRAINTS=")]
    assert constraints.endswith(
        "apache/airflow/constraints-${AIRFLOW_VERSION}/constraints-${PYTHON_VERSION}.txt"), constraints
    # The wheels requirements.txt names, at the path it names them by (relative to WORKDIR /opt/airflow).
    assert ("WORKDIR", "/opt/airflow") in stages["runtime"]["lines"]
    assert (["/tmp/dist"], "/opt/airflow/dist") in _copies(stages["runtime"])
    (build,) = _runs(stages["wheels"])
    assert "pip wheel" in build and "--no-deps" in build and "/tmp/src/plugins" in build and "/tmp/src/include" in build
    assert all(name.endswith("-py3-none-any.whl") for name in dist.named_wheels(REPO))


def test_runtime_image_holds_no_engine(stages: dict) -> None:
    runtime = stages["runtime"]
    sources = [src for srcs, _ in _copies(runtime) for src in srcs]
    assert not [s for s in sources if s.startswith("local_engine")], "the engine must stay out of the Airflow image"
    from packaging.requirements import Requirement

    requirements = {normalize(Requirement(line).name) for line in dist.requirement_lines(REPO)
                    if not line.startswith("./")}
    assert not requirements & ENGINE_ONLY, requirements & ENGINE_ONLY
    engine = stages["local-engine"]
    assert engine["base"] == "runtime" and any("/tmp/src/local_engine" in r for r in _runs(engine))


def test_runtime_image_layout_resolves_the_pipeline_root(stages: dict, tmp_path: Path) -> None:
    """Recreate the image's /opt/airflow from its COPY lines and resolve the pipeline root as a worker would."""
    home = tmp_path / "opt" / "airflow"
    for sources, dest in _copies(stages["runtime"]):
        if not dest.startswith("/opt/airflow/") or sources == ["/tmp/dist"]:
            continue
        for source in sources:
            assert dockerignore_allows(source), f".dockerignore keeps {source} out of the build context"
            target = home / dest.removeprefix("/opt/airflow/")
            if (REPO / source).is_dir():
                shutil.copytree(REPO / source, target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / source, target)
    root = paths._resolve(None, home / "dags", tmp_path)
    assert root == home.resolve()
    for folder in dist.DATA_DIRS:
        assert (root / folder).is_dir(), f"the image lacks {folder}/"
    assert (home / "dags" / "personalize_pipelines.py").is_file()


def test_images_support_the_pythons_the_packages_declare() -> None:
    for member in ("plugins", "include", "local_engine"):
        requires = tomllib.loads((REPO / member / "pyproject.toml").read_text())["project"]["requires-python"]
        assert requires == ">=3.11,<3.14", f"{member}: {requires}"


def test_astro_project(bundles: Path) -> None:
    astro = bundles / "astro"
    dockerfile = (astro / "Dockerfile").read_text()
    base = re.search(r"^FROM (\S+)$", dockerfile, re.M)
    assert base and re.fullmatch(r"astrocrpublic\.azurecr\.io/runtime:3\.3-\d+-python-3\.1[23]", base[1]), base
    for name in ("requirements.txt", "packages.txt", ".astro/config.yaml", "dags/personalize_pipelines.py"):
        assert (astro / name).is_file(), name
    for folder in dist.DATA_DIRS:
        assert (astro / folder).is_dir(), folder
    assert (astro / "plugins").is_dir() and not list((astro / "plugins").iterdir())
    # Astro's build installs requirements.txt before it copies the project in, so it names no local wheel; the
    # wheels install from the project afterwards, without dependencies (requirements.txt carries them).
    requirements = dist.requirement_lines(astro)
    assert not [line for line in requirements if ".whl" in line]
    assert requirements == [line for line in dist.requirement_lines(REPO) if not line.startswith("./dist/")]
    wheels = sorted(p.name for p in (astro / "wheels").glob("*.whl"))
    assert wheels == sorted(dist.named_wheels(REPO))
    assert "pip install --no-cache-dir --no-deps /usr/local/airflow/wheels/*.whl" in dockerfile


def test_mwaa_bundle(bundles: Path) -> None:
    import zipfile

    mwaa = bundles / "mwaa"
    with zipfile.ZipFile(mwaa / "plugins.zip") as archive:
        assert sorted(archive.namelist()) == sorted(dist.named_wheels(REPO))  # wheels at the zip's root
    requirements = dist.requirement_lines(mwaa)
    wheel_lines = [line for line in requirements if line.endswith(".whl")]
    assert wheel_lines == [f"/usr/local/airflow/plugins/{name}" for name in dist.named_wheels(REPO)]
    assert [line for line in requirements if not line.endswith(".whl")] == [
        line for line in dist.requirement_lines(REPO) if not line.startswith("./dist/")]
    # Everything under one dags folder; only the DAG file is Python, and the root resolves to the dags folder.
    dags = mwaa / "dags"
    assert sorted(p.relative_to(dags).as_posix() for p in dags.rglob("*.py")) == ["personalize_pipelines.py"]
    assert paths._resolve(None, dags, bundles) == dags.resolve()


def test_requirements_carry_what_the_wheels_require() -> None:
    """requirements.txt lists every runtime dependency of the two wheels (Astro installs them --no-deps)."""
    from packaging.requirements import Requirement

    listed = {normalize(Requirement(line).name): Requirement(line) for line in dist.requirement_lines(REPO)
              if not line.startswith("./")}
    ours = {"airflow-provider-personalize", "personalize-pipeline", "apache-airflow"}
    for member in ("plugins", "include"):
        for spec in tomllib.loads((REPO / member / "pyproject.toml").read_text())["project"]["dependencies"]:
            required = Requirement(spec)
            name = normalize(required.name)
            if name in ours:
                continue
            assert name in listed, f"requirements.txt lacks {spec} ({member})"
            assert listed[name].specifier == required.specifier, f"{spec} vs {listed[name]}"
            assert required.extras <= listed[name].extras, f"{spec} vs {listed[name]}"


def test_helm_values_run_the_project_image() -> None:
    import yaml

    values = yaml.safe_load((REPO / "docker" / "helm-values.yaml").read_text())
    assert values["images"]["airflow"]["repository"].endswith("/airflow-personalize")
    base = re.fullmatch(r"apache/airflow:(\S+)-python\S+", dockerfile_stages()["runtime"]["base"])
    assert base and values["airflowVersion"] == base[1], "the chart's airflowVersion must match the image's"
    assert values["triggerer"]["enabled"] is True
    env = {e["name"]: e["value"] for e in values["env"]}
    assert env["PERSONALIZE_PIPELINE_ROOT"] == "/opt/airflow"
    assert {"PERSONALIZE_BUCKET", "PERSONALIZE_ROLE_ARN", "AIRFLOW_CONN_AWS_DEFAULT"} <= set(env)


def test_development_venv_satisfies_the_deployable_requirements() -> None:
    """What the tests run on includes everything a worker installs, in versions requirements.txt accepts."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    for line in dist.requirement_lines(REPO):
        if line.startswith("./"):
            continue
        required = Requirement(line)
        try:
            installed = version(required.name)
        except PackageNotFoundError:
            pytest.fail(f"requirements.txt names {line}, which the development venv lacks (add it to uv.lock)")
        assert required.specifier.contains(installed, prereleases=True), f"{line}: {installed} installed"
