"""Report links: browser URLs for reports in S3, persisted per task, attached to the DAG's compare and summary tasks;
the HTML report opens on its own (chart embedded, served as HTML)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from personalize_pipeline import links as reports
from personalize_pipeline.links import (
    PersonalizePromotionReportLink,
    PersonalizeRunSummaryLink,
    s3_object_url,
)

REPO = Path(__file__).resolve().parents[2]
KEY = "personalize/dg/staged/snapshot=20261101T000000Z/reports/sims/report.html"


def _hook(monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any]) -> Any:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    secret = "testing-secret-key"  # pragma: allowlist secret
    conn = {"conn_type": "aws", "login": "testing-access-key", "password": secret, "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_AWS_LINKS", json.dumps(conn))
    return S3Hook(aws_conn_id="aws_links")


def test_local_endpoint_gives_a_presigned_url_that_names_the_content_type(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = _hook(monkeypatch, {"region_name": "us-east-1",
                               "service_config": {"s3": {"endpoint_url": "http://127.0.0.1:5055"}}})
    url = urlsplit(s3_object_url(hook, "bucket", KEY, "text/html; charset=utf-8"))
    assert (url.scheme, url.netloc) == ("http", "127.0.0.1:5055")
    assert url.path == f"/bucket/{KEY}".replace("=", "%3D")
    query = parse_qs(url.query)
    assert query["response-content-type"] == ["text/html; charset=utf-8"]
    assert {"Signature", "X-Amz-Signature"} & set(query)  # either signing style, as the client is configured


def test_real_aws_gives_the_s3_console_page(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = _hook(monkeypatch, {"region_name": "eu-west-1"})
    url = s3_object_url(hook, "bucket", KEY, "text/html")
    assert url == ("https://console.aws.amazon.com/s3/object/bucket?region=eu-west-1&prefix="
                   "personalize/dg/staged/snapshot%3D20261101T000000Z/reports/sims/report.html")
    assert "X-Amz-Signature" not in url  # no credentials in a link anyone with UI access sees


def test_link_round_trip_through_xcom() -> None:
    ti = mock.Mock()
    PersonalizePromotionReportLink.persist({"ti": ti}, "http://example.invalid/r.html")  # type: ignore[arg-type]
    ti.xcom_push.assert_called_once_with(key="personalize_promotion_report", value="http://example.invalid/r.html")
    key = SimpleNamespace(dag_id="d", task_id="t", run_id="r", map_index=-1)
    with mock.patch.object(reports.XCom, "get_value", return_value="http://example.invalid/s.md") as get:
        assert PersonalizeRunSummaryLink().get_link(None, ti_key=key) == "http://example.invalid/s.md"  # type: ignore[arg-type]
    get.assert_called_once_with(key="personalize_run_summary", ti_key=key)
    with mock.patch.object(reports.XCom, "get_value", return_value=None):
        assert PersonalizeRunSummaryLink().get_link(None, ti_key=key) == ""  # type: ignore[arg-type]


def test_compare_and_summary_tasks_carry_the_links() -> None:
    from airflow.serialization.serialized_objects import DagSerialization
    from personalize_pipeline.config import load_config
    from personalize_pipeline.dag_factory import build_dag

    dag = build_dag(load_config(REPO / "include" / "config" / "lms.yaml"))
    compares = [t for t in dag.tasks if t.task_id.endswith(".compare")]
    assert len(compares) == 4
    for task in compares:
        assert [type(link) for link in task.operator_extra_links] == [PersonalizePromotionReportLink]
    assert [type(link) for link in dag.get_task("summary").operator_extra_links] == [PersonalizeRunSummaryLink]
    # What the API server reads: link names and the XCom keys the worker pushes the URLs under.
    tasks = {t["__var"]["task_id"]: t["__var"] for t in DagSerialization.to_dict(dag)["dag"]["tasks"]}
    assert tasks["sims.compare"]["_operator_extra_links"] == {
        "Promotion report": "_link_PersonalizePromotionReportLink"}
    assert tasks["summary"]["_operator_extra_links"] == {"Run summary": "_link_PersonalizeRunSummaryLink"}


def test_html_report_embeds_its_chart_and_is_served_as_html(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws
    from personalize_pipeline.promotion import PromotionRule, decide
    from personalize_pipeline.report import VersionPoint, write_report

    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    points = [VersionPoint("arn:aws:personalize:us-east-1:1:solution/s/v1", 1.0e9, {"coverage": 0.3})]
    decision = decide({"coverage": 0.3}, None, PromotionRule(primary_metric="coverage"))
    with mock_aws():
        hook = _hook(monkeypatch, {"region_name": "us-east-1"})
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="reports")
        uris = write_report(hook, "reports", "p", "sims", decision, points)
        obj = hook.get_key("p/reports/sims/report.html", "reports")
        assert obj.content_type == "text/html; charset=utf-8"
        page = obj.get()["Body"].read().decode()
    assert '<img src="data:image/png;base64,iVBOR' in page  # PNG magic, base64
    assert uris["html"] == "s3://reports/p/reports/sims/report.html"
