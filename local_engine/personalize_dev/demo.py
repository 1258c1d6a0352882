"""`make demo`: the default pipeline end to end on the embedded local stack, then a summary a person can read.

Starts moto's S3 server and the local Personalize engine on loopback, runs the `lms` DAG through
`airflow dags test`, prints the run summary, where the batch recommendations and reports are, and one
GetRecommendations answer from the campaign, then stops the services.
"""

from __future__ import annotations

import shutil
import sys
import time

import boto3
from personalize_local.stack import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, local_stack
from personalize_pipeline.config import load_config
from personalize_pipeline.paths import config_dir

from personalize_dev.local_run import REPO, airflow_env, dagrun_state, dags_test, prepare_airflow

LOGICAL_DATE = "2026-11-01"  # the sample database's activity ends on this day


def main() -> int:
    started = time.perf_counter()
    work = REPO / "var" / "demo"
    shutil.rmtree(work, ignore_errors=True)
    lms_db = REPO / "include" / "data" / "lms.db"
    config = load_config(config_dir() / "lms.yaml")
    print(f"demo: local stack + Airflow under {work.relative_to(REPO)}/ (logs there)", flush=True)
    with local_stack(work / "services") as stack:
        env = airflow_env(work / "airflow", stack.env(), lms_db)
        prepare_airflow(env, config)
        print(f"demo: running {config.dag_id} for {LOGICAL_DATE} through `airflow dags test` ...", flush=True)
        result = dags_test(env, config.dag_id, LOGICAL_DATE)
        (work / "dags_test.log").write_text(result.stdout + result.stderr)
        ok = result.returncode == 0 and dagrun_state(result.stdout + result.stderr) == "success"
        s3 = boto3.client("s3", endpoint_url=stack.s3_endpoint_url, region_name=stack.region,
                          aws_access_key_id=FAKE_ACCESS_KEY, aws_secret_access_key=FAKE_SECRET_KEY)
        summaries = [o["Key"] for o in s3.list_objects_v2(Bucket=config.bucket, Prefix=config.prefix).get(
            "Contents", []) if o["Key"].endswith("/summary.md")]
        print()
        for key in summaries:
            print(s3.get_object(Bucket=config.bucket, Key=key)["Body"].read().decode())
        batch = [o for o in s3.list_objects_v2(Bucket=config.bucket, Prefix=f"{config.prefix}/").get("Contents", [])
                 if o["Key"].endswith(".out")]
        for obj in batch:
            print(f"batch recommendations: s3://{config.bucket}/{obj['Key']} ({obj['Size']:,} bytes)")
        _sample_recommendation(stack)
    elapsed = time.perf_counter() - started
    print(f"\ndemo {'succeeded' if ok else 'FAILED'} in {elapsed:.0f}s; full Airflow log: "
          f"{(work / 'dags_test.log').relative_to(REPO)}")
    return 0 if ok else 1


def _sample_recommendation(stack: object) -> None:
    kwargs = {"endpoint_url": stack.personalize_endpoint_url, "region_name": stack.region,  # type: ignore[attr-defined]
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
