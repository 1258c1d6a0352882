from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from personalize_pipeline.config import ConfigError, load_config, pools_document

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pipe.yaml"
    path.write_text(text)
    return path


def test_default_config_describes_the_platform() -> None:
    config = load_config(REPO / "include" / "config" / "lms.yaml")
    assert config.dag_id == "personalize_lms"
    assert {s.recipe for s in config.solutions} == {"aws-user-personalization", "aws-sims", "aws-popularity-count",
                                                    "aws-personalized-ranking"}
    assert all(not s.perform_auto_training for s in config.solutions)
    assert config.datasets == ["interactions", "items", "users"]


@pytest.mark.parametrize(("text", "field"), [
    ("dataset_group: 'bad name'", "dataset_group"),
    ("dataset_group: ok\nprefix: '../escape'", "prefix"),
    ("dataset_group: ok\nbucket: 'No_Such'", "bucket"),
    ("dataset_group: ok\nimport_mode: SOMETIMES", "import_mode"),
    ("dataset_group: ok\nsolutions: [{name: a, recipe: aws-sims, promotion: {primary_metric: accuracy}}]",
     "solutions.0.promotion.primary_metric"),
    ("dataset_group: ok\nretries: 0", "retries"),
    ("dataset_group: ok\nunknown_key: 1", "unknown_key"),
    ("dataset_group: ok\nsolutions: [{name: a, recipe: r, batch_inference: {filter: nope}}]", "nope"),
    ("dataset_group: ok\nsolutions: [{name: a, recipe: r}, {name: a, recipe: r}]", "unique"),
    ("dataset_group: ok\nrecommenders: [{name: a, recipe: aws-vod-top-picks}]", "need a domain dataset group"),
    ("dataset_group: ok\ndomain: VIDEO_ON_DEMAND\nrecommenders: [{name: a, recipe: aws-ecomm-best-sellers}]",
     "is not a VIDEO_ON_DEMAND use case"),
    ("dataset_group: ok\ndomain: RETAIL", "domain"),
    ("dataset_group: ok\nsolutions: [{name: a, recipe: aws-vod-top-picks}]", "list it under recommenders"),
    ("dataset_group: ok\ndomain: ECOMMERCE\nrecommender_hours: {start: '07:00', stop: '22:00'}",
     "no recommenders"),
    ("dataset_group: ok\ndomain: ECOMMERCE\nrecommenders: [{name: a, recipe: aws-ecomm-recommended-for-you}]\n"
     "recommender_hours: {start: '07:00', stop: '25:00'}", "recommender_hours.stop"),
    ("dataset_group: ok\nmetric_attribution: {metrics: [{name: m, event_type: watch, expression: AVG(x)}]}",
     "metric_attribution.metrics.0.expression"),
    ("dataset_group: ok\nmetric_attribution: {metrics: []}", "metric_attribution.metrics"),
])
def test_errors_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    assert "pipe.yaml" in str(error.value) and field in str(error.value)


def test_unreadable_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"pipe\.yaml: cannot read YAML"):
        load_config(write(tmp_path, "dataset_group: [unclosed"))
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(write(tmp_path, "- a list"))


def test_pools_match_personalize_quotas() -> None:
    doc = pools_document()
    assert {k: v["slots"] for k, v in doc.items()} == {
        "personalize_imports": 5, "personalize_trainings": 20, "personalize_batch": 5}
    out = subprocess.run([sys.executable, "-m", "personalize_pipeline.cli", "pools"], capture_output=True,
                         text=True, check=True, timeout=60)
    assert json.loads(out.stdout) == doc


def test_example_domain_config_and_attribution_schema(tmp_path: Path) -> None:
    vod = load_config(REPO / "include" / "config" / "examples" / "vod.yaml")
    assert vod.domain == "VIDEO_ON_DEMAND" and len(vod.recommenders) == 5 and not vod.solutions
    assert vod.recommender_hours is not None and vod.recommender_hours.cron(vod.recommender_hours.start) == "0 6 * * *"
    config = load_config(write(tmp_path, "dataset_group: g\nbucket: b-test\nmetric_attribution: {metrics: [{name: m, "
                                         "event_type: watch, expression: 'SUM(Interactions.EVENT_VALUE)'}]}"))
    assert config.schema_name("interactions") == "interactions_attribution" and config.schema_name("items") == "items"
    assert config.attribution_output_path == "s3://b-test/personalize/g/attribution/"
