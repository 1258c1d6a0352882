"""Corrupt pipeline config files and oversize fields: each ends in a named error, and never in an import.

A config error names the file and the field; the DAG built from a broken file is a stand-in whose only task fails
with that error, so nothing can be extracted, imported or trained (tests/dags/test_dag_integrity.py checks that a
broken file leaves the other DAGs alone). Bad *data* stopping before any import job, through the real DAG, is
tests/e2e/test_pipeline_dag.py::test_invalid_data_stops_at_the_gate; the data corpus is tests/data/test_bad_input.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from personalize_pipeline.config import ConfigError, load_config

OK = "dataset_group: lms-recommendations\n"
SOLUTION = "solutions: [{name: up, recipe: aws-user-personalization"

# (case id, file content, what the error must name)
CORPUS: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    # unreadable YAML
    ("tab-indent", OK + "validation:\n\tmin_users: 3\n", ("cannot read YAML",)),
    ("unclosed-quote", 'dataset_group: "lms\n', ("cannot read YAML",)),
    ("merge-conflict", "<<<<<<< HEAD\ndataset_group: a\n=======\ndataset_group: b\n>>>>>>> theirs\n",
     ("cannot read YAML",)),
    ("duplicate-key", OK + "import_mode: FULL\nimport_mode: INCREMENTAL\n", ("cannot read YAML", "import_mode")),
    ("not-utf8", b"dataset_group: lms\nowner: \xff\xfe\n", ("cannot read YAML",)),
    ("empty", "", ("expected a mapping", "NoneType")),
    ("scalar", "just some text\n", ("expected a mapping", "str")),
    # wrong types
    ("retries-text", OK + "retries: two\n", ("retries", "integer")),
    ("solutions-not-a-list", OK + "solutions: user-personalization\n", ("solutions",)),
    ("unknown-dataset", OK + "datasets: [interactions, clicks]\n", ("datasets.1",)),
    ("no-interactions", OK + "datasets: [items]\n", ("interactions",)),
    ("negative-minimum", OK + "validation: {min_users: -5}\n", ("validation.min_users",)),
    ("rating-text", OK + "event_filter: {min_rating: high}\n", ("event_filter.min_rating",)),
    ("start-date", OK + "start_date: someday\n", ("start_date",)),
    ("deferrable-text", OK + "wait: {deferrable: sometimes}\n", ("wait.deferrable",)),
    ("missing-recipe", OK + "solutions: [{name: up}]\n", ("solutions.0.recipe", "Field required")),
    # unknown fields (typos are errors, never silently ignored)
    ("nested-typo", OK + SOLUTION + ", campain: {min_provisioned_tps: 1}}]\n", ("solutions.0.campain",)),
    ("validation-typo", OK + "validation: {min_user: 30}\n", ("validation.min_user",)),
    # names Personalize would refuse
    ("leading-hyphen", "dataset_group: -lms\n", ("dataset_group", "valid Personalize name")),
    ("dot-in-name", "dataset_group: lms.recs\n", ("dataset_group",)),
    ("unicode-name", "dataset_group: lms-récs\n", ("dataset_group",)),
    ("solution-space", OK + "solutions: [{name: user personalization, recipe: aws-sims}]\n", ("solutions.0.name",)),
    ("filter-slash", OK + "filters: [{name: not/watched, expression: x}]\n", ("filters.0.name",)),
    ("campaign-name", OK + SOLUTION + ", campaign: {name: 'my campaign'}}]\n", ("solutions.0.campaign.name",)),
    # staging prefix / bucket escaping
    ("prefix-dotdot-middle", OK + "prefix: personalize/../other-team\n", ("prefix", "safe S3 prefix")),
    ("prefix-dotdot-only", OK + "prefix: '..'\n", ("prefix",)),
    ("prefix-dot", OK + "prefix: a/./b\n", ("prefix",)),
    ("prefix-double-slash", OK + "prefix: a//b\n", ("prefix",)),
    ("prefix-backslash", OK + "prefix: 'a\\..\\b'\n", ("prefix",)),
    ("prefix-encoded", OK + "prefix: '%2e%2e/x'\n", ("prefix",)),
    ("bucket-dotdot", OK + "bucket: my..bucket\n", ("bucket",)),
    # oversize fields
    ("name-64", f"dataset_group: {'g' * 64}\n", ("dataset_group", "at most 63")),
    ("derived-name-64", f"dataset_group: {'g' * 61}\n" + SOLUTION + "}]\n", ("longer than 63",)),
    ("campaign-name-64", OK + SOLUTION + f", campaign: {{name: {'c' * 64}}}}}]\n", ("solutions.0.campaign.name",)),
    ("filter-2501", OK + f"filters: [{{name: f, expression: '{'x' * 2501}'}}]\n", ("filters.0.expression",)),
    ("tps-501", OK + SOLUTION + ", campaign: {min_provisioned_tps: 501}}]\n", ("min_provisioned_tps",)),
    ("num-results-501", OK + SOLUTION + ", batch_inference: {num_results: 501}}]\n", ("num_results",)),
    ("chunk-too-small", OK + "source: {chunk_rows: 10}\n", ("source.chunk_rows",)),
]


@pytest.mark.parametrize(("text", "named"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_corrupt_config_ends_in_a_named_error(tmp_path: Path, text: str | bytes, named: tuple[str, ...]) -> None:
    path = tmp_path / "nightly.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert message.startswith("nightly.yaml: "), message
    for part in named:
        assert part in message, message


def test_broken_config_dag_has_nothing_that_could_import(tmp_path: Path) -> None:
    from personalize_pipeline.dag_factory import build_all

    for case, text, named in CORPUS[::6]:  # a spread of the corpus: parse, type, name, prefix, oversize errors
        folder = tmp_path / case
        folder.mkdir()
        (folder / "nightly.yaml").write_bytes(text if isinstance(text, bytes) else text.encode())
        dag = build_all(folder)["personalize_nightly"]
        assert "broken-config" in dag.tags
        assert [t.task_id for t in dag.tasks] == ["config_error"], case
        assert all(part in (dag.doc_md or "") for part in named), case

