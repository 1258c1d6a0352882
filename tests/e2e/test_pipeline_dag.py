"""The whole pipeline through `airflow dags test` against moto S3 and the local Personalize engine.

The tests share one engine and run in order, like nights in production: a first run promotes, a re-run of the
same date changes nothing, a run on degraded data is rejected, invalid data stops at the gate, Params override
defaults, and INCREMENTAL intervals import in order.
"""

from __future__ import annotations

import io
import json
import sqlite3
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from personalize_dev.local_run import REPO, airflow_env, dagrun_state, dags_test, prepare_airflow
from personalize_dev.sample_data import generate_database
from personalize_local.stack import FAKE_SECRET_KEY, local_stack

pytestmark = pytest.mark.slow
BUCKET = "pipeline-e2e"
# Report pages the tests read, kept for the docs' screenshots (python -m personalize_dev.page_shot).
PAGES = REPO / "var" / "pages"
DG = "lms-recommendations"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("pipeline")
    db = root / "lms.db"
    generate_database(db, n_events=30_000, seed=21)
    with local_stack(root / "services") as stack:
        kwargs = {"endpoint_url": stack.personalize_endpoint_url, "region_name": "us-east-1",
                  "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        env = airflow_env(root / "airflow", stack.env(), db, PERSONALIZE_BUCKET=BUCKET)
        prepare_airflow(env)
        yield {"root": root, "db": db, "stack": stack, "env": env,
               "personalize": boto3.client("personalize", **kwargs),
               "runtime": boto3.client("personalize-runtime", **kwargs),
               "s3": boto3.client("s3", **{**kwargs, "endpoint_url": stack.s3_endpoint_url})}


def run(world: dict[str, Any], date: str, *, conf: dict[str, Any] | None = None, config_dir: Path | None = None,
        db: Path | None = None) -> str:
    env = dict(world["env"])
    if config_dir:
        env["PERSONALIZE_PIPELINE_CONFIG_DIR"] = str(config_dir)
    if db:
        env["AIRFLOW_CONN_LMS_DB"] = json.dumps({"conn_type": "sqlite", "host": str(db)})
    dag_id = "personalize_lms" if not config_dir else f"personalize_{next(config_dir.glob('*.yaml')).stem}"
    result = dags_test(env, dag_id, date, conf)
    world.setdefault("outputs", []).append(result.stdout + result.stderr)
    return result.stdout + result.stderr


def group_arn(world: dict[str, Any], name: str = DG) -> str | None:
    groups = world["personalize"].list_dataset_groups()["datasetGroups"]
    return next((g["datasetGroupArn"] for g in groups if g["name"] == name), None)


def inventory(world: dict[str, Any]) -> dict[str, list[str]]:
    """Every resource and job of the default dataset group, by kind."""
    p, dsg = world["personalize"], group_arn(world)
    solutions = [s["solutionArn"] for s in p.list_solutions(datasetGroupArn=dsg)["solutions"]]
    datasets = [d["datasetArn"] for d in p.list_datasets(datasetGroupArn=dsg)["datasets"]]
    versions = [v["solutionVersionArn"] for s in solutions
                for v in p.list_solution_versions(solutionArn=s)["solutionVersions"]]
    return {
        "datasets": datasets, "solutions": solutions, "versions": versions,
        "imports": [j["datasetImportJobArn"] for d in datasets
                    for j in p.list_dataset_import_jobs(datasetArn=d)["datasetImportJobs"]],
        "campaigns": [c["campaignArn"] for s in solutions for c in p.list_campaigns(solutionArn=s)["campaigns"]],
        "batch": [j["batchInferenceJobArn"] for j in p.list_batch_inference_jobs()["batchInferenceJobs"]],
        "filters": [f["filterArn"] for f in p.list_filters(datasetGroupArn=dsg)["Filters"]],
    }


def campaign(world: dict[str, Any]) -> dict[str, Any]:
    p = world["personalize"]
    arn = next(c["campaignArn"] for c in p.list_campaigns()["campaigns"]
               if c["name"].endswith("user-personalization"))
    return p.describe_campaign(campaignArn=arn)["campaign"]


def _engine_requests(world: dict[str, Any], method: str = "GET") -> dict[str, int]:
    """Personalize API calls the engine served since the last reset, by operation (DELETE resets)."""
    url = f"{world['stack'].personalize_endpoint_url}/admin/requests"
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=30) as answer:
        counts: dict[str, dict[str, int]] = json.loads(answer.read())
    return counts.get("personalize", {})


