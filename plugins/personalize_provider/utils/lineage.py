"""OpenLineage datasets of Personalize jobs: S3 locations and Personalize resources.

Imported only when the OpenLineage provider asks an operator for its lineage, so a worker without that provider
never imports it. S3 follows OpenLineage's naming (namespace ``s3://<bucket>``, name the key); a Personalize
resource follows the convention OpenLineage uses for AWS Glue tables: namespace ``arn:<partition>:personalize:
<region>:<account>``, name the resource part of its ARN (``dataset/<group>/INTERACTIONS``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow.providers.common.compat.openlineage.facet import Dataset
    from airflow.providers.openlineage.extractors import OperatorLineage


def lineage_dataset(location: str) -> Dataset:
    """The OpenLineage dataset of an S3 path (object or prefix) or a Personalize ARN."""
    from airflow.providers.common.compat.openlineage.facet import Dataset

    if location.startswith("s3://"):
        bucket, _, key = location.removeprefix("s3://").partition("/")
        return Dataset(namespace=f"s3://{bucket}", name=key.rstrip("/") or "/")
    parts = location.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "personalize":
        return Dataset(namespace=":".join(parts[:5]), name=parts[5])
    raise ValueError(f"not an S3 path or a Personalize ARN: {location!r}")


def operator_lineage(inputs: Iterable[str | None], outputs: Iterable[str | None]) -> OperatorLineage:
    """Lineage of a job from its input and output locations; unset ones (None or empty) are left out."""
    from airflow.providers.openlineage.extractors import OperatorLineage

    return OperatorLineage(
        inputs=[lineage_dataset(location) for location in inputs if location],
        outputs=[lineage_dataset(location) for location in outputs if location],
    )
