"""Deterministic job names (re-attach on retry, new job per run) and in-place campaign/recommender updates."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred
from personalize_cases import CASES_BY_KIND, SV_ARN, list_response, stub_created_links, stub_links, summary
from personalize_provider.exceptions import PersonalizeResourceDriftError
from personalize_provider.utils.naming import MAX_NAME_LENGTH, NAME_PATTERN, job_name, run_key

IMPORT = CASES_BY_KIND["dataset_import_job"]
VERSION = CASES_BY_KIND["solution_version"]
CAMPAIGN = CASES_BY_KIND["campaign"]


def _name(case, context, **kwargs):
    return case.make(**kwargs).build_request(context)[case.spec.name_key]


class TestNamingHelper:
    def test_short_names_are_kept(self):
        assert job_name("import", "abc123") == "import-abc123"

    def test_invalid_characters_are_replaced(self):
        name = job_name("group.import interactions", "manual__2026-01-01T00:00:00+00:00")
        assert NAME_PATTERN.match(name), name
        assert name.startswith("group-import-interactions-manual__2026-01-01T00-00-00-00-00")

    def test_leading_symbol_is_dropped(self):
        assert NAME_PATTERN.match(job_name("_x", "1"))

    def test_long_names_are_truncated_with_hash(self):
        a = job_name("p" * 80, "run-a")
        b = job_name("p" * 80, "run-b")
        assert len(a) == MAX_NAME_LENGTH and len(b) == MAX_NAME_LENGTH
        assert a != b
        assert NAME_PATTERN.match(a)

    def test_deterministic(self):
        assert job_name("x" * 70, "k") == job_name("x" * 70, "k")
        assert run_key("dag", "task", "run", {"a": 1}) == run_key("dag", "task", "run", {"a": 1})
        assert run_key("dag", "task", "run", {"a": 1}) != run_key("dag", "task", "run", {"a": 2})


class TestJobNames:
    def test_same_run_same_name(self, context):
        assert _name(IMPORT, context) == _name(IMPORT, context)

    def test_new_run_new_name(self, context):
        other = {**context, "run_id": "manual__2026-01-02"}
        assert _name(IMPORT, context) != _name(IMPORT, other)

    def test_changed_definition_new_name(self, context):
        changed = IMPORT.make()
        changed.data_location = "s3://bucket/in/2026-01-02/"
        assert changed.build_request(context)["jobName"] != _name(IMPORT, context)

    def test_prefix_and_explicit_name(self, context):
        assert _name(IMPORT, context, job_name_prefix="nightly").startswith("nightly-")
        assert _name(IMPORT, context, job_name="fixed-name") == "fixed-name"

    def test_invalid_import_mode(self, context):
        op = IMPORT.make()
        op.import_mode = "APPEND"
        with pytest.raises(ValueError, match="FULL or INCREMENTAL"):
            op.build_request(context)

    @pytest.mark.parametrize("mode", ["FULL", "UPDATE", "AUTOTRAIN", "update"])
    def test_training_modes(self, mode, context):
        op = VERSION.make(training_mode=mode)
        assert op.build_request(context)["trainingMode"] == mode.upper()

    def test_invalid_training_mode(self, context):
        with pytest.raises(ValueError, match="training_mode"):
            VERSION.make(training_mode="PARTIAL").build_request(context)


def test_retry_reattaches_to_running_import(personalize, context):
    """A retried task finds the job its first try started (same name) and waits on it instead."""
    op = personalize.attach(IMPORT.make(waiter_delay=0))
    name = op.build_request(context)["jobName"]
    running = {**IMPORT.description, "jobName": name, "status": "CREATE IN_PROGRESS"}
    personalize.error("create_dataset_import_job", "ResourceAlreadyExistsException")  # the name is taken: look
    personalize.ok(
        "list_dataset_import_jobs", list_response(IMPORT, [summary(IMPORT, running)]), IMPORT.list_params
    )
    personalize.ok(
        "describe_dataset_import_job", {"datasetImportJob": running}, {"datasetImportJobArn": IMPORT.arn}
    )
    stub_links(personalize, IMPORT)
    active = {"datasetImportJob": {**running, "status": "ACTIVE"}}
    personalize.ok("describe_dataset_import_job", active, {"datasetImportJobArn": IMPORT.arn})  # the one check

    result = op.execute(context)  # no create_dataset_import_job succeeds

    assert result == {
        "arn": IMPORT.arn,
        "name": name,
        "status": "ACTIVE",
        "datasetArn": IMPORT.description["datasetArn"],
        "importMode": "INCREMENTAL",
    }


def test_a_first_try_creates_its_job_at_once(personalize, context):
    """Job names are new on each run: the first try sends the create without listing (other runs' jobs, whatever
    they are, are never looked at)."""
    op = personalize.attach(IMPORT.make(waiter_delay=0))
    expected = {**IMPORT.create_params, "jobName": op.build_request(context)["jobName"]}
    personalize.ok("create_dataset_import_job", {"datasetImportJobArn": IMPORT.arn}, expected)
    stub_links(personalize, IMPORT)
    personalize.ok("describe_dataset_import_job", IMPORT.described(), {"datasetImportJobArn": IMPORT.arn})
    assert op.execute(context)["arn"] == IMPORT.arn


def test_failed_job_gets_a_fresh_attempt(personalize, context):
    """Re-attaching to a failed job would fail forever: start attempt 2 under a suffixed name."""
    op = personalize.attach(IMPORT.make(waiter_delay=0))
    first, second = [r["jobName"] for r in op.candidate_requests(context)][:2]
    assert second.startswith(first) and second.endswith("-a2")
    failed = {**IMPORT.description, "jobName": first, "status": "CREATE FAILED", "failureReason": "bad csv"}
    personalize.error("create_dataset_import_job", "ResourceAlreadyExistsException")
    personalize.ok(
        "list_dataset_import_jobs", list_response(IMPORT, [summary(IMPORT, failed)]), IMPORT.list_params
    )
    personalize.ok(
        "describe_dataset_import_job", {"datasetImportJob": failed}, {"datasetImportJobArn": IMPORT.arn}
    )
    new_arn = IMPORT.arn + "-2"
    personalize.ok(
        "create_dataset_import_job",
        {"datasetImportJobArn": new_arn},
        {**IMPORT.create_params, "jobName": second},
    )
    stub_links(personalize, IMPORT)
    personalize.ok(
        "describe_dataset_import_job",
        IMPORT.described(datasetImportJobArn=new_arn, jobName=second),
        {"datasetImportJobArn": new_arn},
    )
    assert op.execute(context)["arn"] == new_arn


def test_a_retry_refused_as_busy_by_its_own_job_adopts_it(personalize, context, monkeypatch):
    """Personalize answers a second import into a dataset with ResourceInUse while one is running: this task's own,
    started by the try that died. It is looked for, found and adopted at once, not backed off from."""
    import personalize_provider.operators.base as base

    slept: list[float] = []
    monkeypatch.setattr(base.time, "sleep", slept.append)
    op = personalize.attach(IMPORT.make(deferrable=True))
    name = op.build_request(context)["jobName"]
    running = {**IMPORT.description, "jobName": name, "status": "CREATE IN_PROGRESS"}
    personalize.error("create_dataset_import_job", "ResourceInUseException", "an import is in progress")
    personalize.ok(
        "list_dataset_import_jobs", list_response(IMPORT, [summary(IMPORT, running)]), IMPORT.list_params
    )
    personalize.ok("describe_dataset_import_job", {"datasetImportJob": running}, {"datasetImportJobArn": IMPORT.arn})
    stub_links(personalize, IMPORT)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    assert deferred.value.trigger.waiter_args == {"datasetImportJobArn": IMPORT.arn} and slept == []


def test_solution_versions_are_looked_for_before_a_training_is_started(personalize, context):
    """A version's name is not in its ARN: the list comes first, so a retry never starts a second training."""
    op = personalize.attach(VERSION.make(wait_for_completion=False))
    assert op.create_first is False
    personalize.ok("list_solution_versions", {"solutionVersions": []}, VERSION.list_params)
    personalize.ok("create_solution_version", {"solutionVersionArn": VERSION.arn}, None)
    stub_created_links(personalize, VERSION)
    assert op.execute(context)["status"] == "CREATE PENDING"


