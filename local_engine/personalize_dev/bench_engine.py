"""Benchmark the engine end to end over HTTP: `python -m personalize_dev.bench_engine [--sizes 100000,1000000]`.

For each data size it starts moto S3 and the engine (as `make bench-engine` users would run them), imports
generated data through dataset import jobs, trains every recipe, and reports training time, offline metrics
next to aws-popularity-count, batch inference throughput and GetRecommendations latency over HTTP.

Data comes from the sample LMS generator (`personalize_dev.sample_data.generate_frames`).
"""

from __future__ import annotations

import argparse
import io
import json
import os
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

from personalize_dev.sample_data import generate_frames  # noqa: E402

RECIPES = [
    "aws-popularity-count",
    "aws-user-personalization",
    "aws-user-personalization-v2",
    "aws-sims",
    "aws-similar-items",
    "aws-trending-now",
]
METRIC_COLUMNS = [
    ("normalized_discounted_cumulative_gain_at_10", "ndcg@10"),
    ("precision_at_10", "p@10"),
    ("mean_reciprocal_rank_at_25", "mrr@25"),
    ("coverage", "coverage"),
]


def load_frames(n_events: int, seed: int) -> tuple[dict[str, pd.DataFrame], str]:
    """Interactions and items in Personalize's column names, from the sample LMS generator."""
    frames = generate_frames(n_events, seed)
    events, items = frames["events"], frames["items"]
    interactions = pd.DataFrame(
        {
            "USER_ID": events["user_id"].astype(str),
            "ITEM_ID": events["item_id"].astype(str),
            "TIMESTAMP": events["occurred_at"].astype("int64"),
            "EVENT_TYPE": events["event_type"].astype(str),
            "EVENT_VALUE": events["rating"].astype("float64"),
        }
    )
    catalogue = pd.DataFrame(
        {
            "ITEM_ID": items["item_id"].astype(str),
            "GENRES": items["genres"].astype(str),
            "CREATION_TIMESTAMP": items["created_at"].astype("int64"),
        }
    )
    return {"interactions": interactions, "items": catalogue}, "personalize_dev.sample_data"


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


def run_size(
    n_events: int, seed: int, recipes: list[str], latency_requests: int, work_dir: Path
) -> dict[str, Any]:
    frames, source = load_frames(n_events, seed)
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
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m personalize_dev.bench_engine", description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated interaction counts")
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-requests", type=int, default=500)
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    args = parser.parse_args(argv)
    results = []
    for size in (int(s) for s in args.sizes.split(",") if s):
        print(f"benchmarking {size:,} interactions ...", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="personalize-bench-") as tmp:
            results.append(
                run_size(size, args.seed, args.recipes.split(","), args.latency_requests, Path(tmp))
            )
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
