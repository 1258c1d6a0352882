"""Smoke check of a deployed campaign or recommender through Personalize Runtime."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.providers.common.compat.sdk import AirflowException

from personalize_provider.hooks.personalize import PersonalizeRuntimeHook
from personalize_provider.utils.coerce import to_int

if TYPE_CHECKING:
    from airflow.sdk import Context


class PersonalizeRecommendationsSmokeCheckOperator(AwsBaseOperator[PersonalizeRuntimeHook]):
    """
    Ask a campaign or recommender for recommendations and fail when it answers too few.

    Meant to run right after a campaign is created or updated, before traffic is pointed at it.

    :param campaign_arn: Campaign to query (or give ``recommender_arn``).
    :param recommender_arn: Recommender to query.
    :param user_ids: Users to ask recommendations for (at least one).
    :param num_results: Recommendations requested per user. (default: 10)
    :param min_results: Fewest recommendations acceptable per user. (default: 1)
    :param filter_arn: Optional filter to apply.
    :param actions: Ask for next best actions (GetActionRecommendations, a campaign of the
        aws-next-best-action recipe) instead of items. (default: False)

    Returns (XCom) ``{"checked": n_users, "counts": {user_id: n_items}}``.
    """

    aws_hook_class = PersonalizeRuntimeHook
    template_fields: Sequence[str] = aws_template_fields(
        "campaign_arn", "recommender_arn", "user_ids", "num_results", "min_results", "filter_arn", "actions"
    )

    def __init__(
        self,
        *,
        user_ids: list[str],
        campaign_arn: str | None = None,
        recommender_arn: str | None = None,
        num_results: int | str = 10,
        min_results: int | str = 1,
        filter_arn: str | None = None,
        actions: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not (campaign_arn or recommender_arn):
            raise ValueError("Either campaign_arn or recommender_arn is required")
        self.campaign_arn = campaign_arn
        self.recommender_arn = recommender_arn
        self.user_ids = user_ids
        self.num_results = num_results
        self.min_results = min_results
        self.filter_arn = filter_arn
        self.actions = actions
        if actions and not campaign_arn:
            raise ValueError("Next best actions come from a campaign: campaign_arn is required with actions=True")

    def execute(self, context: Context) -> dict[str, Any]:
        target = (
            {"campaignArn": self.campaign_arn}
            if self.campaign_arn
            else {"recommenderArn": self.recommender_arn}
        )
        if self.filter_arn:
            target["filterArn"] = self.filter_arn
        wanted, needed = to_int(self.num_results, "num_results"), to_int(self.min_results, "min_results") or 0
        counts: dict[str, int] = {}
        for user_id in self.user_ids:
            ask = self.hook.get_action_recommendations if self.actions else self.hook.get_recommendations
            items = ask(userId=str(user_id), numResults=wanted, **target)
            counts[str(user_id)] = len(items)
        short = {user: n for user, n in counts.items() if n < needed}
        if not counts or short:
            raise AirflowException(
                f"Personalize {next(iter(target.values()))} answered fewer than {needed} recommendations "
                f"for users {short or '(none checked)'}"
            )
        self.log.info("Recommendations per user: %s", counts)
        return {"checked": len(counts), "counts": counts}
