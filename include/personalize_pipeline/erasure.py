"""Privacy erasure: forget users in S3 and keep them out of every later import.

An erasure *request* is a set of user ids; its id is a hash of the sorted ids, so the same request made twice is the
same request (re-running it removes nothing more). Each request is one S3 object under ``<pipeline>/erasure/
requests/``: the extract drops the active ids' rows before anything is staged, and a FULL extract that no longer
finds an id in the source retires it, since the source has then forgotten the user too.

Order matters for the race with a nightly run: the erasure DAG records its request *before* it scrubs S3, and the
nightly validation re-applies the active requests to its partition *after* staging it. Whichever runs second sees
the other's work, so no partition staged around an erasure keeps the users' rows.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from personalize_pipeline.config import PipelineConfig
from personalize_pipeline.naming import bounded, short_hash

log = logging.getLogger(__name__)
USER_ID_MAX = 256  # Personalize's USER_ID length limit
MAX_USERS = 100_000
CSV_CHUNK_ROWS = 500_000
# Files a batch job reads or writes: one JSON object per line, the user id at the top or under "input".
JSON_LINES = (".json", ".jsonl", ".out")
# The only other pipeline output that quotes data values: the Data Docs of a failed validation (examples of the
# values that broke a rule). A page quoting an erased user is deleted; it is a diagnostic, not data.
DATA_DOCS = "/data_docs/"


class ErasureRequestError(ValueError):
    """A request that cannot be carried out; the message names the rule, the value and where it came from."""


def erasure_prefix(config: PipelineConfig) -> str:
    return f"{config.prefix}/{config.dataset_group}/erasure"


def pipeline_prefix(config: PipelineConfig) -> str:
    return f"{config.prefix}/{config.dataset_group}/"


def request_id(user_ids: Iterable[str]) -> str:
    return short_hash(*sorted(set(user_ids)), length=12)


def deletion_job_name(config: PipelineConfig, rid: str) -> str:
    return bounded(f"{config.dataset_group}-erasure-{rid}")


def check_user_ids(values: Iterable[object], where: str) -> list[str]:
    """Sorted unique ids; refuses blanks, ids longer than Personalize allows and ids a CSV line cannot hold."""
    ids: set[str] = set()
    for position, value in enumerate(values, start=1):
        text = str(value).strip() if value is not None else ""
        problem = ("an empty id" if not text else f"{len(text)} characters" if len(text) > USER_ID_MAX
                   else "a comma, quote or line break" if re.search(r'[,"\r\n]', text) else None)
        if problem:
            raise ErasureRequestError(f"user id #{position} in {where}: expected a USER_ID of 1..{USER_ID_MAX} "
                                      f"characters without commas, quotes or line breaks, got {problem}")
        ids.add(text)
    if not ids:
        raise ErasureRequestError(f"no user ids in {where}: expected at least one")
    if len(ids) > MAX_USERS:
        raise ErasureRequestError(f"{len(ids)} user ids in {where}: expected at most {MAX_USERS} per request")
    return sorted(ids)


def ids_from_csv(text: str, where: str) -> list[str]:
    """USER_IDs from a CSV with a USER_ID column (Personalize's data deletion format)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if "USER_ID" not in (reader.fieldnames or []):
        raise ErasureRequestError(f"{where}: expected a header with a USER_ID column, got {reader.fieldnames}")
    return [row["USER_ID"] for row in reader]


@dataclass
class ErasureRequest:
    request_id: str
    user_ids: list[str]
    reason: str
    recorded_at: str
    retired: dict[str, str] = field(default_factory=dict)  # user id -> when the source stopped returning it

    @property
    def active(self) -> list[str]:
        return [u for u in self.user_ids if u not in self.retired]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def _request_key(config: PipelineConfig, rid: str) -> str:
    return f"{erasure_prefix(config)}/requests/{rid}.json"


def load_requests(s3: Any, config: PipelineConfig) -> list[ErasureRequest]:
    from botocore.exceptions import ClientError

    prefix = f"{erasure_prefix(config)}/requests/"
    try:
        keys = [k for k in s3.list_keys(config.bucket, prefix=prefix) or [] if k.endswith(".json")]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise
        return []  # the first run creates the bucket: nothing was ever erased
    requests = []
    for key in sorted(keys):
        try:
            requests.append(ErasureRequest(**json.loads(s3.read_key(key, config.bucket))))
        except (ValueError, TypeError) as exc:
            # Never guess: a request that cannot be read would silently let its users back into the imports.
            raise ErasureRequestError(f"s3://{config.bucket}/{key}: expected an erasure request (request_id, "
                                      f"user_ids, reason, recorded_at), got unreadable content: {exc}") from exc
    return requests


def active_user_ids(s3: Any, config: PipelineConfig) -> frozenset[str]:
    """Every id the extract must leave out now."""
    return frozenset(u for request in load_requests(s3, config) for u in request.active)


def record_request(s3: Any, config: PipelineConfig, user_ids: list[str], reason: str) -> tuple[ErasureRequest, bool]:
    """The request, recorded once: a repeat adopts the stored one (and its first reason). Returns (request, new)."""
    rid = request_id(user_ids)
    key = _request_key(config, rid)
    if s3.check_for_key(key, config.bucket):
        return ErasureRequest(**json.loads(s3.read_key(key, config.bucket))), False
    request = ErasureRequest(rid, sorted(user_ids), reason, datetime.now(UTC).isoformat(timespec="seconds"))
    s3.load_string(request.to_json(), key=key, bucket_name=config.bucket, replace=True)
    return request, True


def retire_forgotten(s3: Any, config: PipelineConfig, seen: frozenset[str], snapshot_end: int) -> list[str]:
    """After a FULL extract as of ``snapshot_end``: ids of requests made before it that the source returned no row
    for are retired (the source has forgotten them). Returns the ids retired."""
    retired: list[str] = []
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    for request in load_requests(s3, config):
        if datetime.fromisoformat(request.recorded_at).timestamp() > snapshot_end:
            continue  # a snapshot older than the request says nothing about what the source holds now
        gone = [u for u in request.active if u not in seen]
        if gone:
            request.retired.update(dict.fromkeys(gone, stamp))
            s3.load_string(request.to_json(), key=_request_key(config, request.request_id),
                           bucket_name=config.bucket, replace=True)
            retired += gone
    return retired


# -- scrubbing S3 objects ------------------------------------------------------------------------------------------


@dataclass
class ObjectOutcome:
    key: str
    action: str  # "rewritten", "deleted", "would rewrite", "would delete"
    rows_removed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def scrub_csv(data: bytes, ids: frozenset[str]) -> tuple[bytes, int] | None:
    """The CSV without the rows of ``ids`` (every other byte as it was) and how many went; None without a USER_ID
    column. Staged files hold one record per line (Personalize's rule), so a line is a row."""
    lines = data.decode("utf-8").splitlines(keepends=True)
    if not lines:
        return None
    header = next(csv.reader([lines[0]]))
    if "USER_ID" not in header:
        return None
    column = header.index("USER_ID")
    kept, removed = [lines[0]], 0
    for line in lines[1:]:
        fields = next(csv.reader([line]), [])
        if len(fields) > column and fields[column] in ids:
            removed += 1
        else:
            kept.append(line)
    return "".join(kept).encode("utf-8"), removed


def _json_user(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    inner = record.get("input")
    user = record.get("userId", inner.get("userId") if isinstance(inner, dict) else None)
    return str(user) if user is not None else None


def scrub_json_lines(data: bytes, ids: frozenset[str]) -> tuple[bytes, int] | None:
    """Batch inputs and outputs without the lines of ``ids``; None when the file is not JSON lines."""
    kept, removed = [], 0
    for line in data.decode("utf-8").splitlines(keepends=True):
        if not line.strip():
            kept.append(line)
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            return None
        if _json_user(record) in ids:
            removed += 1
        else:
            kept.append(line)
    return "".join(kept).encode("utf-8"), removed


@functools.lru_cache(maxsize=8)
def _token_patterns(ids: frozenset[str]) -> tuple[re.Pattern[str], ...]:
    """The ids as whole-token regexes, 500 alternatives each; built once per id set, not once per object."""
    ordered = sorted(ids)
    return tuple(re.compile(r"(?<![\w.\-])(?:" + "|".join(map(re.escape, ordered[i:i + 500]))
                            + r")(?![\w\-]|\.\w)") for i in range(0, len(ordered), 500))


def mentions(data: bytes, ids: frozenset[str]) -> bool:
    """Does the text quote one of the ids as a whole token (u1 in "u1," but not in "u10", "0.u1" or "u1.5")?"""
    text = data.decode("utf-8", "replace")
    return any(pattern.search(text) for pattern in _token_patterns(ids))


def _rescrub_bytes(key: str, data: bytes, ids: frozenset[str]) -> tuple[bytes, int] | None:
    if key.endswith(".csv"):
        return scrub_csv(data, ids)
    if key.endswith(JSON_LINES) and not key.endswith("_manifest.json"):
        return scrub_json_lines(data, ids)
    return None


def _staged_manifest(s3: Any, config: PipelineConfig, csv_key: str) -> tuple[str, dict[str, Any], str] | None:
    """The manifest of the partition a staged CSV belongs to, its key, and the CSV's path inside the partition (a
    dataset file sits beside the manifest, the held-back interactions one folder down)."""
    folder, _, name = csv_key.rpartition("/")
    for partition, relative in ((folder, name), (folder.rpartition("/")[0], f"{folder.rpartition('/')[2]}/{name}")):
        manifest_key = f"{partition}/_manifest.json"
        if partition and s3.check_for_key(manifest_key, config.bucket):
            return manifest_key, json.loads(s3.read_key(manifest_key, config.bucket)), relative
    return None


def _update_manifest(s3: Any, config: PipelineConfig, csv_key: str, body: bytes, removed: int) -> None:
    """A rewritten staged file's manifest entry follows it: rows, bytes and hash, and how many rows were erased; for
    the held-back interactions (the fair comparison's), its rows and users."""
    found = _staged_manifest(s3, config, csv_key)
    if found is None:
        return
    manifest_key, manifest, relative = found
    stats = manifest.get("stats", {}).get(relative.removesuffix(".csv"))
    holdout = manifest.get("holdout") or {}
    if stats is not None:
        stats.update(rows=stats["rows"] - removed, bytes=len(body), sha256=hashlib.sha256(body).hexdigest(),
                     erased_rows=stats.get("erased_rows", 0) + removed)
    elif holdout.get("key") == relative:
        reader = csv.DictReader(io.StringIO(body.decode("utf-8")))
        users = {row["USER_ID"] for row in reader}
        holdout.update(rows=holdout.get("rows", 0) - removed, users=len(users),
                       erased_rows=holdout.get("erased_rows", 0) + removed)
    else:
        return
    s3.load_string(json.dumps(manifest, indent=2, sort_keys=True), key=manifest_key, bucket_name=config.bucket,
                   replace=True)


def scrub_objects(s3: Any, config: PipelineConfig, ids: frozenset[str], prefix: str,
                  dry_run: bool = False) -> list[ObjectOutcome]:
    """Remove the users from every object under ``prefix`` except the erasure records: data files (staged CSVs,
    batch inputs and outputs) are rewritten without their rows and staged manifests follow; Data Docs pages that
    quote them are deleted. Objects without them are not touched, so a second pass changes nothing."""
    outcomes: list[ObjectOutcome] = []
    skip = f"{erasure_prefix(config)}/"
    for key in sorted(s3.list_keys(config.bucket, prefix=prefix) or []):
        docs = DATA_DOCS in key
        if key.startswith(skip) or not (docs or key.endswith((".csv", *JSON_LINES))):
            continue
        data = s3.get_key(key, config.bucket).get()["Body"].read()
        if not mentions(data, ids):  # one regex pass over the bytes spares parsing files that cannot match
            continue
        scrubbed = None if docs else _rescrub_bytes(key, data, ids)
        if scrubbed is not None:
            body, removed = scrubbed
            if not removed:
                continue
            outcomes.append(ObjectOutcome(key, "would rewrite" if dry_run else "rewritten", removed))
            if not dry_run:
                s3.load_bytes(body, key=key, bucket_name=config.bucket, replace=True)
                if key.endswith(".csv") and "/staged/" in key:
                    _update_manifest(s3, config, key, body, removed)
        elif docs:
            outcomes.append(ObjectOutcome(key, "would delete" if dry_run else "deleted"))
            if not dry_run:
                s3.delete_objects(config.bucket, [key])
    return outcomes


def reapply_to_partition(s3: Any, config: PipelineConfig, manifest: Mapping[str, Any]) -> list[ObjectOutcome]:
    """Before a staged partition is validated and imported: remove users whose erasure was recorded after the
    extract read the requests (the extract already left out the ones before)."""
    from personalize_pipeline.staging import manifest_key_prefix

    applied = set(manifest.get("erasure", {}).get("applied", []))
    late = frozenset(u for u in active_user_ids(s3, config) if _digest(u) not in applied)
    if not late:
        return []
    outcomes = scrub_objects(s3, config, late, f"{manifest_key_prefix(config, manifest)}/")
    log.info("erasure requests recorded after staging: removed %d row(s) from %d staged file(s)",
             sum(o.rows_removed for o in outcomes), len(outcomes))
    return outcomes


def _digest(user_id: str) -> str:
    return hashlib.sha256(user_id.encode()).hexdigest()[:16]


def applied_record(ids: frozenset[str]) -> dict[str, Any]:
    """What a manifest records of the erasures its extract applied: hashes, so no id is copied into staged data."""
    return {"applied": sorted(_digest(u) for u in ids)}