def test_solution_version_reattach_matches_by_name(personalize, context):
    """ListSolutionVersions summaries carry no name: each candidate is described and matched by name."""
    op = personalize.attach(VERSION.make())
    name = op.build_request(context)["name"]
    older_arn = VERSION.arn.replace("abcd1234", "older000")
    older = {**VERSION.description, "solutionVersionArn": older_arn, "name": "train-older"}
    mine = {**VERSION.description, "name": name}
    summaries = [summary(VERSION, older), summary(VERSION, mine)]
    assert all("name" not in s for s in summaries)
    personalize.ok("list_solution_versions", {"solutionVersions": summaries}, VERSION.list_params)
    personalize.ok("describe_solution_version", {"solutionVersion": older}, {"solutionVersionArn": older_arn})
    personalize.ok(
        "describe_solution_version", {"solutionVersion": mine}, {"solutionVersionArn": VERSION.arn}
    )
    assert op.execute(context)["arn"] == VERSION.arn


def test_solution_version_lookup_skips_other_training_modes(personalize, context):
    op = personalize.attach(VERSION.make())
    name = op.build_request(context)["name"]
    update_arn = VERSION.arn.replace("abcd1234", "update00")
    summaries = [
        {"solutionVersionArn": update_arn, "status": "ACTIVE", "trainingMode": "UPDATE"},  # not described
        {"solutionVersionArn": VERSION.arn, "status": "ACTIVE", "trainingMode": "FULL"},
    ]
    personalize.ok("list_solution_versions", {"solutionVersions": summaries}, VERSION.list_params)
    mine = {**VERSION.description, "name": name}
    personalize.ok(
        "describe_solution_version", {"solutionVersion": mine}, {"solutionVersionArn": VERSION.arn}
    )
    assert op.execute(context)["arn"] == VERSION.arn


