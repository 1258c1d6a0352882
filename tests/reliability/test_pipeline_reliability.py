"""Reliability of the real `personalize_lms` DAG against the local engine's fault injection and moto S3.

One stack, one metadata DB and one data set for the module; the tests run in order like nights in production and
each adds a row to var/reports/reliability.json (`make reliability` prints the table):

1. throttling, bursts of 5xx, lost responses and an engine killed mid-training (resumed): the first run succeeds
   and creates exactly what a clean run creates, once each, with every staged row imported;
2. one solution's training fails, another's is failed by an engine restart in `--on-restart fail` mode: the run
   fails naming Personalize's reasons, retries train nothing new, and the campaign keeps serving run 1's version;
3. two triggered runs under Airflow's own scheduler loop: the second waits until the first ends;
4. the Airflow process killed (SIGKILL) while a training task waits, the task run again: it re-attaches to its own
   solution version and nothing new is created.

Bad data never reaching an import is tests/e2e/test_pipeline_dag.py::test_invalid_data_stops_at_the_gate; bad
config files are test_bad_config.py here.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from personalize_dev.local_run import REPO, airflow_env, dagrun_state, prepare_airflow
from personalize_dev.reliability_report import scenario
from personalize_dev.sample_data import generate_database
from personalize_local.stack import local_stack
from personalize_pipeline.config import PipelineConfig, load_config

from .harness import (
    Airflow,
    Engine,
    airflow_db,
    cli,
    dags_test,
    duplicates,
    extra_copies,
    latest_run,
    readonly,
    task_states,
    wait_until,
)

pytestmark = pytest.mark.slow
BUCKET = "pipeline-reliability"
DATE = "2026-11-01"
PARTITION = "personalize/lms-recommendations/staged/snapshot=20261101T000000Z"
CONFIG = load_config(REPO / "include" / "config" / "lms.yaml")
GROUP = CONFIG.dataset_group
UP = "user-personalization"  # the solution with the campaign
# 20% throttled, 3 consecutive 5xx every 40 requests, 3% of requests carried out but answered 500.
FAULTS = {"throttle_rate": 0.2, "error_burst_length": 3, "error_burst_every": 40, "lost_response_rate": 0.03}
IN_PROGRESS, FAILED = "CREATE IN_PROGRESS", "CREATE FAILED"


@dataclass
class World:
    root: Path
    env: dict[str, str]
    engine: Engine
    pristine_db: Path  # the metadata DB as migrated, before any run
    runtime: Any
    s3: Any


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("reliability")
    db = root / "lms.db"
    generate_database(db, n_events=20_000, seed=21)
    with local_stack(root / "services") as stack:
        # Poll and retry every second: local jobs take seconds, and faults make every run poll more.
        env = airflow_env(root / "airflow", stack.env(), db, PERSONALIZE_BUCKET=BUCKET,
                          PERSONALIZE_PIPELINE_WAITER_DELAY="1", PERSONALIZE_PIPELINE_RETRY_DELAY="1")
        prepare_airflow(env)
        pristine = root / "pristine.db"
        shutil.copy(airflow_db(env), pristine)
        kwargs = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        yield World(root, env, Engine(stack), pristine,
                    boto3.client("personalize-runtime", endpoint_url=stack.personalize_endpoint_url, **kwargs),
                    boto3.client("s3", endpoint_url=stack.s3_endpoint_url, **kwargs))


def expected_counts(config: PipelineConfig) -> dict[str, int]:
    """What one clean first run creates: each resource and job once."""
    datasets, solutions = len(config.datasets), config.solutions
    return {"DatasetGroup": 1, "Schema": datasets, "Dataset": datasets, "DatasetImportJob": datasets,
            "Filter": len(config.filters), "Solution": len(solutions), "SolutionVersion": len(solutions),
            "Campaign": sum(1 for s in solutions if s.campaign),
            "BatchInferenceJob": sum(1 for s in solutions if s.batch_inference)}


def solution_of(version: dict[str, Any]) -> str:
    """The config's solution name of a solution version (ARN .../solution/<group>-<solution>/<id>)."""
    return str(version["solutionVersionArn"].split("/")[1].removeprefix(f"{GROUP}-"))


