"""Operator for metric attributions: how recommendations' online impact is measured from events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from botocore.exceptions import ClientError

from personalize_provider.exceptions import PersonalizeResourceDriftError
from personalize_provider.hooks.personalize import error_code
from personalize_provider.operators.base import PersonalizeCreateResourceOperator, prune
from personalize_provider.resources import METRIC_ATTRIBUTION
from personalize_provider.utils.coerce import to_dict

if TYPE_CHECKING:
    from airflow.sdk import Context

Metric = dict[str, str]
_METRIC_KEYS = ("eventType", "metricName", "expression")


def _metrics(raw: list[Metric] | str | None) -> list[Metric]:
    """Metrics sorted by name (Personalize lists them in no promised order), each with exactly its three keys."""
    given: list[Any] = to_dict(f'{{"metrics": {raw}}}', "metrics")["metrics"] if isinstance(raw, str) else raw or []
    found: list[Metric] = []
    for index, metric in enumerate(given):
        if not isinstance(metric, dict):
            raise ValueError(f"metrics[{index}] must be an object with {_METRIC_KEYS}, got {metric!r}")
        missing = [k for k in _METRIC_KEYS if not metric.get(k)]
        if missing:
            raise ValueError(f"metrics[{index}] lacks {', '.join(missing)}: each metric needs {_METRIC_KEYS}")
        found.append({k: str(metric[k]) for k in _METRIC_KEYS})
    names = [m["metricName"] for m in found]
    if len(set(names)) != len(names):
        raise ValueError(f"metric names must be unique, got {names}")
    return sorted(found, key=lambda m: m["metricName"])


class PersonalizeCreateMetricAttributionOperator(PersonalizeCreateResourceOperator):
    """
    Create (or adopt, or update) the metric attribution of a dataset group and wait until it is ACTIVE.

    A metric attribution measures the events that follow recommendations: for each metric, the ``SUM`` of a
    column (``SUM(Interactions.EVENT_VALUE)``) or the ``SAMPLECOUNT()`` of events of one type, per campaign or
    recommender (events carrying a ``recommendationId``) or per ``eventAttributionSource``. Personalize sends
    them to CloudWatch and, with an S3 destination, to S3 (for imports created with
    ``publishAttributionMetricsToS3``). Create it before the imports it should measure.

    A dataset group has at most one. An existing one with this name and other metrics or output is updated in
    place (``UpdateMetricAttribution``: metrics added and removed) unless ``update_if_changed=False``; one with
    another name fails, naming it.

    :param name: Metric attribution name.
    :param dataset_group_arn: Dataset group whose events are measured.
    :param metrics: ``[{"eventType": "watch", "metricName": "WATCH_TIME", "expression":
        "SUM(Interactions.EVENT_VALUE)"}, ...]`` (up to 10), or that list as JSON text.
    :param role_arn: IAM role Personalize assumes to write the output.
    :param s3_output_path: S3 path for the metrics (optional: without it they only go to CloudWatch).
    :param kms_key_arn: KMS key for the S3 output.

    Returns (XCom) ``{"arn", "name", "status", "datasetGroupArn"}``.
    """

    resource = METRIC_ATTRIBUTION
    updatable_fields = frozenset({"metrics", "metricsOutputConfig"})
    template_fields: Sequence[str] = aws_template_fields(
        "name", "dataset_group_arn", "metrics", "role_arn", "s3_output_path", "kms_key_arn"
    )

    def __init__(
        self,
        *,
        name: str,
        dataset_group_arn: str,
        metrics: list[Metric] | str,
        role_arn: str,
        s3_output_path: str | None = None,
        kms_key_arn: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.dataset_group_arn = dataset_group_arn
        self.metrics = metrics
        self.role_arn = role_arn
        self.s3_output_path = s3_output_path
        self.kms_key_arn = kms_key_arn

    def build_request(self, context: Context) -> dict[str, Any]:
        destination = {"path": self.s3_output_path, "kmsKeyArn": self.kms_key_arn} if self.s3_output_path else None
        return prune(
            {
                "name": self.name,
                "datasetGroupArn": self.dataset_group_arn,
                "metrics": _metrics(self.metrics),
                "metricsOutputConfig": {"roleArn": self.role_arn, "s3DataDestination": destination},
            }
        )

    def current_definition(self, description: dict[str, Any]) -> dict[str, Any]:
        # Describe does not carry the metrics; they have their own list call.
        listed = self.hook.client.get_paginator("list_metric_attribution_metrics").paginate(
            metricAttributionArn=description[self.resource.arn_key]
        )
        metrics = [metric for page in listed for metric in page.get("metrics", [])]
        return {**description, "metrics": _metrics(metrics)}

    def _create(self, request: dict[str, Any], refused: ClientError | None = None) -> dict[str, Any]:
        try:
            return super()._create(request, refused)
        except ClientError as error:
            if error_code(error) not in ("LimitExceededException", "ResourceAlreadyExistsException"):
                raise
            others = [m for m in self.hook.list_resources(self.resource, request["datasetGroupArn"])
                      if m.get("name") != request["name"]]
            if not others:
                raise
            raise PersonalizeResourceDriftError(
                f"Dataset group {request['datasetGroupArn']} already has metric attribution "
                f"'{others[0].get('name')}' ({others[0].get('metricAttributionArn')}); a dataset group has at most "
                f"one: use its name, or delete it first"
            ) from error

    def update(self, arn: str, request: dict[str, Any], diffs: dict[str, tuple[Any, Any]]) -> None:
        actual, expected = diffs.get("metrics", (request["metrics"], request["metrics"]))
        current = {m["metricName"]: m for m in actual or []}
        wanted = {m["metricName"]: m for m in expected}
        remove = sorted(name for name, metric in current.items() if wanted.get(name) != metric)
        add = [metric for name, metric in sorted(wanted.items()) if current.get(name) != metric]
        output = request["metricsOutputConfig"] if "metricsOutputConfig" in diffs else None
        if set(remove) & {metric["metricName"] for metric in add}:
            # A changed metric is removed, then added back: one update may not name a metric twice.
            self.log.info("Removing metrics %s from %s before adding %s", remove, arn, [m["metricName"] for m in add])
            self.hook.client.update_metric_attribution(metricAttributionArn=arn, removeMetrics=remove)
            self.hook.get_waiter(self.resource.active_waiter).wait(
                metricAttributionArn=arn,
                WaiterConfig={"Delay": self.waiter_delay, "MaxAttempts": self.waiter_max_attempts},
            )
            remove = []
        self.hook.client.update_metric_attribution(
            metricAttributionArn=arn,
            **prune({"addMetrics": add or None, "removeMetrics": remove or None, "metricsOutputConfig": output}),
        )