def test_first_run_promotes_and_serves(world: dict[str, Any]) -> None:
    _engine_requests(world, "DELETE")
    out = run(world, "2026-11-01")
    assert dagrun_state(out) == "success", out[-6000:]
    # A thing is looked up once and passed on (make bench counts every service; 89 Personalize calls here): jobs
    # are created without a list first, nothing is described right after its create, a wait checks once per delay.
    calls = _engine_requests(world)
    describes = sum(n for op, n in calls.items() if op.startswith("Describe"))
    assert sum(calls.values()) - describes <= 66, calls
    assert describes <= 40, calls
    assert not {"ListDatasetImportJobs", "ListBatchInferenceJobs"} & set(calls), calls
    assert calls.get("ListSolutionVersions", 0) <= 14, calls
    p = world["personalize"]
    assert p.describe_dataset_group(datasetGroupArn=group_arn(world))["datasetGroup"]["status"] == "ACTIVE"
    served = campaign(world)
    assert served["status"] == "ACTIVE"
    assert served["campaignConfig"]["itemExplorationConfig"]["explorationWeight"] == "0.3"
    items = world["runtime"].get_recommendations(campaignArn=served["campaignArn"], userId="u000003",
                                                 numResults=10)["itemList"]
    assert len(items) == 10
    # batch outputs: one JSON line per query, with recommendations
    s3 = world["s3"]
    outs = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="personalize/")["Contents"]
            if o["Key"].endswith(".out")]
    assert {k.split("/")[3] for k in outs} == {"user-personalization", "sims", "ranking"}
    for key in outs:
        lines = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines()
        assert lines
        for line in lines:
            record = json.loads(line)
            assert record["error"] is None and record["output"]["recommendedItems"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="personalize/")["Contents"]]
    for sol in ("user-personalization", "sims", "popularity", "ranking"):
        assert any(k.endswith(f"reports/{sol}/report.html") for k in keys)
        assert any(k.endswith(f"reports/{sol}/chart.png") for k in keys)
    assert any(k.endswith("/summary.md") for k in keys) and any(k.endswith("/summary.html") for k in keys)
    assert "PROMOTE" in out and "Skipping registering function" not in out  # GX import spam silenced
    # the staged partition matches the source: positive-only filter, duplicates dropped, the run's interval less
    # the day held back for the fair comparison (in its own file, imported by the next night)
    prefix = "personalize/lms-recommendations/staged/snapshot=20261101T000000Z"
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{prefix}/_manifest.json")["Body"].read())
    positive = "(rating >= 3 or (event_type = 'watch' and completion >= 0.9))"
    held = 1_793_491_200 - 86_400
    with sqlite3.connect(world["db"]) as conn:
        before, window = (conn.execute(f"select count(*) from (select distinct user_id, item_id, event_type, "
                                       f"occurred_at from events where {positive} and {cond})").fetchone()[0]
                          for cond in (f"occurred_at < {held}", f"occurred_at >= {held} and received_at >= {held} "
                                       "and received_at < 1793491200"))
    assert manifest["stats"]["interactions"]["rows"] == before
    assert manifest["holdout"]["rows"] == window > 0
    assert manifest["mode"] == "full"
    assert manifest["interval"] == {"start": 1_793_404_800, "end": 1_793_491_200}
    assert manifest["imported_interval"]["end"] == held
    world["positives"] = before
    world["first"] = inventory(world)
    world["served"] = served["solutionVersionArn"]


def test_second_run_of_same_date_creates_nothing(world: dict[str, Any]) -> None:
    out = run(world, "2026-11-01")
    assert dagrun_state(out) == "success", out[-6000:]
    assert inventory(world) == world["first"]
    assert "not retraining" in out
    assert campaign(world)["solutionVersionArn"] == world["served"]


def test_batch_inference_only_runs_the_batch_jobs_on_the_versions_in_service(world: dict[str, Any]) -> None:
    """The batch-only form: no extract, import or training; each batch solution looks up what serves and runs its
    job on the latest staged partition, which re-attaches to the job that partition and version already ran."""
    before = inventory(world)
    out = run(world, "2026-11-01", conf={"batch_inference_only": True})
    assert dagrun_state(out) == "success", out[-6000:]
    for sol in ("user-personalization", "sims", "ranking"):
        assert f"task_id='{sol}.batch_inference'" in out and f"task_id='{sol}.resolve_serving'" in out
    assert "task_id='data.extract_and_stage'" not in out and "task_id='popularity.train'" not in out
    assert inventory(world) == before


def test_next_night_imports_the_day_held_back_and_then_does_not_retrain(world: dict[str, Any]) -> None:
    """The source has no events after 2026-10-31. The next night's FULL snapshot adds the day the first night held
    back: new imports read that partition and each solution trains; with nothing in its own window the gate falls
    back to Personalize's metrics and says so. The night after holds the same rows: training is skipped."""
    out = run(world, "2026-11-02")
    assert dagrun_state(out) == "success", out[-6000:]
    assert "on Personalize's own metrics: no interactions in the held-back window" in out, out[-6000:]
    after, before = inventory(world), world["first"]
    assert len(after["versions"]) == len(before["versions"]) + 4 and after["campaigns"] == before["campaigns"]
    new_imports = set(after["imports"]) - set(before["imports"])
    assert len(new_imports) == len(after["datasets"])
    p = world["personalize"]
    for arn in new_imports:
        job = p.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]
        assert "/snapshot=20261102T000000Z/" in job["dataSource"]["dataLocation"] and job["status"] == "ACTIVE"
    manifest = json.loads(world["s3"].get_object(Bucket=BUCKET, Key="personalize/lms-recommendations/staged/"
                                                 "snapshot=20261102T000000Z/_manifest.json")["Body"].read())
    assert manifest["stats"]["interactions"]["rows"] > world["positives"] and manifest["holdout"]["rows"] == 0
    world["served"] = campaign(world)["solutionVersionArn"]
    world["trained_1102"] = set(after["versions"]) - set(before["versions"])

    quiet = inventory(world)
    out = run(world, "2026-11-03")
    assert dagrun_state(out) == "success", out[-6000:]
    assert "not retraining" in out
    assert inventory(world)["versions"] == quiet["versions"]
    assert campaign(world)["solutionVersionArn"] == world["served"]


