"""The rollback's default target: the newest promoted version before the one in service, skipping versions that
were rolled back themselves. A real boto3 client under botocore's Stubber answers the calls the plan makes."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from personalize_pipeline.config import PipelineConfig
from personalize_pipeline.tasks import rollback
from personalize_stubs import NOW, arn

CONFIG = PipelineConfig(name="t", dataset_group="grp", solutions=[
    {"name": "up", "recipe": "aws-user-personalization", "campaign": {"min_provisioned_tps": 1}}])
GROUP, SOLUTION = arn("dataset-group", "grp"), arn("solution", "grp-up")
CAMPAIGN = arn("campaign", "grp-up")
V = {n: f"{SOLUTION}/v{n}" for n in range(1, 5)}


def _stub_lookups(personalize: Any, serving: str, tags: dict[str, dict[str, str]]) -> None:
    personalize.ok("list_dataset_groups", {"datasetGroups": [{"name": "grp", "datasetGroupArn": GROUP}]})
    personalize.ok("describe_dataset_group", {"datasetGroup": {"name": "grp", "datasetGroupArn": GROUP,
                                                               "status": "ACTIVE"}})
    personalize.ok("list_solutions", {"solutions": [{"name": "grp-up", "solutionArn": SOLUTION}]})
    personalize.ok("describe_solution", {"solution": {"name": "grp-up", "solutionArn": SOLUTION,
                                                      "status": "ACTIVE"}})
    personalize.ok("list_campaigns", {"campaigns": [{"name": "grp-up", "campaignArn": CAMPAIGN}]})
    personalize.ok("describe_campaign", {"campaign": {"name": "grp-up", "campaignArn": CAMPAIGN,
                                                      "solutionVersionArn": serving, "status": "ACTIVE"}})
    personalize.ok("list_solution_versions", {"solutionVersions": [
        {"solutionVersionArn": v, "status": "ACTIVE", "creationDateTime": NOW} for v in V.values()]})
    for version in V.values():
        personalize.ok("list_tags_for_resource", {"tags": [{"tagKey": k, "tagValue": val}
                                                           for k, val in tags.get(version, {}).items()]},
                       {"resourceArn": version})


@pytest.fixture
def hook(personalize: Any) -> Any:
    from personalize_provider.hooks.personalize import PersonalizeHook

    real = PersonalizeHook(aws_conn_id=None)
    real.__dict__["conn"] = personalize.client  # the hook's cached client: the stubbed one
    with mock.patch.object(rollback, "personalize_hook", return_value=real):
        yield real


def test_default_target_is_the_previous_promotion_that_was_not_rolled_back(personalize: Any, hook: Any) -> None:
    promoted = "personalize-pipeline:promoted-at"
    _stub_lookups(personalize, serving=V[4], tags={
        V[1]: {promoted: "2026-01-01T00:00:00Z"},
        V[2]: {promoted: "2026-01-02T00:00:00Z", rollback.ROLLED_BACK_TAG: "2026-01-03T00:00:00Z"},
        V[4]: {promoted: "2026-01-04T00:00:00Z"},  # v3 was never promoted
    })
    plan = rollback.plan_rollback(CONFIG, {"solution": "up", "target_version": "", "reason": "r"})
    assert (plan["current"], plan["target"], plan["campaign_name"]) == (V[4], V[1], "grp-up")


def test_no_earlier_promotion_is_a_clear_error(personalize: Any, hook: Any) -> None:
    _stub_lookups(personalize, serving=V[4], tags={V[4]: {"personalize-pipeline:promoted-at": "2026-01-04T00:00:00Z"}})
    with pytest.raises(rollback.RollbackError, match="no earlier promoted version to roll back to"):
        rollback.plan_rollback(CONFIG, {"solution": "up", "target_version": ""})


def test_an_unknown_solution_names_the_ones_there_are() -> None:
    with pytest.raises(rollback.RollbackError, match=r"expected one of \['up'\]"):
        rollback.plan_rollback(CONFIG, {"solution": "nope"})
