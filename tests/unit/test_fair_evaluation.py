"""The fair comparison: which evaluation gates and why, the sample and the batch jobs it names, the scores on
the batch outputs, and a gate that follows the fair evaluation when Personalize's own metrics disagree.
S3 is a real moto server on loopback, reached through the Amazon provider's S3Hook."""

from __future__ import annotations

import json
from typing import Any

import pytest
from personalize_pipeline.config import PipelineConfig
from personalize_pipeline.offline_metrics import ndcg_at_k
from personalize_pipeline.tasks import evaluation
from personalize_pipeline.tasks.training import _gate

SOLUTIONS = [{"name": "up", "recipe": "aws-user-personalization"}, {"name": "pop", "recipe": "aws-popularity-count"},
             {"name": "sims", "recipe": "aws-sims"}]
CONFIG = PipelineConfig(name="t", dataset_group="grp", bucket="fair-test", prefix="p", solutions=SOLUTIONS)
PARTITION = "snapshot=20261102T000000Z"
PREFIX = f"s3://fair-test/p/grp/staged/{PARTITION}"
WINDOW = {"start": 1_000, "end": 1_000 + 86_400}
# In the window: u1 watched i1 and i2, u2 watched i3, u3 clicked i4.
HOLDOUT = "USER_ID,ITEM_ID,EVENT_TYPE,EVENT_VALUE,TIMESTAMP\nu1,i1,watch,1,1001\nu1,i2,watch,1,1002\n" \
          "u2,i3,watch,1,1003\nu3,i4,click,1,1004\n"
MANIFEST = {"partition": PARTITION, "prefix": PREFIX, "interval": {"start": 0, "end": WINDOW["end"]},
            "imported_interval": {"start": 0, "end": WINDOW["start"]}, "files": {},
            "holdout": {"key": "holdout/interactions.csv", "window": WINDOW, "rows": 4, "users": 3}}
INC = "arn:aws:personalize:us-east-1:1:solution/grp-up/inc"
CAND = "arn:aws:personalize:us-east-1:1:solution/grp-up/cand"


@pytest.fixture(scope="module")
def s3(s3_hook: Any) -> Any:
    s3_hook.create_bucket(bucket_name=CONFIG.bucket)
    s3_hook.load_string(HOLDOUT, key=f"p/grp/staged/{PARTITION}/holdout/interactions.csv",
                        bucket_name=CONFIG.bucket, replace=True)
    return s3_hook


def _plan(config: PipelineConfig = CONFIG, sol: int = 0, incumbent: str | None = INC,
          through: int | None = WINDOW["start"], manifest: dict[str, Any] = MANIFEST) -> dict[str, Any]:
    return evaluation.plan_evaluation(config, config.solutions[sol], incumbent, CAND, through, manifest)


@pytest.mark.parametrize(("change", "reason"), [
    ({"incumbent": None}, "nothing in service"),
    ({"sol": 2}, "aws-sims does not recommend for a user"),
    ({"through": None}, "does not record what data it was trained on"),
    ({"through": WINDOW["start"] + 1}, "was trained on the held-back window"),
    ({"manifest": {**MANIFEST, "holdout": None}}, "this run held nothing back"),
    ({"config": CONFIG.model_copy(update={"evaluation": CONFIG.evaluation.model_copy(update={"gate": "personalize"})})},
     "gates on Personalize's own metrics"),
    ({"config": CONFIG.model_copy(update={"evaluation": CONFIG.evaluation.model_copy(update={"max_batch_jobs": 3})}),
      "sol": 1}, "batch-job budget (3) is spent"),
])
def test_the_gate_falls_back_to_personalize_metrics_and_says_why(s3: Any, change: dict, reason: str) -> None:
    plan = _plan(**change)
    assert plan["gate"] == "personalize" and plan["jobs"] == []
    assert reason in plan["reason"]


def test_a_fair_plan_samples_window_users_and_names_one_job_per_version(s3: Any) -> None:
    config = CONFIG.model_copy(update={"evaluation": CONFIG.evaluation.model_copy(update={"sample_users": 2})})
    plan = _plan(config)
    assert plan["gate"] == "fair" and plan["users"] == 2 and plan["window"] == WINDOW
    assert [j["solution_version_arn"] for j in plan["jobs"]] == [INC, CAND]
    assert len({j["job_name"] for j in plan["jobs"]}) == 2 and all(len(j["job_name"]) <= 63 for j in plan["jobs"])
    assert plan == _plan(config)  # a re-run names the same users and jobs (the operators adopt the jobs)
    bucket, key = s3.parse_s3_url(plan["input_path"])
    users = [json.loads(line)["userId"] for line in s3.read_key(key, bucket).splitlines()]
    assert len(users) == 2 and set(users) <= {"u1", "u2", "u3"}
    # the solution's event type narrows the window to its events
    typed = PipelineConfig(**{**CONFIG.model_dump(), "solutions": [{**SOLUTIONS[0], "event_type": "click"}]})
    assert _plan(typed)["users"] == 1


