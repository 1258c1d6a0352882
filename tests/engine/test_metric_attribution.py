"""Metric attributions over HTTP: life cycle, one per dataset group, metric checks worded like AWS's.

Computing the attributed metrics from events (recommendationId / eventAttributionSource) is not implemented by
the engine yet; these tests cover what it does serve.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from personalize_local.synthetic import INTERACTIONS_SCHEMA

from .conftest import Env, wait_for

WATCH = {"eventType": "watch", "metricName": "WATCH_TIME", "expression": "SUM(Interactions.EVENT_VALUE)"}
CLICKS = {"eventType": "click", "metricName": "CLICKS", "expression": "SAMPLECOUNT()"}


def _output(env: Env) -> dict[str, object]:
    return {"roleArn": env.role, "s3DataDestination": {"path": f"s3://{env.bucket}/attribution/"}}


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_metric_attribution_life_cycle(env: Env) -> None:
    p = env.personalize
    group = env.dataset_group()
    env.dataset(group, "INTERACTIONS", INTERACTIONS_SCHEMA)
    name = env.name("impact")
    arn = p.create_metric_attribution(name=name, datasetGroupArn=group, metrics=[WATCH],
                                      metricsOutputConfig=_output(env))["metricAttributionArn"]
    assert arn.endswith(f":metric-attribution/{name}")
    first = p.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]
    assert first["status"] in ("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE")
    done = wait_for(lambda: p.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"])
    assert done["status"] == "ACTIVE" and done["metricsOutputConfig"] == _output(env)
    listed = p.list_metric_attributions(datasetGroupArn=group)["metricAttributions"]
    assert [m["metricAttributionArn"] for m in listed] == [arn]
    assert p.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == [WATCH]

    # One per dataset group.
    with pytest.raises(ClientError) as second:
        p.create_metric_attribution(name=env.name("other"), datasetGroupArn=group, metrics=[CLICKS],
                                    metricsOutputConfig=_output(env))
    assert _code(second) == "ResourceAlreadyExistsException" and arn in str(second.value)

    # Update: add one, remove one.
    p.update_metric_attribution(metricAttributionArn=arn, addMetrics=[CLICKS], removeMetrics=["WATCH_TIME"])
    wait_for(lambda: p.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"])
    assert p.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == [CLICKS]
    with pytest.raises(ClientError, match="Cannot remove metrics that do not exist: NOPE"):
        p.update_metric_attribution(metricAttributionArn=arn, removeMetrics=["NOPE"])

    # The group cannot go while its metric attribution exists.
    for dataset in p.list_datasets(datasetGroupArn=group)["datasets"]:
        p.delete_dataset(datasetArn=dataset["datasetArn"])
    with pytest.raises(ClientError) as in_use:
        p.delete_dataset_group(datasetGroupArn=group)
    assert _code(in_use) == "ResourceInUseException" and "metric-attribution" in str(in_use.value)
    p.delete_metric_attribution(metricAttributionArn=arn)
    with pytest.raises(ClientError) as gone:
        p.describe_metric_attribution(metricAttributionArn=arn)
    assert _code(gone) == "ResourceNotFoundException"
    p.delete_dataset_group(datasetGroupArn=group)


@pytest.mark.parametrize(("metric", "message"), [
    ({**WATCH, "expression": "AVG(Interactions.EVENT_VALUE)"}, r"expected SUM\(DatasetType.COLUMN_NAME\)"),
    ({**WATCH, "expression": "SUM(Interactions.PRICE)"}, "Column PRICE in expression"),
])
def test_metric_expressions_are_checked(env: Env, metric: dict[str, str], message: str) -> None:
    group = env.dataset_group()
    env.dataset(group, "INTERACTIONS", INTERACTIONS_SCHEMA)
    with pytest.raises(ClientError, match=message) as error:
        env.personalize.create_metric_attribution(name=env.name("bad"), datasetGroupArn=group, metrics=[metric],
                                                  metricsOutputConfig=_output(env))
    assert _code(error) == "InvalidInputException"


def test_metric_names_are_unique(env: Env) -> None:
    group = env.dataset_group()
    with pytest.raises(ClientError, match="unique within a metric attribution: WATCH_TIME"):
        env.personalize.create_metric_attribution(name=env.name("dup"), datasetGroupArn=group,
                                                  metrics=[WATCH, {**WATCH, "eventType": "view"}],
                                                  metricsOutputConfig=_output(env))
