"""Operators for data and batch jobs: dataset import/export, batch inference and batch segment jobs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.utils.mixins import aws_template_fields

from personalize_provider.operators.base import PersonalizeJobOperator, prune
from personalize_provider.resources import (
    BATCH_INFERENCE_JOB,
    BATCH_SEGMENT_JOB,
    DATA_DELETION_JOB,
    DATASET_EXPORT_JOB,
    DATASET_IMPORT_JOB,
)
from personalize_provider.utils.coerce import to_bool, to_dict, to_int

if TYPE_CHECKING:
    from airflow.sdk import Context

_JOB_FIELDS = ("job_name", "job_name_prefix", "tags", "console_dataset_group_arn")


class PersonalizeDatasetImportJobOperator(PersonalizeJobOperator):
    """
    Import data from S3 into a dataset and wait for the import to finish.

    The job name is derived from the run and the definition (see
    :class:`~personalize_provider.operators.base.PersonalizeJobOperator`), so a retried task
    re-attaches to the import it started.

    :param dataset_arn: Dataset to import into.
    :param data_location: S3 path of the CSV file(s), e.g. ``s3://bucket/interactions/{{ ds }}/``.
    :param role_arn: IAM role Personalize assumes to read the bucket.
    :param import_mode: ``FULL`` (replace) or ``INCREMENTAL`` (append). (default: FULL)
    :param publish_attribution_metrics_to_s3: Publish metric attribution metrics for this import.

    Returns (XCom) ``{"arn", "name", "status", "datasetArn", "importMode"}``.
    """

    resource = DATASET_IMPORT_JOB
    lineage_inputs = ("data_location",)
    lineage_outputs = ("dataset_arn",)
    template_fields: Sequence[str] = aws_template_fields(
        "dataset_arn",
        "data_location",
        "role_arn",
        "import_mode",
        "publish_attribution_metrics_to_s3",
        *_JOB_FIELDS,
    )

    def __init__(
        self,
        *,
        dataset_arn: str,
        data_location: str,
        role_arn: str | None = None,
        import_mode: str = "FULL",
        publish_attribution_metrics_to_s3: bool | None = None,
        tags: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.dataset_arn = dataset_arn
        self.data_location = data_location
        self.role_arn = role_arn
        self.import_mode = import_mode
        self.publish_attribution_metrics_to_s3 = publish_attribution_metrics_to_s3
        self.tags = tags

    def build_definition(self, context: Context) -> dict[str, Any]:
        mode = str(self.import_mode).upper()
        if mode not in ("FULL", "INCREMENTAL"):
            raise ValueError(f"import_mode must be FULL or INCREMENTAL, got {self.import_mode!r}")
        return prune(
            {
                "datasetArn": self.dataset_arn,
                "dataSource": {"dataLocation": self.data_location},
                "roleArn": self.role_arn or None,
                "importMode": mode,
                "publishAttributionMetricsToS3": to_bool(
                    self.publish_attribution_metrics_to_s3, "publish_attribution_metrics_to_s3"
                ),
                "tags": self.tags or None,
            }
        )


class PersonalizeDatasetExportJobOperator(PersonalizeJobOperator):
    """
    Export a dataset to S3 and wait for the export to finish.

    :param dataset_arn: Dataset to export.
    :param s3_output_path: Destination S3 path.
    :param role_arn: IAM role Personalize assumes to write the bucket.
    :param ingestion_mode: ``BULK``, ``PUT`` or ``ALL``. (default: ALL)
    :param kms_key_arn: KMS key for the output.

    Returns (XCom) ``{"arn", "name", "status", "datasetArn", "ingestionMode"}``.
    """

    resource = DATASET_EXPORT_JOB
    lineage_inputs = ("dataset_arn",)
    lineage_outputs = ("s3_output_path",)
    template_fields: Sequence[str] = aws_template_fields(
        "dataset_arn", "s3_output_path", "role_arn", "ingestion_mode", "kms_key_arn", *_JOB_FIELDS
    )

    def __init__(
        self,
        *,
        dataset_arn: str,
        s3_output_path: str,
        role_arn: str,
        ingestion_mode: str = "ALL",
        kms_key_arn: str | None = None,
        tags: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.dataset_arn = dataset_arn
        self.s3_output_path = s3_output_path
        self.role_arn = role_arn
        self.ingestion_mode = ingestion_mode
        self.kms_key_arn = kms_key_arn
        self.tags = tags

    def build_definition(self, context: Context) -> dict[str, Any]:
        return prune(
            {
                "datasetArn": self.dataset_arn,
                "ingestionMode": str(self.ingestion_mode).upper(),
                "roleArn": self.role_arn,
                "jobOutput": {
                    "s3DataDestination": {"path": self.s3_output_path, "kmsKeyArn": self.kms_key_arn}
                },
                "tags": self.tags or None,
            }
        )


class _BatchJobOperator(PersonalizeJobOperator):
    """Shared arguments of batch inference and batch segment jobs."""

    lineage_inputs = ("input_path", "solution_version_arn")
    lineage_outputs = ("output_path",)

    batch_fields = (
        "solution_version_arn",
        "input_path",
        "output_path",
        "role_arn",
        "num_results",
        "filter_arn",
        "kms_key_arn",
        *_JOB_FIELDS,
    )

    def __init__(
        self,
        *,
        solution_version_arn: str,
        input_path: str,
        output_path: str,
        role_arn: str,
        num_results: int | str | None = None,
        filter_arn: str | None = None,
        kms_key_arn: str | None = None,
        tags: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.solution_version_arn = solution_version_arn
        self.input_path = input_path
        self.output_path = output_path
        self.role_arn = role_arn
        self.num_results = num_results
        self.filter_arn = filter_arn
        self.kms_key_arn = kms_key_arn
        self.tags = tags

    def build_definition(self, context: Context) -> dict[str, Any]:
        return prune(
            {
                "solutionVersionArn": self.solution_version_arn,
                "filterArn": self.filter_arn or None,
                "numResults": to_int(self.num_results, "num_results"),
                "jobInput": {"s3DataSource": {"path": self.input_path, "kmsKeyArn": self.kms_key_arn}},
                "jobOutput": {"s3DataDestination": {"path": self.output_path, "kmsKeyArn": self.kms_key_arn}},
                "roleArn": self.role_arn,
                "tags": self.tags or None,
            }
        )


class PersonalizeBatchInferenceJobOperator(_BatchJobOperator):
    """
    Run a batch inference job (recommendations for a file of users/items) and wait for it.

    :param solution_version_arn: Trained solution version to use.
    :param input_path: S3 path of the JSON lines input.
    :param output_path: S3 prefix for the results.
    :param role_arn: IAM role Personalize assumes for S3.
    :param num_results: Recommendations per input line.
    :param filter_arn: Filter to apply.
    :param batch_inference_job_config: e.g. ``{"itemExplorationConfig": {...}}``.
    :param batch_inference_job_mode: ``BATCH_INFERENCE`` or ``THEME_GENERATION`` (themes: Similar-Items only).
    :param theme_generation_config: With ``THEME_GENERATION``, e.g.
        ``{"fieldsForThemeGeneration": {"itemName": "TITLE"}}`` (the items column holding the names), or just the
        column name as a string. Given without a mode, the mode is ``THEME_GENERATION``.

    Returns (XCom) ``{"arn", "name", "status", "solutionVersionArn"}``.
    """

    resource = BATCH_INFERENCE_JOB
    template_fields: Sequence[str] = aws_template_fields(
        *_BatchJobOperator.batch_fields,
        "batch_inference_job_config",
        "batch_inference_job_mode",
        "theme_generation_config",
    )

    def __init__(
        self,
        *,
        batch_inference_job_config: dict[str, Any] | str | None = None,
        batch_inference_job_mode: str | None = None,
        theme_generation_config: dict[str, Any] | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.batch_inference_job_config = batch_inference_job_config
        self.batch_inference_job_mode = batch_inference_job_mode
        self.theme_generation_config = theme_generation_config

    def _theme_config(self) -> dict[str, Any] | None:
        raw = self.theme_generation_config
        if not raw:
            return None
        if isinstance(raw, str) and not raw.lstrip().startswith("{"):
            return {"fieldsForThemeGeneration": {"itemName": raw}}  # just the column
        config = to_dict(raw, "theme_generation_config")
        if not (config.get("fieldsForThemeGeneration") or {}).get("itemName"):
            raise ValueError(
                "theme_generation_config needs fieldsForThemeGeneration.itemName (the items column with the "
                f"names to build themes from), got {config!r}"
            )
        return config

    def build_definition(self, context: Context) -> dict[str, Any]:
        config = to_dict(self.batch_inference_job_config, "batch_inference_job_config")
        themes = self._theme_config()
        mode = str(self.batch_inference_job_mode or ("THEME_GENERATION" if themes else "")).upper() or None
        if mode not in (None, "BATCH_INFERENCE", "THEME_GENERATION"):
            raise ValueError(f"batch_inference_job_mode must be BATCH_INFERENCE or THEME_GENERATION, got {mode!r}")
        if mode == "THEME_GENERATION" and not themes:
            raise ValueError("batch_inference_job_mode THEME_GENERATION needs theme_generation_config")
        if themes and mode != "THEME_GENERATION":
            raise ValueError(f"theme_generation_config only applies to THEME_GENERATION, not {mode}")
        return prune(
            {
                **super().build_definition(context),
                "batchInferenceJobConfig": config or None,
                "batchInferenceJobMode": mode,
                "themeGenerationConfig": themes,
            }
        )


class PersonalizeBatchSegmentJobOperator(_BatchJobOperator):
    """
    Run a batch segment job (users likely to interact with items) and wait for it.

    Same arguments as :class:`PersonalizeBatchInferenceJobOperator` without the job config.

    Returns (XCom) ``{"arn", "name", "status", "solutionVersionArn"}``.
    """

    resource = BATCH_SEGMENT_JOB
    template_fields: Sequence[str] = aws_template_fields(*_BatchJobOperator.batch_fields)


class PersonalizeDataDeletionJobOperator(PersonalizeJobOperator):
    """
    Delete users' records from a dataset group (privacy requests) and wait until the job is COMPLETED.

    Personalize removes every interaction, user and action-interaction record of the listed users, bulk and
    streamed; it can take up to a day, and the group's imports and trainings wait (ResourceInUse) meanwhile.
    Models already trained keep what they learned until the next training. The job name is derived from the
    run and the definition, so a retried task re-attaches to its job instead of starting a second one.

    :param dataset_group_arn: Dataset group to delete from.
    :param data_location: S3 path of a CSV file with a single ``USER_ID`` column.
    :param role_arn: IAM role Personalize assumes to read the file.

    Returns (XCom) ``{"arn", "name", "status", "datasetGroupArn", "numDeleted"}``.
    """

    resource = DATA_DELETION_JOB
    template_fields: Sequence[str] = aws_template_fields(
        "dataset_group_arn", "data_location", "role_arn", *_JOB_FIELDS
    )

    def __init__(
        self,
        *,
        dataset_group_arn: str,
        data_location: str,
        role_arn: str,
        tags: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.dataset_group_arn = dataset_group_arn
        self.data_location = data_location
        self.role_arn = role_arn
        self.tags = tags

    def build_definition(self, context: Context) -> dict[str, Any]:
        return prune(
            {
                "datasetGroupArn": self.dataset_group_arn,
                "dataSource": {"dataLocation": self.data_location},
                "roleArn": self.role_arn,
                "tags": self.tags or None,
            }
        )
