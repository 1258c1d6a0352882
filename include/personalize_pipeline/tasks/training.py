"""Per-solution decisions around training: plan (train or reuse), compare with the serving version, promote."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from personalize_pipeline.config import PipelineConfig, SolutionConfig
from personalize_pipeline.naming import solution_version_name

log = logging.getLogger(__name__)
PROMOTED_TAG = "personalize-pipeline:promoted-at"
ROLLED_BACK_TAG = "personalize-pipeline:rolled-back-at"  # set by the rollback DAG on the version it replaced


def personalize_hook(config: PipelineConfig) -> Any:
    from personalize_provider.hooks.personalize import PersonalizeHook

    return PersonalizeHook(aws_conn_id=config.aws_conn_id)


def _versions(hook: Any, solution_arn: str) -> list[dict[str, Any]]:
    return list(hook.list_resources("solution_version", solution_arn))


def plan_training(config: PipelineConfig, sol: SolutionConfig, solution_arn: str, manifest: Mapping[str, Any],
                  params: Mapping[str, Any], run_id: str) -> dict[str, Any]:
    """Choose the training mode and the version name. The name is a hash of the staged data, so unchanged data
    maps onto the version already trained on it: the training operator adopts it instead of paying again."""
    hook = personalize_hook(config)
    versions = _versions(hook, solution_arn)
    has_full = any(v.get("status") == "ACTIVE" and v.get("trainingMode", "FULL") == "FULL" for v in versions)
    wanted = str(params.get("training_mode") or "CONFIG").upper()
    mode = sol.training_mode if wanted == "CONFIG" else wanted
    if mode in ("AUTO", "UPDATE"):
        if not has_full:
            log.info("%s: no ACTIVE FULL version yet, so training FULL instead of %s", sol.name, mode)
        mode = "UPDATE" if has_full else "FULL"
    force = run_id if params.get("force_retrain") else ""
    name = solution_version_name(config, sol.name, manifest, mode, force)
    # The versions listed above, not a second list: a summary carries no name, so those of the mode are described.
    existing = next((found for v in versions if v.get("trainingMode", mode) == mode
                     and (found := hook.describe_or_none("solution_version", v["solutionVersionArn"]))
                     and found.get("name") == name), None)
    if existing and existing.get("status") == "ACTIVE":
        reason = (f"staged data unchanged since solution version {existing['solutionVersionArn']}: "
                  "not retraining (set force_retrain to train anyway)")
    elif existing:
        reason = f"re-attaching to solution version {existing['solutionVersionArn']} ({existing.get('status')})"
    else:
        reason = f"training a new {mode} version {name} on staged data {manifest['partition']}"
    log.info("%s: %s", sol.name, reason)
    return {"version_name": name, "training_mode": mode, "reused": bool(existing), "reason": reason}


class VersionTags:
    """Tags of solution versions, each asked for once per task (the lookup of the version in service, the
    candidate's check and the report's history all read them)."""

    def __init__(self, hook: Any, known: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._hook = hook
        self._tags: dict[str, dict[str, str]] = {arn: dict(tags) for arn, tags in (known or {}).items()}

    def __call__(self, arn: str) -> dict[str, str]:
        if arn not in self._tags:
            self._tags[arn] = version_tags(self._hook, arn)
        return self._tags[arn]


def serving_version(hook: Any, config: PipelineConfig, sol: SolutionConfig, solution_arn: str,
                    versions: list[dict[str, Any]] | None = None, tags: VersionTags | None = None) -> str | None:
    """The version in service: the campaign's, or (no campaign) the last one tagged as promoted. ``versions`` and
    ``tags`` are the solution's versions and a tag lookup the caller already holds."""
    if sol.campaign:
        campaign = hook.find_by_name("campaign", campaign_name(config, sol), solution_arn)
        if campaign:
            arn: str | None = campaign.get("solutionVersionArn")
            return arn
    tags = tags or VersionTags(hook)
    promoted: list[tuple[str, str]] = []
    for version in _versions(hook, solution_arn) if versions is None else versions:
        if version.get("status") != "ACTIVE":
            continue
        stamp = tags(version["solutionVersionArn"]).get(PROMOTED_TAG)
        if stamp:
            promoted.append((stamp, version["solutionVersionArn"]))
    return max(promoted)[1] if promoted else None