def test_params_override_defaults(world: dict[str, Any]) -> None:
    before = inventory(world)
    out = run(world, "2026-11-01", conf={"dry_run": True, "force_retrain": True,
                                         "promotion_metric": "coverage", "min_relative_change": -0.99})
    assert dagrun_state(out) == "success", out[-6000:]
    assert "promotion rule overridden for this run" in out and "'primary_metric': 'coverage'" in out
    assert "dry run: would promote" in out
    after = inventory(world)
    assert len(after["versions"]) == len(before["versions"]) + 4  # force_retrain trained every solution
    assert campaign(world)["solutionVersionArn"] == world["served"]  # dry run: campaign untouched


def test_degraded_data_is_not_promoted(world: dict[str, Any]) -> None:
    degraded = world["root"] / "degraded.db"
    degraded.write_bytes(world["db"].read_bytes())
    with sqlite3.connect(degraded) as conn:  # shuffle item ids: the taste structure is gone
        conn.execute("update events set item_id = (select item_id from items order by random() limit 1) "
                     "where event_id % 10 != 0")
    out = run(world, "2026-11-01", db=degraded)
    assert dagrun_state(out) == "success", out[-6000:]  # a rejection is not a failure
    assert "user-personalization: KEEP" in out
    assert campaign(world)["solutionVersionArn"] == world["served"]


def rollback(world: dict[str, Any], when: str, conf: dict[str, Any]) -> str:
    result = dags_test(world["env"], "personalize_lms_rollback", when, conf)
    world.setdefault("outputs", []).append(result.stdout + result.stderr)
    return result.stdout + result.stderr


def test_rollback_points_the_campaign_back_and_the_nightly_does_not_promote_it_again(world: dict[str, Any]) -> None:
    """Serve the version the 2026-11-02 data trained (a rollback can also pin a version), roll back from it to an
    older one, then a nightly on the same data re-attaches to that version and keeps it out of service."""
    p, s3 = world["personalize"], world["s3"]
    solution = campaign(world)["solutionVersionArn"].rsplit("/", 1)[0]
    (pinned,) = [v for v in world["trained_1102"] if v.startswith(solution + "/")]
    if campaign(world)["solutionVersionArn"] != pinned:
        out = rollback(world, "2026-11-04", {"solution": "user-personalization", "target_version": pinned})
        assert dagrun_state(out) == "success", out[-6000:]
        assert campaign(world)["solutionVersionArn"] == pinned
    older = next(v["solutionVersionArn"] for v in p.list_solution_versions(solutionArn=solution)["solutionVersions"]
                 if v["status"] == "ACTIVE" and v["solutionVersionArn"] != pinned)
    out = rollback(world, "2026-11-05", {"solution": "user-personalization", "target_version": older.rsplit("/")[-1],
                                         "reason": "CTR dropped after the last promotion"})
    assert dagrun_state(out) == "success", out[-6000:]
    assert campaign(world)["solutionVersionArn"] == older
    tags = {arn: {t["tagKey"]: t["tagValue"] for t in p.list_tags_for_resource(resourceArn=arn)["tags"]}
            for arn in (older, pinned)}
    assert tags[pinned]["personalize-pipeline:rolled-back-to"] == older
    assert "personalize-pipeline:promoted-at" in tags[older]
    reports = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"personalize/{DG}/rollbacks/"
                                                          "user-personalization/")["Contents"])
    record = json.loads(s3.get_object(Bucket=BUCKET, Key=[k for k in reports if k.endswith(".json")][-1])["Body"]
                        .read())
    assert (record["current"], record["target"], record["reason"]) == (
        pinned, older, "CTR dropped after the last promotion")
    # a wrong form value fails the run with what exists, and changes nothing
    out = rollback(world, "2026-11-06", {"solution": "user-personalization", "target_version": "no-such-version"})
    assert dagrun_state(out) == "failed" and "target_version 'no-such-version' is not a version of" in out
    assert campaign(world)["solutionVersionArn"] == older
    # the nightly on unchanged data re-attaches to the rolled-back version and does not promote it again
    out = run(world, "2026-11-03")
    assert dagrun_state(out) == "success", out[-6000:]
    assert "user-personalization: KEEP -> candidate was rolled back at" in out, out[-6000:]
    assert campaign(world)["solutionVersionArn"] == older
    world["served"] = older


