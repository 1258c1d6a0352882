"""Operators for real-time endpoints: campaigns (custom solutions) and recommenders (domain recipes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.utils.mixins import aws_template_fields

from personalize_provider.operators.base import (
    PersonalizeCreateResourceOperator,
    PersonalizeTransitionOperator,
    prune,
)
from personalize_provider.resources import CAMPAIGN, RECOMMENDER
from personalize_provider.utils.coerce import to_bool, to_dict, to_int, to_str_map

if TYPE_CHECKING:
    from airflow.sdk import Context


def _endpoint_config(
    raw: dict[str, Any] | str | None, field: str, int_keys: tuple[str, ...] = ()
) -> dict[str, Any] | None:
    """Coerce a rendered campaign/recommender config: string-valued exploration map, ints, bools."""
    config = to_dict(raw, field)
    if not config:
        return None
    config = dict(config)
    if "itemExplorationConfig" in config:
        config["itemExplorationConfig"] = to_str_map(
            config["itemExplorationConfig"], f"{field}.itemExplorationConfig"
        )
    for key in int_keys:
        if key in config:
            config[key] = to_int(config[key], f"{field}.{key}")
    for key in ("enableMetadataWithRecommendations", "syncWithLatestSolutionVersion"):
        if key in config:
            config[key] = to_bool(config[key], f"{field}.{key}")
    return config


class PersonalizeCreateCampaignOperator(PersonalizeCreateResourceOperator):
    """
    Deploy a solution version as a campaign, or update the existing campaign, and wait until ACTIVE.

    If a campaign with this name exists and serves another solution version or another
    ``minProvisionedTPS``/``campaignConfig``, it is updated in place (``UpdateCampaign``) unless
    ``update_if_changed=False``. An update already in flight counts as the current definition, so a
    retried task does not issue a second update.

    :param name: Campaign name.
    :param solution_version_arn: Solution version to serve.
    :param min_provisioned_tps: Minimum provisioned transactions per second (billed even when idle).
    :param campaign_config: e.g. ``{"itemExplorationConfig": {"explorationWeight": "0.3"}}``.
    :param tags: Tags (only applied at creation).

    Returns (XCom) ``{"arn", "name", "status", "solutionVersionArn", "minProvisionedTPS"}``.
    """

    resource = CAMPAIGN
    updatable_fields = frozenset({"solutionVersionArn", "minProvisionedTPS", "campaignConfig"})
    template_fields: Sequence[str] = aws_template_fields(
        "name", "solution_version_arn", "min_provisioned_tps", "campaign_config", "tags", "console_dataset_group_arn"
    )

    def __init__(
        self,
        *,
        name: str,
        solution_version_arn: str,
        min_provisioned_tps: int | str | None = None,
        campaign_config: dict[str, Any] | str | None = None,
        tags: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.solution_version_arn = solution_version_arn
        self.min_provisioned_tps = min_provisioned_tps
        self.campaign_config = campaign_config
        self.tags = tags

    def build_request(self, context: Context) -> dict[str, Any]:
        return prune(
            {
                "name": self.name,
                "solutionVersionArn": self.solution_version_arn,
                "minProvisionedTPS": to_int(self.min_provisioned_tps, "min_provisioned_tps"),
                "campaignConfig": _endpoint_config(self.campaign_config, "campaign_config"),
                "tags": self.tags or None,
            }
        )

    def list_parent(self, request: dict[str, Any]) -> str | None:
        # Campaigns are listed per solution; a version ARN is "<solution ARN>/<version id>".
        head, sep, _ = str(request["solutionVersionArn"]).rpartition("/")
        return head if sep and head.count("/") >= 1 else None

    def settled_value(self, description: dict[str, Any], target: str) -> dict[str, Any] | None:
        # "<solution>/$LATEST" (syncWithLatestSolutionVersion) is resolved by Personalize: read it when done.
        if str(self.solution_version_arn).endswith("/$LATEST"):
            return None
        return super().settled_value(description, target)

    def update(self, arn: str, request: dict[str, Any], diffs: dict[str, tuple[Any, Any]]) -> None:
        self.hook.client.update_campaign(
            campaignArn=arn, **{k: v for k, v in request.items() if k in self.updatable_fields}
        )


class PersonalizeCreateRecommenderOperator(PersonalizeCreateResourceOperator):
    """
    Create (or adopt, or update the config of) a domain recommender and wait until it is ACTIVE. A stopped
    (INACTIVE) recommender is adopted as it is: its serving hours belong to the start and stop operators.

    :param name: Recommender name.
    :param dataset_group_arn: Domain dataset group.
    :param recipe_arn: Domain use case recipe,
        e.g. ``arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you``.
    :param recommender_config: e.g. ``{"minRecommendationRequestsPerSecond": 1}`` (updatable in place).
    :param tags: Tags (only applied at creation).

    Returns (XCom) ``{"arn", "name", "status", "datasetGroupArn", "recipeArn"}``.
    """

    resource = RECOMMENDER
    updatable_fields = frozenset({"recommenderConfig"})
    template_fields: Sequence[str] = aws_template_fields(
        "name", "dataset_group_arn", "recipe_arn", "recommender_config", "tags"
    )

    def __init__(
        self,
        *,
        name: str,
        dataset_group_arn: str,
        recipe_arn: str,
        recommender_config: dict[str, Any] | str | None = None,
        tags: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.dataset_group_arn = dataset_group_arn
        self.recipe_arn = recipe_arn
        self.recommender_config = recommender_config
        self.tags = tags

    def build_request(self, context: Context) -> dict[str, Any]:
        config = _endpoint_config(
            self.recommender_config, "recommender_config", int_keys=("minRecommendationRequestsPerSecond",)
        )
        return prune(
            {
                "name": self.name,
                "datasetGroupArn": self.dataset_group_arn,
                "recipeArn": self.recipe_arn,
                "recommenderConfig": config,
                "tags": self.tags or None,
            }
        )

    def execute(self, context: Context) -> dict[str, Any]:
        description = self.create_or_adopt(context)
        self.persist_link(context, description)
        if description.get("status") == "INACTIVE":
            # Stopped on purpose (StopRecommender, e.g. outside its serving hours): adopted as it is. Waiting for
            # ACTIVE would never end, and starting it is the start operator's decision, not this one's.
            self.log.info("Recommender %s is stopped (INACTIVE); adopted as it is", description.get("recommenderArn"))
            return self.xcom_value(description)
        return self.wait_until_active(context, description)

    def update(self, arn: str, request: dict[str, Any], diffs: dict[str, tuple[Any, Any]]) -> None:
        self.hook.client.update_recommender(
            recommenderArn=arn, recommenderConfig=request["recommenderConfig"]
        )


class _RecommenderTransitionOperator(PersonalizeTransitionOperator):
    resource = RECOMMENDER
    arn_argument = "recommender_arn"
    template_fields: Sequence[str] = aws_template_fields("recommender_arn")

    def __init__(self, *, recommender_arn: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recommender_arn = recommender_arn


class PersonalizeStopRecommenderOperator(_RecommenderTransitionOperator):
    """
    Stop a domain recommender (the only way to pause its billing) and wait until it is INACTIVE.

    A recommender already stopped or stopping is only waited for; one still being created or started fails with
    its status. Its model is kept: :class:`PersonalizeStartRecommenderOperator` resumes serving.

    :param recommender_arn: Recommender to stop.

    Returns (XCom) ``{"arn", "name", "status", "datasetGroupArn", "recipeArn"}``.
    """

    action = "stop_recommender"
    target = "inactive"
    from_statuses = frozenset({"ACTIVE"})
    on_the_way = frozenset({"STOP PENDING", "STOP IN_PROGRESS"})


class PersonalizeStartRecommenderOperator(_RecommenderTransitionOperator):
    """
    Start a stopped domain recommender and wait until it is ACTIVE (serving, and billed, again).

    A recommender already active or starting is only waited for; one being stopped fails with its status.

    :param recommender_arn: Recommender to start.

    Returns (XCom) ``{"arn", "name", "status", "datasetGroupArn", "recipeArn"}``.
    """

    action = "start_recommender"
    target = "active"
    from_statuses = frozenset({"INACTIVE"})
    on_the_way = frozenset({"START PENDING", "START IN_PROGRESS"})