def campaign_name(config: PipelineConfig, sol: SolutionConfig) -> str:
    return sol.campaign.name if sol.campaign and sol.campaign.name else config.resource_name(sol.name)


def campaign_config(sol: SolutionConfig) -> dict[str, Any] | None:
    if not sol.campaign or sol.campaign.exploration_weight is None:
        return None
    exploration = {"explorationWeight": str(sol.campaign.exploration_weight)}
    if sol.campaign.exploration_item_age_cutoff_days is not None:
        exploration["explorationItemAgeCutOff"] = str(sol.campaign.exploration_item_age_cutoff_days)
    return {"itemExplorationConfig": exploration}


def _history(hook: Any, versions: list[dict[str, Any]], known_metrics: Mapping[str, Mapping[str, Any]],
             tags: VersionTags, limit: int = 20) -> list[Any]:
    """The solution's ACTIVE versions with their metrics and promotion, oldest first; ``known_metrics`` holds the
    metrics the caller already fetched (candidate, incumbent), so they are not asked for again."""
    from personalize_pipeline.report import VersionPoint

    points = []
    active = sorted((v for v in versions if v.get("status") == "ACTIVE"), key=lambda v: v["creationDateTime"])
    for version in active[-limit:]:
        arn = version["solutionVersionArn"]
        metrics = known_metrics.get(arn)
        if metrics is None:
            metrics = hook.client.get_solution_metrics(solutionVersionArn=arn).get("metrics", {})
        points.append(VersionPoint(version_arn=arn, created_at=version["creationDateTime"].timestamp(),
                                   metrics=dict(metrics), promoted=PROMOTED_TAG in tags(arn)))
    return points


def incumbent_of(config: PipelineConfig, sol: SolutionConfig, solution_arn: str) -> dict[str, Any]:
    """The version in service and the end of the data it was trained on (its tag), looked up once per run."""
    hook = personalize_hook(config)
    lookup = VersionTags(hook)
    arn = serving_version(hook, config, sol, solution_arn, tags=lookup)
    tags = lookup(arn) if arn else {}
    from personalize_pipeline.tasks.evaluation import TRAINED_THROUGH_TAG

    through = tags.get(TRAINED_THROUGH_TAG)
    return {"arn": arn, "trained_through": int(through) if through and through.isdigit() else None, "tags": tags}


def version_tags(hook: Any, arn: str) -> dict[str, str]:
    return {t["tagKey"]: t["tagValue"] for t in hook.client.list_tags_for_resource(resourceArn=arn).get("tags", [])}


