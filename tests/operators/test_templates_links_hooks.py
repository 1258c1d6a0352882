"""Template rendering and type restoration, console links per resource and partition, provider registration, hooks."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from airflow.sdk import DAG
from personalize_cases import CASES, CASES_BY_KIND, DSG, SV_ARN, list_response, stub_links
from personalize_provider.hooks.personalize import PersonalizeHook, PersonalizeRuntimeHook
from personalize_provider.links.personalize import PersonalizeCampaignLink, console_ref, link_for
from personalize_provider.operators import (
    PersonalizeCreateCampaignOperator,
    PersonalizeCreateSolutionOperator,
    PersonalizeDatasetImportJobOperator,
    PersonalizeGetSolutionMetricsOperator,
)
from personalize_provider.resources import RESOURCES
from personalize_stubs import StubbedPersonalize, arn, make_client

#: The link each resource spec names (the one registry the operators and get_provider_info read).
LINKS = {kind: link_for(spec.link) for kind, spec in RESOURCES.items() if spec.link}

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PARAMS = {"sv": SV_ARN, "tps": 3, "weight": 0.3, "auto": False, "cfg": {"eventValueThreshold": "0.5"}}


def _render(op: Any, **context: Any) -> Any:
    op.render_template_fields({"ds": "2026-01-01", "ds_nodash": "20260101", "params": PARAMS, **context})
    return op


@pytest.mark.parametrize("native", [False, True], ids=["string-render", "native-render"])
def test_templates_render_and_numbers_are_restored(native):
    with DAG("personalize_templates", schedule=None, start_date=START, render_template_as_native_obj=native):
        campaign = PersonalizeCreateCampaignOperator(
            task_id="campaign",
            name="shop-{{ ds_nodash }}",
            solution_version_arn="{{ params.sv }}",
            min_provisioned_tps="{{ params.tps }}",
            campaign_config={"itemExplorationConfig": {"explorationWeight": "{{ params.weight }}"}},
        )
        solution = PersonalizeCreateSolutionOperator(
            task_id="solution",
            name="ups",
            dataset_group_arn=DSG,
            perform_auto_training="{{ params.auto }}",
            solution_config="{{ params.cfg }}",
        )
        imports = PersonalizeDatasetImportJobOperator(
            task_id="import",
            dataset_arn="{{ params.sv }}",
            data_location="s3://bucket/interactions/{{ ds }}/",
        )
    request = _render(campaign).build_request({})
    assert request["name"] == "shop-20260101"
    assert request["solutionVersionArn"] == SV_ARN
    assert request["minProvisionedTPS"] == 3 and isinstance(request["minProvisionedTPS"], int)
    assert request["campaignConfig"] == {"itemExplorationConfig": {"explorationWeight": "0.3"}}

    request = _render(solution).build_request({})
    assert request["performAutoTraining"] is False
    assert request["solutionConfig"] == {"eventValueThreshold": "0.5"}

    assert _render(imports).build_definition({})["dataSource"] == {
        "dataLocation": "s3://bucket/interactions/2026-01-01/"
    }


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_template_fields_are_declared_and_stored_under_their_own_name(case):
    op = case.make()
    assert {"aws_conn_id", "region_name", "verify"} <= set(op.template_fields)
    for field in op.template_fields:
        assert hasattr(op, field), f"{type(op).__name__}.{field} is templated but not an attribute"
    assert list(op.template_fields) == sorted(op.template_fields)


def test_every_public_operator_is_templated():
    import personalize_provider.operators as ops

    for name in ops.__all__:
        cls = getattr(ops, name)
        assert "aws_conn_id" in cls.template_fields, name


def test_non_numeric_template_fails_clearly():
    op = CASES_BY_KIND["campaign"].make()
    op.min_provisioned_tps = "lots"
    with pytest.raises(ValueError, match="min_provisioned_tps must be an integer"):
        op.build_request({})


# -- console links ------------------------------------------------------------------------------

PARTITIONS = [
    ("aws", "us-east-1", "console.aws.amazon.com"),
    ("aws-cn", "cn-north-1", "console.amazonaws.cn"),
    ("aws-us-gov", "us-gov-west-1", "console.amazonaws-us-gov.com"),
]
PATHS = {
    "dataset_group": "/setup",
    "schema": None,
    "dataset": "/datasets/datasetDetail/{ref}",
    "dataset_import_job": "/datasetImportJobs/datasetImportJobDetail/{ref}",
    "dataset_export_job": "/datasetExportJobs/datasetExportJobDetail/{ref}",
    "solution": "/solutionsAndRecipes/solutionDetail/{ref}",
    "solution_version": "/solutionsAndRecipes/solutionVersionDetail/{ref}",
    "campaign": "/campaigns/campaignDetail/{ref}",
    "batch_inference_job": "/batchInferenceJobs/batchInferenceJobDetail/{ref}",
    "batch_segment_job": "/batchSegmentJobs/batchSegmentJobDetail/{ref}",
    "filter": "/filters/filterDetail/{ref}",
    "event_tracker": "/eventTrackers/eventTrackerDetail/{ref}",
    "recommender": "/recommenders/recommenderDetail/{ref}",
    "metric_attribution": "/metricAttribution/metricAttributionDetail/{ref}",
    "data_deletion_job": "/dataDeletionJobs/dataDeletionJobDetail/{ref}",
}


@pytest.mark.parametrize(("partition", "region", "host"), PARTITIONS, ids=[p[0] for p in PARTITIONS])
@pytest.mark.parametrize("kind", sorted(LINKS))
def test_console_link_urls(kind, partition, region, host):
    link = LINKS[kind]
    group = arn("dataset-group", "shop", region, partition)
    resource = arn(kind.replace("_", "-"), "thing", region, partition)
    ti = mock.MagicMock()
    op = mock.MagicMock(do_xcom_push=True)
    link.persist(
        context={"ti": ti},
        operator=op,
        region_name=region,
        aws_partition=partition,
        dataset_group_ref=console_ref(group),
        resource_ref=console_ref(resource),
    )
    stored = ti.xcom_push.call_args.kwargs
    assert stored["key"] == link.key
    url = link().format_link(**stored["value"])
    base = f"https://{host}/personalize/home?region={region}"
    if PATHS[kind] is None:
        assert url == f"{base}#schemas"
        return
    group_ref = f"arn:{partition}:personalize:{region}:111122223333:dataset-group$shop"
    expected = base + "#" + group_ref + PATHS[kind].format(ref=console_ref(resource))
    assert url == expected
    assert "/" not in url.split("#", 1)[1].split("$shop", 1)[0]  # the ARN's "/" became "$"


def test_operator_persists_link_with_hook_partition(context):
    """The link uses the client's region and partition (China here), and the operator logs it."""
    case = CASES_BY_KIND["campaign"]
    stub = StubbedPersonalize(make_client(region="cn-north-1"))
    op = stub.attach(case.make(waiter_delay=0))
    stub.ok("list_campaigns", list_response(case, []), case.list_params)
    stub.ok("create_campaign", {"campaignArn": case.arn}, case.create_params)
    stub_links(stub, case)
    stub.ok("describe_campaign", case.described(), {"campaignArn": case.arn})
    with stub.stubber:
        op.execute(context)
    value = context["ti"].xcom_push.call_args.kwargs["value"]
    assert value["aws_domain"] == "amazonaws.cn" and value["region_name"] == "cn-north-1"
    assert (
        PersonalizeCampaignLink()
        .format_link(**value)
        .startswith(
            "https://console.amazonaws.cn/personalize/home?region=cn-north-1#arn:aws:personalize:us-east-1:"
        )
    )