def test_invalid_data_stops_at_the_gate(world: dict[str, Any], tmp_path: Path) -> None:
    text = (REPO / "include" / "config" / "lms.yaml").read_text()
    text = text.replace("name: lms", "name: gate").replace("dataset_group: lms-recommendations",
                                                            "dataset_group: gate-test")
    (tmp_path / "gate.yaml").write_text(text + "\nretry_delay_seconds: 1\n")
    empty = tmp_path / "empty.db"
    generate_database(empty, n_events=600, seed=3)  # too few interactions for Personalize
    out = run(world, "2026-11-01", config_dir=tmp_path, db=empty)
    assert dagrun_state(out) == "failed"
    assert "enough interactions after the event filter" in out and ">= 1000" in out
    docs = world["s3"].list_objects_v2(Bucket=BUCKET, Prefix="personalize/gate-test/staged/")["Contents"]
    assert any(o["Key"].endswith("data_docs/index.html") for o in docs)
    assert group_arn(world, "gate-test") is None  # nothing created, nothing imported
    assert not [j for j in world["personalize"].list_dataset_import_jobs()["datasetImportJobs"]
                if j["jobName"].startswith("gate-test")]


def test_incremental_intervals_import_in_order(world: dict[str, Any], tmp_path: Path) -> None:
    config = {"name": "incr", "dataset_group": "lms-incremental", "import_mode": "INCREMENTAL",
              "datasets": ["interactions"], "retry_delay_seconds": 1,
              "validation": {"min_interactions": 10, "min_users": 2}}
    (tmp_path / "incr.yaml").write_text(json.dumps(config))
    for day in ("2026-10-29", "2026-10-30"):
        out = run(world, day, config_dir=tmp_path)
        assert dagrun_state(out) == "success", out[-6000:]
    staged = {o["Key"].split("/")[3] for o in world["s3"].list_objects_v2(
        Bucket=BUCKET, Prefix="personalize/lms-incremental/staged/")["Contents"]}
    assert staged == {"interval=20261028T000000Z_20261029T000000Z", "interval=20261029T000000Z_20261030T000000Z"}
    p = world["personalize"]
    dataset = p.list_datasets(datasetGroupArn=group_arn(world, "lms-incremental"))["datasets"][0]["datasetArn"]
    jobs = [p.describe_dataset_import_job(datasetImportJobArn=j["datasetImportJobArn"])["datasetImportJob"]
            for j in p.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"]]
    jobs.sort(key=lambda j: j["creationDateTime"])
    assert [j["importMode"] for j in jobs] == ["INCREMENTAL", "INCREMENTAL"]
    assert [j["dataSource"]["dataLocation"].split("/")[-2] for j in jobs] == sorted(staged)


def _deliver(db: Path, events: list[tuple[str, str, int, int]]) -> None:
    """Events reach the source database: (user, item, occurred_at, received_at), all positive watches."""
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO events (user_id, item_id, event_type, rating, completion, seconds_watched, "
                         "occurred_at, received_at) VALUES (?, ?, 'watch', NULL, 1.0, 600, ?, ?)", events)


def test_late_events_are_imported_once_by_the_night_they_arrive(world: dict[str, Any], tmp_path: Path) -> None:
    """Three nightly INCREMENTAL runs, then a backfill over them and one more interval. Events arrive hours or days
    after they occurred and one is delivered twice; each reaches the dataset once, with its own event time."""
    from personalize_dev.sample_data import INDEXES, SCHEMA

    db = tmp_path / "late.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(SCHEMA + INDEXES)
    config = {"name": "late", "dataset_group": "lms-late", "import_mode": "INCREMENTAL", "datasets": ["interactions"],
              "retry_delay_seconds": 1, "validation": {"min_interactions": 10, "min_users": 2}}
    (tmp_path / "late.yaml").write_text(json.dumps(config))
    day0, day = 1_791_590_400, 86_400  # 2026-10-10 00:00 UTC

    def on_time(night: int) -> list[tuple[str, str, int, int]]:
        start = day0 + (night - 1) * day
        return [(f"u{n % 10}", f"i{night}-{n}", start + 600 * n, start + 600 * n + 5) for n in range(40)]

    deliveries = {  # night -> what reaches the database during its interval
        1: on_time(1),
        2: on_time(2) + [(f"u{n}", f"late-{n}", day0 + 3_600 * n, day0 + day + 43_200) for n in range(10)],
        3: on_time(3) + [(f"u{n}", f"later-{n}", day0 + 7_200, day0 + 2 * day + 60) for n in range(5)]
           + [(f"u{n % 10}", f"i1-{n}", day0 + 600 * n, day0 + 2 * day + 900) for n in range(3)],  # sent again
        4: on_time(4) + [(f"u{n}", f"offline-{n}", day0 + day + 100, day0 + 3 * day + 7) for n in range(6)],
    }
    runs = {1: "2026-10-11", 2: "2026-10-12", 3: "2026-10-13", 4: "2026-10-14"}
    for night in (1, 2, 3):
        _deliver(db, deliveries[night])
        out = run(world, runs[night], config_dir=tmp_path, db=db)
        assert dagrun_state(out) == "success", out[-6000:]
    _deliver(db, deliveries[4])  # the night the scheduler was down; a backfill covers nights 1-4
    for night in (1, 2, 3, 4):
        out = run(world, runs[night], config_dir=tmp_path, db=db)
        assert dagrun_state(out) == "success", out[-6000:]

    p = world["personalize"]
    dataset = p.list_datasets(datasetGroupArn=group_arn(world, "lms-late"))["datasets"][0]["datasetArn"]
    jobs = [j for j in p.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"] if j["status"] == "ACTIVE"]
    assert len(jobs) == 4, [j["jobName"] for j in jobs]  # one per interval: the backfill's re-runs adopted theirs
    imported = export_dataset(world, dataset, "late-export", mode="BULK", dtype=None, attempts=100)
    got = Counter(zip(imported["USER_ID"], imported["ITEM_ID"], imported["TIMESTAMP"], strict=True))
    expected = {(user, item, occurred) for events in deliveries.values() for user, item, occurred, _ in events}
    assert set(got) == expected
    assert max(got.values()) == 1, [k for k, v in got.items() if v > 1]


def _burst_db(path: Path) -> dict[str, list[str]]:
    """A source where the two evaluations disagree. Regular users watch catalogue A for weeks; the day before the
    second night, bots hammer 25 other items C once and vanish; in the held-back window the regular users watch
    A again. Popularity trained with the burst ranks C first: on its own newest events (the bots') Personalize's
    metric favours it, on the regular users' fresh events it is worse than the version trained before the burst."""
    import random

    from personalize_dev.sample_data import INDEXES, SCHEMA

    rng = random.Random(5)
    day, night1, night2 = 86_400, 1_792_540_800, 1_792_627_200  # nights of 2026-10-21 and 2026-10-22 (UTC)
    a_items, c_items = [f"a{n:02d}" for n in range(50)], [f"c{n:02d}" for n in range(25)]
    regular, bots = [f"r{n:02d}" for n in range(60)], [f"b{n:02d}" for n in range(60)]
    events: list[tuple[str, str, int]] = []
    for user in regular:  # three weeks of A, before the first night's held-back day
        for n, item in enumerate(rng.sample(a_items, 30)[:22]):
            events.append((user, item, night1 - 25 * day + n * day // 2 + rng.randrange(3_600)))
    for user in bots:  # the burst: after the first night's window, before the second's
        for n, item in enumerate(rng.sample(c_items, 20)):
            events.append((user, item, night2 - 2 * day + 3_600 + n * 60))
    for user in regular:  # the second night's held-back window: A items each user has not watched
        seen = {i for u, i, _ in events if u == user}
        for n, item in enumerate(rng.sample([i for i in a_items if i not in seen], 3)):
            events.append((user, item, night2 - day + 3_600 * (n + 1)))
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA + INDEXES)
        conn.executemany("INSERT INTO events (user_id, item_id, event_type, rating, completion, seconds_watched, "
                         "occurred_at, received_at) VALUES (?, ?, 'watch', NULL, 1.0, 600, ?, ?)",
                         [(u, i, t, t + 5) for u, i, t in events])
    return {"a": a_items, "c": c_items}


def test_the_gate_follows_the_fair_comparison_when_the_evaluations_disagree(world: dict[str, Any],
                                                                             tmp_path: Path) -> None:
    db = tmp_path / "burst.db"
    _burst_db(db)
    config = {"name": "fair", "dataset_group": "lms-fair", "datasets": ["interactions"], "retry_delay_seconds": 1,
              "validation": {"min_interactions": 100, "min_users": 25},
              "solutions": [{"name": "popularity", "recipe": "aws-popularity-count",
                             "promotion": {"primary_metric": "normalized_discounted_cumulative_gain_at_10"}}]}
    (tmp_path / "fair.yaml").write_text(json.dumps(config))
    out = run(world, "2026-10-21", config_dir=tmp_path, db=db)
    assert dagrun_state(out) == "success", out[-6000:]
    assert "popularity: PROMOTE" in out
    p, s3 = world["personalize"], world["s3"]
    solution = p.list_solutions(datasetGroupArn=group_arn(world, "lms-fair"))["solutions"][0]["solutionArn"]
    (first,) = [v["solutionVersionArn"] for v in p.list_solution_versions(solutionArn=solution)["solutionVersions"]]
    tags = {t["tagKey"]: t["tagValue"] for t in p.list_tags_for_resource(resourceArn=first)["tags"]}
    assert tags["personalize-pipeline:trained-through"] == str(1_792_540_800 - 86_400)  # the window held back

    out = run(world, "2026-10-22", config_dir=tmp_path, db=db)
    assert dagrun_state(out) == "success", out[-6000:]
    versions = p.list_solution_versions(solutionArn=solution)["solutionVersions"]
    (second,) = [v["solutionVersionArn"] for v in versions if v["solutionVersionArn"] != first]
    own = {arn: p.get_solution_metrics(solutionVersionArn=arn)["metrics"] for arn in (first, second)}
    ndcg = "normalized_discounted_cumulative_gain_at_10"
    assert own[second][ndcg] > own[first][ndcg], own  # Personalize's own numbers favour the candidate ...
    assert "popularity: KEEP -> fair comparison on 60 users' 180 held-back events" in out, out[-6000:]  # ... not kept
    tags = {t["tagKey"] for t in p.list_tags_for_resource(resourceArn=second)["tags"]}
    assert "personalize-pipeline:promoted-at" not in tags  # the version in service is still the first
    evals = [j for j in p.list_batch_inference_jobs()["batchInferenceJobs"]
             if j["jobName"].startswith("lms-fair-popularity-eval-")]
    assert len(evals) == 2 and {j["status"] for j in evals} == {"ACTIVE"}
    key = next(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="personalize/lms-fair/")["Contents"]
               if o["Key"].endswith("snapshot=20261022T000000Z/reports/popularity/report.html"))
    page = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    assert "Gate: fair comparison" in page and "Personalize&#x27;s own metrics" in page
    assert "2 batch inference jobs" in page
    PAGES.mkdir(parents=True, exist_ok=True)
    (PAGES / "fair-report.html").write_text(page)


def export_dataset(world: dict[str, Any], dataset: str, name: str, *, mode: str = "ALL", dtype: Any = str,
                   attempts: int = 300) -> pd.DataFrame:
    """A dataset as Personalize holds it, through a dataset export job to s3://BUCKET/<name>/ (as one checks on
    AWS), polled every 0.2 s at most ``attempts`` times."""
    p, s3 = world["personalize"], world["s3"]
    arn = p.create_dataset_export_job(jobName=name, datasetArn=dataset, ingestionMode=mode,
                                      roleArn="arn:aws:iam::000000000000:role/x",
                                      jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/{name}/"}}
                                      )["datasetExportJobArn"]
    for _ in range(attempts):
        status = p.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"]["status"]
        if status not in ("CREATE PENDING", "CREATE IN_PROGRESS"):
            break
        time.sleep(0.2)
    assert status == "ACTIVE"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{name}/")["Contents"]]
    return pd.concat(pd.read_csv(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()), dtype=dtype)
                     for k in keys)


def _export(world: dict[str, Any], dataset_type: str, name: str) -> pd.DataFrame:
    """A dataset of the default group, by type, as Personalize holds it."""
    datasets = world["personalize"].list_datasets(datasetGroupArn=group_arn(world))["datasets"]
    dataset = next(d["datasetArn"] for d in datasets if d["datasetType"].upper() == dataset_type.upper())
    return export_dataset(world, dataset, name)


def erase(world: dict[str, Any], when: str, conf: dict[str, Any]) -> str:
    result = dags_test(world["env"], "personalize_lms_erasure", when, conf)
    world.setdefault("outputs", []).append(result.stdout + result.stderr)
    return result.stdout + result.stderr


def _pipeline_objects(world: dict[str, Any]) -> dict[str, bytes]:
    """Every object under the default pipeline's prefix except the erasure records themselves."""
    s3, found = world["s3"], {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"personalize/{DG}/"):
        for obj in page.get("Contents", []):
            if "/erasure/" not in obj["Key"]:
                found[obj["Key"]] = s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()
    return found


def test_erasure_forgets_users_in_personalize_s3_and_the_next_import(world: dict[str, Any]) -> None:
    """A privacy request for the two most active users: a dry run changes nothing; the erasure removes them from
    the engine's datasets and from every S3 object of the pipeline; the request again removes nothing more; the
    next night's FULL import (the source still has them) leaves them out."""
    with sqlite3.connect(world["db"]) as conn:
        erased = [u for (u,) in conn.execute("select user_id from events group by user_id order by count(*) desc, "
                                             "user_id limit 2")]
    assert all(u.encode() in b"".join(_pipeline_objects(world).values()) for u in erased)
    request = {"user_ids": erased, "reason": "privacy ticket 4711"}
    before = _pipeline_objects(world)
    out = erase(world, "2026-11-02T12:00:00+00:00", {**request, "dry_run": True})
    assert dagrun_state(out) == "success", out[-6000:]
    assert _pipeline_objects(world) == before
    assert not world["personalize"].list_data_deletion_jobs()["dataDeletionJobs"]

    out = erase(world, "2026-11-02T13:00:00+00:00", request)
    assert dagrun_state(out) == "success", out[-6000:]
    s3, p = world["s3"], world["personalize"]
    reports = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"personalize/{DG}/erasure/")["Contents"]
               if o["Key"].endswith("/report.json")]
    report = json.loads(s3.get_object(Bucket=BUCKET, Key=reports[0])["Body"].read())
    PAGES.mkdir(parents=True, exist_ok=True)
    (PAGES / "erasure-report.html").write_bytes(
        s3.get_object(Bucket=BUCKET, Key=reports[0].replace(".json", ".html"))["Body"].read())
    assert report["personalize"]["status"] == "COMPLETED" and report["personalize"]["records_deleted"] > 0
    assert report["user_ids"] == sorted(erased) and report["reason"] == "privacy ticket 4711"
    rewritten = {o["key"] for o in report["s3"]["objects"]}
    assert any("/staged/" in k for k in rewritten) and any("/batch/" in k for k in rewritten)
    after = _pipeline_objects(world)
    assert set(after) == set(before) - {o["key"] for o in report["s3"]["objects"] if o["action"] == "deleted"}
    for key, body in after.items():
        assert not any(u.encode() in body for u in erased), key
    for dataset_type in ("Interactions", "Users"):
        assert not set(_export(world, dataset_type, f"erased-{dataset_type.lower()}")["USER_ID"]) & set(erased)

    out = erase(world, "2026-11-02T14:00:00+00:00", request)
    assert dagrun_state(out) == "success", out[-6000:]
    assert _pipeline_objects(world) == after
    again = json.loads(s3.get_object(Bucket=BUCKET, Key=reports[0])["Body"].read())
    assert again["s3"]["objects"] == [] and again["personalize"]["job"] == report["personalize"]["job"]
    assert len(p.list_data_deletion_jobs()["dataDeletionJobs"]) == 1

    out = run(world, "2026-11-03")
    assert dagrun_state(out) == "success", out[-6000:]
    prefix = f"personalize/{DG}/staged/snapshot=20261103T000000Z"
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{prefix}/_manifest.json")["Body"].read())
    assert manifest["stats"]["interactions"]["erased_rows"] > 0 and manifest["stats"]["users"]["erased_rows"] == 2
    for key, body in _pipeline_objects(world).items():
        assert not any(u.encode() in body for u in erased), key
    exported = _export(world, "Interactions", "after-next-night")
    assert len(exported) > 1000 and not set(exported["USER_ID"]) & set(erased)


