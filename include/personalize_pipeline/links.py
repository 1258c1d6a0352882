"""
Links to the reports the pipeline writes to S3 (promotion reports, run summaries).

An ``s3://`` URI is not something a browser opens, so the link is a browser URL for the object: on real AWS the
S3 console's page for it; with an S3-compatible endpoint in the connection (local mode: moto on loopback, where
no console exists) a presigned GET URL that also tells the browser the content type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from airflow.providers.amazon.aws.links.base_aws import BASE_AWS_CONSOLE_LINK, BaseAwsLink
from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook
    from airflow.providers.common.compat.sdk import TaskInstanceKey

# SigV4's longest allowed validity: the link keeps working for a week of looking back at runs.
PRESIGNED_SECONDS = 7 * 24 * 3600
_S3_CONSOLE_OBJECT = BASE_AWS_CONSOLE_LINK + "/s3/object/{bucket}?region={region_name}&prefix={key}"


def s3_object_url(hook: S3Hook, bucket: str, key: str, content_type: str) -> str:
    """A URL a browser can open for ``s3://bucket/key``."""
    if hook.conn_config.get_service_endpoint_url("s3"):
        client: Any = hook.get_conn()
        url: str = client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key, "ResponseContentType": content_type},
            ExpiresIn=PRESIGNED_SECONDS)
        return url
    domain = BaseAwsLink.get_aws_domain(hook.conn_partition) or "aws.amazon.com"
    return _S3_CONSOLE_OBJECT.format(aws_domain=domain, bucket=quote(bucket, safe=""),
                                     region_name=hook.conn_region_name or "", key=quote(key, safe="/"))


class _ReportLink(BaseOperatorLink):
    """A report's URL, persisted in XCom by the task that wrote the report (like the console links)."""

    name: ClassVar[str]
    key: ClassVar[str]

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        url = XCom.get_value(key=self.key, ti_key=ti_key)
        return str(url) if url else ""

    @classmethod
    def persist(cls, context: Mapping[str, Any], url: str) -> None:
        context["ti"].xcom_push(key=cls.key, value=url)


class PersonalizePromotionReportLink(_ReportLink):
    """The solution's promotion report (old vs new metrics, decision, metric history chart)."""

    name = "Promotion report"
    key = "personalize_promotion_report"


class PersonalizeRunSummaryLink(_ReportLink):
    """The run's summary (data validated, each solution's decision, where the outputs are)."""

    name = "Run summary"
    key = "personalize_run_summary"


class PersonalizeRollbackReportLink(_ReportLink):
    """A rollback's record (from which version to which, why, by which run)."""

    name = "Rollback report"
    key = "personalize_rollback_report"


REPORT_LINKS: tuple[type[_ReportLink], ...] = (PersonalizePromotionReportLink, PersonalizeRunSummaryLink,
                                               PersonalizeRollbackReportLink)