def test_link_failure_does_not_fail_the_task(personalize, context):
    case = CASES_BY_KIND["campaign"]
    op = personalize.attach(case.make(waiter_delay=0))
    personalize.ok("list_campaigns", list_response(case, []), case.list_params)
    personalize.ok("create_campaign", {"campaignArn": case.arn}, case.create_params)
    personalize.error("describe_solution_version", "AccessDeniedException", status=403)
    personalize.ok("describe_campaign", case.described(), {"campaignArn": case.arn})
    assert op.execute(context)["status"] == "ACTIVE"


def test_a_known_dataset_group_makes_the_link_without_a_lookup(personalize, context):
    """Given the dataset group (the pipeline knows it), a job's link costs no describe: none is stubbed."""
    case = CASES_BY_KIND["batch_inference_job"]
    op = personalize.attach(case.make(waiter_delay=0, console_dataset_group_arn=DSG))
    personalize.ok("create_batch_inference_job", {case.spec.arn_key: case.arn}, case.create_params)
    personalize.ok("describe_batch_inference_job", case.described(), {case.spec.arn_key: case.arn})
    assert op.execute(context)["arn"] == case.arn
    value = context["ti"].xcom_push.call_args.kwargs["value"]
    assert value["dataset_group_ref"] == DSG.replace("/", "$")


