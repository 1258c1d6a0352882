"""Delete operators (wait until describe answers NotFound) and the dataset group teardown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields

from personalize_provider.hooks.personalize import PersonalizeHook
from personalize_provider.operators.base import PersonalizeDeleteResourceOperator
from personalize_provider.resources import (
    CAMPAIGN,
    DATASET,
    DATASET_GROUP,
    EVENT_TRACKER,
    FILTER,
    METRIC_ATTRIBUTION,
    RECOMMENDER,
    SCHEMA,
    SOLUTION,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


class PersonalizeDeleteCampaignOperator(PersonalizeDeleteResourceOperator):
    """Delete a campaign and wait until it is gone. :param campaign_arn: Campaign to delete."""

    resource = CAMPAIGN
    arn_argument = "campaign_arn"
    template_fields: Sequence[str] = aws_template_fields("campaign_arn")

    def __init__(self, *, campaign_arn: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.campaign_arn = campaign_arn


class PersonalizeDeleteRecommenderOperator(PersonalizeDeleteResourceOperator):
    """Delete a recommender and wait until it is gone. :param recommender_arn: Recommender to delete."""

    resource = RECOMMENDER
    arn_argument = "recommender_arn"
    template_fields: Sequence[str] = aws_template_fields("recommender_arn")

    def __init__(self, *, recommender_arn: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recommender_arn = recommender_arn


class PersonalizeDeleteSolutionOperator(PersonalizeDeleteResourceOperator):
    """Delete a solution (and its versions) once no campaign uses it. :param solution_arn: Solution."""

    resource = SOLUTION
    arn_argument = "solution_arn"
    template_fields: Sequence[str] = aws_template_fields("solution_arn")

    def __init__(self, *, solution_arn: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.solution_arn = solution_arn


class PersonalizeDeleteFilterOperator(PersonalizeDeleteResourceOperator):
    """Delete a filter and wait until it is gone. :param filter_arn: Filter to delete."""

    resource = FILTER
    arn_argument = "filter_arn"
    template_fields: Sequence[str] = aws_template_fields("filter_arn")

    def __init__(self, *, filter_arn: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filter_arn = filter_arn


class PersonalizeDeleteEventTrackerOperator(PersonalizeDeleteResourceOperator):
    """Delete an event tracker and wait until it is gone. :param event_tracker_arn: Tracker to delete."""

    resource = EVENT_TRACKER
    arn_argument = "event_tracker_arn"
    template_fields: Sequence[str] = aws_template_fields("event_tracker_arn")

    def __init__(self, *, event_tracker_arn: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event_tracker_arn = event_tracker_arn


class PersonalizeDeleteMetricAttributionOperator(PersonalizeDeleteResourceOperator):
    """Delete a metric attribution and wait until it is gone. :param metric_attribution_arn: Attribution."""

    resource = METRIC_ATTRIBUTION
    arn_argument = "metric_attribution_arn"
    template_fields: Sequence[str] = aws_template_fields("metric_attribution_arn")

    def __init__(self, *, metric_attribution_arn: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metric_attribution_arn = metric_attribution_arn


class PersonalizeDeleteDatasetOperator(PersonalizeDeleteResourceOperator):
    """Delete a dataset and wait until it is gone. :param dataset_arn: Dataset to delete."""

    resource = DATASET
    arn_argument = "dataset_arn"
    template_fields: Sequence[str] = aws_template_fields("dataset_arn")

    def __init__(self, *, dataset_arn: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dataset_arn = dataset_arn


class PersonalizeDeleteSchemaOperator(PersonalizeDeleteResourceOperator):
    """Delete a schema no dataset uses any more. :param schema_arn: Schema to delete."""

    resource = SCHEMA
    arn_argument = "schema_arn"
    template_fields: Sequence[str] = aws_template_fields("schema_arn")

    def __init__(self, *, schema_arn: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema_arn = schema_arn


class PersonalizeDeleteDatasetGroupOperator(PersonalizeDeleteResourceOperator):
    """
    Delete an (empty) dataset group and wait until it is gone.

    Personalize refuses while the group still has datasets, solutions, etc. (ResourceInUse);
    use :class:`PersonalizeTeardownDatasetGroupOperator` to delete the contents too.

    :param dataset_group_arn: Dataset group to delete.
    """

    resource = DATASET_GROUP
    arn_argument = "dataset_group_arn"
    template_fields: Sequence[str] = aws_template_fields("dataset_group_arn")

    def __init__(self, *, dataset_group_arn: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dataset_group_arn = dataset_group_arn


class PersonalizeTeardownDatasetGroupOperator(AwsBaseOperator[PersonalizeHook]):
    """
    Delete a dataset group and everything in it, in the order Personalize requires.

    Campaigns, recommenders, solutions, filters, event trackers, the metric attribution, datasets, then the
    group (jobs cannot be deleted and go with the group). Waits synchronously between stages; not deferrable.

    :param dataset_group_arn: Dataset group to tear down (or give ``dataset_group_name``).
    :param dataset_group_name: Name of the dataset group, looked up when no ARN is given.
    :param delete_schemas: Also delete the schemas its datasets used, unless still used elsewhere.
    :param waiter_delay: Seconds between checks while waiting for each stage.
    :param waiter_max_attempts: Checks per resource before giving up.

    Returns (XCom) ``{"datasetGroupArn": ..., "deleted": {"campaign": [arn, ...], ...}}``.
    """

    aws_hook_class = PersonalizeHook
    template_fields: Sequence[str] = aws_template_fields("dataset_group_arn", "dataset_group_name")

    def __init__(
        self,
        *,
        dataset_group_arn: str | None = None,
        dataset_group_name: str | None = None,
        delete_schemas: bool = False,
        waiter_delay: int = 15,
        waiter_max_attempts: int = 240,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not (dataset_group_arn or dataset_group_name):
            raise ValueError("Either dataset_group_arn or dataset_group_name is required")
        self.dataset_group_arn = dataset_group_arn
        self.dataset_group_name = dataset_group_name
        self.delete_schemas = delete_schemas
        self.waiter_delay = waiter_delay
        self.waiter_max_attempts = waiter_max_attempts

    def execute(self, context: Context) -> dict[str, Any]:
        arn = self.dataset_group_arn
        if not arn:
            found = self.hook.find_by_name(DATASET_GROUP, str(self.dataset_group_name))
            if found is None:
                self.log.info("Dataset group %r does not exist; nothing to do", self.dataset_group_name)
                return {"datasetGroupArn": None, "deleted": {}}
            arn = found["datasetGroupArn"]
        deleted = self.hook.teardown_dataset_group(
            arn,
            delete_schemas=self.delete_schemas,
            waiter_delay=self.waiter_delay,
            waiter_max_attempts=self.waiter_max_attempts,
        )
        return {"datasetGroupArn": arn, "deleted": deleted}
