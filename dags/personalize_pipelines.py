"""Airflow DAGs for Amazon Personalize pipelines: one DAG per YAML file in the pipeline config directory
(include/config by default, PERSONALIZE_PIPELINE_CONFIG_DIR to override)."""

# Named here so the dag processor imports them once, before it forks each parse ([dag_processor]
# parsing_pre_import_modules): the operators' base (the Amazon provider's hooks, boto3) and the s3:// Asset URI
# handler the batch outlets load are most of this file's import time, and a fork inherits them for free.
import airflow.providers.amazon.aws.assets.s3
import airflow.providers.amazon.aws.operators.base_aws  # noqa: F401
from personalize_pipeline.dag_factory import build_all

globals().update(build_all())
