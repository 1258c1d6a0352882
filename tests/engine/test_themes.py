"""Batch inference with themes (THEME_GENERATION) over HTTP: the checks Personalize documents and the output."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from botocore.exceptions import ClientError
from personalize_local.synthetic import INTERACTIONS_SCHEMA

from .conftest import Env, wait_for

THEMED_ITEMS_SCHEMA = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TITLE", "type": "string"},
        {"name": "GENRES", "type": "string", "categorical": True},
        {"name": "DESCRIPTION", "type": ["null", "string"], "textual": True},
    ],
    "version": "1.0",
}
WORDS = ["galaxy", "kitchen", "mystery", "garden", "sports"]


@pytest.fixture(scope="module")
def themed(env: Env, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    group = env.dataset_group()
    interactions = env.dataset(group, "INTERACTIONS", INTERACTIONS_SCHEMA)
    assert env.import_frame(interactions, frames["interactions"])["status"] == "ACTIVE"
    items = frames["items"][["ITEM_ID", "GENRES"]].copy()
    items["TITLE"] = "Course " + items["ITEM_ID"]
    items["DESCRIPTION"] = [f"A {WORDS[i % 5]} lesson about {WORDS[(i * 3) % 5]} skills" for i in range(len(items))]
    assert env.import_frame(env.dataset(group, "ITEMS", THEMED_ITEMS_SCHEMA), items)["status"] == "ACTIVE"
    version = env.train(env.solution(group, recipe="aws-similar-items"))
    assert version["status"] == "ACTIVE", version
    return {"version": version["solutionVersionArn"], "items": items}


def _job(env: Env, version: str, source: str, out: str, **kwargs: Any) -> str:
    return str(env.personalize.create_batch_inference_job(
        jobName=env.name("themes"), solutionVersionArn=version, roleArn=env.role, numResults=5,
        jobInput={"s3DataSource": {"path": source}}, jobOutput={"s3DataDestination": {"path": out}},
        batchInferenceJobMode="THEME_GENERATION", **kwargs,
    )["batchInferenceJobArn"])


NAME = {"fieldsForThemeGeneration": {"itemName": "TITLE"}}


def test_themes_per_input_item(env: Env, themed: dict[str, Any]) -> None:
    p = env.personalize
    item_ids = list(themed["items"]["ITEM_ID"][:4])
    source = env.put_lines("themes/in.json", [{"itemId": i} for i in item_ids] + [{"itemId": "missing"}])
    arn = _job(env, themed["version"], source, f"s3://{env.bucket}/themes/out/", themeGenerationConfig=NAME)
    done = wait_for(lambda: p.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"])
    assert done["status"] == "ACTIVE", done
    assert done["batchInferenceJobMode"] == "THEME_GENERATION" and done["themeGenerationConfig"] == NAME
    lines = env.read_lines("themes/out/in.json.out")
    assert [line["input"]["itemId"] for line in lines] == [*item_ids, "missing"]
    descriptions = dict(zip(themed["items"]["ITEM_ID"], themed["items"]["DESCRIPTION"], strict=True))
    for item, line in zip(item_ids, lines, strict=False):
        output = line["output"]
        assert line["error"] is None and output["theme"].startswith(f"More like Course {item}: ")
        assert len(output["recommendedItems"]) == 5 and item not in output["recommendedItems"]
        scores = output["itemsThemeRelevanceScores"]
        assert len(scores) == 5 and scores == sorted(scores, reverse=True)
        assert all(-0.1 <= s <= 0.6 for s in scores)
        # The theme names words of the similar items' descriptions; an item carrying more of them ranks higher.
        theme_words = {w.lower() for w in output["theme"].split(": ", 1)[1].split(", ")}
        carried = [len(theme_words & set(descriptions[i].lower().split())) for i in output["recommendedItems"]]
        assert carried == sorted(carried, reverse=True) and carried[0] > 0
    assert lines[-1]["output"] is None and "not found" in lines[-1]["error"]

    # Deterministic: the same input gives the same themes.
    again = _job(env, themed["version"], source, f"s3://{env.bucket}/themes/again/", themeGenerationConfig=NAME)
    assert wait_for(lambda: p.describe_batch_inference_job(batchInferenceJobArn=again)["batchInferenceJob"])[
        "status"] == "ACTIVE"
    assert env.read_lines("themes/again/in.json.out") == lines


def test_theme_requirements(env: Env, themed: dict[str, Any], trained: dict[str, Any]) -> None:
    source = env.put_lines("themes/req.json", [{"itemId": "i1"}])
    out = f"s3://{env.bucket}/themes/req/"
    cases = [
        (trained["version"], NAME, "only supported for solution versions of the Similar-Items recipe"),
        (themed["version"], None, "needs themeGenerationConfig.fieldsForThemeGeneration.itemName"),
        (themed["version"], {"fieldsForThemeGeneration": {"itemName": "NAME"}}, "must be a string column"),
    ]
    for version, config, message in cases:
        extra = {"themeGenerationConfig": config} if config else {}
        with pytest.raises(ClientError, match=message) as error:
            _job(env, version, source, out, **extra)
        assert error.value.response["Error"]["Code"] == "InvalidInputException"

    # More than 100 items in a file fails the job, naming the file and the limit.
    many = env.put_lines("themes/many.json", [{"itemId": i} for i in themed["items"]["ITEM_ID"][:101]])
    arn = _job(env, themed["version"], many, out, themeGenerationConfig=NAME)
    failed = wait_for(lambda: env.personalize.describe_batch_inference_job(batchInferenceJobArn=arn)[
        "batchInferenceJob"])
    assert failed["status"] == "CREATE FAILED" and "at most 100 items" in failed["failureReason"]
