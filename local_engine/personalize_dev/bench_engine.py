"""Benchmark the engine: offline quality per data shape, and throughput end to end over HTTP.

`python -m personalize_dev.bench_engine [--in-process | --http] [--shapes movies,ecommerce,lms] [--seeds 1,2,3]
[--sizes N,...] [--json out.json]` (`make bench-engine`, arguments in BENCH_ENGINE_ARGS). Without --in-process or
--http it runs both parts.

Quality (--in-process: only this, in a few minutes): for each shape (`personalize_dev.shapes`), size (default
100000) and seed, every recipe is trained and scored in process with `personalize_local.metrics.evaluate` (the
split solution versions report), and a table per shape and size gives mean±std over seeds of NDCG@10,
precision@10, MRR@25, coverage, training seconds (a fit on all the data, as a solution version does) and NDCG@10
relative to aws-popularity-count (the mean of the per-seed ratios, with their std).

Throughput (--http: only this): for each size (default 1000000) it starts moto S3 and the engine (as
`make local-aws` does), imports the --http-shape data (default lms) through dataset import jobs, trains every
recipe through solution versions, and reports their metrics, batch inference throughput, GetRecommendations
latency over HTTP and peak RSS (resource.getrusage: this process, which generates the data, and the largest
child, the engine or S3 server).

--json writes {"quality": {"runs": [...], "summary": [...]}, "http": [...]}.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import boto3  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from botocore.config import Config  # noqa: E402
from personalize_local.stack import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, local_stack  # noqa: E402
from personalize_local.synthetic import INTERACTIONS_SCHEMA, ITEMS_SCHEMA  # noqa: E402

from personalize_dev.shapes import SHAPES, load_shape  # noqa: E402

RECIPES = [
    "aws-popularity-count",
    "aws-user-personalization",
    "aws-user-personalization-v2",
    "aws-sims",
    "aws-similar-items",
    "aws-trending-now",
]
QUALITY_SIZE = 100_000
HTTP_SIZE = 1_000_000
METRIC_COLUMNS = [
    ("normalized_discounted_cumulative_gain_at_10", "ndcg@10"),
    ("precision_at_10", "p@10"),
    ("mean_reciprocal_rank_at_25", "mrr@25"),
    ("coverage", "coverage"),
]


def load_frames(n_events: int, seed: int, shape: str = "lms") -> tuple[dict[str, pd.DataFrame], str]:
    """Interactions and items in Personalize's column names, from `personalize_dev.shapes`."""
    return load_shape(shape, n_events, seed), f"personalize_dev.shapes:{shape}"


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=FAKE_ACCESS_KEY,
        aws_secret_access_key=FAKE_SECRET_KEY,
        config=Config(retries={"total_max_attempts": 3, "mode": "standard"}),
    )


