"""Batch inference inputs (JSON lines in Personalize's formats) built from the staged data, and the run summary."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from personalize_pipeline.config import PipelineConfig, SolutionConfig

log = logging.getLogger(__name__)


def batch_prefix(config: PipelineConfig, sol: SolutionConfig) -> str:
    """Stable per-solution output root: published as an Airflow Asset for downstream DAGs."""
    return f"{config.prefix}/{config.dataset_group}/batch/{sol.name}"


def asset_uri(config: PipelineConfig, sol: SolutionConfig) -> str:
    return f"s3://{config.bucket}/{batch_prefix(config, sol)}/"


def _input_lines(sol: SolutionConfig, interactions: Any) -> list[dict[str, Any]]:
    assert sol.batch_inference is not None
    limit = sol.batch_inference.max_queries
    # Most active users / most popular items first: deterministic and the most useful to precompute.
    users = interactions["USER_ID"].value_counts(sort=True).index[:limit]
    items = interactions["ITEM_ID"].value_counts(sort=True)
    if sol.batch_inference.input == "users":
        return [{"userId": str(u)} for u in users]
    if sol.batch_inference.input == "items":
        return [{"itemId": str(i)} for i in items.index[:limit]]
    candidates = [str(i) for i in items.index[:sol.batch_inference.num_results]]
    return [{"userId": str(u), "itemList": candidates} for u in users]


def prepare_batch_input(
    config: PipelineConfig, sol: SolutionConfig, serving: Mapping[str, Any], manifest: Mapping[str, Any]
) -> dict[str, str]:
    import pandas as pd

    from personalize_pipeline.naming import batch_job_name
    from personalize_pipeline.staging import download, s3_hook

    s3 = s3_hook(config)

    root = f"{batch_prefix(config, sol)}/{manifest['partition']}"
    with tempfile.TemporaryDirectory(prefix="personalize-batch-") as tmp:
        local = download(s3, manifest["files"]["interactions"], Path(tmp) / "interactions.csv")
        interactions = pd.read_csv(local, usecols=["USER_ID", "ITEM_ID"], dtype="string[pyarrow]")
    lines = _input_lines(sol, interactions)
    s3.load_string("".join(json.dumps(line) + "\n" for line in lines), key=f"{root}/input/queries.json",
                   bucket_name=config.bucket, replace=True)
    log.info("%s: %d batch queries (%s) staged", sol.name, len(lines), sol.batch_inference.input)  # type: ignore[union-attr]
    return {"input_path": f"s3://{config.bucket}/{root}/input/queries.json",
            "output_path": f"s3://{config.bucket}/{root}/output/", "queries": str(len(lines)),
            "job_name": batch_job_name(config, sol.name, manifest["partition"], serving["version_arn"])}


def _online_impact(config: PipelineConfig, s3: Any) -> tuple[list[str], list[list[Any]]]:
    """The newest metric attribution report as a fact and a table (nothing without a metric attribution)."""
    from personalize_pipeline.attribution import impact_rows, latest_report

    if not config.metric_attribution:
        return [], []
    found = latest_report(s3, config)
    if found is None:
        return [f"Online impact: no metric attribution report under {config.attribution_output_path} yet."], []
    uri, rows = found
    return [f"Online impact (metric attribution, {uri}): events that followed recommendations, per source."], \
        impact_rows(config, rows)


def write_summary(config: PipelineConfig, manifest: Mapping[str, Any] | None, validation: Mapping[str, Any] | None,
                  results: Mapping[str, Mapping[str, Any]]) -> tuple[str, str | None]:
    """A short account a person can read: validated data, each solution's decision, where outputs are, as Markdown
    and as an HTML page. Returns the Markdown and a browser URL of the page's S3 copy (None when there is no staged
    partition to put it in)."""
    from personalize_pipeline.report import render_summary_html
    from personalize_pipeline.staging import s3_hook

    title = f"Personalize pipeline `{config.name}` (dataset group `{config.dataset_group}`)"
    facts = []
    if manifest:
        stats = manifest.get("stats", {})
        facts.append(f"Staged partition `{manifest['partition']}`: " + ", ".join(
            f"{name} {s['rows']} rows" for name, s in stats.items()))
    if validation:
        inter = validation.get("statistics", {}).get("interactions", {})
        facts.append(f"Data validated: {inter.get('rows')} interactions, {inter.get('users')} users "
                     f"({inter.get('users_meeting_minimum')} with >= {config.validation.min_interactions_per_user}"
                     f" interactions), {inter.get('items')} items.")
    header = ["solution", "version", "decision", "reason", "report", "batch output"]
    rows = [[name, r.get("candidate", "-"), r.get("outcome", "-"), r.get("reason", "-"), r.get("report", "-"),
             r.get("batch_output", "-")] for name, r in results.items()]
    lines = [f"# {title}", "", *facts, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    s3 = s3_hook(config)
    impact_facts, impact = _online_impact(config, s3)
    sections: list[Any] = []
    if impact_facts:
        from personalize_pipeline.attribution import HEADER

        lines += ["", "## Online impact", "", *impact_facts]
        if impact:
            lines += ["", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
            lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in impact]
            sections.append(("Online impact", HEADER, impact))
    if config.recommenders:
        from personalize_pipeline.tasks.recommenders import recommender_rows

        rec_header = ["recommender", "use case", "status", "model metrics"]
        recs = recommender_rows(config)
        lines += ["", "## Recommenders", "", "| " + " | ".join(rec_header) + " |", "|" + "---|" * len(rec_header)]
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in recs]
        sections.append(("Recommenders", rec_header, recs))
    text = "\n".join(lines) + "\n"
    url = None
    if manifest:
        from personalize_pipeline.links import s3_object_url
        from personalize_pipeline.staging import manifest_key_prefix

        base = manifest_key_prefix(config, manifest)
        s3.load_string(text, key=f"{base}/summary.md", bucket_name=config.bucket, replace=True)
        page = render_summary_html(title.replace("`", ""), [f.replace("`", "") for f in facts + impact_facts],
                                   header, rows, sections)
        s3.load_string(page, key=f"{base}/summary.html", bucket_name=config.bucket, replace=True)
        url = s3_object_url(s3, config.bucket, f"{base}/summary.html", "text/html; charset=utf-8")
        log.info("summary written to s3://%s/%s/summary.html and summary.md (open: %s)", config.bucket, base, url)
    log.info("\n%s", text)
    return text, url


def summarize_run(config: PipelineConfig, context: Mapping[str, Any], manifest: Mapping[str, Any] | None,
                  validation: Mapping[str, Any] | None, solutions: Mapping[str, Mapping[str, Any]]) -> str:
    """Gather each stage's output into the summary (tasks that did not run simply have nothing to say).
    ``solutions`` holds each solution group's outputs: plan, compared, serving and prepared (None when not run)."""
    results: dict[str, dict[str, Any]] = {}
    for sol in config.solutions:
        outputs = solutions.get(sol.name, {})
        plan, compared, prepared, serving = (outputs.get(k) or {} for k in ("plan", "compared", "prepared",
                                                                           "serving"))
        metric = compared.get("decision", {}).get("primary_metric")
        rows = compared.get("decision", {}).get("rows", [])
        row: dict[str, Any] = next((r for r in rows if r.get("metric") == metric), {})
        results[sol.name] = {
            "candidate": (compared.get("candidate") or "-").rsplit("/", 1)[-1],
            "outcome": ("promoted" if compared["promote"] else "kept") if compared else "-",
            "reason": "; ".join(filter(None, [plan.get("reason") if plan.get("reused") else None,
                                              compared.get("reason")])) or "-",
            "metric": f"{metric}={row.get('candidate')}" if row else "-",
            "report": compared.get("report", {}).get("html", "-"),
            "batch_output": prepared.get("output_path", "-"),
            "serving": serving.get("version_arn", "-"),
        }
    text, url = write_summary(config, manifest, validation, results)
    if url:
        from personalize_pipeline.links import PersonalizeRunSummaryLink

        PersonalizeRunSummaryLink.persist(context, url)
    return text


def fail_if_any_task_failed(context: Mapping[str, Any]) -> None:
    """Fail (and so fail the run: the summary is its only leaf) when a task of this run failed; the message names
    them. Asked of Airflow's API for the run's task states, so no task needs an edge from every other."""
    from airflow.sdk.exceptions import AirflowFailException

    ti = context["ti"]
    states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[ti.run_id]).get(ti.run_id, {})
    failed = sorted(task_id for task_id, state in states.items() if state in ("failed", "upstream_failed"))
    if failed:
        raise AirflowFailException(f"{len(failed)} task(s) of this run did not succeed: {', '.join(failed)}; "
                                   "see their logs and the run summary")
