"""Operators for solutions, solution versions (training) and their metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields

from personalize_provider.hooks.personalize import PersonalizeHook
from personalize_provider.links.personalize import PersonalizeSolutionLink, PersonalizeSolutionVersionLink
from personalize_provider.operators.base import (
    PersonalizeCreateResourceOperator,
    PersonalizeJobOperator,
    prune,
)
from personalize_provider.resources import SOLUTION, SOLUTION_VERSION
from personalize_provider.utils.coerce import to_bool, to_dict

if TYPE_CHECKING:
    from airflow.sdk import Context

TRAINING_MODES = ("FULL", "UPDATE", "AUTOTRAIN")


class PersonalizeCreateSolutionOperator(PersonalizeCreateResourceOperator):
    """
    Create (or adopt) a solution (recipe + configuration) and wait until it is ACTIVE.

    Automatic training is sent as explicitly disabled unless ``perform_auto_training=True``:
    the API default is on, and an automatically trained solution bills training every week.

    :param name: Solution name.
    :param dataset_group_arn: Dataset group to train on.
    :param recipe_arn: Recipe, e.g. ``arn:aws:personalize:::recipe/aws-user-personalization-v2``.
    :param event_type: Only train on interactions of this event type.
    :param perform_hpo: Hyperparameter optimisation.
    :param perform_auto_training: Let Personalize retrain on a schedule. (default: False)
    :param perform_incremental_update: Incremental updates for recipes that support them.
    :param solution_config: ``solutionConfig`` (dict or JSON text), e.g. ``{"autoTrainingConfig": ...}``.
    :param tags: Tags (only applied at creation).

    Returns (XCom) ``{"arn", "name", "status", "datasetGroupArn", "recipeArn", "performAutoTraining"}``.
    """

    resource = SOLUTION
    operator_extra_links = (PersonalizeSolutionLink(),)
    template_fields: Sequence[str] = aws_template_fields(
        "name",
        "dataset_group_arn",
        "recipe_arn",
        "event_type",
        "perform_hpo",
        "perform_auto_training",
        "perform_incremental_update",
        "solution_config",
        "tags",
    )

    def __init__(
        self,
        *,
        name: str,
        dataset_group_arn: str,
        recipe_arn: str | None = None,
        event_type: str | None = None,
        perform_hpo: bool | str | None = None,
        perform_auto_training: bool | str = False,
        perform_incremental_update: bool | str | None = None,
        solution_config: dict[str, Any] | str | None = None,
        tags: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.dataset_group_arn = dataset_group_arn
        self.recipe_arn = recipe_arn
        self.event_type = event_type
        self.perform_hpo = perform_hpo
        self.perform_auto_training = perform_auto_training
        self.perform_incremental_update = perform_incremental_update
        self.solution_config = solution_config
        self.tags = tags

    def build_request(self, context: Context) -> dict[str, Any]:
        return prune(
            {
                "name": self.name,
                "datasetGroupArn": self.dataset_group_arn,
                "recipeArn": self.recipe_arn or None,
                "eventType": self.event_type or None,
                "performHPO": to_bool(self.perform_hpo, "perform_hpo"),
                "performAutoTraining": bool(to_bool(self.perform_auto_training, "perform_auto_training")),
                "performIncrementalUpdate": to_bool(
                    self.perform_incremental_update, "perform_incremental_update"
                ),
                "solutionConfig": to_dict(self.solution_config, "solution_config") or None,
                "tags": self.tags or None,
            }
        )


class PersonalizeCreateSolutionVersionOperator(PersonalizeJobOperator):
    """
    Train a solution version and wait until it is ACTIVE.

    Training is billed per hour, so the version is named (``CreateSolutionVersion`` accepts an
    optional ``name``) deterministically from the run: a retried task lists the solution's
    versions, finds its own by name and re-attaches instead of training twice.

    :param solution_arn: Solution to train.
    :param training_mode: ``FULL``, ``UPDATE`` or ``AUTOTRAIN``. (default: FULL)
    :param job_name: Explicit solution version name (else derived, see ``PersonalizeJobOperator``).
    :param tags: Tags (only applied at creation).

    Returns (XCom) ``{"arn", "name", "status", "solutionArn", "datasetGroupArn", "trainingMode",
    "trainingHours"}``.
    """

    resource = SOLUTION_VERSION
    operator_extra_links = (PersonalizeSolutionVersionLink(),)
    template_fields: Sequence[str] = aws_template_fields(
        "solution_arn", "training_mode", "job_name", "job_name_prefix", "tags"
    )

    def __init__(
        self,
        *,
        solution_arn: str,
        training_mode: str = "FULL",
        tags: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.solution_arn = solution_arn
        self.training_mode = training_mode
        self.tags = tags

    def build_definition(self, context: Context) -> dict[str, Any]:
        mode = str(self.training_mode).upper()
        if mode not in TRAINING_MODES:
            raise ValueError(f"training_mode must be one of {TRAINING_MODES}, got {self.training_mode!r}")
        return prune({"solutionArn": self.solution_arn, "trainingMode": mode, "tags": self.tags or None})

    def summary_hints(self, request: dict[str, Any]) -> dict[str, Any]:
        # Versions are only found by describing them; skip those trained in another mode.
        return {"trainingMode": request["trainingMode"]}


class PersonalizeGetSolutionMetricsOperator(AwsBaseOperator[PersonalizeHook]):
    """
    Fetch the offline evaluation metrics of a solution version.

    :param solution_version_arn: The trained solution version.

    Returns (XCom) ``{"solutionVersionArn": ..., "metrics": {"coverage": ..., "ndcg_at_10": ...}}``.
    """

    aws_hook_class = PersonalizeHook
    template_fields: Sequence[str] = aws_template_fields("solution_version_arn")

    def __init__(self, *, solution_version_arn: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.solution_version_arn = solution_version_arn

    def execute(self, context: Context) -> dict[str, Any]:
        response = self.hook.client.get_solution_metrics(solutionVersionArn=self.solution_version_arn)
        metrics = {str(k): float(v) for k, v in (response.get("metrics") or {}).items()}
        self.log.info("Metrics of %s: %s", self.solution_version_arn, metrics)
        return {"solutionVersionArn": self.solution_version_arn, "metrics": metrics}
