"""Batch inference and batch segment jobs: JSON lines in S3 in, `<input-file-name>.out` JSON lines out.

User lines are scored in vectorised chunks, which is what makes batch throughput high; every bad line gets
an output line with an error message instead of failing the whole job, as Personalize does.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..backend import Backend
from ..data import load_dataset, read_s3, s3_objects, split_s3, write_s3
from ..errors import InvalidInput, ServiceError
from ..filters import CompiledFilter
from ..predict import Exploration, Predictor
from ..recipes import RECIPES
from ..schemas import parse_schema
from ..themes import MAX_THEMED_ITEMS, ThemeWriter, theme_fields
from .context import JobContext

CHUNK = 2000
SCORING_THREADS = max(1, min(2, os.cpu_count() or 1))
Record = dict[str, Any]


def _lines(body: bytes) -> list[tuple[Any, str | None]]:
    out: list[tuple[Any, str | None]] = []
    for raw in body.decode("utf-8", errors="replace").splitlines():
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            out.append((raw, f"Invalid JSON: {exc.msg}"))
            continue
        out.append((value, None if isinstance(value, dict) else "Each line must be a JSON object"))
    return out


def _filter(backend: Backend, job: Record) -> CompiledFilter | None:
    if not job.get("filterArn"):
        return None
    return CompiledFilter(backend.store.require(job["filterArn"], "Filter")["filterExpression"])


def _write(backend: Backend, job: Record, key: str, rows: list[Record]) -> None:
    destination = job["jobOutput"]["s3DataDestination"]["path"]
    if not destination.endswith("/"):
        destination += "/"
    name = key.rsplit("/", 1)[-1]
    body = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows)
    write_s3(backend, f"{destination}{name}.out", body.encode())


def run_batch_inference(backend: Backend, job: Record, context: JobContext) -> Record:
    if job.get("batchInferenceJobMode") == "THEME_GENERATION":
        return run_theme_generation(backend, job, context)
    predictor = backend.predictor(job["solutionVersionArn"])
    recipe_type = RECIPES[job_recipe(backend, job)].recipe_type
    flt = _filter(backend, job)
    n = int(job.get("numResults") or 25)
    config = job.get("batchInferenceJobConfig") or {}
    exploration = Exploration.from_config(config.get("itemExplorationConfig")) if config else None
    source = job["jobInput"]["s3DataSource"]["path"]
    bucket, _ = split_s3(source)
    for key in s3_objects(backend, source, (".json", ".jsonl", ".txt", ".json.out", "")):
        lines = _lines(read_s3(backend, bucket, key))
        results: list[Record | None] = [None] * len(lines)
        # User lines grouped by their filterValues (batch inputs carry placeholder values per line), so each
        # group is scored in vectorised chunks.
        user_groups: dict[str, list[int]] = {}
        for i, (value, error) in enumerate(lines):
            if error is None:
                error = _line_error(value, recipe_type)
            if error is not None:
                results[i] = {"input": value, "output": None, "error": error}
            elif recipe_type == "USER_PERSONALIZATION":
                values_key = json.dumps(value.get("filterValues") or {}, sort_keys=True)
                user_groups.setdefault(values_key, []).append(i)
            else:
                results[i] = _single(predictor, value, recipe_type, n, flt)

        # Chunks are scored on a few threads: the heavy steps are numpy / scipy calls that release the GIL.
        with ThreadPoolExecutor(max_workers=SCORING_THREADS) as pool:
            futures = [
                pool.submit(
                    _score_users,
                    predictor,
                    [lines[i][0] for i in user_lines[start : start + CHUNK]],
                    n,
                    flt,
                    {str(k): str(v) for k, v in json.loads(values_key).items()},
                    exploration,
                    context,
                )
                for values_key, user_lines in user_groups.items()
                for start in range(0, len(user_lines), CHUNK)
            ]
            chunks = [
                user_lines[start : start + CHUNK]
                for user_lines in user_groups.values()
                for start in range(0, len(user_lines), CHUNK)
            ]
            for chunk, future in zip(chunks, futures, strict=True):
                for i, record in zip(chunk, future.result(), strict=True):
                    results[i] = record
        _write(backend, job, key, [r for r in results if r is not None])
    return {}


def run_theme_generation(backend: Backend, job: Record, context: JobContext) -> Record:
    """Similar items per input item, each set with a theme and re-ranked by relevance to it (see themes.py)."""
    predictor = backend.predictor(job["solutionVersionArn"])
    version = backend.store.require(job["solutionVersionArn"], "SolutionVersion")
    writer = _theme_writer(backend, version, job["themeGenerationConfig"])
    flt = _filter(backend, job)
    n = int(job.get("numResults") or 25)
    source = job["jobInput"]["s3DataSource"]["path"]
    bucket, _ = split_s3(source)
    for key in s3_objects(backend, source, (".json", ".jsonl", ".txt", ".json.out", "")):
        context.check()
        lines = _lines(read_s3(backend, bucket, key))
        if len(lines) > MAX_THEMED_ITEMS:
            raise InvalidInput(
                f"s3://{bucket}/{key} has {len(lines)} items; batch recommendations with themes take at most "
                f"{MAX_THEMED_ITEMS} items per input file"
            )
        results: list[Record] = []
        for value, error in lines:
            error = error or _line_error(value, "RELATED_ITEMS")
            if error is None:
                record = _single(predictor, value, "RELATED_ITEMS", n, flt)
                if record["output"] is not None:
                    theme, items, scores = writer.theme(str(value["itemId"]), record["output"]["recommendedItems"])
                    record["output"] = {"recommendedItems": items, "theme": theme, "itemsThemeRelevanceScores": scores}
                results.append(record)
            else:
                results.append({"input": value, "output": None, "error": error})
        _write(backend, job, key, results)
    return {}


def _theme_writer(backend: Backend, version: Record, config: Record) -> ThemeWriter:
    items_dataset = next(
        d for d in backend.store.records("Dataset", version["datasetGroupArn"]) if d["datasetType"] == "ITEMS"
    )
    text = backend.store.require(items_dataset["schemaArn"], "Schema")["schema"]
    name_field, word_fields = theme_fields(parse_schema(text), json.loads(text),
                                           config["fieldsForThemeGeneration"]["itemName"])
    items = load_dataset(backend, items_dataset["datasetArn"])
    if items is None:
        raise InvalidInput("THEME_GENERATION needs item metadata: the Items dataset has no imported data")
    return ThemeWriter(items, name_field, word_fields)


def _score_users(
    predictor: Predictor,
    inputs: list[Record],
    n: int,
    flt: CompiledFilter | None,
    filter_values: dict[str, str],
    exploration: Exploration | None,
    context: JobContext,
) -> list[Record]:
    context.check()
    recs = predictor.recommend_users([str(v["userId"]) for v in inputs], n, flt, filter_values, exploration)
    return [
        {"input": value, "output": _output(predictor, ranked.items, ranked.scores), "error": None}
        for value, ranked in zip(inputs, recs, strict=True)
    ]


def job_recipe(backend: Backend, job: Record) -> str:
    return str(backend.store.require(job["solutionVersionArn"], "SolutionVersion")["recipeArn"])


def _line_error(value: Record, recipe_type: str) -> str | None:
    if recipe_type == "USER_PERSONALIZATION" and not isinstance(value.get("userId"), str | int):
        return "Input line needs a userId"
    if recipe_type == "RELATED_ITEMS" and not isinstance(value.get("itemId"), str | int):
        return "Input line needs an itemId"
    if recipe_type == "PERSONALIZED_RANKING" and (
        not isinstance(value.get("userId"), str | int) or not isinstance(value.get("itemList"), list)
    ):
        return "Input line needs a userId and an itemList"
    return None


def _single(predictor: Predictor, value: Record, recipe_type: str, n: int, flt: CompiledFilter | None) -> Record:
    filter_values = {str(k): str(v) for k, v in (value.get("filterValues") or {}).items()}
    try:
        if recipe_type == "RELATED_ITEMS":
            items, scores, _ = predictor.recommend_items([str(value["itemId"])], n, flt, filter_values)[0]
        else:
            ranked = predictor.rank(str(value["userId"]), [str(i) for i in value["itemList"]], flt, filter_values)
            items = [item for item, _ in ranked]
            scores = [score for _, score in ranked]
        return {"input": value, "output": _output(predictor, items, scores), "error": None}
    except ServiceError as exc:
        return {"input": value, "output": None, "error": exc.message}


def _output(predictor: Predictor, items: list[str], scores: list[float]) -> Record:
    """Scores only for recipes Personalize scores (user-personalization, -v2, personalized-ranking)."""
    return {"recommendedItems": items, "scores": scores} if predictor.reports_scores else {"recommendedItems": items}


def run_batch_segment(backend: Backend, job: Record, context: JobContext) -> Record:
    predictor = backend.predictor(job["solutionVersionArn"])
    model = predictor.model
    n = int(job.get("numResults") or 100)
    source = job["jobInput"]["s3DataSource"]["path"]
    bucket, _ = split_s3(source)
    for key in s3_objects(backend, source, (".json", ".jsonl", ".txt", "")):
        rows: list[Record] = []
        for value, error in _lines(read_s3(backend, bucket, key)):
            context.check()
            if error is None:
                try:
                    items = _segment_items(model, value)
                    users = predictor.segment([items], n)[0]
                    rows.append({"input": value, "output": {"usersList": users}, "error": None})
                    continue
                except ServiceError as exc:
                    error = exc.message
            rows.append({"input": value, "output": None, "error": error})
        _write(backend, job, key, rows)
    return {}


def _segment_items(model: Any, value: Record) -> np.ndarray:
    if "itemId" in value:
        row = model.item_index.get(str(value["itemId"]))
        if row is None:
            raise InvalidInput(f"Item {value['itemId']} is not in the training data")
        return np.array([row])
    if isinstance(value.get("itemAttributes"), str):
        expression = "INCLUDE ItemID WHERE " + value["itemAttributes"].replace("ITEMS.", "Items.")
        mask = CompiledFilter(expression).allowed(model, np.array([-1]), {})[0]
        rows = np.flatnonzero(mask & model.has_interactions)
        if not len(rows):
            raise InvalidInput("No items match the itemAttributes expression")
        return rows
    raise InvalidInput("Input line needs an itemId or itemAttributes")
