"""Deterministic, run-partitioned S3 keys and an all-or-nothing upload of a staged partition."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from personalize_pipeline.config import PipelineConfig
from personalize_pipeline.extract import ExtractMode, FileStats, Interval

MANIFEST = "_manifest.json"


def _stamp(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%dT%H%M%SZ")


def partition_name(mode: ExtractMode, interval: Interval) -> str:
    """Same interval -> same partition: a retry overwrites its own files, a backfilled interval gets its own."""
    if mode == "full":
        return f"snapshot={_stamp(interval.end)}"
    return f"interval={_stamp(interval.start)}_{_stamp(interval.end)}"


def partition_prefix(config: PipelineConfig, partition: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9=_\-]+", partition):
        raise ValueError(f"unsafe partition name {partition!r}")
    return f"{config.prefix}/{config.dataset_group}/staged/{partition}"


def manifest_key_prefix(config: PipelineConfig, manifest: Mapping[str, Any]) -> str:
    """The partition's key prefix inside the bucket (the manifest records it as an s3:// URI)."""
    return str(manifest["prefix"]).removeprefix(f"s3://{config.bucket}/")


def s3_hook(config: PipelineConfig) -> Any:
    """The Amazon provider's S3Hook on the pipeline's connection."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=config.aws_conn_id)


def download(s3: Any, uri: str, target: Path) -> Path:
    """One staged object into a local file with a single GetObject, streamed (S3Hook's get_key + download_file
    costs two HeadObject calls more)."""
    bucket, key = s3.parse_s3_url(uri)
    with contextlib.closing(s3.get_conn().get_object(Bucket=bucket, Key=key)["Body"]) as body, \
            target.open("wb") as out:
        shutil.copyfileobj(body, out, length=1 << 20)
    return target


def upload_partition(
    s3_hook: Any, config: PipelineConfig, partition: str, files: Mapping[str, Path], stats: Mapping[str, FileStats],
    extra: Mapping[str, Any] | None = None, side_files: Mapping[str, Path] | None = None,
) -> dict[str, Any]:
    """Upload data files, then the manifest last: a partition without a manifest is incomplete by definition.
    ``side_files`` (key under the partition -> file) are uploaded with them but are not datasets to import."""
    prefix = partition_prefix(config, partition)
    # The bucket is infrastructure, made outside Airflow (include/iam grants no CreateBucket, nor the HeadBucket a
    # check would need): a missing one fails the first call below with NoSuchBucket.
    # Drop an older manifest first so readers never pair it with half-replaced files.
    s3_hook.delete_objects(config.bucket, [f"{prefix}/{MANIFEST}"])
    uris: dict[str, str] = {}
    for dataset, path in files.items():
        key = f"{prefix}/{dataset}.csv"
        s3_hook.load_file(str(path), key=key, bucket_name=config.bucket, replace=True)
        uris[dataset] = f"s3://{config.bucket}/{key}"
    for relative, path in (side_files or {}).items():
        s3_hook.load_file(str(path), key=f"{prefix}/{relative}", bucket_name=config.bucket, replace=True)
    manifest = {
        "partition": partition,
        "prefix": f"s3://{config.bucket}/{prefix}",
        "files": uris,
        "stats": {name: s.to_dict() for name, s in stats.items()},
        **(extra or {}),
    }
    s3_hook.load_string(json.dumps(manifest, indent=2, sort_keys=True), key=f"{prefix}/{MANIFEST}",
                        bucket_name=config.bucket, replace=True)
    return manifest
