"""Operators for dataset groups, schemas, datasets, filters and event trackers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.utils.mixins import aws_template_fields

from personalize_provider.operators.base import PersonalizeCreateResourceOperator, prune
from personalize_provider.resources import DATASET, DATASET_GROUP, EVENT_TRACKER, FILTER, SCHEMA

if TYPE_CHECKING:
    from airflow.sdk import Context


class PersonalizeCreateDatasetGroupOperator(PersonalizeCreateResourceOperator):
    """
    Create (or adopt) a Personalize dataset group and wait until it is ACTIVE.

    :param name: Dataset group name.
    :param domain: ``ECOMMERCE`` or ``VIDEO_ON_DEMAND`` for domain dataset groups; None for custom.
    :param role_arn: IAM role with access to ``kms_key_arn``.
    :param kms_key_arn: KMS key used to encrypt the datasets.
    :param tags: Tags as ``[{"tagKey": ..., "tagValue": ...}]`` (only applied at creation).

    Returns (XCom) ``{"arn", "name", "status", "domain"}``. See
    :class:`~personalize_provider.operators.base.PersonalizeBaseOperator` for waiting arguments.
    """

    resource = DATASET_GROUP
    template_fields: Sequence[str] = aws_template_fields("name", "domain", "role_arn", "kms_key_arn", "tags")

    def __init__(
        self,
        *,
        name: str,
        domain: str | None = None,
        role_arn: str | None = None,
        kms_key_arn: str | None = None,
        tags: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.domain = domain
        self.role_arn = role_arn
        self.kms_key_arn = kms_key_arn
        self.tags = tags

    def build_request(self, context: Context) -> dict[str, Any]:
        return prune(
            {
                "name": self.name,
                "domain": self.domain or None,
                "roleArn": self.role_arn or None,
                "kmsKeyArn": self.kms_key_arn or None,
                "tags": self.tags or None,
            }
        )


class PersonalizeCreateSchemaOperator(PersonalizeCreateResourceOperator):
    """
    Create (or adopt) a Personalize schema. Schemas are immutable: a different definition under the
    same name fails with the differing field.

    :param name: Schema name.
    :param schema: Avro schema as a dict or JSON text.
    :param domain: Domain for domain dataset groups (``ECOMMERCE``/``VIDEO_ON_DEMAND``).

    Returns (XCom) ``{"arn", "name", "status": None, "domain"}``.
    """

    resource = SCHEMA
    template_fields: Sequence[str] = aws_template_fields("name", "schema", "domain")

    def __init__(
        self, *, name: str, schema: dict[str, Any] | str, domain: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.schema = schema
        self.domain = domain

    def build_request(self, context: Context) -> dict[str, Any]:
        schema = self.schema if isinstance(self.schema, str) else json.dumps(self.schema)
        return prune({"name": self.name, "schema": schema, "domain": self.domain or None})


class PersonalizeCreateDatasetOperator(PersonalizeCreateResourceOperator):
    """
    Create (or adopt) a dataset in a dataset group and wait until it is ACTIVE.

    An existing dataset with another ``schema_arn`` has its schema replaced in place (``UpdateDataset``, e.g. to
    add an item column; Personalize checks the new schema is compatible) unless ``update_if_changed=False``,
    and the operator waits until the update is ACTIVE.

    :param name: Dataset name.
    :param dataset_group_arn: Dataset group the dataset belongs to.
    :param dataset_type: ``Interactions``, ``Items``, ``Users``, ``Actions`` or ``Action_Interactions``.
    :param schema_arn: Schema of the dataset.
    :param tags: Tags (only applied at creation).

    Returns (XCom) ``{"arn", "name", "status", "datasetGroupArn", "datasetType", "schemaArn"}``.
    """

    resource = DATASET
    updatable_fields = frozenset({"schemaArn"})
    case_insensitive_fields = frozenset({"datasetType"})
    template_fields: Sequence[str] = aws_template_fields(
        "name", "dataset_group_arn", "dataset_type", "schema_arn", "tags"
    )

    def __init__(
        self,
        *,
        name: str,
        dataset_group_arn: str,
        dataset_type: str,
        schema_arn: str,
        tags: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.dataset_group_arn = dataset_group_arn
        self.dataset_type = dataset_type
        self.schema_arn = schema_arn
        self.tags = tags

    def build_request(self, context: Context) -> dict[str, Any]:
        return prune(
            {
                "name": self.name,
                "datasetGroupArn": self.dataset_group_arn,
                "datasetType": self.dataset_type,
                "schemaArn": self.schema_arn,
                "tags": self.tags or None,
            }
        )

    def update(self, arn: str, request: dict[str, Any], diffs: dict[str, tuple[Any, Any]]) -> None:
        self.hook.client.update_dataset(datasetArn=arn, schemaArn=request["schemaArn"])


class PersonalizeCreateFilterOperator(PersonalizeCreateResourceOperator):
    """
    Create (or adopt) a recommendation filter and wait until it is ACTIVE.

    :param name: Filter name.
    :param dataset_group_arn: Dataset group the filter belongs to.
    :param filter_expression: Filter expression,
        e.g. ``EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")``.
    :param tags: Tags (only applied at creation).

    Returns (XCom) ``{"arn", "name", "status", "datasetGroupArn"}``.
    """

    resource = FILTER
    template_fields: Sequence[str] = aws_template_fields(
        "name", "dataset_group_arn", "filter_expression", "tags"
    )

    def __init__(
        self,
        *,
        name: str,
        dataset_group_arn: str,
        filter_expression: str,
        tags: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.dataset_group_arn = dataset_group_arn
        self.filter_expression = filter_expression
        self.tags = tags

    def build_request(self, context: Context) -> dict[str, Any]:
        return prune(
            {
                "name": self.name,
                "datasetGroupArn": self.dataset_group_arn,
                "filterExpression": self.filter_expression,
                "tags": self.tags or None,
            }
        )


class PersonalizeCreateEventTrackerOperator(PersonalizeCreateResourceOperator):
    """
    Create (or adopt) the event tracker of a dataset group and wait until it is ACTIVE.

    :param name: Event tracker name.
    :param dataset_group_arn: Dataset group receiving the events.
    :param tags: Tags (only applied at creation).

    Returns (XCom) ``{"arn", "name", "status", "datasetGroupArn", "trackingId"}``; ``trackingId``
    is what PutEvents callers need.
    """

    resource = EVENT_TRACKER
    template_fields: Sequence[str] = aws_template_fields("name", "dataset_group_arn", "tags")

    def __init__(
        self, *, name: str, dataset_group_arn: str, tags: list[dict[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.dataset_group_arn = dataset_group_arn
        self.tags = tags

    def build_request(self, context: Context) -> dict[str, Any]:
        return prune(
            {"name": self.name, "datasetGroupArn": self.dataset_group_arn, "tags": self.tags or None}
        )
