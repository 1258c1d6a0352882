"""The fair comparison: the version in service and the candidate recommend for the same users, and are scored on
the same held-back events, which neither was trained on.

Each version's GetSolutionMetrics come from its own random 10% of users and the newest events of its own training
data, so two versions' numbers are measured on different data. Here both answer one batch inference job each for
a bounded sample of the users active in the run's held-back window, and Personalize's metric definitions
(personalize_pipeline.offline_metrics) are computed on both outputs against what those users did in the window.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from personalize_pipeline.config import PipelineConfig, SolutionConfig
from personalize_pipeline.naming import bounded, short_hash
from personalize_pipeline.staging import s3_hook

log = logging.getLogger(__name__)
TRAINED_THROUGH_TAG = "personalize-pipeline:trained-through"  # epoch end of the interactions a version saw
ROLES = ("incumbent", "candidate")


def trained_through(manifest: Mapping[str, Any]) -> int:
    """The end of the interactions the partition imports (the held-back window starts there)."""
    window = manifest.get("imported_interval") or manifest["interval"]
    return int(window["end"])


def _holdout(config: PipelineConfig, sol: SolutionConfig, manifest: Mapping[str, Any]) -> Any:
    import pandas as pd

    holdout = manifest.get("holdout")
    if not holdout:
        return None
    from personalize_pipeline.staging import manifest_key_prefix

    s3 = s3_hook(config)
    body = s3.read_key(f"{manifest_key_prefix(config, manifest)}/{holdout['key']}", config.bucket)
    from io import StringIO

    frame = pd.read_csv(StringIO(body), usecols=["USER_ID", "ITEM_ID", "EVENT_TYPE"], dtype=str)
    if sol.event_type:  # the solution trains on (and is judged on) that event type only
        frame = frame[frame["EVENT_TYPE"] == sol.event_type]
    return frame


def _sample(users: list[str], partition: str, size: int) -> list[str]:
    """A deterministic sample (the same users on a re-run of the partition), spread over the id space."""
    return sorted(users, key=lambda u: short_hash(partition, u))[:size]


def plan_evaluation(config: PipelineConfig, sol: SolutionConfig, incumbent: str | None, candidate: str,
                    incumbent_trained_through: int | None, manifest: Mapping[str, Any],
                    incumbent_tags: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Decide which evaluation gates and, for the fair one, stage the sampled users and name one batch job per
    version. ``jobs`` (kwargs for the batch inference operator) is empty when the gate is Personalize's metrics.
    ``incumbent_tags`` ride along so compare does not ask for them again."""
    gate = config.evaluation.gate
    plan: dict[str, Any] = {"gate": "personalize", "requested": gate, "incumbent": incumbent, "candidate": candidate,
                            "jobs": [], "users": 0, "events": 0, "reason": "",
                            "incumbent_tags": dict(incumbent_tags) if incumbent_tags is not None else None}
    window = (manifest.get("holdout") or {}).get("window")
    why_not = None
    if gate == "personalize":
        why_not = "the config gates on Personalize's own metrics"
    elif not sol.recommends_for_users:
        why_not = f"{sol.recipe} does not recommend for a user, so the versions cannot answer the same users"
    elif not incumbent:
        why_not = "nothing in service to compare with"
    elif incumbent == candidate:
        why_not = "the candidate is the version in service"
    elif not window:
        why_not = "this run held nothing back"
    elif incumbent_trained_through is None:
        why_not = "the version in service does not record what data it was trained on"
    elif incumbent_trained_through > window["start"]:
        why_not = ("the version in service was trained on the held-back window (a backfill of an earlier interval "
                   "or an older run)")
    elif not config.fair_budget_allows(sol):
        why_not = f"the run's batch-job budget ({config.evaluation.max_batch_jobs}) is spent on earlier solutions"
    frame = None if why_not else _holdout(config, sol, manifest)
    if frame is not None and frame.empty:
        why_not = "no interactions in the held-back window"
    if why_not:
        plan["reason"] = why_not
        log.info("%s: gating on Personalize's metrics: %s", sol.name, why_not)
        return plan
    assert frame is not None  # why_not is set whenever there is no window to read
    users = _sample(sorted(frame["USER_ID"].unique()), manifest["partition"], config.evaluation.sample_users)
    from personalize_pipeline.staging import manifest_key_prefix

    root = f"{manifest['prefix']}/evaluation/{sol.name}"
    key = f"{manifest_key_prefix(config, manifest)}/evaluation/{sol.name}/input/users.json"
    s3_hook(config).load_string("".join(json.dumps({"userId": u}) + "\n" for u in users), key=key,
                            bucket_name=config.bucket, replace=True)
    plan.update(gate="fair", users=len(users), events=int(frame["USER_ID"].isin(users).sum()),
                window=window, input_path=f"s3://{config.bucket}/{key}")
    plan["jobs"] = [
        {"solution_version_arn": arn, "input_path": plan["input_path"], "output_path": f"{root}/output/{role}/",
         "job_name": bounded(f"{config.dataset_group}-{sol.name}-eval-{short_hash(manifest['partition'], arn)}")}
        for role, arn in zip(ROLES, (incumbent, candidate), strict=True)
    ]
    log.info("%s: fair comparison on %d users (%d events) of the held-back window: 2 batch inference jobs",
             sol.name, plan["users"], plan["events"])
    return plan


def _read_lists(s3: Any, config: PipelineConfig, output_path: str) -> dict[str, list[str]]:
    """userId -> recommended items, from a batch job's `.out` JSON lines (error lines recommend nothing)."""
    bucket, prefix = s3.parse_s3_url(output_path)
    lists: dict[str, list[str]] = {}
    for key in s3.list_keys(bucket, prefix=prefix) or []:
        if not key.endswith(".out"):
            continue
        for line in s3.read_key(key, bucket).splitlines():
            if line.strip():
                record = json.loads(line)
                items = (record.get("output") or {}).get("recommendedItems") or []
                lists[str(record["input"]["userId"])] = [str(i) for i in items]
    return lists


def score(config: PipelineConfig, sol: SolutionConfig, plan: Mapping[str, Any],
          manifest: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Both versions' metrics on the held-back events of the sampled users; coverage over the items catalogue (the
    staged items, else every item the window or a list names)."""
    from personalize_pipeline.offline_metrics import score_lists

    frame = _holdout(config, sol, manifest)
    s3 = s3_hook(config)
    sampled = {json.loads(line)["userId"] for line in
               s3.read_key(*reversed(s3.parse_s3_url(plan["input_path"]))).splitlines() if line.strip()}
    frame = frame[frame["USER_ID"].isin(sampled)]
    relevant = {u: set(items) for u, items in frame.groupby("USER_ID")["ITEM_ID"]}
    lists = {job_role: _read_lists(s3, config, job["output_path"])
             for job_role, job in zip(ROLES, plan["jobs"], strict=True)}
    catalog = _catalog(s3, config, manifest) or set(frame["ITEM_ID"]).union(*(
        i for user_lists in lists.values() for i in user_lists.values()))
    return {role: score_lists(lists[role], relevant, catalog) for role in ROLES}


def _catalog(s3: Any, config: PipelineConfig, manifest: Mapping[str, Any]) -> set[str]:
    import pandas as pd

    uri = manifest.get("files", {}).get("items")
    if not uri:
        return set()
    bucket, key = s3.parse_s3_url(uri)
    from io import StringIO

    return set(pd.read_csv(StringIO(s3.read_key(key, bucket)), usecols=["ITEM_ID"], dtype=str)["ITEM_ID"])
