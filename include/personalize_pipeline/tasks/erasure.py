"""The erasure DAG's task bodies: record the request, scrub S3, and report what was removed where."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from personalize_pipeline.config import PipelineConfig
from personalize_pipeline.staging import s3_hook

log = logging.getLogger(__name__)


def requested_ids(s3: Any, params: Mapping[str, Any]) -> list[str]:
    """The ids of the form (a list) and of the CSV it points at, checked."""
    from personalize_pipeline.erasure import ErasureRequestError, check_user_ids, ids_from_csv

    given = [str(u) for u in params.get("user_ids") or []]
    uri = str(params.get("users_csv") or "").strip()
    if uri:
        if not uri.startswith("s3://"):
            raise ErasureRequestError(f"users_csv: expected an s3:// URI of a CSV with a USER_ID column, got {uri!r}")
        bucket, key = s3.parse_s3_url(uri)
        if not s3.check_for_key(key, bucket):
            raise ErasureRequestError(f"users_csv: {uri} does not exist")
        given += ids_from_csv(s3.read_key(key, bucket), uri)
    return check_user_ids(given, "the request (user_ids and users_csv)")


def plan_erasure(config: PipelineConfig, params: Mapping[str, Any]) -> dict[str, Any]:
    """Record the request (first, so any extract from now on leaves the users out) and stage the deletion file.
    A dry run records and stages nothing."""
    from airflow.sdk.exceptions import AirflowFailException

    from personalize_pipeline.erasure import (
        ErasureRequestError,
        deletion_job_name,
        erasure_prefix,
        record_request,
        request_id,
    )

    s3 = s3_hook(config)
    reason = str(params.get("reason") or "").strip()
    try:
        if not reason:
            raise ErasureRequestError("reason: expected why the users are erased (kept in the report), got nothing")
        ids = requested_ids(s3, params)
    except ErasureRequestError as exc:
        raise AirflowFailException(str(exc)) from exc  # no retry changes the request
    dry_run = bool(params.get("dry_run"))
    rid = request_id(ids)
    folder = f"{erasure_prefix(config)}/{rid}"
    new = False
    if not dry_run:
        request, new = record_request(s3, config, ids, reason)
        reason = request.reason
        s3.load_string("USER_ID\n" + "".join(f"{u}\n" for u in ids), key=f"{folder}/users.csv",
                       bucket_name=config.bucket, replace=True)
    log.info("erasure request %s: %d user(s), %s%s", rid, len(ids), "new" if new else "already recorded",
             " (dry run: nothing recorded)" if dry_run else "")
    return {"request_id": rid, "user_ids": ids, "reason": reason, "dry_run": dry_run,
            "data_location": f"s3://{config.bucket}/{folder}/users.csv", "job_name": deletion_job_name(config, rid)}


def scrub_s3(config: PipelineConfig, plan: Mapping[str, Any]) -> dict[str, Any]:
    from personalize_pipeline.erasure import pipeline_prefix, scrub_objects

    outcomes = scrub_objects(s3_hook(config), config, frozenset(plan["user_ids"]), pipeline_prefix(config),
                             dry_run=bool(plan["dry_run"]))
    for outcome in outcomes:
        log.info("%s s3://%s/%s (%d rows)", outcome.action, config.bucket, outcome.key, outcome.rows_removed)
    return {"objects": [o.to_dict() for o in outcomes], "rows_removed": sum(o.rows_removed for o in outcomes)}


def find_dataset_group(config: PipelineConfig) -> dict[str, Any]:
    """The pipeline's dataset group, if it exists: an erasure never creates one."""
    from personalize_provider.hooks.personalize import PersonalizeHook

    found = PersonalizeHook(aws_conn_id=config.aws_conn_id).find_by_name("dataset_group", config.dataset_group)
    return {"arn": found["datasetGroupArn"] if found else None}


def write_report(config: PipelineConfig, plan: Mapping[str, Any] | None, scrubbed: Mapping[str, Any] | None,
                 group: Mapping[str, Any] | None, deletion: Mapping[str, Any] | None) -> dict[str, Any]:
    """What was removed and where, as JSON and HTML beside the request; fails the run when a step did not finish.
    Personal data in it: only the ids requested."""
    from airflow.sdk.exceptions import AirflowFailException

    from personalize_pipeline.erasure import erasure_prefix
    from personalize_pipeline.report import render_summary_html

    if not plan:
        raise AirflowFailException("the request was refused or could not be recorded; see plan_erasure's log")
    dry_run = bool(plan["dry_run"])
    if deletion:
        personalize = {"job": deletion.get("arn"), "status": deletion.get("status"),
                       "records_deleted": deletion.get("numDeleted")}
    elif group and not group.get("arn"):
        personalize = {"job": None, "status": "no dataset group: nothing stored in Personalize"}
    else:
        personalize = {"job": None, "status": "dry run: not started" if dry_run else "did not finish"}
    report = {"request_id": plan["request_id"], "reason": plan["reason"], "dry_run": dry_run,
              "user_ids": plan["user_ids"], "personalize": personalize,
              "s3": scrubbed or {"objects": [], "rows_removed": None, "status": "did not finish"}}
    folder = f"{erasure_prefix(config)}/{plan['request_id']}"
    name = "dry-run-report" if dry_run else "report"
    s3 = s3_hook(config)
    s3.load_string(json.dumps(report, indent=2, sort_keys=True), key=f"{folder}/{name}.json",
                   bucket_name=config.bucket, replace=True)
    objects = report["s3"]["objects"]
    facts = [f"Request {plan['request_id']}{' (dry run: nothing changed)' if dry_run else ''}: "
             f"{len(plan['user_ids'])} user(s). Reason: {plan['reason']}",
             f"Personalize: {personalize['status']}" + (f", {personalize.get('records_deleted')} records deleted "
                                                        f"by {personalize['job']}" if personalize.get("job") else ""),
             f"S3 under s3://{config.bucket}/{config.prefix}/{config.dataset_group}/: {len(objects)} object(s), "
             f"{report['s3']['rows_removed']} row(s) removed."]
    rows = [[o["key"], o["action"], o["rows_removed"]] for o in objects]
    page = render_summary_html(f"Erasure report ({config.dataset_group})", facts, ["object", "action", "rows"], rows)
    s3.load_string(page, key=f"{folder}/{name}.html", bucket_name=config.bucket, replace=True)
    log.info("erasure report: s3://%s/%s/%s.json\n%s", config.bucket, folder, name, "\n".join(facts))
    in_personalize = dry_run or (group is not None and (not group.get("arn") or deletion is not None))
    if scrubbed is None or not in_personalize:
        raise AirflowFailException("the erasure did not finish (see the failed task); the report says what was done")
    return {"report": f"s3://{config.bucket}/{folder}/{name}.json", **report}