def _outputs(s3: Any, plan: dict[str, Any], lists: dict[str, dict[str, list[str]]]) -> None:
    for job, role in zip(plan["jobs"], evaluation.ROLES, strict=True):
        bucket, key = s3.parse_s3_url(job["output_path"])
        body = "".join(json.dumps({"input": {"userId": u}, "output": {"recommendedItems": items}, "error": None}) + "\n"
                       for u, items in lists[role].items())
        s3.load_string(body, key=f"{key}users.json.out", bucket_name=bucket, replace=True)


def test_scores_follow_personalize_definitions_on_the_window(s3: Any) -> None:
    plan = _plan()
    _outputs(s3, plan, {"incumbent": {"u1": ["i2", "x", "i1"], "u2": ["i3"], "u3": ["y"]},
                        "candidate": {"u1": ["x", "y"], "u2": ["z"]}})  # u3: no list (an error line) scores 0
    scores = evaluation.score(CONFIG, CONFIG.solutions[0], plan, MANIFEST)
    expected = (ndcg_at_k(["i2", "x", "i1"], {"i1", "i2"}, 10) + 1.0 + 0.0) / 3
    assert scores["incumbent"]["normalized_discounted_cumulative_gain_at_10"] == round(expected, 4)
    assert scores["incumbent"]["mean_reciprocal_rank_at_25"] == round((1 + 1 + 0) / 3, 4)
    assert scores["incumbent"]["precision_at_5"] == round((2 / 5 + 1 / 5) / 3, 4)
    assert scores["candidate"]["normalized_discounted_cumulative_gain_at_10"] == 0.0
    # no items dataset staged: the catalogue is every item the window or a list names (i1-i4, x, y, z)
    assert scores["incumbent"]["coverage"] == round(5 / 7, 4)


def test_the_gate_follows_the_fair_comparison_when_personalize_metrics_disagree(s3: Any) -> None:
    """Personalize's own numbers (each from its own data) favour the candidate; on the same fresh events the
    incumbent is better: the version in service stays, and the report keeps both."""
    plan = _plan()
    _outputs(s3, plan, {"incumbent": {"u1": ["i1", "i2"], "u2": ["i3"], "u3": ["i4"]},
                        "candidate": {"u1": ["x"], "u2": ["i3"], "u3": ["y"]}})
    sol = CONFIG.solutions[0]
    own_candidate = {"normalized_discounted_cumulative_gain_at_10": 0.40, "coverage": 0.5}
    own_incumbent = {"normalized_discounted_cumulative_gain_at_10": 0.20, "coverage": 0.5}
    decision, account = _gate(CONFIG, sol, sol.promotion, own_candidate, own_incumbent, plan, MANIFEST)
    assert not decision.promote
    assert decision.reason.startswith("fair comparison on 3 users' 4 held-back events")
    assert account["fair"]["incumbent"]["normalized_discounted_cumulative_gain_at_10"] == 1.0
    assert account["personalize"] == {"candidate": own_candidate, "incumbent": own_incumbent}
    # the same numbers through Personalize's metrics alone would have promoted the candidate
    fallback = {**plan, "gate": "personalize", "jobs": [], "reason": "the config gates on Personalize's own metrics"}
    assert _gate(CONFIG, sol, sol.promotion, own_candidate, own_incumbent, fallback, MANIFEST)[0].promote
    # gate "fair" keeps the incumbent when the fair comparison cannot be made
    strict = CONFIG.model_copy(update={"evaluation": CONFIG.evaluation.model_copy(update={"gate": "fair"})})
    kept, _ = _gate(strict, sol, sol.promotion, own_candidate, own_incumbent,
                    {**fallback, "requested": "fair", "reason": "no interactions in the held-back window"}, MANIFEST)
    assert not kept.promote and "requires a fair comparison" in kept.reason


def test_holdout_only_when_a_solution_can_be_compared_fairly() -> None:
    assert CONFIG.holdout_seconds == 24 * 3600
    sims_only = PipelineConfig(name="t", dataset_group="grp", solutions=[SOLUTIONS[2]])
    assert sims_only.holdout_seconds == 0
    off = PipelineConfig(name="t", dataset_group="grp", solutions=SOLUTIONS, evaluation={"gate": "personalize"})
    assert off.holdout_seconds == 0
