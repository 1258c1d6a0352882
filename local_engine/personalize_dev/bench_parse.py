"""DAG parse time: how long the dag processor takes to load dags/personalize_pipelines.py with N config files.

    python -m personalize_dev.bench_parse [--configs 1,10,50] [--repeat 5] [--json PATH]

Every measurement is a fresh interpreter that first imports `airflow.sdk` and the DagBag class (a dag-processor
child has both loaded), then times `DagBag(<the DAG file>)`: executing the file, the factory, every DAG built and
bagged. The config directory holds N copies of include/config/lms.yaml with distinct names and dataset groups.

Two columns:

* fresh     -- everything the file pulls in is counted (a cold interpreter).
* processor -- the `airflow.*` modules the DAG file names are imported before the clock starts, which is what the
               dag processor does once, before it forks each parse (`[dag_processor] parsing_pre_import_modules`).

Bytecode is cached (PYTHONPYCACHEPREFIX under var/bench, one warm-up run), as in any installed image; `--no-bytecode`
compiles every module from source instead (what a venv installed without bytecode and run with
PYTHONDONTWRITEBYTECODE=1 pays). The table shows median wall and CPU seconds over --repeat runs; wall clock on a
shared machine is noisy, CPU seconds less so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from personalize_dev.local_run import REPO

DAG_FILE = REPO / "dags" / "personalize_pipelines.py"
TEMPLATE = REPO / "include" / "config" / "lms.yaml"
DEFAULT_CONFIGS = (1, 10, 50)
MODES = ("fresh", "processor")
TARGET_SECONDS = 0.3  # at 10 configs
#: Modules that must not be imported by parsing (checked by tests/dags too; reported here for the record).
HEAVY = ("pandas", "great_expectations", "pyarrow", "scipy", "matplotlib", "implicit")

_CHILD = r"""
import importlib, json, sys, time
import airflow.sdk
from airflow.dag_processing.dagbag import DagBag
dag_file, mode = sys.argv[1], sys.argv[2]
if mode == "processor":
    from airflow.utils.file import iter_airflow_imports
    for name in iter_airflow_imports(dag_file):
        importlib.import_module(name)
before = set(sys.modules)
wall, cpu = time.perf_counter(), time.process_time()
bag = DagBag(dag_folder=dag_file)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
new = set(sys.modules) - before
print("PARSE-RESULT " + json.dumps({
    "wall": wall, "cpu": cpu, "dags": len(bag.dags), "tasks": sum(len(d.tasks) for d in bag.dags.values()),
    "import_errors": bag.import_errors, "new_modules": len(new),
    "boto3": any(m == "boto3" for m in new), "heavy": sorted({m.split(".")[0] for m in new} & set(sys.argv[3:])),
}))
"""


DAGS_PER_CONFIG = 3  # the default config's nightly DAG, its erasure DAG and its rollback DAG


def write_configs(directory: Path, count: int) -> None:
    """N copies of the default config with distinct DAG ids and dataset groups."""
    text = TEMPLATE.read_text(encoding="utf-8")
    for index in range(1, count + 1):
        copy = text.replace("\nname: lms\n", f"\nname: lms_{index:03d}\n").replace(
            "\ndataset_group: lms-recommendations\n", f"\ndataset_group: lms-recommendations-{index:03d}\n")
        (directory / f"lms_{index:03d}.yaml").write_text(copy, encoding="utf-8")


def _env(config_dir: Path, airflow_home: Path, pycache: Path, bytecode: bool) -> dict[str, str]:
    env = {**os.environ, "PERSONALIZE_PIPELINE_CONFIG_DIR": str(config_dir), "AIRFLOW_HOME": str(airflow_home),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "PYTHONPYCACHEPREFIX": str(pycache)}
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:  # an empty cache that stays empty: every module is compiled from source
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def parse_once(dag_file: Path, mode: str, env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(dag_file), mode, *HEAVY],  # noqa: S603 - fixed code
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("PARSE-RESULT ")]
    if proc.returncode or not lines:
        raise RuntimeError(f"parse run failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("PARSE-RESULT "))
    if result["import_errors"]:
        raise RuntimeError(f"the DAG file did not import cleanly: {result['import_errors']}")
    return result


def run(configs: list[int], repeat: int, bytecode: bool, dag_file: Path = DAG_FILE,
        work: Path | None = None) -> list[dict[str, Any]]:
    """Median wall/CPU seconds per (configs, mode); runs are interleaved so background load falls on all alike."""
    work = work or REPO / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="parse-", dir=work) as tmp:
        root = Path(tmp)
        pycache = work / "pycache" if bytecode else root / "empty-pycache"
        envs: dict[int, dict[str, str]] = {}
        for count in configs:
            config_dir = root / f"configs-{count}"
            config_dir.mkdir()
            write_configs(config_dir, count)
            envs[count] = _env(config_dir, root / "airflow-home", pycache, bytecode)
        if bytecode:  # fill the bytecode cache (and Airflow's home) before anything is timed
            parse_once(dag_file, "fresh", envs[configs[0]])
        runs: dict[tuple[int, str], list[dict[str, Any]]] = {(c, m): [] for c in configs for m in MODES}
        for attempt in range(repeat):
            for count in configs:
                for mode in MODES:
                    print(f"[parse] {count} config(s), {mode}, run {attempt + 1}/{repeat}", file=sys.stderr,
                          flush=True)
                    result = parse_once(dag_file, mode, envs[count])
                    if result["dags"] != count * DAGS_PER_CONFIG:
                        raise RuntimeError(f"expected {count * DAGS_PER_CONFIG} DAGs, got {result['dags']}")
                    runs[(count, mode)].append(result)
    rows = []
    for (count, mode), results in runs.items():
        rows.append({
            "configs": count, "mode": mode, "bytecode": bytecode, "runs": len(results),
            "tasks": results[0]["tasks"], "boto3_imported": results[0]["boto3"], "heavy": results[0]["heavy"],
            "wall_median": statistics.median(r["wall"] for r in results),
            "cpu_median": statistics.median(r["cpu"] for r in results),
            "wall_all": [round(r["wall"], 3) for r in results],
        })
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| configs | tasks | bytecode | mode | wall s (median) | CPU s (median) | all wall s | boto3 loaded |",
             "|---:|---:|---|---|---:|---:|---|---|"]
    for r in rows:
        lines.append(f"| {r['configs']} | {r['tasks']} | {'cached' if r['bytecode'] else 'none'} | {r['mode']} "
                     f"| {r['wall_median']:.3f} | {r['cpu_median']:.3f} | {', '.join(map(str, r['wall_all']))} "
                     f"| {'yes' if r['boto3_imported'] else 'no'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--configs", default=",".join(map(str, DEFAULT_CONFIGS)), help="comma-separated counts")
    parser.add_argument("--repeat", type=int, default=5, help="runs per cell; the median is reported")
    parser.add_argument("--no-bytecode", action="store_true", help="compile every module from source")
    parser.add_argument("--dag-file", type=Path, default=DAG_FILE)
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    configs = [int(c) for c in args.configs.split(",") if c.strip()]
    rows = run(configs, max(1, args.repeat), not args.no_bytecode, args.dag_file.resolve())
    print(markdown(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