def test_metric_attribution_reports_the_events_that_followed_recommendations(
        world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config with a metric attribution: night one creates it before the first import and serves a campaign; the
    app then logs watches of recommended items with the recommendationId GetRecommendations returned (and some with
    its own attribution source); night two's import publishes the report, and the run summary's impact table holds
    exactly those events. Teardown deletes the attribution with the group."""
    import yaml

    config = yaml.safe_load((REPO / "include" / "config" / "lms.yaml").read_text())
    config.update(name="impact", dataset_group="lms-impact", retry_delay_seconds=1,
                  solutions=[config["solutions"][0]], filters=config["filters"],
                  metric_attribution={"metrics": [
                      {"name": "watches", "event_type": "watch", "expression": "SAMPLECOUNT()"},
                      {"name": "watch-value", "event_type": "watch", "expression": "SUM(Interactions.EVENT_VALUE)"}]})
    (tmp_path / "impact.yaml").write_text(json.dumps(config, default=str))
    db = tmp_path / "impact.db"
    db.write_bytes(world["db"].read_bytes())
    out = run(world, "2026-11-01", config_dir=tmp_path, db=db)
    assert dagrun_state(out) == "success", out[-6000:]
    p, runtime, s3 = world["personalize"], world["runtime"], world["s3"]
    group = group_arn(world, "lms-impact")
    attributions = p.list_metric_attributions(datasetGroupArn=group)["metricAttributions"]
    assert [a["name"] for a in attributions] == ["lms-impact-attribution"]
    served = next(c for c in p.list_campaigns()["campaigns"] if c["name"] == "lms-impact-user-personalization")

    start = 1_793_404_800 + 3_600  # 2026-10-31 01:00 UTC, inside night two's snapshot
    sent: list[tuple[str, str, int, str | None, str | None]] = []
    for user in ["u000005", "u000006", "u000007", "u000008", "u000009"]:
        answer = runtime.get_recommendations(campaignArn=served["campaignArn"], userId=user, numResults=5)
        for item in answer["itemList"][:2]:  # the user watched two of the five recommended videos
            sent.append((user, item["itemId"], start + 60 * len(sent), answer["recommendationId"], None))
        sent.append((user, answer["itemList"][2]["itemId"], start + 60 * len(sent), None, "email-digest"))
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO events (user_id, item_id, event_type, rating, completion, seconds_watched, "
                         "occurred_at, received_at, recommendation_id, event_attribution_source) "
                         "VALUES (?, ?, 'watch', NULL, 1.0, 600, ?, ?, ?, ?)",
                         [(u, i, t, t + 5, r, a) for u, i, t, r, a in sent])
    out = run(world, "2026-11-02", config_dir=tmp_path, db=db)
    assert dagrun_state(out) == "success", out[-6000:]
    reports = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="personalize/lms-impact/attribution/")
               ["Contents"]]
    assert len(reports) == 2 and all("/AggregatedAttributionMetrics-FULL-" in k for k in reports)
    summary = s3.get_object(Bucket=BUCKET, Key="personalize/lms-impact/staged/snapshot=20261102T000000Z/summary.md"
                            )["Body"].read().decode()
    table = {tuple(cell.strip() for cell in line.strip("|").split("|")[:4]): line.strip("|").split("|")[4].strip()
             for line in summary.split("## Online impact")[1].splitlines() if line.startswith("| watch")}
    campaign_events = sum(1 for *_, r, _ in sent if r)
    assert float(table[("watches", "watch", "samplecount", "user-personalization (campaign)")]) == campaign_events
    assert float(table[("watch-value", "watch", "sum", "user-personalization (campaign)")]) == 5.0 * campaign_events
    assert float(table[("watches", "watch", "samplecount", "email-digest")]) == 5
    assert "not attributed" in summary  # the rest of the history followed no recommendation
    html_page = s3.get_object(Bucket=BUCKET, Key="personalize/lms-impact/staged/snapshot=20261102T000000Z/"
                              "summary.html")["Body"].read().decode()
    assert "<h2>Online impact</h2>" in html_page and "email-digest" in html_page
    PAGES.mkdir(parents=True, exist_ok=True)
    (PAGES / "summary-online-impact.html").write_text(html_page)

    for key, value in world["stack"].env().items():
        monkeypatch.setenv(key, value)
    from personalize_provider.hooks.personalize import PersonalizeHook

    deleted = PersonalizeHook(aws_conn_id="aws_default").teardown_dataset_group(group, waiter_delay=1)
    assert deleted["metric_attribution"] == [attributions[0]["metricAttributionArn"]]
    assert group_arn(world, "lms-impact") is None


def test_domain_config_trains_recommenders_that_serve_and_keep_their_hours(world: dict[str, Any],
                                                                            tmp_path: Path) -> None:
    """The shipped VIDEO_ON_DEMAND example: the nightly creates the domain group and its five recommenders, which
    serve GetRecommendations; the hours DAG stops them at the stop time and starts them at the start time (a
    nightly run adopting a stopped one is the create-recommender operator's test)."""
    (tmp_path / "lms_vod.yaml").write_text((REPO / "include" / "config" / "examples" / "vod.yaml").read_text()
                                           + "\nretry_delay_seconds: 1\n")
    out = run(world, "2026-11-01", config_dir=tmp_path)
    assert dagrun_state(out) == "success", out[-6000:]
    p, runtime, s3 = world["personalize"], world["runtime"], world["s3"]
    group = group_arn(world, "lms-vod")
    assert p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["domain"] == "VIDEO_ON_DEMAND"
    recommenders = {r["name"]: r for r in p.list_recommenders(datasetGroupArn=group)["recommenders"]}
    assert sorted(recommenders) == sorted(f"lms-vod-{n}" for n in ("top-picks", "because-you-watched",
                                                                    "more-like-this", "most-popular",
                                                                    "trending-now"))
    assert {r["status"] for r in recommenders.values()} == {"ACTIVE"}
    top = recommenders["lms-vod-top-picks"]["recommenderArn"]
    items = runtime.get_recommendations(recommenderArn=top, userId="u000003", numResults=10)["itemList"]
    assert len(items) == 10 and all("score" not in i for i in items)  # domain recommenders show no scores
    summary = s3.get_object(Bucket=BUCKET, Key="personalize/lms-vod/staged/snapshot=20261101T000000Z/summary.md"
                            )["Body"].read().decode()
    rows = [line for line in summary.split("## Recommenders")[1].splitlines() if line.startswith("| top-picks")]
    assert rows and "ACTIVE" in rows[0] and "normalized_discounted_cumulative_gain_at_10=" in rows[0], summary
    PAGES.mkdir(parents=True, exist_ok=True)
    (PAGES / "summary-recommenders.html").write_bytes(s3.get_object(
        Bucket=BUCKET, Key="personalize/lms-vod/staged/snapshot=20261101T000000Z/summary.html")["Body"].read())

    def hours(when: str) -> None:
        env = {**world["env"], "PERSONALIZE_PIPELINE_CONFIG_DIR": str(tmp_path)}
        result = dags_test(env, "personalize_lms_vod_recommender_hours", when)
        text = result.stdout + result.stderr
        world["outputs"].append(text)
        assert dagrun_state(text) == "success", text[-6000:]

    def statuses() -> set[str]:
        return {r["status"] for r in p.list_recommenders(datasetGroupArn=group)["recommenders"]}

    hours("2026-11-01T23:00:00+00:00")
    assert statuses() == {"INACTIVE"}
    hours("2026-11-02T06:00:00+00:00")
    assert statuses() == {"ACTIVE"}


def test_no_credentials_in_logs_xcom_or_s3(world: dict[str, Any]) -> None:
    """Last, over every run above: the AWS secret (connection password and env var of every task) never shows in
    task output, log files, XCom values or anything the pipeline wrote to S3."""
    secret = FAKE_SECRET_KEY
    assert len(world["outputs"]) >= 6
    for output in world["outputs"]:
        assert secret not in output
    home = Path(world["env"]["AIRFLOW_HOME"])
    for log in home.glob("logs/**/*.log"):
        assert secret not in log.read_text(errors="replace"), log
    with sqlite3.connect(home / "airflow.db") as conn:
        xcoms = conn.execute("select dag_id, task_id, value from xcom").fetchall()
    assert xcoms, "the runs pushed no XCom: the check would be empty"
    for dag_id, task_id, value in xcoms:
        assert secret not in str(value), (dag_id, task_id)
    s3 = world["s3"]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            if obj["Size"] < 5_000_000:
                assert secret.encode() not in s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read(), obj["Key"]
