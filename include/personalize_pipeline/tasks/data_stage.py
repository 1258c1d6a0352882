"""Extract → stage in S3 → validate: the data stage of the pipeline."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from personalize_pipeline.config import PipelineConfig
from personalize_pipeline.extract import Interval
from personalize_pipeline.run_context import extract_mode, run_interval
from personalize_pipeline.staging import download, s3_hook

log = logging.getLogger(__name__)


def extract_and_stage(config: PipelineConfig, context: Mapping[str, Any]) -> dict[str, Any]:
    """Extract every configured dataset into local CSVs, then upload them as one run partition.

    Nothing is uploaded unless every extract finished, so a source that fails mid-way leaves the partition as it
    was (absent, or the previous attempt's complete files with their manifest).
    """
    from personalize_pipeline.erasure import active_user_ids, applied_record, retire_forgotten
    from personalize_pipeline.extract import extract_dataset
    from personalize_pipeline.naming import import_job_name
    from personalize_pipeline.staging import partition_name, upload_partition

    interval = run_interval(context)
    mode = extract_mode(config, context.get("params"))
    partition = partition_name(mode, interval)
    s3 = s3_hook(config)
    erased = active_user_ids(s3, config)
    held = config.holdout_seconds
    # The fair comparison's window [end - held, end) stays out of tonight's import (the next run imports it):
    # FULL snapshots stop at the window, INCREMENTAL intervals shift back by it, so every event is imported once.
    imported = interval if not held else Interval(interval.start - held if mode == "interval" else interval.start,
                                                  interval.end - held)
    with tempfile.TemporaryDirectory(prefix="personalize-extract-") as tmp:
        out_dir = Path(tmp)
        stats = {ds: extract_dataset(config, ds, mode, imported if ds == "interactions" else interval, out_dir,
                                     erased=erased) for ds in config.datasets}
        for s in stats.values():
            log.info("extracted %s: %d rows from %d source rows (%d duplicates dropped, %d rows of erased users "
                     "left out)", s.dataset, s.rows, s.source_rows, s.duplicates_dropped, s.erased_rows)
        side_files, holdout = ({}, None) if not held else _holdout(config, Interval(interval.end - held,
                                                                                   interval.end), out_dir, erased)
        manifest = upload_partition(
            s3, config, partition, {ds: out_dir / f"{ds}.csv" for ds in stats}, stats, side_files=side_files,
            extra={"mode": mode, "interval": {"start": interval.start, "end": interval.end},
                   "imported_interval": {"start": imported.start, "end": imported.end}, "holdout": holdout,
                   "job_names": {ds: import_job_name(config, ds, {"stats": {ds: s.to_dict()}}, partition)
                                 for ds, s in stats.items()},
                   "erasure": applied_record(erased)},
        )
    if erased and mode == "full":
        seen = frozenset().union(*(s.erased_seen for s in stats.values()))
        retired = retire_forgotten(s3, config, seen, interval.end)
        if retired:
            log.info("%d erased user(s) no longer in the source: their erasure requests are retired", len(retired))
    log.info("staged partition %s", manifest["prefix"])
    return manifest


HOLDOUT_KEY = "holdout/interactions.csv"


def _holdout(config: PipelineConfig, window: Interval, out_dir: Path,
             erased: frozenset[str]) -> tuple[dict[str, Path], dict[str, Any]]:
    """The window's interactions (arrived and occurred in it: none is in tonight's import or an earlier one), for
    scoring the versions on; uploaded beside the partition, never imported by this run."""
    import pandas as pd

    from personalize_pipeline.extract import extract_dataset

    folder = out_dir / "holdout"
    folder.mkdir()
    extract_dataset(config, "interactions", "interval", window, folder, erased=erased)
    path = folder / "interactions.csv"
    frame = pd.read_csv(path, dtype={"USER_ID": str, "ITEM_ID": str})
    frame = frame[frame["TIMESTAMP"] >= window.start]
    frame.to_csv(path, index=False)
    log.info("held back %d interactions of %d users in [%d, %d) for the fair comparison", len(frame),
             frame["USER_ID"].nunique(), window.start, window.end)
    return {HOLDOUT_KEY: path}, {"key": HOLDOUT_KEY, "window": {"start": window.start, "end": window.end},
                                 "rows": len(frame), "users": int(frame["USER_ID"].nunique())}


def _upload_tree(s3_hook: Any, root: Path, bucket: str, prefix: str) -> None:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        s3_hook.load_file(str(path), key=f"{prefix}/{path.relative_to(root).as_posix()}", bucket_name=bucket,
                          replace=True)


def validate_staged(config: PipelineConfig, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The gate: run the GX suites on the staged files; fail the task (and so block the import) on any rule."""
    from airflow.sdk.exceptions import AirflowFailException

    from personalize_pipeline.erasure import reapply_to_partition
    from personalize_pipeline.staging import manifest_key_prefix
    from personalize_pipeline.validate import ValidationFailed, validate_files

    s3 = s3_hook(config)
    reapply_to_partition(s3, config, manifest)
    with tempfile.TemporaryDirectory(prefix="personalize-validate-") as tmp:
        local = {ds: download(s3, uri, Path(tmp) / f"{ds}.csv") for ds, uri in manifest["files"].items()}
        docs_dir = Path(tmp) / "data_docs"
        report = validate_files(local, config, docs_dir=docs_dir)
        if not report.success:
            prefix = f"{manifest_key_prefix(config, manifest)}/data_docs"
            _upload_tree(s3, docs_dir, config.bucket, prefix)
            report.data_docs = f"s3://{config.bucket}/{prefix}/index.html"
            log.error("data validation failed; Data Docs: %s", report.data_docs)
            # No retry can fix the data, so fail without burning retries.
            raise AirflowFailException(str(ValidationFailed(report)))
    log.info("all data rules passed: %s", report.statistics)
    return report.to_dict()


def manifest_for_run(config: PipelineConfig, staged: Mapping[str, Any] | None) -> dict[str, Any]:
    """This run's staged partition, or (batch-only runs, which stage nothing) the most recent complete one."""
    import json

    from airflow.sdk.exceptions import AirflowSkipException

    if staged:
        return dict(staged)
    s3 = s3_hook(config)
    prefix = f"{config.prefix}/{config.dataset_group}/staged/"
    manifests = [k for k in s3.list_keys(config.bucket, prefix=prefix) or [] if k.endswith("/_manifest.json")]
    if not manifests:
        raise AirflowSkipException(f"no staged partition under s3://{config.bucket}/{prefix} yet")
    latest = max(manifests, key=lambda k: json.loads(s3.read_key(k, config.bucket))["interval"]["end"])
    return dict(json.loads(s3.read_key(latest, config.bucket)))
