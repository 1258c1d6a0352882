"""Put a solution's previous version back in service (a manual run of the rollback DAG).

The versions' tags are the record, as for promotions: the target gets a new promoted-at stamp (so a solution
without a campaign serves it again) and the version rolled back from is marked, so the nightly never promotes it
again on the same data.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from personalize_pipeline.config import PipelineConfig, SolutionConfig
from personalize_pipeline.tasks.training import (
    PROMOTED_TAG,
    ROLLED_BACK_TAG,
    campaign_name,
    personalize_hook,
    serving_version,
    version_tags,
)

log = logging.getLogger(__name__)
ROLLED_BACK_TO_TAG = "personalize-pipeline:rolled-back-to"


class RollbackError(ValueError):
    """A rollback that cannot be done as asked; the message says why and what exists."""


def _solution(config: PipelineConfig, name: str) -> SolutionConfig:
    found = next((s for s in config.solutions if s.name == name), None)
    if found is None:
        raise RollbackError(f"solution {name!r} is not in config {config.name!r}: expected one of "
                            f"{[s.name for s in config.solutions]}")
    return found


def _promotions(hook: Any, versions: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, str]]]:
    """(promoted-at, version ARN, tags) of every ACTIVE version ever promoted, newest first."""
    found = []
    for version in versions:
        if version.get("status") == "ACTIVE":
            tags = version_tags(hook, version["solutionVersionArn"])
            if PROMOTED_TAG in tags:
                found.append((tags[PROMOTED_TAG], version["solutionVersionArn"], tags))
    return sorted(found, reverse=True)


def plan_rollback(config: PipelineConfig, params: Mapping[str, Any]) -> dict[str, Any]:
    """Which version serves now and which one goes back: ``target_version`` (an ARN or its last part) or, when
    empty, the newest promoted version before the current one that was not itself rolled back."""
    sol = _solution(config, str(params.get("solution") or ""))
    hook = personalize_hook(config)
    group = hook.find_by_name("dataset_group", config.dataset_group)
    solution = group and hook.find_by_name("solution", config.resource_name(sol.name), group["datasetGroupArn"])
    if not solution:
        raise RollbackError(f"solution {config.resource_name(sol.name)!r} does not exist yet: nothing to roll back")
    current = serving_version(hook, config, sol, solution["solutionArn"])
    versions = list(hook.list_resources("solution_version", solution["solutionArn"]))
    wanted = str(params.get("target_version") or "").strip()
    if wanted:
        target = next((v["solutionVersionArn"] for v in versions
                       if wanted in (v["solutionVersionArn"], v["solutionVersionArn"].rsplit("/", 1)[-1])), None)
        if target is None:
            raise RollbackError(f"target_version {wanted!r} is not a version of {solution['solutionArn']}; its "
                                f"versions: {[v['solutionVersionArn'].rsplit('/', 1)[-1] for v in versions]}")
        status = next(v.get("status") for v in versions if v["solutionVersionArn"] == target)
        if status != "ACTIVE":
            raise RollbackError(f"target_version {target} is {status}, expected ACTIVE (only a trained version can "
                                "serve)")
    else:
        earlier = [arn for _, arn, tags in _promotions(hook, versions)
                   if arn != current and ROLLED_BACK_TAG not in tags]
        if not earlier:
            raise RollbackError(f"{sol.name}: no earlier promoted version to roll back to (serving {current}); "
                                "give target_version")
        target = earlier[0]
    if target == current:
        raise RollbackError(f"{sol.name}: {target} is already the version in service")
    plan = {"solution": sol.name, "solution_arn": solution["solutionArn"], "current": current, "target": target,
            "reason": str(params.get("reason") or ""),
            "campaign_name": campaign_name(config, sol) if sol.campaign else None,
            "min_provisioned_tps": sol.campaign.min_provisioned_tps if sol.campaign else None}
    log.info("%s: rolling back from %s to %s", sol.name, current or "(nothing in service)", target)
    return plan


def record_rollback(config: PipelineConfig, plan: Mapping[str, Any], run_id: str) -> dict[str, Any]:
    """Tag both versions, write the report (JSON and a page) and notify."""
    from personalize_pipeline.links import s3_object_url
    from personalize_pipeline.notify import NotificationEvent, notify
    from personalize_pipeline.report import html_page, html_table
    from personalize_pipeline.staging import s3_hook

    hook = personalize_hook(config)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    hook.client.tag_resource(resourceArn=plan["target"], tags=[
        {"tagKey": PROMOTED_TAG, "tagValue": stamp},
        {"tagKey": "personalize-pipeline:promoted-by", "tagValue": run_id[:256]}])
    if plan["current"]:
        hook.client.tag_resource(resourceArn=plan["current"], tags=[
            {"tagKey": ROLLED_BACK_TAG, "tagValue": stamp},
            {"tagKey": ROLLED_BACK_TO_TAG, "tagValue": plan["target"]}])
    served = serving_version(hook, config, _solution(config, plan["solution"]), plan["solution_arn"])
    if served != plan["target"]:
        raise RollbackError(f"{plan['solution']}: after the rollback {served} serves, expected {plan['target']}")
    record = {**plan, "at": stamp, "run_id": run_id, "serving": served}
    key = f"{config.prefix}/{config.dataset_group}/rollbacks/{plan['solution']}/{stamp.replace(':', '')}"
    s3 = s3_hook(config)
    s3.load_string(json.dumps(record, indent=2, sort_keys=True), key=f"{key}/report.json",
                   bucket_name=config.bucket, replace=True)
    rows = [["solution", plan["solution"]], ["rolled back from", plan["current"] or "-"],
            ["now serving", plan["target"]], ["campaign", plan["campaign_name"] or "- (batch only)"],
            ["reason", plan["reason"] or "-"], ["when", stamp], ["run", run_id]]
    page = html_page(f"Rollback of {plan['solution']}", f"<h1>Rollback of {plan['solution']}</h1>\n"
                     + html_table(["", ""], rows))
    client: Any = s3.get_conn()
    client.put_object(Bucket=config.bucket, Key=f"{key}/report.html", Body=page.encode(),
                      **{**s3.extra_args, "ContentType": "text/html; charset=utf-8"})
    record["report"] = f"s3://{config.bucket}/{key}/report.html"
    record["url"] = s3_object_url(s3, config.bucket, f"{key}/report.html", "text/html; charset=utf-8")
    message = (f"{plan['solution']}: rolled back from {plan['current'] or 'nothing'} to {plan['target']}"
               + (f" ({plan['reason']})" if plan["reason"] else ""))
    notify(NotificationEvent(dag_id=f"{config.dag_id}_rollback", run_id=run_id, task_id="record_rollback",
                             kind="rollback", message=message, details={"report": record["report"]}),
           config.notification_conn_id)
    log.info("%s; report %s", message, record["report"])
    return record