def test_every_link_is_declared_by_the_provider():
    """The provider declares each console link in get_provider_info(); each operator carries its resource's link."""
    from personalize_provider.get_provider_info import get_provider_info

    declared = set(get_provider_info()["extra-links"])
    assert declared == {f"{link.__module__}.{link.__qualname__}" for link in LINKS.values()}
    for case in CASES:
        assert {type(link) for link in case.make().operator_extra_links} == {LINKS[case.kind]}


def test_provider_entry_point_and_no_plugin():
    """Registered once, as a provider: the entry point loads get_provider_info, and no airflow.plugins entry
    point of ours exists (it registered the links a second time and duplicated the provider's modules)."""
    from personalize_provider.get_provider_info import get_provider_info

    (entry,) = [e for e in entry_points(group="apache_airflow_provider")
                if e.dist is not None and e.dist.name == "airflow-provider-personalize"]
    assert entry.load() is get_provider_info
    assert not [e for e in entry_points(group="airflow.plugins") if e.value.startswith("personalize")]


# -- hooks --------------------------------------------------------------------------------------


def test_default_botocore_config_is_adaptive():
    config = PersonalizeHook(aws_conn_id=None).config
    assert config.retries == {"mode": "adaptive", "max_attempts": 10}


def test_user_botocore_config_wins():
    config = PersonalizeHook(
        aws_conn_id=None, config={"retries": {"mode": "standard", "max_attempts": 2}}
    ).config
    assert config.retries == {"mode": "standard", "max_attempts": 2}


def test_connection_botocore_config_wins(monkeypatch):
    conn = {"conn_type": "aws", "extra": {"config_kwargs": {"retries": {"mode": "legacy"}}}}
    monkeypatch.setenv("AIRFLOW_CONN_PERSONALIZE_TEST", json.dumps(conn))
    assert PersonalizeHook(aws_conn_id="personalize_test").config.retries == {"mode": "legacy"}


def test_runtime_hook():
    client = make_client(service="personalize-runtime")
    hook = PersonalizeRuntimeHook(aws_conn_id=None)
    hook.__dict__["conn"] = client
    campaign = arn("campaign", "c")
    stub = StubbedPersonalize(client)
    stub.ok(
        "get_recommendations",
        {"itemList": [{"itemId": "i1", "score": 0.9}]},
        {"campaignArn": campaign, "userId": "u1", "numResults": 5},
    )
    stub.ok(
        "get_personalized_ranking",
        {"personalizedRanking": [{"itemId": "i2"}]},
        {"campaignArn": campaign, "userId": "u1", "inputList": ["i2"]},
    )
    with stub.stubber:
        assert hook.get_recommendations(campaignArn=campaign, userId="u1", numResults=5)[0]["itemId"] == "i1"
        assert hook.get_personalized_ranking(campaignArn=campaign, userId="u1", inputList=["i2"]) == [
            {"itemId": "i2"}
        ]
    assert hook.client_type == "personalize-runtime"
    assert hook.config.retries["mode"] == "adaptive"


def test_get_solution_metrics(personalize, context):
    op = personalize.attach(
        PersonalizeGetSolutionMetricsOperator(task_id="metrics", solution_version_arn=SV_ARN)
    )
    personalize.ok(
        "get_solution_metrics",
        {
            "solutionVersionArn": SV_ARN,
            "metrics": {"coverage": 0.27, "normalized_discounted_cumulative_gain_at_10": 0.2},
        },
        {"solutionVersionArn": SV_ARN},
    )
    result = op.execute(context)
    assert result == {
        "solutionVersionArn": SV_ARN,
        "metrics": {"coverage": 0.27, "normalized_discounted_cumulative_gain_at_10": 0.2},
    }
    json.dumps(result)


