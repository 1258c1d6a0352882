"""Solutions, solution versions, metrics, campaigns and the runtime API over HTTP."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from botocore.exceptions import ClientError
from personalize_local.autotrain import interval_seconds, is_due
from personalize_local.errors import InvalidInput
from personalize_local.metrics import K_VALUES

from .conftest import Env, wait_for


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_solution_version_and_metrics(env: Env, trained: dict[str, Any]) -> None:
    p = env.personalize
    version = p.describe_solution_version(solutionVersionArn=trained["version"])["solutionVersion"]
    assert version["status"] == "ACTIVE" and version["trainingMode"] == "FULL"
    assert version["solutionVersionArn"].startswith(trained["solution"] + "/")
    assert version["recipeArn"] == "arn:aws:personalize:::recipe/aws-user-personalization"
    metrics = p.get_solution_metrics(solutionVersionArn=trained["version"])["metrics"]
    expected = {f"normalized_discounted_cumulative_gain_at_{k}" for k in K_VALUES}
    expected |= {f"precision_at_{k}" for k in K_VALUES} | {"coverage", "mean_reciprocal_rank_at_25"}
    assert set(metrics) == expected
    assert all(0.0 <= v <= 1.0 for v in metrics.values())
    solution = p.describe_solution(solutionArn=trained["solution"])["solution"]
    assert solution["latestSolutionVersion"]["solutionVersionArn"] == trained["version"]
    listed = p.list_solution_versions(solutionArn=trained["solution"])["solutionVersions"]
    assert [v["solutionVersionArn"] for v in listed] == [trained["version"]]
    # The pipeline records promotions as tags on solution versions.
    p.tag_resource(resourceArn=trained["version"], tags=[{"tagKey": "promoted", "tagValue": "true"}])
    assert {"tagKey": "promoted", "tagValue": "true"} in p.list_tags_for_resource(
        resourceArn=trained["version"]
    )["tags"]


def test_training_fails_below_minimums(env: Env, frames: dict[str, pd.DataFrame]) -> None:
    small = {**frames, "interactions": frames["interactions"].iloc[:900]}
    group, _ = env.loaded_group(small, with_items=False)
    version = env.train(env.solution(group))
    assert version["status"] == "CREATE FAILED"
    assert "at least 1000" in version["failureReason"]
    full_group, _ = env.loaded_group(frames, with_items=False)
    strict = env.solution(full_group, solutionConfig={"eventValueThreshold": "4.5"}, eventType="watch")
    failed = env.train(strict)
    assert (
        failed["status"] == "CREATE FAILED" and "after event type and event value" in failed["failureReason"]
    )
    few_users = frames["interactions"][frames["interactions"]["USER_ID"].isin([f"u{i}" for i in range(20)])]
    few_users = pd.concat([few_users] * 20, ignore_index=True)
    group3, _ = env.loaded_group({**frames, "interactions": few_users}, with_items=False)
    result = env.train(env.solution(group3))
    assert result["status"] == "CREATE FAILED" and "at least 25" in result["failureReason"]


def test_update_training_mode(env: Env, frames: dict[str, pd.DataFrame]) -> None:
    p = env.personalize
    group, datasets = env.loaded_group(frames, with_items=False)
    solution = env.solution(group, recipe="aws-popularity-count")
    with pytest.raises(ClientError) as exc:
        p.create_solution_version(solutionArn=solution, trainingMode="UPDATE")
    assert code(exc) == "InvalidInputException" and "FULL" in exc.value.response["Error"]["Message"]
    assert env.train(solution)["status"] == "ACTIVE"
    with pytest.raises(ClientError) as exc:
        p.create_solution_version(solutionArn=solution, trainingMode="UPDATE")
    assert "new data" in exc.value.response["Error"]["Message"]
    extra = frames["interactions"].iloc[:50].copy()
    extra["TIMESTAMP"] = extra["TIMESTAMP"] + 10**6
    assert env.import_frame(datasets["INTERACTIONS"], extra, mode="INCREMENTAL")["status"] == "ACTIVE"
    update = env.train(solution, mode="UPDATE")
    assert update["status"] == "ACTIVE" and update["trainingMode"] == "UPDATE"


def test_stop_solution_version(env: Env, trained: dict[str, Any]) -> None:
    p = env.personalize
    solution = env.solution(trained["group"], recipe="aws-user-personalization-v2")
    arn = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    with pytest.raises(ClientError) as exc:  # one training per solution at a time
        p.create_solution_version(solutionArn=solution)
    assert code(exc) == "ResourceInUseException"
    p.stop_solution_version_creation(solutionVersionArn=arn)
    stopped = wait_for(lambda: p.describe_solution_version(solutionVersionArn=arn)["solutionVersion"])
    assert stopped["status"] in ("CREATE STOPPED", "ACTIVE")  # training may finish before the stop lands
    with pytest.raises(ClientError) as exc:
        p.stop_solution_version_creation(solutionVersionArn=arn)
    assert code(exc) == "ResourceInUseException"
    with pytest.raises(ClientError) as exc:
        p.get_solution_metrics(solutionVersionArn=arn + "0")
    assert code(exc) == "ResourceNotFoundException"


def test_solution_options_and_delete_rules(env: Env, trained: dict[str, Any]) -> None:
    p = env.personalize
    with pytest.raises(ClientError) as exc:
        env.solution(trained["group"], recipe="aws-does-not-exist")
    assert code(exc) == "ResourceNotFoundException"
    auto = env.solution(
        trained["group"],
        recipe="aws-popularity-count",
        performAutoTraining=True,
        solutionConfig={
            "autoTrainingConfig": {"schedulingExpression": "rate(3 days)"},
            "algorithmHyperParameters": {"hidden_dimension": "16"},
            "hpoConfig": {"hpoObjective": {"type": "Maximize"}},
        },
    )
    described = p.describe_solution(solutionArn=auto)["solution"]
    assert described["performAutoTraining"] is True
    assert described["solutionConfig"]["autoTrainingConfig"]["schedulingExpression"] == "rate(3 days)"
    versions = wait_for(
        lambda: {
            "status": "ACTIVE"
            if p.list_solution_versions(solutionArn=auto)["solutionVersions"]
            else "WAITING"
        },
        timeout=30,
    )
    assert versions["status"] == "ACTIVE"
    first = p.list_solution_versions(solutionArn=auto)["solutionVersions"][0]
    assert first["trainingMode"] == "AUTOTRAIN"
    wait_for(
        lambda: p.describe_solution_version(solutionVersionArn=first["solutionVersionArn"])["solutionVersion"]
    )
    p.update_solution(solutionArn=auto, performAutoTraining=False)
    assert p.describe_solution(solutionArn=auto)["solution"]["performAutoTraining"] is False
    p.delete_solution(solutionArn=auto)
    with pytest.raises(ClientError) as exc:
        p.delete_solution(solutionArn=trained["solution"])  # its campaign still exists
    assert code(exc) == "ResourceInUseException"
    assert trained["solution"] in [
        s["solutionArn"] for s in p.list_solutions(datasetGroupArn=trained["group"])["solutions"]
    ]


def test_auto_training_schedule() -> None:
    day = 86400.0
    solution = {
        "performAutoTraining": True,
        "status": "ACTIVE",
        "solutionConfig": {"autoTrainingConfig": {"schedulingExpression": "rate(3 days)"}},
    }
    assert interval_seconds("rate(1 day)") == day and interval_seconds("rate(30 days)") == 30 * day
    for bad in ("rate(0 days)", "rate(31 days)", "cron(0 0 * * ? *)", "rate(2 hours)"):
        with pytest.raises(InvalidInput):
            interval_seconds(bad)
    assert is_due(solution, [], now=0.0)
    trained = [{"status": "ACTIVE", "creationDateTime": 100.0}]
    assert not is_due(solution, trained, now=100.0 + 2 * day)
    assert is_due(solution, trained, now=100.0 + 3 * day)
    assert not is_due(
        solution, [*trained, {"status": "CREATE IN_PROGRESS", "creationDateTime": 0.0}], now=1e9
    )
    assert not is_due({**solution, "performAutoTraining": False}, trained, now=1e9)


def test_invalid_schedule_rejected(env: Env, trained: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as exc:
        env.solution(
            trained["group"],
            performAutoTraining=True,
            solutionConfig={"autoTrainingConfig": {"schedulingExpression": "rate(90 days)"}},
        )
    assert code(exc) == "InvalidInputException"
