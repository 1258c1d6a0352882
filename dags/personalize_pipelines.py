"""Airflow DAGs for Amazon Personalize pipelines: one DAG per YAML file in the pipeline config directory
(include/config by default, PERSONALIZE_PIPELINE_CONFIG_DIR to override)."""

from personalize_pipeline.dag_factory import build_all

globals().update(build_all())
