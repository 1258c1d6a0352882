"""Every DAG imports cleanly and follows the team's rules; parsing dags/ stays light."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dagbag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    assert "personalize_lms" in dagbag.dags


def test_dag_conventions(dagbag) -> None:  # type: ignore[no-untyped-def]
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        for t in dag.tasks:
            assert t.owner and t.owner != "airflow", f"{dag_id}.{t.task_id} has no owner"
            # The data gate and the run's verdict (the summary) fail fast on purpose (retries=0): retrying cannot
            # fix data, and the summary fails because another task did.
            if t.task_id not in ("data.validate_data", "summary", "config_error", "plan_rollback"):
                assert t.retries >= 2, f"{dag_id}.{t.task_id} retries={t.retries}"
        assert dag.max_active_runs == 1
        assert dag.catchup is False


def test_erasure_dag_per_config_and_imports_outwait_a_deletion(dagbag) -> None:  # type: ignore[no-untyped-def]
    erasure = dagbag.dags["personalize_lms_erasure"]
    assert erasure.max_active_runs == 1
    assert set(erasure.params) == {"user_ids", "users_csv", "reason", "dry_run"}
    assert {t.task_id for t in erasure.tasks} >= {"plan_erasure", "scrub_s3", "delete_from_personalize",
                                                  "erasure_report"}
    # A data deletion job may hold the group up to a day: the nightly's imports and trainings back off that long.
    nightly = dagbag.dags["personalize_lms"]
    held = [t for t in nightly.tasks if t.task_id.startswith("data.import_") or t.task_id.endswith(".train")]
    assert len(held) == 3 + 4  # three datasets, four solutions
    for task in held:
        waited = sum(min(task.limit_exceeded_retry_delay * 2**i, 900)
                     for i in range(task.limit_exceeded_max_retries))
        assert waited >= 86_400, (task.task_id, waited)


def test_dags_serialize(dagbag) -> None:  # type: ignore[no-untyped-def]
    """What the dag processor stores; DagBag alone never serializes (a Param subclass once parsed but failed here)."""
    from airflow.serialization.serialized_objects import DagSerialization

    for dag_id, dag in dagbag.dags.items():
        assert DagSerialization.to_dict(dag)["dag"]["dag_id"] == dag_id


def test_rollback_dag_per_config(dagbag) -> None:  # type: ignore[no-untyped-def]
    rollback = dagbag.dags["personalize_lms_rollback"]
    assert rollback.schedule is None and rollback.max_active_runs == 1
    assert rollback.params["solution"] == "user-personalization"
    assert set(rollback.params) == {"solution", "target_version", "reason"}
    # An empty text field reaches the params as null (the trigger form sends it so): every optional text param of
    # every DAG must accept it, or the form refuses to trigger until the field is filled.
    optional = [p for dag in dagbag.dags.values() for p in dag.params.values()
                if "string" in p.schema.get("type", []) and not p.schema.get("enum") and not p.value]
    assert len(optional) >= 4  # erasure: users_csv, reason; rollback: target_version, reason
    for param in optional:
        param.resolve(None, suppress_exception=False)  # raises ParamValidationError if null is refused
    point = rollback.get_task("point_campaign")
    assert point.deferrable and "plan_rollback" in point.solution_version_arn


def test_pipeline_dag_reads_at_a_glance(dagbag) -> None:  # type: ignore[no-untyped-def]
    """At most 8 top-level rows in the grid, and no task wired to every other (the summary decides the run from
    the run's task states, reached through the leaves and the outputs it reads)."""
    dag = dagbag.dags["personalize_lms"]
    top = list(dag.task_group.children)
    assert len(top) <= 8, top
    assert {"data", *(s["name"] for s in _solutions())} <= set(top)
    assert dag.leaves == [dag.get_task("summary")]
    widest = max(dag.tasks, key=lambda t: len(t.upstream_task_ids))
    assert len(widest.upstream_task_ids) <= len(dag.tasks) // 2, (widest.task_id, len(widest.upstream_task_ids))
    # Templates pull from the producing task's own id (group prefix included): none names a task that is not there.
    for t in dag.tasks:
        for field in t.template_fields:
            for pulled in re.findall(r"task_ids='([^']+)'", str(getattr(t, field, ""))):
                assert pulled in dag.task_dict, (t.task_id, field, pulled)


def _solutions() -> list[dict]:
    import yaml

    return list(yaml.safe_load((REPO / "include" / "config" / "lms.yaml").read_text())["solutions"])


def test_no_cycles(dagbag) -> None:  # type: ignore[no-untyped-def]
    for dag in dagbag.dags.values():
        order = dag.topological_sort()
        assert len(order) == len(dag.tasks)


GUARD = r"""
import sys, runpy, botocore.session
def refuse(*a, **k):
    raise AssertionError("boto3/botocore client created at DAG parse time")
botocore.session.Session.create_client = refuse
import airflow.sdk
before = set(sys.modules)
for path in sys.argv[1:]:
    runpy.run_path(path)
heavy = sorted(m for m in set(sys.modules) - before
               if m.split(".")[0] in {"pandas", "great_expectations", "pyarrow", "matplotlib", "scipy", "implicit"})
print("HEAVY:" + ",".join(heavy))
"""


def test_parse_time_guard() -> None:
    files = sorted(str(p) for p in (REPO / "dags").glob("*.py"))
    out = subprocess.run([sys.executable, "-c", GUARD, *files], capture_output=True, text=True, timeout=120,
                         check=True)
    heavy = out.stdout.strip().splitlines()[-1].removeprefix("HEAVY:")
    assert heavy == "", f"importing dags/ pulled in heavy modules: {heavy}"


def test_broken_config_breaks_only_its_own_dag(tmp_path: Path) -> None:
    from personalize_pipeline.dag_factory import build_all

    good = (REPO / "include" / "config" / "lms.yaml").read_text()
    (tmp_path / "good.yaml").write_text(good.replace("name: lms", "name: good"))
    (tmp_path / "bad.yaml").write_text("name: bad\ndataset_group: 'has spaces'\nimport_mode: SOMETIMES\n")
    (tmp_path / "corrupt.yaml").write_text("name: [unclosed\n")
    dags = build_all(tmp_path)
    assert "data.extract_and_stage" in dags["personalize_good"].task_dict
    bad = dags["personalize_bad"]
    assert "broken-config" in bad.tags
    assert "dataset_group" in (bad.doc_md or "") and "import_mode" in (bad.doc_md or "")
    assert "bad.yaml" in (bad.doc_md or "")
    assert "cannot read YAML" in (dags["personalize_corrupt"].doc_md or "")


PRE_IMPORT_GUARD = r"""
import importlib, runpy, sys
import airflow.sdk
from airflow.utils.file import iter_airflow_imports
path = sys.argv[1]
for name in iter_airflow_imports(path):  # what the dag processor imports once, before forking each parse
    importlib.import_module(name)
before = set(sys.modules)
runpy.run_path(path)
aws = sorted(m for m in set(sys.modules) - before
             if m.split(".")[0] in {"boto3", "botocore", "aiobotocore", "s3transfer", "requests", "sqlalchemy"})
print("LATE:" + ",".join(aws))
"""


def test_dag_processor_pre_imports_cover_the_aws_sdk() -> None:
    """Each parse in the dag processor (a fork) must find boto3 & co. already imported by the pre-import of the
    airflow modules the DAG file names; a new heavy import path would put them back on every parse."""
    path = str(REPO / "dags" / "personalize_pipelines.py")
    out = subprocess.run([sys.executable, "-c", PRE_IMPORT_GUARD, path], capture_output=True, text=True,
                         timeout=120, check=True)
    late = out.stdout.strip().splitlines()[-1].removeprefix("LATE:")
    assert late == "", f"parsing imported these after the processor's pre-imports: {late}"
