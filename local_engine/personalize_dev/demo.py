"""`make demo`: the default pipeline end to end on the embedded local stack, then results a person can open.

Starts moto's S3 server and the local Personalize engine on loopback, runs the `lms` DAG through
`airflow dags test` printing one line per task as Airflow records it, then copies each solution's promotion report,
the run summary and a sample of the batch recommendations out of the local S3 server into var/demo/results/
(the summary names those paths, and the S3 URIs beside them), shows one GetRecommendations answer from the
campaign, and stops the services.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from personalize_local.stack import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, LocalStack, local_stack
from personalize_pipeline.config import load_config
from personalize_pipeline.paths import config_dir

from personalize_dev.demo_results import DemoResults, collect
from personalize_dev.local_run import REPO, airflow_env, dagrun_state, dags_test, prepare_airflow
from personalize_dev.progress import RunProgress, follow

LOGICAL_DATE = "2026-11-01"  # the sample database's activity ends on this day


def _shown(path: Path) -> str:
    """A path as a person types it: relative to the checkout when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _run_with_progress(env: dict[str, str], dag_id: str, database: Path) -> Any:
    """`airflow dags test` in a thread; meanwhile, what Airflow records of each task, as it happens."""
    outcome: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: outcome.update(result=dags_test(env, dag_id, LOGICAL_DATE)))
    runner.start()
    follow(RunProgress(database, dag_id), runner.is_alive, lambda line: print(line, flush=True))
    runner.join()
    return outcome["result"]


def _print_results(results: DemoResults) -> None:
    rows = [(f"promotion report {solution}", report) for solution, report in sorted(results.reports.items())]
    rows += [("run summary", results.summary)] if results.summary else []
    rows += [("batch recommendations (sample)", results.recommendations)] if results.recommendations else []
    width = max((len(label) for label, _ in rows), default=0)
    print("\nresults (open in a browser):")
    for label, path in rows:
        print(f"  {label:<{width}}  {_shown(path)}")
    for line in results.preview:
        print(f"    {line}")
    print("in the local S3 server (gone when the demo stops; on AWS these are the URIs):")
    for local, uri in sorted(results.s3_uris.items()):
        if local.endswith(".html"):
            print(f"  {uri}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=REPO / "var" / "demo", help="work folder (default var/demo)")
    parser.add_argument("--lms-db", type=Path, default=REPO / "include" / "data" / "lms.db",
                        help="source database (default include/data/lms.db, `make sample-db`)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    work: Path = args.work
    shutil.rmtree(work, ignore_errors=True)
    config = load_config(config_dir() / "lms.yaml")
    print(f"demo: local stack + Airflow under {_shown(work)}/ (logs there)", flush=True)
    with local_stack(work / "services") as stack:
        env = airflow_env(work / "airflow", stack.env(), args.lms_db)
        # The migrated metadata DB is kept between demos (var/cache), not the run's state.
        prepare_airflow(env, config, cache=REPO / "var" / "cache")
        print(f"demo: running {config.dag_id} for {LOGICAL_DATE} through `airflow dags test`; each task as "
              "Airflow records it:", flush=True)
        result = _run_with_progress(env, config.dag_id, work / "airflow" / "airflow.db")
        (work / "dags_test.log").write_text(result.stdout + result.stderr)
        ok = result.returncode == 0 and dagrun_state(result.stdout + result.stderr) == "success"
        s3 = boto3.client("s3", endpoint_url=stack.s3_endpoint_url, region_name=stack.region,
                          aws_access_key_id=FAKE_ACCESS_KEY, aws_secret_access_key=FAKE_SECRET_KEY)
        results = collect(s3, config.bucket, config.prefix, args.lms_db, work / "results")
        if results.summary:
            print()
            print(results.summary.with_suffix(".md").read_text())
        _print_results(results)
        _sample_recommendation(stack)
    elapsed = time.perf_counter() - started
    print(f"\ndemo {'succeeded' if ok else 'FAILED'} in {elapsed:.0f}s; full Airflow log: "
          f"{_shown(work / 'dags_test.log')}")
    return 0 if ok else 1


def _sample_recommendation(stack: LocalStack) -> None:
    kwargs = {"endpoint_url": stack.personalize_endpoint_url, "region_name": stack.region,
              "aws_access_key_id": FAKE_ACCESS_KEY, "aws_secret_access_key": FAKE_SECRET_KEY}
    control = boto3.client("personalize", **kwargs)
    campaigns = control.list_campaigns().get("campaigns", [])
    if not campaigns:
        print("no campaign in service (nothing was promoted)")
        return
    campaign = campaigns[0]["campaignArn"]
    runtime = boto3.client("personalize-runtime", **kwargs)
    answer = runtime.get_recommendations(campaignArn=campaign, userId="u000001", numResults=5)
    items = ", ".join(f"{i['itemId']} ({i.get('score', 0):.3f})" for i in answer["itemList"])
    print(f"\nGetRecommendations({campaign.rsplit('/', 1)[-1]}, userId=u000001): {items}")


if __name__ == "__main__":
    sys.exit(main())
