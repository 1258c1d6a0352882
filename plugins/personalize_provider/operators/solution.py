"""Operators for solutions, solution versions (training) and their metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields

from personalize_provider.hooks.personalize import PersonalizeHook
from personalize_provider.operators.base import (
    PersonalizeCreateResourceOperator,
    PersonalizeJobOperator,
    PersonalizeTransitionOperator,
    matches,
    prune,
)
from personalize_provider.resources import SOLUTION, SOLUTION_VERSION
from personalize_provider.utils.coerce import to_bool, to_dict

if TYPE_CHECKING:
    from airflow.sdk import Context

TRAINING_MODES = ("FULL", "UPDATE", "AUTOTRAIN")
#: The parts of solutionConfig that UpdateSolution can change (its solutionUpdateConfig); the rest is fixed.
_UPDATABLE_CONFIG = ("autoTrainingConfig", "eventsConfig")
_UPDATABLE_FLAGS = ("performAutoTraining", "performIncrementalUpdate")


class PersonalizeCreateSolutionOperator(PersonalizeCreateResourceOperator):
    """
    Create (or adopt) a solution (recipe + configuration) and wait until it is ACTIVE.

    Automatic training is sent as explicitly disabled unless ``perform_auto_training=True``:
    the API default is on, and an automatically trained solution bills training every week.

    An existing solution whose automatic training (on/off, ``autoTrainingConfig``), incremental updates or
    ``eventsConfig`` differ is updated in place (``UpdateSolution``) unless ``update_if_changed=False``; any other
    difference (recipe, HPO, ...) needs a new solution and fails naming the fields.

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
    updatable_fields = frozenset({*_UPDATABLE_FLAGS, "solutionConfig"})
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

    def can_update(self, diffs: dict[str, tuple[Any, Any]]) -> bool:
        if not super().can_update(diffs):
            return False
        actual, expected = diffs.get("solutionConfig", ({}, {}))
        changed = {k for k, v in (expected or {}).items() if not matches(v, (actual or {}).get(k))}
        return changed <= set(_UPDATABLE_CONFIG)

    def update_overlay(self, update: dict[str, Any], description: dict[str, Any]) -> dict[str, Any]:
        # The summary nests the config parts it changed under solutionUpdateConfig.
        overlay = {k: update[k] for k in _UPDATABLE_FLAGS if k in update}
        if update.get("solutionUpdateConfig"):
            overlay["solutionConfig"] = {**(description.get("solutionConfig") or {}), **update["solutionUpdateConfig"]}
        return overlay

    def update(self, arn: str, request: dict[str, Any], diffs: dict[str, tuple[Any, Any]]) -> None:
        config = request.get("solutionConfig") or {}
        self.hook.client.update_solution(
            solutionArn=arn,
            **{k: request[k] for k in _UPDATABLE_FLAGS if k in request},
            **prune({"solutionUpdateConfig": {k: config.get(k) for k in _UPDATABLE_CONFIG}}),
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
    # Looked for before the create: a version's name is not in its ARN, and nothing documents that Personalize
    # refuses a second version of the same name, so creating first could start a second (billed) training.
    create_first = False
    template_fields: Sequence[str] = aws_template_fields(
        "solution_arn", "training_mode", "job_name", "job_name_prefix", "tags", "console_dataset_group_arn"
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


class PersonalizeStopSolutionVersionOperator(PersonalizeTransitionOperator):
    """
    Stop a training in progress (billing stops with it) and wait until the version is CREATE STOPPED.

    A training that already ended (ACTIVE, failed, stopped) has nothing to stop and is left as it is.

    :param solution_version_arn: The solution version being trained.

    Returns (XCom) ``{"arn", "name", "status", "solutionArn", ...}``.
    """

    resource = SOLUTION_VERSION
    arn_argument = "solution_version_arn"
    action = "stop_solution_version_creation"
    target = "stopped"
    from_statuses = frozenset({"CREATE PENDING", "CREATE IN_PROGRESS"})
    on_the_way = frozenset({"CREATE STOPPING"})
    moot_statuses = frozenset({"ACTIVE", "CREATE FAILED"})
    template_fields: Sequence[str] = aws_template_fields("solution_version_arn")

    def __init__(self, *, solution_version_arn: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.solution_version_arn = solution_version_arn
