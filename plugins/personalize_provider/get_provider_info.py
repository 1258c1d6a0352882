"""What ``airflow providers list`` and the providers manager read (the ``apache_airflow_provider`` entry point).

Valid against Airflow's ``provider_info.schema.json``; a test checks it and that every module and class named here
imports. No plugin is needed for the links: Airflow 3 serializes an operator's extra links as (name, XCom key) and
the worker pushes the URLs, so the API server reads them without importing this package.
"""

from __future__ import annotations

from typing import Any

from personalize_provider import __version__

_INTEGRATION = "Amazon Personalize"
_LINK_CLASSES = (
    "PersonalizeDatasetGroupLink", "PersonalizeSchemaLink", "PersonalizeDatasetLink",
    "PersonalizeDatasetImportJobLink", "PersonalizeDatasetExportJobLink", "PersonalizeSolutionLink",
    "PersonalizeSolutionVersionLink", "PersonalizeCampaignLink", "PersonalizeBatchInferenceJobLink",
    "PersonalizeBatchSegmentJobLink", "PersonalizeFilterLink", "PersonalizeEventTrackerLink",
    "PersonalizeRecommenderLink",
)


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-personalize",
        "name": "Amazon Personalize",
        "description": "Amazon Personalize (https://aws.amazon.com/personalize/): an operator per resource, "
                       "deferrable triggers, waiters and console links.",
        "versions": [__version__],
        "integrations": [{
            "integration-name": _INTEGRATION,
            "external-doc-url": "https://docs.aws.amazon.com/personalize/latest/dg/what-is-personalize.html",
            "tags": ["aws"],
        }],
        "operators": [{
            "integration-name": _INTEGRATION,
            "python-modules": [f"personalize_provider.operators.{m}"
                               for m in ("campaign", "dataset", "delete", "jobs", "runtime", "solution")],
        }],
        "hooks": [{"integration-name": _INTEGRATION, "python-modules": ["personalize_provider.hooks.personalize"]}],
        "triggers": [{"integration-name": _INTEGRATION,
                      "python-modules": ["personalize_provider.triggers.personalize"]}],
        "extra-links": [f"personalize_provider.links.personalize.{name}" for name in _LINK_CLASSES],
    }
