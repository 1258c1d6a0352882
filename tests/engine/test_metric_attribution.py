"""Metric attributions over HTTP: life cycle, one per dataset group, metric checks worded like AWS's, and the
report an interactions import publishes to the attribution's S3 path."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

import pandas as pd
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


ATTRIBUTED_SCHEMA = {
    **INTERACTIONS_SCHEMA,
    "fields": [
        *INTERACTIONS_SCHEMA["fields"],
        {"name": "RECOMMENDATION_ID", "type": ["null", "string"]},
        {"name": "EVENT_ATTRIBUTION_SOURCE", "type": ["null", "string"]},
    ],
}
LENGTH_SCHEMA = {
    "type": "record",
    "name": "Items",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "ITEM_ID", "type": "string"}, {"name": "LENGTH", "type": "double"}],
    "version": "1.0",
}


def _reports(env: Env, prefix: str) -> list[str]:
    listed = env.s3.list_objects_v2(Bucket=env.bucket, Prefix=prefix).get("Contents", [])
    return sorted(o["Key"] for o in listed)


def _expected(events: list[dict[str, Any]], sources: dict[str, str], lengths: dict[str, float]) -> set[tuple]:
    """The report worked out by hand: per metric, source and 15-minute window of TIMESTAMP."""
    totals: dict[tuple, float] = defaultdict(float)
    for e in events:
        source = e["EVENT_ATTRIBUTION_SOURCE"] or sources.get(e["RECOMMENDATION_ID"] or "", "SOURCE_NAME_UNDEFINED")
        window = e["TIMESTAMP"] - e["TIMESTAMP"] % 900
        if e["EVENT_TYPE"] == "watch":
            totals[("WATCHES", "watch", "samplecount", source, window)] += 1
            totals[("MINUTES", "watch", "sum", source, window)] += e["EVENT_VALUE"]
        if e["EVENT_TYPE"] == "click":
            totals[("CLICKED_LENGTH", "click", "sum", source, window)] += lengths.get(e["ITEM_ID"], 0.0)
    return {(m, t, round(v, 3), f, s, w) for (m, t, f, s, w), v in totals.items()}


def test_import_publishes_attributed_metrics_to_s3(env: Env, trained: dict[str, Any]) -> None:
    p = env.personalize
    shown = env.runtime.get_recommendations(campaignArn=trained["campaign"], userId="u1", numResults=3)
    rid = shown["recommendationId"]
    group = env.dataset_group()
    interactions = env.dataset(group, "INTERACTIONS", ATTRIBUTED_SCHEMA)
    items = env.dataset(group, "ITEMS", LENGTH_SCHEMA)
    lengths = {"i1": 12.5, "i2": 40.0}
    assert env.import_frame(items, pd.DataFrame({"ITEM_ID": list(lengths), "LENGTH": list(lengths.values())}))[
        "status"] == "ACTIVE"
    prefix = f"attribution-{env.name('report')}/"
    metrics = [
        {"eventType": "watch", "metricName": "WATCHES", "expression": "SAMPLECOUNT()"},
        {"eventType": "watch", "metricName": "MINUTES", "expression": "SUM(Interactions.EVENT_VALUE)"},
        {"eventType": "click", "metricName": "CLICKED_LENGTH", "expression": "SUM(Items.LENGTH)"},
    ]
    p.create_metric_attribution(
        name=env.name("impact"), datasetGroupArn=group, metrics=metrics,
        metricsOutputConfig={"roleArn": env.role, "s3DataDestination": {"path": f"s3://{env.bucket}/{prefix}"}},
    )
    base = 1_700_000_000  # windows start at multiples of 900 s: 1_699_999_200 and 1_700_000_100
    events = [
        {"USER_ID": "a", "ITEM_ID": "i1", "TIMESTAMP": base, "EVENT_TYPE": "watch", "EVENT_VALUE": 3.0,
         "RECOMMENDATION_ID": rid, "EVENT_ATTRIBUTION_SOURCE": None},
        {"USER_ID": "b", "ITEM_ID": "i2", "TIMESTAMP": base + 60, "EVENT_TYPE": "watch", "EVENT_VALUE": 4.5,
         "RECOMMENDATION_ID": rid, "EVENT_ATTRIBUTION_SOURCE": None},
        # Both given: eventAttributionSource wins.
        {"USER_ID": "c", "ITEM_ID": "i1", "TIMESTAMP": base + 120, "EVENT_TYPE": "watch", "EVENT_VALUE": 1.0,
         "RECOMMENDATION_ID": rid, "EVENT_ATTRIBUTION_SOURCE": "newsletter"},
        {"USER_ID": "a", "ITEM_ID": "i2", "TIMESTAMP": base + 1000, "EVENT_TYPE": "click", "EVENT_VALUE": None,
         "RECOMMENDATION_ID": rid, "EVENT_ATTRIBUTION_SOURCE": None},
        # Neither (or an id nothing served): SOURCE_NAME_UNDEFINED.
        {"USER_ID": "d", "ITEM_ID": "i1", "TIMESTAMP": base + 1000, "EVENT_TYPE": "click", "EVENT_VALUE": None,
         "RECOMMENDATION_ID": None, "EVENT_ATTRIBUTION_SOURCE": None},
        {"USER_ID": "d", "ITEM_ID": "i9", "TIMESTAMP": base + 1100, "EVENT_TYPE": "click", "EVENT_VALUE": None,
         "RECOMMENDATION_ID": "RID-unknown", "EVENT_ATTRIBUTION_SOURCE": None},
        {"USER_ID": "e", "ITEM_ID": "i1", "TIMESTAMP": base, "EVENT_TYPE": "rate", "EVENT_VALUE": 5.0,
         "RECOMMENDATION_ID": rid, "EVENT_ATTRIBUTION_SOURCE": None},
    ]
    location = env.put_csv(f"imports/{env.name('attributed')}.csv", pd.DataFrame(events))
    job = p.create_dataset_import_job(
        jobName=env.name("import"), datasetArn=interactions, dataSource={"dataLocation": location},
        roleArn=env.role, importMode="INCREMENTAL", publishAttributionMetricsToS3=True,
    )["datasetImportJobArn"]
    done = wait_for(lambda: p.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"])
    assert done["status"] == "ACTIVE" and done["publishAttributionMetricsToS3"] is True

    keys = _reports(env, prefix)
    assert len(keys) == 1 and keys[0].rsplit("/", 1)[1].startswith("AggregatedAttributionMetrics-INCREMENTAL-")
    body = env.s3.get_object(Bucket=env.bucket, Key=keys[0])["Body"].read().decode()
    report = pd.read_csv(io.StringIO(body))
    assert list(report.columns) == ["METRIC_NAME", "EVENT_TYPE", "VALUE", "MATH_FUNCTION",
                                    "EVENT_ATTRIBUTION_SOURCE", "TIMESTAMP"]
    got = {(r.METRIC_NAME, r.EVENT_TYPE, round(r.VALUE, 3), r.MATH_FUNCTION, r.EVENT_ATTRIBUTION_SOURCE,
            int(r.TIMESTAMP)) for r in report.itertuples()}
    assert got == _expected(events, {rid: trained["campaign"]}, lengths)
    assert ("WATCHES", "watch", 2.0, "samplecount", trained["campaign"], base - base % 900) in got

    # An import that does not ask to publish writes no report; each one that does writes a new file.
    assert env.import_frame(interactions, pd.DataFrame(events[:1]), mode="INCREMENTAL")["status"] == "ACTIVE"
    assert len(_reports(env, prefix)) == 1


def test_publishing_needs_a_metric_attribution_with_an_s3_path(env: Env) -> None:
    group = env.dataset_group()
    interactions = env.dataset(group, "INTERACTIONS", INTERACTIONS_SCHEMA)
    with pytest.raises(ClientError, match="has no metric attribution with an s3DataDestination") as error:
        env.personalize.create_dataset_import_job(
            jobName=env.name("import"), datasetArn=interactions,
            dataSource={"dataLocation": f"s3://{env.bucket}/imports/"}, roleArn=env.role,
            publishAttributionMetricsToS3=True,
        )
    assert _code(error) == "InvalidInputException"