def rows(world: World) -> tuple[int, int]:
    """Rows staged for the run's partition (its manifest) and rows the engine holds in the imported datasets."""
    body = world.s3.get_object(Bucket=BUCKET, Key=f"{PARTITION}/_manifest.json")["Body"].read()
    staged = json.loads(body)["stats"]
    held = {d["name"]: d.get("_rows", 0) for d in world.engine.records("Dataset")}
    return (sum(staged[d]["rows"] for d in CONFIG.datasets),
            sum(held.get(CONFIG.resource_name(d), 0) for d in CONFIG.datasets))


def campaign(world: World) -> dict[str, Any]:
    return next(c for c in world.engine.records("Campaign") if c["name"] == CONFIG.resource_name(UP))


def new_training(world: World, known: set[str], run: Airflow, exclude: str = "") -> dict[str, Any]:
    """A solution version created since `known` that is training now (fails fast if the run ended first)."""

    def probe() -> dict[str, Any] | None:
        assert run.proc.poll() is None, f"the run ended before any training:\n{run.output[-5000:]}"
        return next((v for v in world.engine.records("SolutionVersion") if v["solutionVersionArn"] not in known
                     and v["status"] == IN_PROGRESS and solution_of(v) != exclude), None)

    return wait_until(probe, 420, "a solution version in training")


def test_faults_and_an_engine_restart_converge_without_duplicates(
        world: World, reliability_report: list[dict[str, Any]]) -> None:
    engine, started = world.engine, time.monotonic()
    engine.reset_faults(**FAULTS)
    run = dags_test(world.env, world.root / "faults.log", DATE)

    def solutions_ready() -> bool:
        assert run.proc.poll() is None, f"the run ended early:\n{run.output[-5000:]}"
        found = engine.records("Solution")
        return len(found) == len(CONFIG.solutions) and all(s["status"] == "ACTIVE" for s in found)

    # Trainings come right after the solutions: hold them so the engine dies with one in progress.
    wait_until(solutions_ready, 420, "the solutions")
    engine.faults(min_job_seconds=60)
    killed = new_training(world, set(), run)
    engine.restart(*(f"--{k.replace('_', '-')}={v}" for k, v in FAULTS.items()))  # resume (the default)
    out = run.wait(600)
    injected, names, (staged, imported) = engine.injected_total(), engine.names(), rows(world)
    state = dagrun_state(out)
    reliability_report.append(scenario(
        "20% throttled, 5xx bursts (3 every 40 requests), 3% lost responses; engine killed mid-training, resumed",
        faults={**injected, "engine_restarts": 1}, runs=1, runs_ok=int(state == "success"), expected="success",
        outcome=str(state), duplicates=extra_copies(names), rows_staged=staged, rows_imported=imported,
        seconds=time.monotonic() - started))

    assert state == "success", out[-6000:]
    arn = killed["solutionVersionArn"]
    assert f"resuming SolutionVersion {arn}" in engine.log()
    assert next(v for v in engine.records("SolutionVersion") if v["solutionVersionArn"] == arn)["status"] == "ACTIVE"
    assert injected["throttled"] and injected["burst_errors"] and injected["lost_responses"], injected
    assert duplicates(names) == {}
    assert {kind: len(found) for kind, found in names.items()} == expected_counts(CONFIG)
    assert staged == imported > 0


