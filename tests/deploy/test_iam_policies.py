"""IAM templates in include/iam/: valid JSON, render cleanly, pass parliament, and stay least-privilege."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from .deploy_files import REPO, import_parliament

IAM = REPO / "include" / "iam"
POLICIES = sorted(p.name for p in IAM.glob("*.json"))
EXAMPLE = {"AccountId": "123456789012", "BucketName": "example-personalize-bucket", "Region": "eu-west-1"}
KEY_POLICIES = {"kms-key-policy.json"}  # in a key policy "Resource": "*" means "this key"

# Parliament findings above LOW that are accepted, with the reason.
ALLOWED_FINDINGS = {
    ("personalize-service-role-trust.json", "MALFORMED"):
        "a role trust policy has no Resource element; parliament reads every document as an identity policy",
    ("airflow-role-policy.json", "PERMISSIONS_MANAGEMENT_ACTIONS"):
        "iam:PassRole is required to hand the service role to Personalize; it is limited to that one role "
        "and to iam:PassedToService personalize.amazonaws.com (asserted below)",
    ("kms-key-policy.json", "PERMISSIONS_MANAGEMENT_ACTIONS"):
        "kms:* for the account root is the AWS default key-policy statement that keeps the key manageable "
        "(without it a key can become unmanageable); IAM policies in the account still decide who uses it",
}
ALLOWED_SERVICE_WILDCARDS = {("kms-key-policy.json", "kms:*")}  # same root statement as above


def load_render() -> ModuleType:
    spec = importlib.util.spec_from_file_location("iam_render", IAM / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = load_render()
parliament = import_parliament()


def rendered(name: str) -> dict:
    return render.render((IAM / name).read_text(encoding="utf-8"), EXAMPLE)


def statements(document: dict) -> list[dict]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def resource_types(action: str) -> list[str]:
    """Resource types parliament's IAM database lists for an action; [] means it takes only "*"."""
    prefix, name = action.split(":")
    for service in parliament.iam_definition:
        if service["prefix"] == prefix:
            for privilege in service["privileges"]:
                if privilege["privilege"].lower() == name.lower():
                    return [r["resource_type"] for r in privilege["resource_types"] if r["resource_type"]]
    raise AssertionError(f"{action} is not in parliament's IAM database")


def test_templates_exist() -> None:
    assert set(POLICIES) >= {"airflow-role-policy.json", "personalize-service-role-trust.json",
                             "personalize-service-role-policy.json", "s3-bucket-policy.json",
                             "kms-key-policy.json"}


@pytest.mark.parametrize("name", POLICIES)
def test_valid_json_and_placeholders(name: str) -> None:
    text = (IAM / name).read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["Version"] == "2012-10-17"
    sids = [s.get("Sid") for s in statements(document)]
    assert all(sids) and len(set(sids)) == len(sids), "every statement needs a unique Sid"
    known = {"AccountId", "BucketName", *render.DEFAULTS, "BatchOutputPrefix"}
    assert render.placeholders(text) <= known, f"unknown placeholders {render.placeholders(text) - known}"
    assert "${" not in json.dumps(rendered(name))
    with pytest.raises(KeyError):  # AccountId / BucketName have no default: nothing renders half-filled
        render.render(text, {})


@pytest.mark.parametrize("name", POLICIES)
@pytest.mark.parametrize("community", [False, True], ids=["default-auditors", "community-auditors"])
def test_parliament(name: str, community: bool) -> None:
    if community:
        overrides = Path(str(parliament.__file__)).parent / "community_auditors" / "config_override.yaml"
        parliament.override_config(overrides)
    document = json.dumps(rendered(name))
    policy = parliament.analyze_policy_string(document, include_community_auditors=community)
    for finding in policy.findings:
        parliament.enhance_finding(finding)
    above_low = {(f.issue, f.severity, str(f.detail)[:200]) for f in policy.findings if f.severity != "LOW"}
    unexpected = {f for f in above_low if (name, f[0]) not in ALLOWED_FINDINGS}
    assert not unexpected, f"{name}: parliament findings above LOW: {unexpected}"


