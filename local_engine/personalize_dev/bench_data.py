"""Benchmark the data stage at scale: generate, extract+transform, GX validation, and a plain-pandas baseline.

    python -m personalize_dev.bench_data --sizes 1000000,10000000 [--quick] [--keep-dir] [--json PATH]

For each size (number of source events) the sample generator writes an LMS SQLite database under var/bench/, then
each step runs in a fresh subprocess so its peak RSS is its own (VmHWM of the child, falling back to ru_maxrss):

* extract   -- interactions + items + users from SQLite through pandas.read_sql chunks (200k rows, the shape of
               the DAG's common.sql hook path), transformed and de-duplicated into CSVs by extract.write_csv;
* validate  -- validate.validate_files on the three staged CSVs (Great Expectations suites); GX import time is
               measured separately in the same child and not counted in the validation seconds;
* baseline  -- one pass of plain, efficient pandas over the same CSVs checking the same rules.

Validation and baseline run --repeat times (default 3), alternated so background load falls on both alike; the table
shows the median seconds and the highest peak RSS.

Prints a Markdown table (size, step, seconds, peak RSS MB) and the validation/baseline ratio. Targets: validation
<= 2x baseline and peak RSS <= 2.5 GB at 10M. Timings are wall clock on whatever machine runs this: on a shared
box other load shows up in the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

BENCH_DIR = Path("var") / "bench"
DEFAULT_SIZES = (1_000_000, 10_000_000)
CHUNK_ROWS = 200_000
DATASETS = ("interactions", "items", "users")
RSS_TARGET_MB = 2.5 * 1024
RATIO_TARGET = 2.0
MIN_TIMESTAMP = 946_684_800  # the suites' lower bound (2000-01-01)
ID_MAX_LENGTH = 256
GENRES_PATTERN = r"^[a-z0-9_]+(?:\|[a-z0-9_]+)*$"


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (VmHWM; ru_maxrss where /proc is unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def bench_config() -> Any:
    from personalize_pipeline.config import PipelineConfig

    return PipelineConfig(name="bench", dataset_group="bench")


def staged_files(out_dir: Path) -> dict[str, Path]:
    return {dataset: out_dir / f"{dataset}.csv" for dataset in DATASETS}


# ---------------------------------------------------------------- steps (each runs in its own child process)


def step_generate(db: Path, size: int, seed: int) -> dict[str, Any]:
    from personalize_dev.sample_data import generate_database

    started = time.perf_counter()
    counts = generate_database(db, size, seed)
    return {"seconds": time.perf_counter() - started, "rows": counts}


def step_extract(db: Path, out_dir: Path, chunk_rows: int) -> dict[str, Any]:
    from personalize_pipeline.extract import Interval, extract_dataset

    config = bench_config()
    out_dir.mkdir(parents=True, exist_ok=True)
    interval = Interval(0, int(time.time()) + 1)  # full snapshot: everything up to now

    started = time.perf_counter()
    stats = {}
    with sqlite3.connect(db) as conn:
        def chunks_for(sql: str) -> Iterator[pd.DataFrame]:
            yield from pd.read_sql(sql, conn, chunksize=chunk_rows)

        for dataset in DATASETS:
            stats[dataset] = extract_dataset(config, dataset, "full", interval, out_dir, chunks_for).to_dict()
    return {"seconds": time.perf_counter() - started,
            "rows": {d: s["rows"] for d, s in stats.items()},
            "source_rows": {d: s["source_rows"] for d, s in stats.items()},
            "mb": {d: round(s["bytes"] / 1e6, 1) for d, s in stats.items()}}


def step_validate(out_dir: Path, now: int) -> dict[str, Any]:
    from personalize_pipeline.gx_runtime import import_gx

    started = time.perf_counter()
    import_gx()
    import_seconds = time.perf_counter() - started
    from personalize_pipeline.validate import validate_files

    config = bench_config()
    started = time.perf_counter()
    report = validate_files(staged_files(out_dir), config, now=now)
    return {"seconds": time.perf_counter() - started, "import_seconds": import_seconds,
            "success": report.success, "failures": [f"{f.dataset}: {f.rule}: {f.observed}" for f in report.failures]}


def step_baseline(out_dir: Path, now: int) -> dict[str, Any]:
    config = bench_config()
    started = time.perf_counter()
    failures = baseline_checks(staged_files(out_dir), config, now)
    return {"seconds": time.perf_counter() - started, "success": not failures, "failures": failures}


def baseline_checks(files: dict[str, Path], config: Any, now: int) -> list[str]:
    """The validation rules in plain pandas, written to be fast: typed pyarrow reads, vectorised checks.

    Same rules as the suites (structure first, content only when the columns are right); returns the names of the
    rules that fail. A value that does not parse as its column's type fails the read, which counts as a failure.
    """
    rules = config.validation
    event_types = config.event_filter.event_types
    failures: list[str] = []

    def read(dataset: str, expected: list[str], dtypes: dict[str, str]) -> pd.DataFrame | None:
        try:
            frame = pd.read_csv(files[dataset], engine="pyarrow", dtype=dtypes)
        except Exception as exc:
            failures.append(f"{dataset}: readable with typed columns ({type(exc).__name__})")
            return None
        if list(frame.columns) != expected:
            failures.append(f"{dataset}: columns are {', '.join(expected)}")
            return None
        return frame

    def ids_ok(dataset: str, ids: pd.Series, unique: bool) -> None:
        name = ids.name
        if ids.isna().any():
            failures.append(f"{dataset}: {name} is present")
        lengths = ids.str.len()
        if ((lengths < 1) | (lengths > ID_MAX_LENGTH)).any():
            failures.append(f"{dataset}: {name} is 1-{ID_MAX_LENGTH} characters")
        if unique and ids.duplicated().any():
            failures.append(f"{dataset}: {name} is unique")

    def in_range(values: pd.Series, low: float, high: float) -> bool:
        present = values.dropna()
        return bool(((present >= low) & (present <= high)).all())

    string = "string[pyarrow]"
    inter = read("interactions", ["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"],
                 {"USER_ID": string, "ITEM_ID": string, "EVENT_TYPE": string, "EVENT_VALUE": "float32",
                  "TIMESTAMP": "Int64"})
    items = read("items", ["ITEM_ID", "GENRES", "CREATION_TIMESTAMP"],
                 {"ITEM_ID": string, "GENRES": string, "CREATION_TIMESTAMP": "Int64"})
    users = read("users", ["USER_ID", "AGE", "GENDER", "LOCATION", "EDUCATION"],
                 {"USER_ID": string, "AGE": "Int64", "GENDER": string, "LOCATION": string, "EDUCATION": string})

    if inter is not None:
        if len(inter) < rules.min_interactions:
            failures.append("interactions: enough interactions")
        for column in ("USER_ID", "ITEM_ID"):
            ids_ok("interactions", inter[column], unique=False)
        for column in ("EVENT_TYPE", "TIMESTAMP"):
            if inter[column].isna().any():
                failures.append(f"interactions: {column} is present")
        if not in_range(inter["TIMESTAMP"], MIN_TIMESTAMP, now):
            failures.append("interactions: TIMESTAMP in range")
        if not inter["EVENT_TYPE"].dropna().isin(event_types).all():
            failures.append("interactions: EVENT_TYPE in configured set")
        if not in_range(inter["EVENT_VALUE"], rules.event_value_min, rules.event_value_max):
            failures.append("interactions: EVENT_VALUE in range")
        if inter.duplicated(["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"]).any():
            failures.append("interactions: no duplicate keys")
        per_user = inter["USER_ID"].value_counts()
        if int((per_user >= rules.min_interactions_per_user).sum()) < rules.min_users:
            failures.append("interactions: enough users with the minimum interactions")
        distinct = {"USER_ID": per_user.index, "ITEM_ID": inter["ITEM_ID"].dropna().unique()}
    if items is not None:
        if len(items) < 1:
            failures.append("items: the catalogue is not empty")
        ids_ok("items", items["ITEM_ID"], unique=True)
        genres = items["GENRES"].dropna()
        if not genres.str.fullmatch(GENRES_PATTERN).all():
            failures.append("items: GENRES format")
        if items["CREATION_TIMESTAMP"].isna().any():
            failures.append("items: CREATION_TIMESTAMP is present")
        if not in_range(items["CREATION_TIMESTAMP"], MIN_TIMESTAMP, now):
            failures.append("items: CREATION_TIMESTAMP in range")
    if users is not None:
        if len(users) < 1:
            failures.append("users: not empty")
        ids_ok("users", users["USER_ID"], unique=True)
        if not in_range(users["AGE"], rules.min_age, rules.max_age):
            failures.append("users: AGE in range")
        if not users["GENDER"].dropna().isin(rules.genders).all():
            failures.append("users: GENDER in set")
    if inter is not None and items is not None and users is not None:
        for column, known in (("ITEM_ID", items["ITEM_ID"]), ("USER_ID", users["USER_ID"])):
            # object hashtable isin: pyarrow-string isin builds one Arrow scalar per lookup value (slow)
            referenced = pd.Series(distinct[column], dtype=object)
            if float(referenced.isin(known.dropna().astype(object)).mean()) < rules.min_reference_coverage:
                failures.append(f"interactions: share of {column}s present")
    return failures


def child_main(argv: list[str]) -> None:
    """Run one step and print its result (plus this process's peak RSS) as one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=("generate", "extract", "validate", "baseline"))
    parser.add_argument("--db", type=Path)
    parser.add_argument("--out-dir", type=Path)
    parser.add_argument("--size", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS)
    parser.add_argument("--now", type=int, default=0)
    args = parser.parse_args(argv)
    if args.step == "generate":
        result = step_generate(args.db, args.size, args.seed)
    elif args.step == "extract":
        result = step_extract(args.db, args.out_dir, args.chunk_rows)
    elif args.step == "validate":
        result = step_validate(args.out_dir, args.now)
    else:
        result = step_baseline(args.out_dir, args.now)
    result["peak_rss_mb"] = peak_rss_mb()
    print("BENCH-RESULT " + json.dumps(result))


# ---------------------------------------------------------------- parent: orchestrate and report


def run_step(step: str, *args: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "personalize_dev.bench_data", "--child", step, *args]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own module
    if proc.returncode != 0:
        raise RuntimeError(f"step {step} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    line = next(x for x in reversed(proc.stdout.splitlines()) if x.startswith("BENCH-RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
    return result


def human(size: int) -> str:
    return f"{size // 1_000_000}M" if size % 1_000_000 == 0 else f"{size:,}"


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median seconds and the highest peak RSS over repeated runs of one step."""
    seconds = sorted(r["seconds"] for r in runs)
    summary = dict(runs[0])
    summary.update(seconds=statistics.median(seconds), peak_rss_mb=max(r["peak_rss_mb"] for r in runs),
                   import_seconds=statistics.median(r.get("import_seconds", 0.0) for r in runs),
                   spread=f"median of {len(runs)}: " + ", ".join(f"{x:.1f}" for x in seconds) + " s")
    return summary


def bench_size(size: int, seed: int, keep: bool, base: Path, repeat: int) -> list[dict[str, Any]]:
    db = base / f"lms-{size}-seed{seed}.db"
    out_dir = base / f"staged-{size}-seed{seed}"
    rows: list[dict[str, Any]] = []

    def log(message: str) -> None:
        print(f"[{human(size)}] {message}", file=sys.stderr, flush=True)

    if keep and db.exists():
        log(f"reusing {db}")
        rows.append({"step": "generate DB", "seconds": None, "peak_rss_mb": None, "note": "reused (--keep-dir)"})
    else:
        log("generating the sample database ...")
        result = run_step("generate", "--db", str(db), "--size", str(size), "--seed", str(seed))
        rows.append({"step": "generate DB", **result,
                     "note": ", ".join(f"{n:,} {t}" for t, n in result["rows"].items())})
    log("extract + transform ...")
    result = run_step("extract", "--db", str(db), "--out-dir", str(out_dir))
    rows.append({"step": "extract+transform", **result,
                 "note": ", ".join(f"{result['rows'][d]:,} {d} ({result['mb'][d]} MB)" for d in DATASETS)})
    now = int(time.time())
    runs: dict[str, list[dict[str, Any]]] = {"validate": [], "baseline": []}
    for attempt in range(1, repeat + 1):  # alternate the two so background load hits both alike
        for step in runs:
            log(f"{'GX validation' if step == 'validate' else 'pandas baseline'} (run {attempt}/{repeat}) ...")
            runs[step].append(run_step(step, "--out-dir", str(out_dir), "--now", str(now)))
    validated, baseline = _summary(runs["validate"]), _summary(runs["baseline"])
    if validated["success"] != baseline["success"]:
        log(f"WARNING: GX and baseline disagree: {validated['failures']} vs {baseline['failures']}")
    rows.append({"step": "GX validation", **validated,
                 "note": ("passed" if validated["success"] else f"{len(validated['failures'])} failure(s)")
                 + f"; {validated['spread']}; GX import {validated['import_seconds']:.1f}s not counted"})
    rows.append({"step": "pandas baseline", **baseline,
                 "note": ("passed" if baseline["success"] else f"{len(baseline['failures'])} failure(s)")
                 + f"; {baseline['spread']}"})
    ratio = validated["seconds"] / baseline["seconds"] if baseline["seconds"] else float("inf")
    rows.append({"step": "validation / baseline", "seconds": None, "peak_rss_mb": None, "ratio": ratio,
                 "note": f"target <= {RATIO_TARGET:g}x: {'met' if ratio <= RATIO_TARGET else 'OVER'}"})
    if not keep:
        db.unlink(missing_ok=True)
    return rows


def markdown(results: dict[int, list[dict[str, Any]]]) -> str:
    lines = ["| size | step | seconds | peak RSS MB | ratio | notes |", "|---|---|---:|---:|---:|---|"]
    for size, rows in results.items():
        for row in rows:
            seconds = f"{row['seconds']:.1f}" if row.get("seconds") is not None else ""
            rss = row.get("peak_rss_mb")
            rss_text = f"{rss:,.0f}" + (" (over 2.5 GB)" if rss > RSS_TARGET_MB else "") if rss is not None else ""
            ratio = f"{row['ratio']:.2f}x" if row.get("ratio") is not None else ""
            note = row.get("note", "")
            lines.append(f"| {human(size)} | {row['step']} | {seconds} | {rss_text} | {ratio} | {note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child_main(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma-separated numbers of source events (default 1000000,10000000)")
    parser.add_argument("--keep-dir", action="store_true",
                        help=f"keep generated databases in {BENCH_DIR}/ and reuse them on the next run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of the validation and baseline steps, alternated; the median is reported")
    parser.add_argument("--dir", type=Path, default=BENCH_DIR, help=f"work directory (default {BENCH_DIR})")
    parser.add_argument("--quick", action="store_true", help="1M source events only (what `make bench` runs)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here ({size: [rows]})")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = str(DEFAULT_SIZES[0])
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.dir.mkdir(parents=True, exist_ok=True)
    results = {size: bench_size(size, args.seed, args.keep_dir, args.dir, max(1, args.repeat)) for size in sizes}
    print(f"\ncores: {os.cpu_count()}, python {sys.version.split()[0]}, pandas {pd.__version__}\n")
    print(markdown(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