def test_campaign_updated_when_solution_version_changes(personalize, context):
    new_sv = SV_ARN.replace("abcd1234", "newer999")
    op = personalize.attach(CAMPAIGN.make(waiter_delay=0))
    op.solution_version_arn = new_sv
    personalize.ok("list_campaigns", {"campaigns": [summary(CAMPAIGN)]}, CAMPAIGN.list_params)
    personalize.ok("describe_campaign", CAMPAIGN.described(), {"campaignArn": CAMPAIGN.arn})
    personalize.ok(
        "update_campaign",
        {"campaignArn": CAMPAIGN.arn},
        {
            "campaignArn": CAMPAIGN.arn,
            "solutionVersionArn": new_sv,
            "minProvisionedTPS": 2,
            "campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0.3"}},
        },
    )
    updating = {"status": "CREATE IN_PROGRESS", "solutionVersionArn": new_sv}
    personalize.ok(
        "describe_campaign", CAMPAIGN.described(latestCampaignUpdate=updating), {"campaignArn": CAMPAIGN.arn}
    )
    personalize.ok(
        "describe_solution_version",
        {
            "solutionVersion": {
                "datasetGroupArn": CAMPAIGN.link_calls[0][1]["solutionVersion"]["datasetGroupArn"]
            }
        },
        {"solutionVersionArn": SV_ARN},
    )
    done = CAMPAIGN.described(
        solutionVersionArn=new_sv, latestCampaignUpdate={**updating, "status": "ACTIVE"}
    )
    personalize.ok("describe_campaign", done, {"campaignArn": CAMPAIGN.arn})
    personalize.ok("describe_campaign", done, {"campaignArn": CAMPAIGN.arn})

    result = op.execute(context)

    assert result["solutionVersionArn"] == new_sv


def test_campaign_update_in_flight_is_not_repeated(personalize, context):
    """A retry during an update compares with the in-flight definition and just waits."""
    new_sv = SV_ARN.replace("abcd1234", "newer999")
    op = personalize.attach(CAMPAIGN.make(waiter_delay=0))
    op.solution_version_arn = new_sv
    updating = CAMPAIGN.described(
        latestCampaignUpdate={"status": "CREATE PENDING", "solutionVersionArn": new_sv}
    )
    personalize.ok("list_campaigns", {"campaigns": [summary(CAMPAIGN)]}, CAMPAIGN.list_params)
    personalize.ok("describe_campaign", updating, {"campaignArn": CAMPAIGN.arn})
    stub_links(personalize, CAMPAIGN)
    failed = CAMPAIGN.described(
        latestCampaignUpdate={"status": "CREATE FAILED", "failureReason": "version not ACTIVE"}
    )
    personalize.ok("describe_campaign", failed, {"campaignArn": CAMPAIGN.arn})
    with pytest.raises(Exception, match="version not ACTIVE"):
        op.execute(context)  # no update_campaign stubbed


def test_campaign_drift_without_update_permission(personalize, context):
    op = personalize.attach(CAMPAIGN.make(update_if_changed=False))
    op.min_provisioned_tps = "5"
    personalize.ok("list_campaigns", {"campaigns": [summary(CAMPAIGN)]}, CAMPAIGN.list_params)
    personalize.ok("describe_campaign", CAMPAIGN.described(), {"campaignArn": CAMPAIGN.arn})
    with pytest.raises(PersonalizeResourceDriftError, match="field 'minProvisionedTPS' is 2, expected 5"):
        op.execute(context)


def test_recommender_config_updated_in_place(personalize, context):
    case = CASES_BY_KIND["recommender"]
    op = personalize.attach(case.make())
    op.recommender_config = '{"minRecommendationRequestsPerSecond": "4"}'  # as rendered from a template
    personalize.ok("list_recommenders", {"recommenders": [summary(case)]}, case.list_params)
    personalize.ok("describe_recommender", case.described(), {"recommenderArn": case.arn})
    personalize.ok(
        "update_recommender",
        {"recommenderArn": case.arn},
        {"recommenderArn": case.arn, "recommenderConfig": {"minRecommendationRequestsPerSecond": 4}},
    )
    updated = case.described(recommenderConfig={"minRecommendationRequestsPerSecond": 4})
    personalize.ok("describe_recommender", updated, {"recommenderArn": case.arn})
    assert op.execute(context)["status"] == "ACTIVE"


def test_non_updatable_recommender_field_is_drift(personalize, context):
    case = CASES_BY_KIND["recommender"]
    op = personalize.attach(case.make())
    other = "arn:aws:personalize:::recipe/aws-ecomm-popular-items-by-views"
    personalize.ok("list_recommenders", {"recommenders": [summary(case)]}, case.list_params)
    personalize.ok("describe_recommender", case.described(recipeArn=other), {"recommenderArn": case.arn})
    with pytest.raises(PersonalizeResourceDriftError, match="recipeArn"):
        op.execute(context)