@pytest.mark.parametrize("name", POLICIES)
def test_no_wildcards_beyond_what_aws_requires(name: str) -> None:
    for statement in statements(rendered(name)):
        actions = as_list(statement.get("Action", []))
        assert "*" not in actions and "NotAction" not in statement and "NotResource" not in statement
        if statement["Effect"] == "Allow":
            for action in actions:
                if action.endswith(":*"):
                    assert (name, action) in ALLOWED_SERVICE_WILDCARDS, f"{name}: {action} in an Allow"
        if "*" in as_list(statement.get("Resource", [])) and statement["Effect"] == "Allow":
            if name in KEY_POLICIES:
                continue
            scoped = {a: resource_types(a) for a in actions if resource_types(a)}
            assert not scoped, f"{name} {statement['Sid']}: Resource '*' on scopable actions: {scoped}"


def test_pass_role_is_conditioned() -> None:
    found = 0
    for name in POLICIES:
        for statement in statements(rendered(name)):
            if any(a.lower() in ("iam:passrole", "iam:*") for a in as_list(statement.get("Action", []))):
                found += 1
                role = "arn:aws:iam::123456789012:role/PersonalizePipelineServiceRole"
                assert statement["Resource"] == role
                condition = statement["Condition"]["StringEquals"]["iam:PassedToService"]
                assert condition == "personalize.amazonaws.com"
    assert found == 1


def test_airflow_policy_is_scoped_to_the_project() -> None:
    for statement in statements(rendered("airflow-role-policy.json")):
        for resource in as_list(statement["Resource"]):
            if resource == "*":
                continue
            service = resource.split(":")[2]
            if service == "personalize":
                if resource == "arn:aws:personalize:::recipe/*":
                    continue
                assert resource.startswith("arn:aws:personalize:eu-west-1:123456789012:")
                assert resource.endswith("/lms*")
            elif service == "s3":
                assert resource in ("arn:aws:s3:::example-personalize-bucket",
                                    "arn:aws:s3:::example-personalize-bucket/personalize/*")
            else:
                assert resource.startswith("arn:aws:iam::123456789012:role/")
    describe_recipe = [s for s in statements(rendered("airflow-role-policy.json"))
                       if "personalize:DescribeRecipe" in as_list(s["Action"])]
    assert [s["Resource"] for s in describe_recipe] == ["arn:aws:personalize:::recipe/*"]


def test_service_principals_are_limited_to_the_account() -> None:
    trust = statements(rendered("personalize-service-role-trust.json"))
    bucket = statements(rendered("s3-bucket-policy.json"))
    for statement in trust + bucket:
        if statement["Effect"] == "Allow" and "Service" in statement.get("Principal", {}):
            assert statement["Principal"]["Service"] == "personalize.amazonaws.com"
            assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"


def test_service_role_writes_only_batch_and_attribution_output() -> None:
    writes = [r for s in statements(rendered("personalize-service-role-policy.json"))
              if "s3:PutObject" in as_list(s["Action"]) for r in as_list(s["Resource"])]
    assert writes == ["arn:aws:s3:::example-personalize-bucket/personalize/*/batch/*",
                      "arn:aws:s3:::example-personalize-bucket/personalize/*/attribution/*"]


def test_render_cli_writes_every_file(tmp_path: Path) -> None:
    render.main(["--account-id", "123456789012", "--bucket-name", "b", "--out-dir", str(tmp_path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == POLICIES
    for path in tmp_path.iterdir():
        assert "${" not in path.read_text()


def test_airflow_policy_covers_every_provider_resource() -> None:
    """Each resource type the operator package handles can be created, described, listed and deleted."""
    from personalize_provider import resources

    specs = [v for v in vars(resources).values() if isinstance(v, resources.ResourceSpec)]
    assert specs
    allowed = {a for s in statements(rendered("airflow-role-policy.json")) for a in as_list(s["Action"])}
    for spec in specs:
        needed = {f"personalize:{verb}{spec.api_name}" for verb in ("Create", "Describe")}
        needed.add(f"personalize:List{spec.api_name}s")
        if spec.deletable:
            needed.add(f"personalize:Delete{spec.api_name}")
        assert needed <= allowed, f"airflow-role-policy.json lacks {sorted(needed - allowed)}"
