"""Triggers waiting on Personalize resources from the triggerer (deferrable operators)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.providers.amazon.aws.triggers.base import AwsBaseWaiterTrigger
from airflow.triggers.base import TriggerEvent

from personalize_provider.hooks.personalize import PersonalizeHook
from personalize_provider.resources import get_spec


class PersonalizeResourceTrigger(AwsBaseWaiterTrigger):
    """
    Trigger when a Personalize resource reaches its terminal state (``active``) or is gone (``deleted``).

    One trigger serves every resource type: the waiter, its arguments and the status queries come
    from the resource spec, so only the kind, the ARN and the target are serialized.

    :param resource: Resource kind, e.g. ``"dataset_import_job"`` (see ``personalize_provider.resources``).
    :param resource_arn: ARN of the resource to watch.
    :param target: ``"active"`` to wait until done (ACTIVE, or COMPLETED for data deletion jobs; failing on CREATE
        FAILED & co.), ``"deleted"`` to wait until describe answers ResourceNotFoundException, or another target
        the resource spec declares (``"inactive"`` for a stopped recommender).
    :param first_check_after: Seconds before the first status check (one delay for a resource that has not
        started yet: checking it at once costs a call and never finds it done).
    :param settled: What the task returns once the wait succeeds, when the operator knows it already: handed back
        in the success event (``"settled"``), so the task need not describe the resource again.
    :param waiter_delay: The amount of time in seconds to wait between attempts.
    :param waiter_max_attempts: The maximum number of attempts to be made.
    :param aws_conn_id: The Airflow connection used for AWS credentials.
    :param region_name: The AWS region where the resources to watch are.
    :param verify: Whether or not to verify SSL certificates.
    :param botocore_config: Configuration dictionary (key-values) for botocore client.
    """

    def __init__(
        self,
        *,
        resource: str,
        resource_arn: str,
        target: str = "active",
        first_check_after: int = 0,
        settled: dict[str, Any] | None = None,
        waiter_delay: int = 30,
        waiter_max_attempts: int = 120,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        verify: bool | str | None = None,
        botocore_config: dict | None = None,
    ) -> None:
        spec = get_spec(resource)
        waiter_name = spec.waiter_name(target)  # refuses a target the resource type does not have
        key = spec.describe_key
        status_queries = [f"{key}.status", f"{key}.failureReason"]
        if spec.update_key:
            status_queries += [f"{key}.{spec.update_key}.status", f"{key}.{spec.update_key}.failureReason"]
        verb = {"active": "creation", "deleted": "deletion"}.get(target, f"wait for {target}")
        super().__init__(
            serialized_fields={"resource": spec.kind, "resource_arn": resource_arn, "target": target,
                               "first_check_after": first_check_after, "settled": settled},
            waiter_name=waiter_name,
            waiter_args={spec.arn_key: resource_arn},
            failure_message=f"Personalize {spec.label} {resource_arn} {verb} failed",
            status_message=f"Status of Personalize {spec.label} {resource_arn} is",
            status_queries=status_queries,
            return_key="resource_arn",
            return_value=resource_arn,
            waiter_delay=waiter_delay,
            waiter_max_attempts=waiter_max_attempts,
            aws_conn_id=aws_conn_id,
            region_name=region_name,
            verify=verify,
            botocore_config=botocore_config,
        )
        self.first_check_after = first_check_after
        self.settled = settled

    async def run(self) -> AsyncIterator[TriggerEvent]:
        await asyncio.sleep(self.first_check_after)
        async for event in super().run():
            if self.settled is not None and event.payload.get("status") == "success":
                event = TriggerEvent({**event.payload, "settled": self.settled})
            yield event

    def hook(self) -> PersonalizeHook:
        # Defined here: the Amazon provider 9.34 that MWAA 3.3.1 pins declares hook() abstract (later versions
        # build it from an aws_hook_class attribute).
        return PersonalizeHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name, verify=self.verify,
                               config=self.botocore_config)