class TestSmokeCheck:
    campaign = arn("campaign", "c")

    def _op(self, **kwargs: Any) -> Any:
        from personalize_provider.operators import PersonalizeRecommendationsSmokeCheckOperator

        op = PersonalizeRecommendationsSmokeCheckOperator(
            task_id="smoke", campaign_arn=self.campaign, user_ids=["u1", "u2"], num_results="3", **kwargs
        )
        stub = StubbedPersonalize(make_client(service="personalize-runtime"))
        op.hook.__dict__["conn"] = stub.client
        return op, stub

    def test_passes_and_reports_counts(self, context):
        op, stub = self._op(min_results=2)
        for user, n in (("u1", 3), ("u2", 2)):
            items = [{"itemId": f"i{i}"} for i in range(n)]
            stub.ok(
                "get_recommendations",
                {"itemList": items},
                {"campaignArn": self.campaign, "userId": user, "numResults": 3},
            )
        with stub.stubber:
            assert op.execute(context) == {"checked": 2, "counts": {"u1": 3, "u2": 2}}

    def test_fails_on_too_few(self, context):
        op, stub = self._op(min_results=1)
        stub.ok("get_recommendations", {"itemList": [{"itemId": "i1"}]}, None)
        stub.ok("get_recommendations", {"itemList": []}, None)
        with (
            stub.stubber,
            pytest.raises(Exception, match=r"fewer than 1 recommendations for users \{'u2': 0\}"),
        ):
            op.execute(context)

    def test_needs_a_target(self):
        from personalize_provider.operators import PersonalizeRecommendationsSmokeCheckOperator

        with pytest.raises(ValueError, match="campaign_arn or recommender_arn"):
            PersonalizeRecommendationsSmokeCheckOperator(task_id="s", user_ids=["u"])


_LOAD_PLUGINS = """
import json, sys
from airflow import plugins_manager
plugins_manager.ensure_plugins_loaded()
plugins, _ = plugins_manager._get_plugins()
stray = sorted(m for m in ("base", "jobs", "resources", "campaign", "dataset", "delete", "solution", "runtime",
                           "naming", "coerce", "exceptions", "get_provider_info") if m in sys.modules)
# Plugins that installed packages register through entry points (OpenLineage's) are not the folder's.
from_folder = [p.name for p in plugins
               if "EntryPoint" not in type(getattr(p, "source", None)).__name__]
print(json.dumps({"plugins": from_folder, "stray": stray}))
"""


def _load_plugins_from(folder: Path) -> dict[str, Any]:
    import os
    import subprocess
    import sys

    env = {**os.environ, "AIRFLOW__CORE__PLUGINS_FOLDER": str(folder)}
    done = subprocess.run([sys.executable, "-c", _LOAD_PLUGINS], env=env, capture_output=True, text=True,
                          timeout=300, check=True)
    loaded: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_a_plugins_folder_holding_the_provider_loads_none_of_its_modules(tmp_path: Path) -> None:
    """Astro and the compose stack point Airflow's plugins folder at plugins/, where the provider's source lives:
    its .airflowignore keeps Airflow's plugin walk (which imports every .py file under a top-level name) out."""
    plugins = Path(__file__).resolve().parents[2] / "plugins"
    assert _load_plugins_from(plugins) == {"plugins": [], "stray": []}
    # Without the ignore file the walk imports the provider's files a second time as `base`, `jobs`, ...
    bare = tmp_path / "plugins"
    shutil.copytree(plugins, bare, ignore=shutil.ignore_patterns(".airflowignore", "*.egg-info", "__pycache__"))
    assert _load_plugins_from(bare)["stray"]


def test_provider_info_is_valid_and_everything_it_names_imports():
    import importlib
    import json as json_module
    from importlib.resources import files

    import jsonschema
    from personalize_provider.get_provider_info import get_provider_info

    info = get_provider_info()
    schema = json_module.loads((files("airflow") / "provider_info.schema.json").read_text())
    jsonschema.validate(info, schema)
    assert info["package-name"] == "airflow-provider-personalize"
    from importlib.metadata import version

    assert info["versions"][0] == version("airflow-provider-personalize")
    integrations = {i["integration-name"] for i in info["integrations"]}
    for section in ("operators", "hooks", "triggers"):
        for entry in info[section]:
            assert entry["integration-name"] in integrations
            for module in entry["python-modules"]:
                importlib.import_module(module)
    for dotted in info["extra-links"]:
        module, _, name = dotted.rpartition(".")
        assert isinstance(getattr(importlib.import_module(module), name), type)
