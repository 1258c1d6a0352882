"""Hooks for Amazon Personalize (control plane) and Personalize Runtime."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from botocore.config import Config
from botocore.exceptions import ClientError

from personalize_provider.resources import ResourceSpec, get_spec
from personalize_provider.waiters import waiter_config, waiter_model

#: Applied when neither the task nor the Airflow connection configures botocore: Personalize
#: throttles aggressively on Describe/List, and adaptive mode adds client-side rate limiting.
DEFAULT_BOTOCORE_CONFIG: dict[str, Any] = {"retries": {"mode": "adaptive", "max_attempts": 10}}


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_not_found(error: ClientError) -> bool:
    return error_code(error) == "ResourceNotFoundException"


class _PersonalizeConfigMixin:
    """Use adaptive retries unless the user configured botocore themselves."""

    conn_config: Any

    @property
    def config(self) -> Config:
        return self.conn_config.botocore_config or Config(**DEFAULT_BOTOCORE_CONFIG)


class PersonalizeHook(_PersonalizeConfigMixin, AwsBaseHook):
    """
    Interact with Amazon Personalize.

    Provide thin wrapper around :external+boto3:py:class:`boto3.client("personalize") <Personalize.Client>`
    plus name lookup and describe helpers driven by :mod:`personalize_provider.resources`.

    Custom waiters (``<resource>_active`` / ``<resource>_deleted`` / ``<resource>_<target>``) are generated from
    the resource specs (:mod:`personalize_provider.waiters`) because botocore ships none for Personalize.

    Additional arguments (such as ``aws_conn_id``) may be specified and
    are passed down to the underlying AwsBaseHook.

    .. seealso::
        - :class:`airflow.providers.amazon.aws.hooks.base_aws.AwsBaseHook`
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["client_type"] = "personalize"
        super().__init__(*args, **kwargs)

    @property
    def client(self) -> Any:
        """The boto3 ``personalize`` client (typed loosely: its methods are generated at runtime)."""
        return self.conn

    def get_waiter(
        self,
        waiter_name: str,
        parameters: dict[str, str] | None = None,
        config_overrides: dict[str, Any] | None = None,
        deferrable: bool = False,
        client: Any = None,
    ) -> Any:
        """The spec-generated waiter of that name (sync, or async for the triggers), else botocore's."""
        if waiter_name not in waiter_model().waiter_names:
            return super().get_waiter(waiter_name, parameters, config_overrides, deferrable, client)
        from airflow.providers.amazon.aws.waiters.base_waiter import BaseBotoWaiter

        if deferrable and not client:
            raise ValueError("client must be provided for a deferrable waiter.")
        config = waiter_config()
        config["waiters"][waiter_name].update(config_overrides or {})
        return BaseBotoWaiter(client=client or self.conn, model_config=config, deferrable=deferrable).waiter(
            waiter_name
        )

    def _list_custom_waiters(self) -> list[str]:
        return list(waiter_model().waiter_names)

    # -- describe / find -------------------------------------------------------------------------

    def describe(self, resource: str | ResourceSpec, arn: str) -> dict[str, Any]:
        """Return the description of a resource (the inner dict, e.g. ``response["campaign"]``)."""
        spec = get_spec(resource)
        method = getattr(self.client, f"describe_{spec.kind}")
        return method(**{spec.arn_key: arn})[spec.describe_key]

    def describe_or_none(self, resource: str | ResourceSpec, arn: str) -> dict[str, Any] | None:
        try:
            return self.describe(resource, arn)
        except ClientError as error:
            if is_not_found(error):
                return None
            raise

    def list_resources(
        self, resource: str | ResourceSpec, parent_arn: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield the summaries of a resource type, all pages, optionally filtered by parent ARN."""
        spec = get_spec(resource)
        operation = f"list_{spec.kind}s"
        kwargs = {spec.list_parent_key: parent_arn} if parent_arn and spec.list_parent_key else {}
        if self.client.can_paginate(operation):
            for page in self.client.get_paginator(operation).paginate(**kwargs):
                yield from page.get(spec.list_key, [])
            return
        # botocore has no paginator for a few newer operations (ListDataDeletionJobs): follow nextToken by hand.
        while True:
            page = getattr(self.client, operation)(**kwargs)
            yield from page.get(spec.list_key, [])
            if not page.get("nextToken"):
                return
            kwargs = {**kwargs, "nextToken": page["nextToken"]}

    def find_by_name(
        self,
        resource: str | ResourceSpec,
        name: str,
        parent_arn: str | None = None,
        summary_hints: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """
        Return the full description of the resource called ``name`` or None.

        List calls only return resources under ``parent_arn`` (e.g. the datasetGroupArn of a
        dataset), so pass it whenever the resource type has one. ``summary_hints`` are fields the
        wanted resource's ``List*`` summary must have (when present); they spare a describe per
        candidate for types whose summaries carry no name (solution versions).
        """
        spec = get_spec(resource)
        hints = summary_hints or {}
        for summary in self.list_resources(spec, parent_arn):
            if spec.summary_has_name:
                if summary.get(spec.name_key) == name:
                    return self.describe_or_none(spec, summary[spec.arn_key])
                continue
            if any(key in summary and summary[key] != value for key, value in hints.items()):
                continue
            description = self.describe_or_none(spec, summary[spec.arn_key])
            if description and description.get(spec.name_key) == name:
                return description
        return None

    def get_dataset_group_arn(self, resource: str | ResourceSpec, description: dict[str, Any]) -> str | None:
        """Dataset group a resource belongs to; campaigns and jobs only know their parent, so follow it."""
        spec = get_spec(resource)
        if spec.kind == "dataset_group":
            return description.get("datasetGroupArn")
        if description.get("datasetGroupArn"):
            return description["datasetGroupArn"]
        if spec.kind == "solution_version" and description.get("solutionArn"):  # one just created
            return self.describe("solution", description["solutionArn"]).get("datasetGroupArn")
        if description.get("solutionVersionArn"):
            return self.describe("solution_version", description["solutionVersionArn"]).get("datasetGroupArn")
        if description.get("datasetArn"):
            return self.describe("dataset", description["datasetArn"]).get("datasetGroupArn")
        return None

    # -- delete ------------------------------------------------------------------------------------

    def delete(self, resource: str | ResourceSpec, arn: str) -> bool:
        """Request deletion; return False when the resource does not exist (already deleted)."""
        spec = get_spec(resource)
        if not spec.deletable:
            raise ValueError(f"Personalize {spec.label}s cannot be deleted")
        try:
            getattr(self.client, f"delete_{spec.kind}")(**{spec.arn_key: arn})
        except ClientError as error:
            if is_not_found(error):
                return False
            raise
        return True

    def wait_deleted(
        self, resource: str | ResourceSpec, arn: str, waiter_delay: int = 15, waiter_max_attempts: int = 120
    ) -> None:
        spec = get_spec(resource)
        self.get_waiter(spec.deleted_waiter).wait(
            **{spec.arn_key: arn},
            WaiterConfig={"Delay": waiter_delay, "MaxAttempts": waiter_max_attempts},
        )

    def delete_with_retry(
        self, resource: str | ResourceSpec, arn: str, *, retry_delay: int = 15, in_use_retries: int = 20
    ) -> bool:
        """
        Request deletion, retrying (bounded) while Personalize answers ``ResourceInUseException``.

        During a teardown the children blocking a deletion are themselves still being deleted,
        so "in use" is usually transient there.
        """
        spec = get_spec(resource)
        for attempt in range(in_use_retries + 1):
            try:
                return self.delete(spec, arn)
            except ClientError as error:
                if error_code(error) != "ResourceInUseException" or attempt == in_use_retries:
                    raise
                self.log.info("%s %s is in use (%s); retrying in %ss", spec.label, arn, error, retry_delay)
                time.sleep(retry_delay)
        return False  # pragma: no cover - the loop always returns or raises

    def teardown_dataset_group(
        self,
        dataset_group_arn: str,
        *,
        delete_schemas: bool = False,
        waiter_delay: int = 15,
        waiter_max_attempts: int = 120,
    ) -> dict[str, list[str]]:
        """
        Delete a dataset group and everything in it, in the order Personalize requires.

        Campaigns and recommenders first (they pin solution versions), then solutions (trainings
        in flight are stopped first), filters, event trackers, the metric attribution, datasets and finally the
        group.
        Batch and import jobs cannot be deleted and disappear with the group. Schemas are
        account-level and shared, so they are only deleted when asked and when no other dataset
        still uses them.

        :return: ARNs deleted per resource type.
        """
        group = self.describe_or_none("dataset_group", dataset_group_arn)
        if group is None:
            self.log.info("Dataset group %s does not exist; nothing to tear down", dataset_group_arn)
            return {}
        deleted: dict[str, list[str]] = {}
        solutions = [s["solutionArn"] for s in self.list_resources("solution", dataset_group_arn)]
        campaigns = [c["campaignArn"] for sol in solutions for c in self.list_resources("campaign", sol)]
        # A training in flight keeps its solution "in use" for hours: stop it (not billed further).
        for solution_arn in solutions:
            for version in self.list_resources("solution_version", solution_arn):
                if version.get("status") in ("CREATE PENDING", "CREATE IN_PROGRESS"):
                    self.log.info("Stopping training of %s", version["solutionVersionArn"])
                    self.client.stop_solution_version_creation(
                        solutionVersionArn=version["solutionVersionArn"]
                    )
        datasets = list(self.list_resources("dataset", dataset_group_arn))
        described = (self.describe_or_none("dataset", d["datasetArn"]) for d in datasets)
        schema_arns = sorted({d["schemaArn"] for d in described if d})

        def arns_in_group(kind: str) -> list[str]:
            spec = get_spec(kind)
            return [item[spec.arn_key] for item in self.list_resources(spec, dataset_group_arn)]

        stages: list[tuple[str, list[str]]] = [
            ("campaign", campaigns),
            # Recommenders only exist in domain dataset groups.
            ("recommender", arns_in_group("recommender") if group.get("domain") else []),
            ("solution", solutions),
            ("filter", arns_in_group("filter")),
            ("event_tracker", arns_in_group("event_tracker")),
            ("metric_attribution", arns_in_group("metric_attribution")),
            ("dataset", [d["datasetArn"] for d in datasets]),
            ("dataset_group", [dataset_group_arn]),
        ]
        for kind, arns in stages:
            # Issue every delete of a stage first, then wait: the deletions run in parallel server-side.
            for arn in arns:
                self.log.info("Deleting %s %s", get_spec(kind).label, arn)
                self.delete_with_retry(kind, arn, retry_delay=waiter_delay)
            for arn in arns:
                self.wait_deleted(kind, arn, waiter_delay, waiter_max_attempts)
            deleted[kind] = arns
        if delete_schemas:
            deleted["schema"] = []
            for schema_arn in schema_arns:
                try:
                    if self.delete("schema", schema_arn):
                        deleted["schema"].append(schema_arn)
                except ClientError as error:
                    if error_code(error) != "ResourceInUseException":
                        raise
                    self.log.info("Keeping schema %s: still used by another dataset", schema_arn)
        return deleted


class PersonalizeRuntimeHook(_PersonalizeConfigMixin, AwsBaseHook):
    """
    Interact with Amazon Personalize Runtime (recommendations from campaigns and recommenders).

    Provide thin wrapper around
    :external+boto3:py:class:`boto3.client("personalize-runtime") <PersonalizeRuntime.Client>`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["client_type"] = "personalize-runtime"
        super().__init__(*args, **kwargs)

    @property
    def client(self) -> Any:
        """The boto3 ``personalize-runtime`` client."""
        return self.conn

    def get_recommendations(self, **kwargs: Any) -> list[dict[str, Any]]:
        """Call GetRecommendations (``campaignArn`` or ``recommenderArn``) and return ``itemList``."""
        return self.client.get_recommendations(**kwargs).get("itemList", [])

    def get_action_recommendations(self, **kwargs: Any) -> list[dict[str, Any]]:
        """Call GetActionRecommendations (a next-best-action campaign) and return ``actionList``."""
        return self.client.get_action_recommendations(**kwargs).get("actionList", [])

    def get_personalized_ranking(self, **kwargs: Any) -> list[dict[str, Any]]:
        """Call GetPersonalizedRanking and return ``personalizedRanking``."""
        return self.client.get_personalized_ranking(**kwargs).get("personalizedRanking", [])
