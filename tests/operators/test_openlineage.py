"""OpenLineage: the job operators report their S3 and Personalize datasets through the OpenLineage provider's own
extractor machinery (installed in the dev lock), and importing the operators never imports that provider."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

# The dev lock has the OpenLineage provider; a platform's bare install (tests/deploy) may not, and skips this file.
pytest.importorskip("airflow.providers.openlineage")

from airflow.providers.openlineage.extractors.manager import ExtractorManager
from airflow.sdk import DAG
from airflow.utils.state import TaskInstanceState
from personalize_cases import DATASET_ARN, ROLE, SV_ARN
from personalize_provider.operators import (
    PersonalizeBatchInferenceJobOperator,
    PersonalizeBatchSegmentJobOperator,
    PersonalizeDataDeletionJobOperator,
    PersonalizeDatasetExportJobOperator,
    PersonalizeDatasetImportJobOperator,
)
from personalize_provider.utils.lineage import lineage_dataset

REGION_ACCOUNT = ":".join(DATASET_ARN.split(":")[:5])  # arn:aws:personalize:<region>:<account>


def _lineage(operator):
    """What the OpenLineage listener would emit for the task once it succeeded."""
    with DAG("lineage", schedule=None):
        task = operator
    result = ExtractorManager().extract_metadata(
        dagrun=SimpleNamespace(run_id="manual__1"), task=task, task_instance_state=TaskInstanceState.SUCCESS,
        task_instance=SimpleNamespace(task=task),
    )
    return ([(d.namespace, d.name) for d in result.inputs], [(d.namespace, d.name) for d in result.outputs])


def test_import_reads_s3_and_writes_the_dataset():
    op = PersonalizeDatasetImportJobOperator(
        task_id="import", dataset_arn=DATASET_ARN, data_location="s3://stage/interactions/ds=2026-12-01/",
        role_arn=ROLE)
    assert _lineage(op) == (
        [("s3://stage", "interactions/ds=2026-12-01")],
        [(REGION_ACCOUNT, "dataset/shop/INTERACTIONS")],
    )


def test_export_reads_the_dataset_and_writes_s3():
    op = PersonalizeDatasetExportJobOperator(
        task_id="export", dataset_arn=DATASET_ARN, s3_output_path="s3://exports/shop/", role_arn=ROLE)
    assert _lineage(op) == ([(REGION_ACCOUNT, "dataset/shop/INTERACTIONS")], [("s3://exports", "shop")])


@pytest.mark.parametrize("operator", [PersonalizeBatchInferenceJobOperator, PersonalizeBatchSegmentJobOperator])
def test_batch_jobs_read_their_input_and_model_and_write_s3(operator):
    op = operator(task_id="batch", solution_version_arn=SV_ARN, input_path="s3://batch/in/users.json",
                  output_path="s3://batch/out/2026-12-01/", role_arn=ROLE)
    assert _lineage(op) == (
        [("s3://batch", "in/users.json"), (REGION_ACCOUNT, "solution/ups/abcd1234")],
        [("s3://batch", "out/2026-12-01")],
    )


def test_lineage_uses_the_rendered_arguments():
    op = PersonalizeDatasetImportJobOperator(
        task_id="import", dataset_arn=DATASET_ARN, data_location="s3://stage/{{ ds }}/part.csv", role_arn=ROLE)
    op.render_template_fields({"ds": "2026-12-01"})
    assert _lineage(op)[0] == [("s3://stage", "2026-12-01/part.csv")]


def test_data_deletion_reports_no_datasets():
    # Erasing users moves no data between datasets: no lineage rather than a misleading edge.
    op = PersonalizeDataDeletionJobOperator(
        task_id="erase", dataset_group_arn=DATASET_ARN, data_location="s3://erasure/users.csv", role_arn=ROLE)
    assert op.get_openlineage_facets_on_complete(None).inputs == []


def test_unknown_locations_are_refused():
    assert (lineage_dataset("s3://bucket").namespace, lineage_dataset("s3://bucket").name) == ("s3://bucket", "/")
    with pytest.raises(ValueError, match="not an S3 path or a Personalize ARN: 'https://x/y'"):
        lineage_dataset("https://x/y")


def test_operators_import_without_openlineage():
    # Airflow's provider discovery may read the OpenLineage provider's info; the lineage code itself is not loaded.
    code = (
        "import sys, json, personalize_provider.operators\n"
        "print(json.dumps(sorted(m for m in sys.modules if 'openlineage' in m)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    heavy = ("openlineage", "airflow.providers.openlineage.extractors", "personalize_provider.utils.lineage")
    assert not [m for m in loaded if m.startswith(heavy)], loaded
