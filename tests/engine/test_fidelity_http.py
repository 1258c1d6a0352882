"""The documented behaviours of test_fidelity.py as a client sees them through boto3: promotions and scores in
GetRecommendations, tunedHPOParams, DescribeAlgorithm's default ranges and the segmentation metric set."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from botocore.exceptions import ClientError

from .conftest import Env, wait_for


def active_filter(env: Env, group: str, expression: str) -> str:
    arn = env.personalize.create_filter(name=env.name("flt"), datasetGroupArn=group, filterExpression=expression)[
        "filterArn"
    ]
    wait_for(lambda: env.personalize.describe_filter(filterArn=arn)["filter"])
    return str(arn)


def test_promotion_marks_its_share_of_the_list(env: Env, trained: dict[str, Any]) -> None:
    promo = active_filter(env, trained["group"], "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)")
    result = env.runtime.get_recommendations(
        campaignArn=trained["campaign"],
        userId="u3",
        numResults=20,
        promotions=[
            {"name": "drama-week", "percentPromotedItems": 25, "filterArn": promo, "filterValues": {"GENRE": '"Drama"'}}
        ],
    )
    promoted = [i for i in result["itemList"] if i.get("promotionName") == "drama-week"]
    assert len(result["itemList"]) == 20 and len(promoted) == 5
    assert all("promotionName" not in i for i in result["itemList"] if i not in promoted)
    scores = [i["score"] for i in promoted]
    assert scores == sorted(scores, reverse=True)


def test_scores_only_where_personalize_shows_them(env: Env, trained: dict[str, Any]) -> None:
    up = env.runtime.get_recommendations(campaignArn=trained["campaign"], userId="u3", numResults=25)["itemList"]
    scores = [i["score"] for i in up]
    assert all(0 <= s <= 1 for s in scores) and sum(scores) <= 1 + 1e-6 and scores == sorted(scores, reverse=True)
    version = env.train(env.solution(trained["group"], recipe="aws-sims"))
    campaign = env.campaign(version["solutionVersionArn"])["campaignArn"]
    related = env.runtime.get_recommendations(campaignArn=campaign, itemId="i1", numResults=10)["itemList"]
    assert related and all("score" not in i for i in related)
    promo = active_filter(env, trained["group"], 'INCLUDE ItemID WHERE Items.GENRES IN ("Drama")')
    with pytest.raises(ClientError) as exc:
        env.runtime.get_recommendations(
            campaignArn=campaign,
            itemId="i1",
            promotions=[{"name": "p", "percentPromotedItems": 10, "filterArn": promo}],
        )
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"


def test_hpo_reports_what_it_tuned(env: Env, trained: dict[str, Any]) -> None:
    p = env.personalize
    algorithm = p.describe_algorithm(algorithmArn="arn:aws:personalize:::algorithm/aws-sims")["algorithm"]
    defaults = algorithm["defaultHyperParameterRanges"]["continuousHyperParameterRanges"]
    assert {r["name"] for r in defaults} == {"popularity_discount_factor"} and defaults[0]["isTunable"]
    solution = env.solution(
        trained["group"],
        recipe="aws-sims",
        performHPO=True,
        solutionConfig={
            "hpoConfig": {
                "hpoObjective": {"type": "Maximize", "metricName": "normalized_discounted_cumulative_gain_at_10"},
                "hpoResourceConfig": {"maxNumberOfTrainingJobs": "4", "maxParallelTrainingJobs": "2"},
                "algorithmHyperParameterRanges": {
                    "integerHyperParameterRanges": [{"name": "min_cointeraction_count", "minValue": 2, "maxValue": 6}]
                },
            }
        },
    )
    version = env.train(solution)
    assert version["status"] == "ACTIVE", version
    tuned = version["tunedHPOParams"]["algorithmHyperParameters"]
    assert 2 <= int(tuned["min_cointeraction_count"]) <= 6, tuned
    untuned = env.train(env.solution(trained["group"], recipe="aws-sims"))
    assert "tunedHPOParams" not in untuned


def test_segmentation_solution_reports_the_segmentation_metrics(
    env: Env, trained: dict[str, Any], frames: dict[str, pd.DataFrame]
) -> None:
    version = env.train(env.solution(trained["group"], recipe="aws-item-affinity"))
    metrics = env.personalize.get_solution_metrics(solutionVersionArn=version["solutionVersionArn"])["metrics"]
    assert set(metrics) == {"coverage", "hits_at_1_percent", "recall_at_1_percent"}
