"""`make bench`: the project's performance figures in one table (stdout, var/reports/bench.md and bench.json).

    python -m personalize_dev.bench [--full] [--repeat N] [--nights 1|2] [--only parse,data,engine,demo,api]

* parse  -- DAG parse time at 1/10/50 config files (bench_parse): a fresh interpreter, and one parse in the dag
            processor (which pre-imports the airflow modules the DAG file names before forking); bytecode cached,
            plus one row compiling from source.
* data   -- the data stage (bench_data) at 1M source events, 1M and 10M with --full: extract+transform, and GX
            validation next to its plain-pandas baseline.
* engine -- the local engine (personalize_dev.bench_engine) at 1M interactions: user-personalization training, its
            NDCG@10 next to the popularity-count baseline, batch inference throughput, GetRecommendations latency.
* demo   -- `make demo`'s command, timed as a subprocess.
* api    -- one nightly run of the default DAG on the local stack (`airflow dags test`) with both servers counting
            requests: the AWS API calls the run makes by service and operation, polling included, and the wait
            settings it ran with (--nights 2: also the next night on unchanged data).

Timings are wall clock (parse also CPU) on whatever machine runs this; on a shared machine other load shows up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from personalize_dev import bench_parse
from personalize_dev.local_run import REPO

REPORTS = REPO / "var" / "reports"
WORK = REPO / "var" / "bench"
SECTIONS = ("parse", "data", "engine", "demo", "api")
ENGINE_SIZE = 1_000_000
Row = dict[str, str]


def _row(area: str, measure: str, value: str, baseline: str = "", notes: str = "") -> Row:
    return {"area": area, "measure": measure, "value": value, "baseline": baseline, "notes": notes}


def _run(args: list[str], log: Path, timeout: int) -> float:
    """Run one of our modules as a subprocess (output to log); return its wall seconds or raise with the tail."""
    started = time.perf_counter()
    with log.open("w") as out:
        # Our own interpreter running one of our modules; no shell.
        proc = subprocess.run([sys.executable, "-m", *args], stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                              cwd=REPO, timeout=timeout, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode:
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"`{' '.join(args)}` exited {proc.returncode} (log {log.relative_to(REPO)}):\n{tail}")
    return seconds


# ---------------------------------------------------------------- sections


def section_parse(raw: dict[str, Any], repeat: int) -> list[Row]:
    warm = bench_parse.run(list(bench_parse.DEFAULT_CONFIGS), repeat, bytecode=True, work=WORK)
    cold = bench_parse.run([1], repeat, bytecode=False, work=WORK)
    raw["parse"] = warm + cold
    rows = []
    labels = {"fresh": "fresh interpreter", "processor": "per parse in the dag processor"}
    for r in [*warm, *(c for c in cold if c["mode"] == "fresh")]:
        target = f"target <= {bench_parse.TARGET_SECONDS} s" if r["configs"] == 10 else ""
        if target:
            target += ": " + ("met" if r["wall_median"] <= bench_parse.TARGET_SECONDS else "missed")
        cache = "bytecode cached" if r["bytecode"] else "no bytecode (compiled from source)"
        rows.append(_row(
            "DAG parse", f"{r['configs']} config(s), {r['tasks']} tasks: {labels[r['mode']]}, {cache}",
            f"{r['wall_median']:.3f} s (CPU {r['cpu_median']:.3f} s)", target,
            f"median of {r['runs']}: {', '.join(map(str, r['wall_all']))} s; boto3 imported while timed: "
            + ("yes" if r["boto3_imported"] else "no")))
    return rows


def section_data(raw: dict[str, Any], full: bool) -> list[Row]:
    out = REPORTS / "bench-data.json"
    sizes = ["--sizes", "1000000,10000000"] if full else ["--quick"]
    _run(["personalize_dev.bench_data", *sizes, "--keep-dir", "--json", str(out)],
         REPORTS / "bench-data.log", timeout=3 * 3600)
    results: dict[str, list[dict[str, Any]]] = json.loads(out.read_text())
    raw["data"] = results
    rows = []
    for size, steps in results.items():
        label = f"{int(size) // 1_000_000}M source events"
        by_step = {s["step"]: s for s in steps}
        extract, gx, base = by_step["extract+transform"], by_step["GX validation"], by_step["pandas baseline"]
        ratio = by_step["validation / baseline"]["ratio"]
        rows.append(_row("data stage", f"{label}: extract + transform", f"{extract['seconds']:.1f} s",
                         "", f"peak RSS {extract['peak_rss_mb']:,.0f} MB; {extract.get('note', '')}"))
        rows.append(_row("data stage", f"{label}: GX validation", f"{gx['seconds']:.1f} s",
                         f"pandas baseline {base['seconds']:.1f} s = {ratio:.2f}x (target <= 2x: "
                         + ("met" if ratio <= 2 else "over") + ")",
                         f"peak RSS {gx['peak_rss_mb']:,.0f} MB (baseline {base['peak_rss_mb']:,.0f} MB); "
                         f"{gx.get('spread', '')}"))
    if not full:
        rows.append(_row("data stage", "10M source events", "not run", "", "`make bench BENCH_FULL=1` adds it"))
    return rows


def section_engine(raw: dict[str, Any]) -> list[Row]:
    out = REPORTS / "bench-engine.json"
    _run(["personalize_dev.bench_engine", "--http", "--sizes", str(ENGINE_SIZE),
          "--recipes", "aws-popularity-count,aws-user-personalization", "--json", str(out)],
         REPORTS / "bench-engine.log", timeout=3600)
    result: dict[str, Any] = json.loads(out.read_text())["http"][0]
    raw["engine"] = result
    recipes = result["recipes"]
    up, pop = recipes["aws-user-personalization"], recipes["aws-popularity-count"]
    metric = "normalized_discounted_cumulative_gain_at_10"
    ratio = up["metrics"][metric] / pop["metrics"][metric] if pop["metrics"].get(metric) else float("nan")
    size = f"{result['events']:,} interactions, {result['users']:,} users, {result['items']:,} items"
    rows = [
        _row("engine", "user-personalization training", f"{up['train_seconds']} s",
             f"popularity-count {pop['train_seconds']} s", f"{size}; target <= 120 s"),
        _row("engine", "NDCG@10, user-personalization", f"{up['metrics'][metric]:.4f}",
             f"popularity-count {pop['metrics'][metric]:.4f} = {ratio:.2f}x (target >= 1.5x)", size),
    ]
    if "batch" in result:
        b = result["batch"]
        rows.append(_row("engine", "batch inference throughput", f"{b['users_per_second']:,} users/s",
                         "target >= 5,000", f"{b['users']:,} users, 25 items each, in {b['seconds']} s"))
    if "latency_ms" in result:
        lat = result["latency_ms"]
        rows.append(_row("engine", "GetRecommendations over HTTP", f"p50 {lat['p50']} ms, p99 {lat['p99']} ms",
                         "", f"{lat['requests']} sequential requests"))
    return rows


def section_demo(raw: dict[str, Any]) -> list[Row]:
    seconds = _run(["personalize_dev.demo"], REPORTS / "bench-demo.log", timeout=1800)
    raw["demo"] = {"seconds": seconds}
    return [_row("make demo", "wall time (default config end to end on the local stack)", f"{seconds:.0f} s",
                 "target <= 300 s", "python -m personalize_dev.demo in a subprocess; "
                 "log var/reports/bench-demo.log")]


def _counts(url: str, method: str = "GET") -> dict[str, dict[str, int]]:
    # The engine's admin endpoint on loopback (an http URL the stack built), not user input.
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=30) as answer:  # noqa: S310
        counts: dict[str, dict[str, int]] = json.loads(answer.read())
    return counts


def nightly_api_calls(work: Path, nights: int = 1) -> list[dict[str, Any]]:
    """Nightly runs of the default DAG on a counting local stack: the first night (everything is created), then with
    nights=2 the next one on unchanged data (resources adopted, nothing retrained). Returns, per run, the API calls
    it made by service and operation and the wait settings it ran with."""
    from personalize_local.stack import local_stack
    from personalize_pipeline.config import load_config
    from personalize_pipeline.paths import config_dir

    from personalize_dev.demo import LOGICAL_DATE
    from personalize_dev.local_run import airflow_env, dagrun_state, dags_test, prepare_airflow

    config = load_config(config_dir() / "lms.yaml")
    schedule = [("first night", LOGICAL_DATE),
                ("next night, data unchanged", (date.fromisoformat(LOGICAL_DATE) + timedelta(days=1)).isoformat())]
    runs = []
    with local_stack(work / "services", count_s3_requests=True) as stack:
        env = airflow_env(work / "airflow", stack.env(), REPO / "include" / "data" / "lms.db")
        prepare_airflow(env, config)
        s3_counts = f"{stack.s3_endpoint_url}/_local/requests"
        engine_counts = f"{stack.personalize_endpoint_url}/admin/requests"
        for label, logical_date in schedule[:nights]:
            _counts(s3_counts, "DELETE")  # only this run counts (not start-up probes, not the night before)
            _counts(engine_counts, "DELETE")
            started = time.perf_counter()
            result = dags_test(env, config.dag_id, logical_date)
            seconds = time.perf_counter() - started
            (work / f"dags_test-{logical_date}.log").write_text(result.stdout + result.stderr)
            s3, personalize = _counts(s3_counts), _counts(engine_counts)
            errors = [x.strip() for x in result.stdout.splitlines() + result.stderr.splitlines()
                      if "Error: " in x or "Exception: " in x]
            runs.append({
                "night": label, "first_error": errors[0][:300] if errors else "", "dag_id": config.dag_id,
                "logical_date": logical_date, "seconds": seconds,
                "state": dagrun_state(result.stdout + result.stderr),
                "calls": {"s3": s3.get("client", {}), **personalize},
                "service_side_s3": s3.get("personalize-local", {}),
                "wait": {"delay_seconds": int(env["PERSONALIZE_PIPELINE_WAITER_DELAY"]),
                         # what the config resolves to outside the local run (60 s unless env or `wait` say else)
                         "config_delay_seconds": config.wait.delay_seconds,
                         "max_attempts": config.wait.max_attempts, "deferrable": config.wait.deferrable},
            })
    return runs


def _ops(counts: dict[str, int]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def section_api(raw: dict[str, Any], nights: int) -> list[Row]:
    work = WORK / "api-run"
    shutil.rmtree(work, ignore_errors=True)  # the first night finds nothing in the engine or in Airflow
    runs = nightly_api_calls(work, nights)
    raw["api"] = runs
    rows = []
    for run in runs:
        if run["state"] != "success":
            raise RuntimeError(f"the counted run {run['logical_date']} ({run['night']}) ended {run['state']}: "
                               f"{run['first_error']} (logs in {work.relative_to(REPO)})")
        total = sum(sum(ops.values()) for ops in run["calls"].values())
        rows.append(_row("AWS API calls", f"{run['dag_id']} {run['logical_date']} ({run['night']}), all services",
                         f"{total:,}", "", f"run took {run['seconds']:.0f} s; counted by the servers, so tasks, "
                         "triggers and retries are all in"))
        for service, ops in sorted(run["calls"].items()):
            polls = sum(n for op, n in ops.items() if op.startswith("Describe"))
            note = _ops(ops)
            if polls:
                note = f"Describe* (status polls and adopt checks) {polls}; " + note
            rows.append(_row("AWS API calls", f"  {service}", f"{sum(ops.values()):,}", "", note))
        if run["service_side_s3"]:
            rows.append(_row("AWS API calls", "  s3 by Personalize itself (service role; not the pipeline's)",
                             f"{sum(run['service_side_s3'].values()):,}", "", _ops(run["service_side_s3"])))
    wait = runs[0]["wait"]
    rows.append(_row("AWS API calls", "deferrable waits: interval and limit", f"{wait['delay_seconds']} s",
                     f"config {wait['config_delay_seconds']} s, {wait['max_attempts']} attempts, "
                     f"deferrable {str(wait['deferrable']).lower()}",
                     "these runs: PERSONALIZE_PIPELINE_WAITER_DELAY=2 (local jobs take seconds); on AWS each wait "
                     "polls about job duration / interval times (`wait.delay_seconds` in the config)"))
    return rows


# ---------------------------------------------------------------- report


def markdown(rows: list[Row]) -> str:
    lines = ["| area | measure | value | baseline / target | notes |", "|---|---|---:|---|---|"]
    lines += [f"| {r['area']} | {r['measure']} | {r['value']} | {r['baseline']} | {r['notes']} |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--full", action="store_true", help="data stage at 10M source events too (long)")
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per parse-time cell (median)")
    parser.add_argument("--nights", type=int, choices=(1, 2), default=1,
                        help="counted runs: the first night, or also the next night on unchanged data")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    REPORTS.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    raw: dict[str, Any] = {}
    runners: dict[str, Callable[[], list[Row]]] = {
        "parse": lambda: section_parse(raw, max(1, args.repeat)),
        "data": lambda: section_data(raw, args.full),
        "engine": lambda: section_engine(raw),
        "demo": lambda: section_demo(raw),
        "api": lambda: section_api(raw, args.nights),
    }
    rows: list[Row] = []
    failed = []
    started = time.perf_counter()
    for name in chosen:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        try:
            rows += runners[name]()
        except Exception as error:  # one broken section must not hide the others' figures
            failed.append(name)
            rows.append(_row(name, "FAILED", "", "", str(error).splitlines()[0][:300]))
            print(f"bench: {name} failed: {error}", file=sys.stderr, flush=True)
    machine = (f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
               f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; data stage at "
               + ("1M and 10M" if args.full else "1M (10M with BENCH_FULL=1)")
               + f"; bench took {time.perf_counter() - started:.0f} s")
    table = markdown(rows)
    print(f"\n{machine}\n\n{table}")
    (REPORTS / "bench.md").write_text(f"# make bench\n\n{machine}\n\n{table}\n")
    (REPORTS / "bench.json").write_text(json.dumps({"machine": machine, "rows": rows, "raw": raw}, indent=2,
                                                   default=str))
    print(f"\nwritten: {(REPORTS / 'bench.md').relative_to(REPO)}, {(REPORTS / 'bench.json').relative_to(REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