def _wait(describe: Any, key: str, timeout: float = 1800.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record: dict[str, Any] = describe()[key]
        if record["status"] in ("ACTIVE", "CREATE FAILED", "CREATE STOPPED"):
            if record["status"] != "ACTIVE":
                raise RuntimeError(f"{key} ended {record['status']}: {record.get('failureReason')}")
            return record
        time.sleep(0.2)
    raise TimeoutError(f"{key} not finished after {timeout}s")


def _csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def _peak_rss_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # Linux reports KiB


def run_size(
    n_events: int, seed: int, recipes: list[str], latency_requests: int, work_dir: Path, shape: str = "lms"
) -> dict[str, Any]:
    frames, source = load_frames(n_events, seed, shape)
    events = frames["interactions"]
    result: dict[str, Any] = {
        "events": len(events),
        "users": int(events["USER_ID"].nunique()),
        "items": len(frames["items"]),
        "data": source,
        "recipes": {},
    }
    with local_stack(work_dir) as stack:
        assert stack.personalize_endpoint_url
        p = _client("personalize", stack.personalize_endpoint_url)
        rt = _client("personalize-runtime", stack.personalize_endpoint_url)
        s3 = _client("s3", stack.s3_endpoint_url)
        s3.create_bucket(Bucket="bench")
        role = "arn:aws:iam::123456789012:role/bench"
        group = p.create_dataset_group(name="bench")["datasetGroupArn"]
        _wait(lambda: p.describe_dataset_group(datasetGroupArn=group), "datasetGroup")
        started = time.perf_counter()
        for dataset_type, schema, frame in (
            ("INTERACTIONS", INTERACTIONS_SCHEMA, events),
            ("ITEMS", ITEMS_SCHEMA, frames["items"]),
        ):
            s3.put_object(Bucket="bench", Key=f"{dataset_type}.csv", Body=_csv(frame))
            schema_arn = p.create_schema(name=f"bench-{dataset_type.lower()}", schema=json.dumps(schema))[
                "schemaArn"
            ]
            dataset = p.create_dataset(
                name=dataset_type.lower(),
                schemaArn=schema_arn,
                datasetGroupArn=group,
                datasetType=dataset_type,
            )["datasetArn"]
            _wait(lambda d=dataset: p.describe_dataset(datasetArn=d), "dataset")
            job = p.create_dataset_import_job(
                jobName=f"import-{dataset_type.lower()}",
                datasetArn=dataset,
                roleArn=role,
                dataSource={"dataLocation": f"s3://bench/{dataset_type}.csv"},
            )
            _wait(
                lambda j=job: p.describe_dataset_import_job(datasetImportJobArn=j["datasetImportJobArn"]),
                "datasetImportJob",
            )
        result["import_seconds"] = round(time.perf_counter() - started, 1)

        versions: dict[str, str] = {}
        for recipe in recipes:
            solution = p.create_solution(
                name=f"bench-{recipe}",
                datasetGroupArn=group,
                recipeArn=f"arn:aws:personalize:::recipe/{recipe}",
            )["solutionArn"]
            _wait(lambda s=solution: p.describe_solution(solutionArn=s), "solution")
            started = time.perf_counter()
            version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
            _wait(lambda v=version: p.describe_solution_version(solutionVersionArn=v), "solutionVersion")
            seconds = time.perf_counter() - started
            metrics = p.get_solution_metrics(solutionVersionArn=version)["metrics"]
            result["recipes"][recipe] = {"train_seconds": round(seconds, 1), "metrics": metrics}
            versions[recipe] = version
            print(f"  trained {recipe} in {seconds:.1f}s", file=sys.stderr, flush=True)

        main_recipe = "aws-user-personalization"
        if main_recipe in versions:
            users = events["USER_ID"].drop_duplicates().tolist()
            s3.put_object(
                Bucket="bench",
                Key="batch/users.json",
                Body="".join(json.dumps({"userId": u}) + "\n" for u in users).encode(),
            )
            started = time.perf_counter()
            job = p.create_batch_inference_job(
                jobName="bench-batch",
                solutionVersionArn=versions[main_recipe],
                roleArn=role,
                numResults=25,
                jobInput={"s3DataSource": {"path": "s3://bench/batch/users.json"}},
                jobOutput={"s3DataDestination": {"path": "s3://bench/batch/out/"}},
            )["batchInferenceJobArn"]
            _wait(lambda: p.describe_batch_inference_job(batchInferenceJobArn=job), "batchInferenceJob")
            seconds = time.perf_counter() - started
            result["batch"] = {
                "users": len(users),
                "seconds": round(seconds, 2),
                "users_per_second": round(len(users) / seconds),
            }

            campaign = p.create_campaign(name="bench", solutionVersionArn=versions[main_recipe])[
                "campaignArn"
            ]
            _wait(lambda: p.describe_campaign(campaignArn=campaign), "campaign")
            rng = np.random.default_rng(seed)
            sample = rng.choice(users, size=latency_requests + 20)
            timings = []
            for i, user in enumerate(sample):
                t0 = time.perf_counter()
                rt.get_recommendations(campaignArn=campaign, userId=str(user), numResults=25)
                if i >= 20:  # the first calls warm the model cache and connection pool
                    timings.append((time.perf_counter() - t0) * 1000)
            timings.sort()
            result["latency_ms"] = {
                "requests": len(timings),
                "p50": round(statistics.median(timings), 2),
                "p99": round(timings[int(0.99 * (len(timings) - 1))], 2),
            }
    # After the stack stopped, so its processes were waited for and count as children.
    result["peak_rss_mb"] = {
        "bench": _peak_rss_mb(resource.RUSAGE_SELF),
        "largest_child": _peak_rss_mb(resource.RUSAGE_CHILDREN),
    }
    return result


def render(results: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for res in results:
        lines.append(
            f"\n== {res['events']:,} interactions, {res['users']:,} users, {res['items']:,} items "
            f"(data: {res['data']}); import {res['import_seconds']}s =="
        )
        header = f"{'recipe':30} {'train s':>8} " + " ".join(f"{label:>9}" for _, label in METRIC_COLUMNS)
        lines += [header + f" {'ndcg vs pop':>11}", "-" * (len(header) + 12)]
        pop = res["recipes"].get("aws-popularity-count", {}).get("metrics", {})
        for recipe, info in res["recipes"].items():
            m = info["metrics"]
            ratio = (
                m[METRIC_COLUMNS[0][0]] / pop[METRIC_COLUMNS[0][0]]
                if pop.get(METRIC_COLUMNS[0][0])
                else float("nan")
            )
            lines.append(
                f"{recipe:30} {info['train_seconds']:>8} "
                + " ".join(f"{m.get(key, float('nan')):>9.4f}" for key, _ in METRIC_COLUMNS)
                + f" {ratio:>10.2f}x"
            )
        if "batch" in res:
            b = res["batch"]
            lines.append(
                f"batch inference (aws-user-personalization, 25 items): {b['users']:,} users in "
                f"{b['seconds']}s = {b['users_per_second']:,} users/s (target >= 5,000)"
            )
        if "latency_ms" in res:
            lat = res["latency_ms"]
            lines.append(
                f"GetRecommendations over HTTP ({lat['requests']} sequential requests): "
                f"p50 {lat['p50']} ms, p99 {lat['p99']} ms"
            )
        if "peak_rss_mb" in res:
            rss = res["peak_rss_mb"]
            lines.append(
                f"peak RSS: bench process {rss['bench']:,} MB, largest child (engine or S3) {rss['largest_child']:,} MB"
            )
    return "\n".join(lines)


def quality_run(shape: str, n_events: int, seed: int, recipes: list[str]) -> dict[str, Any]:
    """Every recipe trained and scored in process on one shape, size and seed."""
    from personalize_local.metrics import evaluate
    from personalize_local.recipes import RECIPE_ARN_PREFIX, RECIPES, TrainingData

    frames = load_shape(shape, n_events, seed)
    events = frames["interactions"]
    data = TrainingData(events, frames["items"])
    result: dict[str, Any] = {
        "shape": shape,
        "size": n_events,
        "seed": seed,
        "events": len(events),
        "users": int(events["USER_ID"].nunique()),
        "items": len(frames["items"]),
        "recipes": {},
    }
    for name in recipes:
        recipe = RECIPES.get(RECIPE_ARN_PREFIX + name)
        if recipe is None:
            print(f"  {name}: not in the engine's recipe catalogue, skipped", file=sys.stderr, flush=True)
            continue
        started = time.perf_counter()
        metrics = evaluate(recipe, {}, data, seed)
        evaluated = time.perf_counter() - started
        started = time.perf_counter()
        recipe.model({}, seed).fit(data)
        trained = time.perf_counter() - started
        result["recipes"][name] = {
            "train_seconds": round(trained, 2),
            "evaluate_seconds": round(evaluated, 2),
            "metrics": metrics,
        }
        print(
            f"  {shape} {n_events:,} seed {seed}: {name} ndcg@10 "
            f"{metrics.get(METRIC_COLUMNS[0][0], float('nan')):.4f}, trained in {trained:.1f}s",
            file=sys.stderr,
            flush=True,
        )
    return result


def _spread(values: list[float], digits: int) -> str:
    finite = [v for v in values if np.isfinite(v)]
    if not finite:
        return "n/a"
    std = statistics.pstdev(finite) if len(finite) > 1 else 0.0
    return f"{statistics.fmean(finite):.{digits}f}±{std:.{digits}f}"


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (shape, size): per recipe mean and std over seeds of each metric and of the NDCG ratio vs popularity."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["shape"], run["size"]), []).append(run)
    ndcg = METRIC_COLUMNS[0][0]
    summaries = []
    for (shape, size), group in groups.items():
        recipes = list(dict.fromkeys(r for run in group for r in run["recipes"]))
        table: dict[str, dict[str, Any]] = {}
        for recipe in recipes:
            per_seed = [run for run in group if recipe in run["recipes"]]
            row: dict[str, Any] = {}
            for key, label in METRIC_COLUMNS:
                row[label] = [float(run["recipes"][recipe]["metrics"].get(key, float("nan"))) for run in per_seed]
            row["train s"] = [float(run["recipes"][recipe]["train_seconds"]) for run in per_seed]
            ratios = []
            for run in per_seed:
                pop = run["recipes"].get("aws-popularity-count", {}).get("metrics", {}).get(ndcg)
                mine = run["recipes"][recipe]["metrics"].get(ndcg)
                ratios.append(float(mine) / float(pop) if pop and mine is not None else float("nan"))
            row["ndcg vs pop"] = ratios
            table[recipe] = row
        summaries.append(
            {
                "shape": shape,
                "size": size,
                "seeds": [run["seed"] for run in group],
                "events": statistics.fmean(run["events"] for run in group),
                "users": statistics.fmean(run["users"] for run in group),
                "items": statistics.fmean(run["items"] for run in group),
                "recipes": table,
            }
        )
    return summaries


def render_quality(summaries: list[dict[str, Any]]) -> str:
    columns = [label for _, label in METRIC_COLUMNS] + ["train s", "ndcg vs pop"]
    widths = {label: 15 for label in columns}
    lines: list[str] = []
    for summary in summaries:
        lines.append(
            f"\n== {summary['shape']}: {summary['size']:,} events requested; mean over seeds "
            f"{','.join(map(str, summary['seeds']))}: {summary['events']:,.0f} interactions, "
            f"{summary['users']:,.0f} users, {summary['items']:,.0f} items; mean±std over seeds =="
        )
        header = f"{'recipe':30} " + " ".join(f"{label:>{widths[label]}}" for label in columns)
        lines += [header, "-" * len(header)]
        for recipe, row in summary["recipes"].items():
            cells = []
            for label in columns:
                digits = 2 if label in ("train s", "ndcg vs pop") else 4
                text = _spread(row[label], digits) + ("x" if label == "ndcg vs pop" else "")
                cells.append(f"{text:>{widths[label]}}")
            lines.append(f"{recipe:30} " + " ".join(cells))
    return "\n".join(lines)


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m personalize_dev.bench_engine",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--in-process", action="store_true", help="only the in-process quality table")
    mode.add_argument("--http", action="store_true", help="only the HTTP throughput run")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated data shapes for the quality table")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (data and split) for the quality table")
    parser.add_argument(
        "--sizes", default=None, help="comma-separated interaction counts (default: quality 100000, HTTP 1000000)"
    )
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--http-shape", default="lms", choices=list(SHAPES), help="data shape of the HTTP run")
    parser.add_argument("--http-seed", type=int, default=7)
    parser.add_argument("--latency-requests", type=int, default=500)
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    args = parser.parse_args(argv)
    recipes = [r for r in args.recipes.split(",") if r]
    shapes = [s for s in args.shapes.split(",") if s]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        parser.error(f"unknown shapes {unknown}; known: {', '.join(SHAPES)}")

    runs: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    if not args.http:
        for shape in shapes:
            for size in _ints(args.sizes or str(QUALITY_SIZE)):
                for seed in _ints(args.seeds):
                    runs.append(quality_run(shape, size, seed, recipes))
        summaries = summarise(runs)
        print(render_quality(summaries), flush=True)

    http: list[dict[str, Any]] = []
    if not args.in_process:
        for size in _ints(args.sizes or str(HTTP_SIZE)):
            print(f"benchmarking {size:,} {args.http_shape} interactions over HTTP ...", file=sys.stderr, flush=True)
            with tempfile.TemporaryDirectory(prefix="personalize-bench-") as tmp:
                http.append(
                    run_size(size, args.http_seed, recipes, args.latency_requests, Path(tmp), args.http_shape)
                )
        print(render(http))
    if args.json:
        args.json.write_text(json.dumps({"quality": {"runs": runs, "summary": summaries}, "http": http}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
