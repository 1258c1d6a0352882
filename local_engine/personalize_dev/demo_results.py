"""Bring a demo run's results out of the local S3 server before it stops, as files a person can open.

- each solution's promotion report (report.html with its chart embedded, chart.png, report.md),
- the run summary (summary.html, summary.md),
- a readable sample of the batch recommendations: a few users, their recommended items and those items' genres
  (recommendations.html), read from the batch jobs' JSON-lines output and the source database's catalogue.
"""

from __future__ import annotations

import html
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personalize_pipeline.report import html_page, html_table

SAMPLE_USERS = 5
SAMPLE_ITEMS = 10


@dataclass
class DemoResults:
    folder: Path
    reports: dict[str, Path] = field(default_factory=dict)  # solution -> report.html
    summary: Path | None = None
    recommendations: Path | None = None
    s3_uris: dict[str, str] = field(default_factory=dict)  # what each local file was in S3
    preview: list[str] = field(default_factory=list)


def _objects(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def _download(s3: Any, bucket: str, key: str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return dest


def _genres(lms_db: Path) -> dict[str, str]:
    with sqlite3.connect(f"file:{lms_db}?mode=ro", uri=True) as db:
        return {str(item): str(genres or "") for item, genres in db.execute("SELECT item_id, genres FROM items")}


def _batch_sample(s3: Any, bucket: str, keys: list[str], genres: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """solution -> the first users of its batch output with their top items (batch outputs end in .out)."""
    sample: dict[str, list[dict[str, Any]]] = {}
    for key in sorted(k for k in keys if k.endswith(".out") and "/batch/" in k):
        solution = key.split("/batch/", 1)[1].split("/", 1)[0]
        users = sample.setdefault(solution, [])
        for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines():
            if len(users) >= SAMPLE_USERS:
                break
            record = json.loads(line)
            items = (record.get("output") or {}).get("recommendedItems") or []
            query = record.get("input") or {}
            who = query.get("userId") or query.get("itemId") or "?"
            users.append({"query": ("user " if "userId" in query else "item ") + str(who),
                          "items": [(i, genres.get(i, "")) for i in items[:SAMPLE_ITEMS]]})
    return sample


def _recommendations_page(sample: dict[str, list[dict[str, Any]]]) -> str:
    sections = [f"<h2>{html.escape(solution)}</h2>\n" + html_table(
        ["for", "rank", "item", "genres"],
        [[u["query"], rank, item, genre] for u in users for rank, (item, genre) in enumerate(u["items"], start=1)])
        for solution, users in sample.items()]
    title = f"Batch recommendations: the first {SAMPLE_USERS} queries of each job, top {SAMPLE_ITEMS}"
    return html_page("Batch recommendations (sample)",
                     f"<h1>{html.escape(title)}</h1>\n" + ("\n".join(sections) or "<p>No batch output.</p>"))


def collect(s3: Any, bucket: str, prefix: str, lms_db: Path, folder: Path) -> DemoResults:
    """Download the latest run's reports, summary and a batch sample from `s3://bucket/prefix` into `folder`."""
    results = DemoResults(folder)
    keys = _objects(s3, bucket, prefix.rstrip("/") + "/")
    for key in keys:
        uri = f"s3://{bucket}/{key}"
        if "/reports/" in key:
            solution, name = key.split("/reports/", 1)[1].split("/", 1)
            local = _download(s3, bucket, key, folder / "reports" / solution / name)
            results.s3_uris[str(local)] = uri
            if name == "report.html":
                results.reports[solution] = local
        elif key.endswith(("/summary.html", "/summary.md")):
            local = _download(s3, bucket, key, folder / Path(key).name)
            results.s3_uris[str(local)] = uri
            if key.endswith(".html"):
                results.summary = local
    sample = _batch_sample(s3, bucket, keys, _genres(lms_db))
    if sample:
        results.recommendations = folder / "recommendations.html"
        results.recommendations.write_text(_recommendations_page(sample), encoding="utf-8")
        for solution, users in sample.items():
            first = users[0]
            shown = ", ".join(f"{item} ({genre})" for item, genre in first["items"][:3])
            results.preview.append(f"{solution}: for {first['query']}: {shown}, ...")
    return results