def test_failed_trainings_fail_the_run_and_keep_the_campaign(
        world: World, reliability_report: list[dict[str, Any]]) -> None:
    engine, started = world.engine, time.monotonic()
    served = campaign(world)["solutionVersionArn"]
    known = {v["solutionVersionArn"] for v in engine.records("SolutionVersion")}
    doomed = CONFIG.resource_name(UP)
    engine.reset_faults(fail_training=doomed, min_job_seconds=60)
    run = dags_test(world.env, world.root / "failures.log", DATE, {"force_retrain": True})
    held = new_training(world, known, run, exclude=UP)
    engine.restart("--on-restart", "fail", "--fail-training", doomed)
    out = run.wait(600)
    state, kept = dagrun_state(out), campaign(world)["solutionVersionArn"] == served
    new = [v for v in engine.records("SolutionVersion") if v["solutionVersionArn"] not in known]
    reasons = {UP: "Injected training failure",
               solution_of(held): "personalize-local restarted while this job was in progress"}
    failed = {solution_of(v): v for v in new if v["status"] == FAILED}
    # Personalize's reason is what failed the task (and is in its log), not a generic timeout
    named = [s for s, reason in reasons.items() if s in failed and reason in failed[s]["failureReason"]
             and f"solution version {failed[s]['solutionVersionArn']} creation failed: {reason}" in out]
    names, (staged, imported) = engine.names(), rows(world)
    reliability_report.append(scenario(
        "one solution's training fails (fail-training); engine restarted mid-training with --on-restart fail",
        faults={"failed_trainings": 1, "engine_restarts": 1}, runs=1,
        runs_ok=int(state == "failed" and len(named) == 2 and kept), expected="failed, both reasons, campaign kept",
        outcome=f"{state}, {len(named)} reasons named, campaign {'kept' if kept else 'CHANGED'}",
        duplicates=extra_copies(names), rows_staged=staged, rows_imported=imported,
        seconds=time.monotonic() - started))

    assert state == "failed", out[-6000:]
    assert sorted(named) == sorted(reasons), out[-6000:]
    # one version per solution: the retries of the failed train tasks re-attached to their failed versions
    assert Counter(solution_of(v) for v in new) == {s.name: 1 for s in CONFIG.solutions}
    states = task_states(world.env, latest_run(world.env))
    assert {s.name: states[f"{s.name}.train"] for s in CONFIG.solutions} == {
        s.name: "failed" if s.name in reasons else "success" for s in CONFIG.solutions}
    # the summary is written, then fails the run (it is the only leaf: no watcher task wired to every other)
    assert states["summary"] == "failed" and "run_failed" not in states
    assert kept  # still serving run 1's version
    items = world.runtime.get_recommendations(campaignArn=campaign(world)["campaignArn"], userId="u000003",
                                              numResults=5)["itemList"]
    assert len(items) == 5
    assert duplicates(names) == {}


def test_two_triggered_runs_never_run_together(world: World, reliability_report: list[dict[str, Any]]) -> None:
    """`dags test` ignores max_active_runs, so the scheduler's own loop decides here (no task gets a slot)."""
    started = time.monotonic()
    home = world.root / "scheduler"
    home.mkdir()
    db = home / "airflow.db"
    shutil.copy(world.pristine_db, db)
    env = {**world.env, "AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{db}",
           "AIRFLOW__CORE__PARALLELISM": "1", "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False"}
    probe = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("scheduler_probe.py")), "personalize_lms",
         "2026-11-02T00:00:00+00:00", "2026-11-03T00:00:00+00:00"],
        env=env, cwd=REPO, stdout=(home / "probe.log").open("w"), stderr=subprocess.STDOUT)
    most_running, seen = 0, set()
    while probe.poll() is None or not seen:
        try:
            with readonly(db) as conn:
                states = [s for (s,) in conn.execute("SELECT state FROM dag_run")]
        except sqlite3.OperationalError:  # busy or not created yet: look again
            states = []
        most_running = max(most_running, states.count("running"))
        seen.add(tuple(sorted(states)))
        time.sleep(0.2)
    log = (home / "probe.log").read_text(errors="replace")
    with readonly(db) as conn:
        runs = conn.execute("SELECT state, start_date, end_date FROM dag_run ORDER BY logical_date").fetchall()
    # The probe reads the states itself once the first scheduler stopped: polling from here can miss that moment.
    waited = "PROBE states after the first scheduler: queued,running" in log and [r[0] for r in runs] == [
        "success", "running"]
    after = waited and runs[1][1] >= runs[0][2]
    reliability_report.append(scenario(
        "two runs triggered together (scheduler loop, max_active_runs=1)", faults={}, runs=2,
        runs_ok=2 if most_running == 1 and after else 0, expected="second waits for the first",
        outcome=f"at most {most_running} running; second {'started after the first ended' if after else 'did not'}",
        duplicates=0, seconds=time.monotonic() - started))

    assert probe.returncode == 0 and "PROBE second scheduler done" in log, log[-5000:]
    assert "dag cannot be started due to dag max_active_runs constraint" in log  # the scheduler's own reason
    assert most_running == 1, seen
    assert "PROBE states after the first scheduler: queued,running" in log, log[-5000:]  # the second waited...
    assert [r[0] for r in runs] == ["success", "running"], log[-5000:]
    assert runs[1][1] >= runs[0][2]  # ...and started only after the first had ended


