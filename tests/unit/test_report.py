from __future__ import annotations

import io
import json

import pytest
from personalize_pipeline.promotion import PromotionRule, decide
from personalize_pipeline.report import (
    VersionPoint,
    render_chart,
    render_html,
    render_markdown,
    write_report,
)

NDCG = "normalized_discounted_cumulative_gain_at_10"
METRICS = [NDCG, "coverage", "precision_at_10"]
ARN = "arn:aws:personalize:us-east-1:123456789012:solution/courses/"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def history(last_ndcg: float = 0.1012) -> list[VersionPoint]:
    # Deliberately out of creation order: rendering must sort by created_at.
    return [
        VersionPoint(ARN + "v3", 1_764_300_000.0, {NDCG: last_ndcg, "coverage": 0.41}, promoted=False),
        VersionPoint(
            ARN + "v1", 1_764_100_000.0, {NDCG: 0.1100, "coverage": 0.40, "precision_at_10": 0.05}, True
        ),
        VersionPoint(
            ARN + "v2", 1_764_200_000.0, {NDCG: 0.1238, "coverage": 0.45, "precision_at_10": 0.06}, True
        ),
    ]


def decision_for(points: list[VersionPoint]):
    by_arn = {p.version_arn: p.metrics for p in points}
    return decide(by_arn[ARN + "v3"], by_arn[ARN + "v2"], PromotionRule())


def read_png(data: bytes):
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(data), format="png")


# --- chart -----------------------------------------------------------------------------------


def test_chart_is_a_readable_png() -> None:
    png = render_chart(history(), METRICS)
    assert png.startswith(PNG_MAGIC)
    pixels = read_png(png)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100


def test_chart_changes_with_data_and_is_stable_otherwise() -> None:
    a = render_chart(history(0.1012), METRICS)
    assert render_chart(history(0.1012), METRICS) == a
    assert render_chart(history(0.1500), METRICS) != a
    assert render_chart(history(0.1012), [NDCG]) != a
    # marking a different candidate changes the picture too
    assert render_chart(history(0.1012), METRICS, candidate_arn=ARN + "v1") != a


def test_chart_handles_empty_history_and_missing_metrics() -> None:
    assert render_chart([], METRICS).startswith(PNG_MAGIC)
    assert render_chart(history(), []).startswith(PNG_MAGIC)  # default: every metric seen
    assert render_chart(history(), ["precision_at_25"]).startswith(PNG_MAGIC)  # all NaN


def test_matplotlib_not_imported_at_module_level() -> None:
    import subprocess
    import sys

    code = "import sys, personalize_pipeline.report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- markdown / html -------------------------------------------------------------------------

EVIL = "courses<script>alert('x')</script>&_|"


def test_markdown_contains_metrics_reason_and_chart() -> None:
    points = history()
    md = render_markdown("course_recs", decision_for(points), points, "chart.png")
    assert md.startswith("# Personalize promotion report: course\\_recs\n")
    assert "**REJECTED**" in md
    for metric in METRICS:
        assert f"`{metric}`" in md
    assert "| `normalized_discounted_cumulative_gain_at_10` | 0.1238 | 0.1012 | -0.0226 | -18.3% |" in md
    assert "![metric history](chart.png)" in md
    # history rows in creation order
    assert md.index("| v1 |") < md.index("| v2 |") < md.index("| v3 |")


def test_markdown_escapes_solution_name() -> None:
    points = history()
    md = render_markdown(EVIL, decision_for(points), points, "chart.png")
    title = md.splitlines()[0]
    assert "<script>" not in md
    assert title == r"# Personalize promotion report: courses\<script\>alert\('x'\)\</script\>&\_\|"


def test_markdown_accepts_xcom_dict() -> None:
    points = history()
    decision = decision_for(points)
    as_dict = json.loads(json.dumps(decision.to_dict()))
    assert render_markdown("s", as_dict, points, "chart.png") == render_markdown("s", decision, points)
    assert render_html("s", as_dict, points) == render_html("s", decision, points, "chart.png")


def test_html_banner_table_image_and_escaping() -> None:
    points = history()
    page = render_html(EVIL, decision_for(points), points, "chart.png")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page
    assert "courses&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;_|" in page
    assert '<div class="banner reject">Rejected: normalized_discounted_cumulative_gain_at_10 0.1012' in page
    assert "required ≥ +0.0%" in page
    assert '<img src="chart.png"' in page
    for metric in METRICS:
        assert f"<td>{metric}</td>" in page or f"<th>{metric}</th>" in page
    assert f"<th>{NDCG}</th>" in page and f"<td>{NDCG}</td>" in page


def test_html_promoted_banner_is_green() -> None:
    points = history(0.2)
    page = render_html("s", decision_for(points), points, "chart.png")
    assert '<div class="banner promote">Promoted:' in page
    assert ".promote{background:#e3f5e6" in page


def test_html_escapes_reason_and_metric_names() -> None:
    from personalize_pipeline.promotion import MetricDelta, PromotionDecision

    d = PromotionDecision(False, "bad <b>thing</b>", [MetricDelta("<m>", 1.0, 2.0, 1.0, 1.0)])
    page = render_html("s", d, [VersionPoint('x"/<v>', 0.0, {"<m>": 1.0})], 'c".png')
    assert "<b>" not in page and "<m>" not in page and "<v>" not in page
    assert 'src="c&quot;.png"' in page


# --- S3 upload (moto) ------------------------------------------------------------------------


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_TEST",
        # pragma: allowlist nextline secret
        '{"conn_type":"aws","login":"testing","password":"testing","extra":{"region_name":"us-east-1"}}',
    )
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        # pragma: allowlist nextline secret
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(key, raising=False)


def test_write_report_uploads_three_objects_and_overwrites(aws_env: None) -> None:
    import boto3
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from moto import mock_aws

    points = history()
    decision = decision_for(points)
    with mock_aws():
        hook = S3Hook(aws_conn_id="aws_test")
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="reports-bucket")

        uris = write_report(hook, "reports-bucket", "personalize/", "courses", decision, points)
        base = "personalize/reports/courses/"
        assert uris == {
            "chart": f"s3://reports-bucket/{base}chart.png",
            "markdown": f"s3://reports-bucket/{base}report.md",
            "html": f"s3://reports-bucket/{base}report.html",
        }
        keys = sorted(hook.list_keys("reports-bucket", prefix=base))
        assert keys == [base + "chart.png", base + "report.html", base + "report.md"]
        assert hook.read_key(base + "report.md", "reports-bucket") == render_markdown(
            "courses", decision, points, "chart.png"
        )
        png = hook.get_key(base + "chart.png", "reports-bucket").get()["Body"].read()
        assert png.startswith(PNG_MAGIC)

        # A retry (replace=True) overwrites instead of failing on existing keys.
        better = decide(points[0].metrics | {NDCG: 0.2}, points[2].metrics, PromotionRule())
        write_report(hook, "reports-bucket", "personalize", "courses", better, points)
        assert "Promoted:" in hook.read_key(base + "report.html", "reports-bucket")
        assert len(hook.list_keys("reports-bucket", prefix=base)) == 3


def test_write_report_rejects_path_like_solution_names() -> None:
    points = history()
    with pytest.raises(ValueError, match="not a valid Personalize name"):
        write_report(object(), "b", "p", "../other", decision_for(points), points)  # type: ignore[arg-type]
