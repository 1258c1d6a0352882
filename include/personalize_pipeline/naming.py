"""Deterministic names for the jobs one pipeline run starts.

Names come from the staged data (content hashes) and the interval, never from the run id: a retry, a re-run of the
same logical date or a backfill of the same interval re-attaches to the job that already exists instead of paying
for a new one, while new data gets a new job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from personalize_pipeline.config import NAME_MAX, PipelineConfig


def short_hash(*parts: object, length: int = 10) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:length]


def data_key(manifest: Mapping[str, Any]) -> str:
    """One key for the content of every staged file of a partition."""
    stats = manifest["stats"]
    return short_hash(*(f"{name}:{stats[name]['sha256']}" for name in sorted(stats)))


def bounded(name: str) -> str:
    """Keep a name within Personalize's 63 characters, hashing the overflow so it stays unique."""
    return name if len(name) <= NAME_MAX else f"{name[: NAME_MAX - 9]}-{short_hash(name, length=8)}"


def import_job_name(config: PipelineConfig, dataset: str, manifest: Mapping[str, Any], partition: str) -> str:
    """One job per staged file: a re-run of the partition adopts it. The partition is part of the name because a job
    also records where it read from, and identical content staged on another night (an unchanged items table) is
    a different file; adopting the older job would leave a FULL import pointing at another night's data."""
    digest = manifest["stats"][dataset]["sha256"][:10]
    return bounded(f"{config.dataset_group}-{dataset}-{digest}-{short_hash(partition, length=6)}")


def solution_version_name(
    config: PipelineConfig, solution: str, manifest: Mapping[str, Any], mode: str, force_token: str = ""
) -> str:
    key = short_hash(data_key(manifest), mode, force_token)
    return bounded(f"{config.dataset_group}-{solution}-{key}")


def batch_job_name(config: PipelineConfig, solution: str, partition: str, version_arn: str) -> str:
    return bounded(f"{config.dataset_group}-{solution}-batch-{short_hash(partition, version_arn)}")