def test_killed_task_reattaches_to_its_training(world: World, reliability_report: list[dict[str, Any]]) -> None:
    engine, started = world.engine, time.monotonic()
    known = {v["solutionVersionArn"] for v in engine.records("SolutionVersion")}
    engine.reset_faults(min_job_seconds=60)
    run = dags_test(world.env, world.root / "killed.log", DATE, {"force_retrain": True})
    version = new_training(world, known, run)
    arn, solution = version["solutionVersionArn"], solution_of(version)
    wait_until(lambda: f"Deferring until solution version {arn}" in run.output, 60, "the task to wait")
    run.kill()
    run_id = latest_run(world.env)
    assert task_states(world.env, run_id)[f"{solution}.train"] not in ("success", "failed")

    # Cleared (what the scheduler does to a task whose worker died: state and deferral reset, one more try), the
    # task runs again in the same DAG run while its training is still going on.
    # (Airflow 3.3 matches --task-regex as a substring of the task id; "<solution>.train" names one task.)
    cli(world.env, "tasks", "clear", "personalize_lms", "--task-regex", f"{solution}.train", "--start-date", DATE,
        "--end-date", DATE, "--yes")
    retry = Airflow(world.env, world.root / "retry.log", "tasks", "test", "personalize_lms", f"{solution}.train",
                    run_id)
    wait_until(lambda: f"({arn})" in retry.output or retry.proc.poll() is not None, 120,
               "the retried task to look for its training")
    engine.faults(min_job_seconds=0)
    out = retry.wait(300)
    after = [v for v in engine.records("SolutionVersion") if v["solutionVersionArn"] not in known]
    adopted = f"Adopting existing solution version '{version['name']}' ({arn})" in out
    state = task_states(world.env, run_id)[f"{solution}.train"]
    names, (staged, imported) = engine.names(), rows(world)
    reliability_report.append(scenario(
        "Airflow process SIGKILLed while a training task waits; the task run again",
        faults={"process_kills": 1}, runs=1, runs_ok=int(adopted and state == "success" and len(after) == 1),
        expected="re-attach, nothing new", outcome=f"{'re-attached' if adopted else 'NOT re-attached'}, task {state}, "
        f"{len(after) - 1} new versions", duplicates=extra_copies(names), rows_staged=staged, rows_imported=imported,
        seconds=time.monotonic() - started))

    assert retry.proc.returncode == 0, out[-5000:]
    assert adopted, out[-5000:]
    assert state == "success"
    assert [v["solutionVersionArn"] for v in after] == [arn]  # nothing new: the same job, now ACTIVE
    assert after[0]["status"] == "ACTIVE"
    assert duplicates(names) == {}