def _gate(config: PipelineConfig, sol: SolutionConfig, rule: Any, candidate_metrics: Mapping[str, float],
          incumbent_metrics: Mapping[str, float] | None, evaluation: Mapping[str, Any],
          manifest: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The decision on the gating evaluation, and what the report says about both evaluations."""
    from personalize_pipeline.promotion import PromotionDecision, compute_rows, decide

    own = {"candidate": dict(candidate_metrics), "incumbent": dict(incumbent_metrics or {})}
    account: dict[str, Any] = {**{k: evaluation.get(k) for k in ("gate", "requested", "reason", "users", "events",
                                                                 "window")},
                               "batch_jobs": len(evaluation.get("jobs", [])), "personalize": own}
    if evaluation.get("gate") == "fair":
        from personalize_pipeline.tasks.evaluation import score

        fair = score(config, sol, evaluation, manifest)
        account["fair"] = fair
        own_rows = compute_rows(candidate_metrics, incumbent_metrics, rule.primary_metric)
        account["personalize_rows"] = [r.to_dict() for r in own_rows]
        decision = decide(fair["candidate"], fair["incumbent"], rule)
        scope = (f"fair comparison on {evaluation['users']} users' {evaluation['events']} held-back events "
                 "(2 batch inference jobs)")
        return PromotionDecision(promote=decision.promote, reason=f"{scope}: {decision.reason}", rows=decision.rows,
                                 primary_metric=decision.primary_metric), account
    if evaluation.get("requested") == "fair" and incumbent_metrics is not None:
        rows = compute_rows(candidate_metrics, incumbent_metrics, rule.primary_metric)
        return PromotionDecision(promote=False, rows=rows,
                                 reason=f"the config requires a fair comparison, which this run cannot make: "
                                 f"{evaluation.get('reason')}", primary_metric=rule.primary_metric), account
    decision = decide(candidate_metrics, incumbent_metrics, rule)
    if incumbent_metrics is not None and evaluation.get("reason"):
        decision = PromotionDecision(
            promote=decision.promote, rows=decision.rows, primary_metric=decision.primary_metric,
            reason=f"{decision.reason} (on Personalize's own metrics: {evaluation['reason']})")
    return decision, account


def compare_and_report(config: PipelineConfig, sol: SolutionConfig, solution_arn: str, candidate_arn: str,
                       candidate_metrics: Mapping[str, float], manifest: Mapping[str, Any],
                       params: Mapping[str, Any], evaluation: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Gate the candidate against the serving version, log the table, write the report next to the run's data.
    ``evaluation`` is plan_evaluation's result (the version in service, which evaluation gates, the batch jobs)."""
    from personalize_pipeline.links import s3_object_url
    from personalize_pipeline.promotion import PromotionDecision, format_table
    from personalize_pipeline.report import write_report
    from personalize_pipeline.staging import manifest_key_prefix, s3_hook
    from personalize_pipeline.tasks.evaluation import trained_through

    hook = personalize_hook(config)
    rule = sol.promotion
    overrides = {k: params[p] for k, p in (("primary_metric", "promotion_metric"),
                                           ("min_relative_change", "min_relative_change"))
                 if params.get(p) not in (None, "")}
    if overrides:
        rule = rule.model_copy(update=overrides)
        log.info("%s: promotion rule overridden for this run: %s", sol.name, overrides)
    versions = _versions(hook, solution_arn)  # one list for the version in service and the report's history
    tags = VersionTags(hook, {evaluation["incumbent"]: evaluation["incumbent_tags"]}
                       if evaluation and evaluation.get("incumbent") and evaluation.get("incumbent_tags") is not None
                       else None)
    evaluation = evaluation or {"gate": "personalize", "requested": config.evaluation.gate, "reason": "",
                                "incumbent": serving_version(hook, config, sol, solution_arn, versions, tags)}
    incumbent_arn = evaluation["incumbent"]
    account: dict[str, Any] = {}
    candidate_tags = tags(candidate_arn)
    known: dict[str, Mapping[str, Any]] = {candidate_arn: candidate_metrics}
    rolled_back = candidate_tags.get(ROLLED_BACK_TAG) if incumbent_arn != candidate_arn else None
    if incumbent_arn == candidate_arn:
        decision = PromotionDecision(promote=False, reason="candidate is already the version in service",
                                     rows=[], primary_metric=rule.primary_metric)
    elif rolled_back:
        decision = PromotionDecision(
            promote=False, rows=[], primary_metric=rule.primary_metric,
            reason=f"candidate was rolled back at {rolled_back}; not promoted again (new data trains a new version, "
            "or run with force_retrain)")
    else:
        incumbent = (hook.client.get_solution_metrics(solutionVersionArn=incumbent_arn).get("metrics", {})
                     if incumbent_arn else None)
        if incumbent_arn:
            known[incumbent_arn] = incumbent or {}
        decision, account = _gate(config, sol, rule, candidate_metrics, incumbent, evaluation, manifest)
        if params.get("dry_run") and decision.promote:
            decision = PromotionDecision(promote=False, reason=f"dry run: would promote ({decision.reason})",
                                         rows=decision.rows, primary_metric=decision.primary_metric)
    log.info("%s: %s vs %s\n%s", sol.name, candidate_arn, incumbent_arn or "(nothing in service)",
             format_table(decision.rows) if decision.rows else "(no metrics to compare)")
    log.info("%s: %s -> %s", sol.name, "PROMOTE" if decision.promote else "KEEP", decision.reason)
    report_prefix = manifest_key_prefix(config, manifest)
    s3 = s3_hook(config)
    report = write_report(s3, config.bucket, report_prefix, sol.name, decision, _history(hook, versions, known, tags),
                          evaluation=account)
    # A URL a browser opens (the "Promotion report" link): the s3:// URI is for tools.
    report["url"] = s3_object_url(s3, *s3.parse_s3_url(report["html"]), "text/html; charset=utf-8")
    log.info("%s: report %s (chart %s); open: %s", sol.name, report["html"], report["chart"], report["url"])
    return {"promote": decision.promote, "reason": decision.reason, "candidate": candidate_arn,
            "incumbent": incumbent_arn, "report": report, "decision": decision.to_dict(),
            "evaluation": account, "trained_through": trained_through(manifest)}


def keep_incumbent(config: PipelineConfig, sol: SolutionConfig, result: Mapping[str, Any], run_id: str,
                   task_id: str) -> str:
    """The rejected branch: nothing changes in service; the notification says why (a rejection is not a failure)."""
    from personalize_pipeline.notify import NotificationEvent, notify

    message = f"{sol.name}: kept {result['incumbent'] or 'nothing in service'}: {result['reason']}"
    notify(NotificationEvent(dag_id=config.dag_id, run_id=run_id, task_id=task_id, kind="rejected",
                             message=message, details={"report": result["report"]}), config.notification_conn_id)
    return message


def record_promotion(config: PipelineConfig, version_arn: str, run_id: str,
                     trained_through: int | None = None) -> None:
    """Promotion is recorded on the version itself (tags), so it survives any Airflow metadata reset; so is the end
    of the data it was trained on, which later fair comparisons check their held-back window against."""
    from datetime import UTC, datetime

    from personalize_pipeline.tasks.evaluation import TRAINED_THROUGH_TAG

    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    tags = [{"tagKey": PROMOTED_TAG, "tagValue": stamp},
            {"tagKey": "personalize-pipeline:promoted-by", "tagValue": run_id[:256]}]
    if trained_through is not None:
        tags.append({"tagKey": TRAINED_THROUGH_TAG, "tagValue": str(trained_through)})
    personalize_hook(config).client.tag_resource(resourceArn=version_arn, tags=tags)
    log.info("recorded promotion of %s", version_arn)


def resolve_serving(config: PipelineConfig, sol: SolutionConfig, staged: Mapping[str, Any] | None,
                    solution: Mapping[str, Any] | None = None, compared: Mapping[str, Any] | None = None,
                    filter_arn: str | None = None) -> dict[str, Any]:
    """The version batch jobs should use now (after this run's promotion, if any), with the filter's ARN and the
    partition batch inputs come from (``staged``: this run's, None in batch-only runs). A nightly run passes what
    its tasks already know (the solution, compare's decision, the filter); a batch-only run looks them up."""
    from airflow.sdk.exceptions import AirflowSkipException

    hook = personalize_hook(config)
    group = None
    if solution is None:
        group = hook.find_by_name("dataset_group", config.dataset_group)
        solution = group and hook.find_by_name("solution", config.resource_name(sol.name), group["datasetGroupArn"])
        solution = solution and {"arn": solution["solutionArn"]}
    if compared:
        version = compared["candidate"] if compared["promote"] else compared["incumbent"]
    else:
        version = solution and serving_version(hook, config, sol, solution["arn"])
    if not solution or not version:
        raise AirflowSkipException(f"{sol.name}: no version in service yet, nothing to run batch inference on")
    wanted = sol.batch_inference.filter if sol.batch_inference else None
    if wanted and not filter_arn:
        group = group or hook.find_by_name("dataset_group", config.dataset_group)
        found = group and hook.find_by_name("filter", config.resource_name(wanted), group["datasetGroupArn"])
        if not found:
            raise ValueError(f"{sol.name}: filter {config.resource_name(wanted)!r} does not exist in the dataset "
                             "group")
        filter_arn = found["filterArn"]
    serving = {"version_arn": version, "solution_arn": solution["arn"], "filter_arn": filter_arn if wanted else None}
    if sol.batch_inference:
        from personalize_pipeline.tasks.data_stage import manifest_for_run

        serving["manifest"] = manifest_for_run(config, staged)
    return serving
