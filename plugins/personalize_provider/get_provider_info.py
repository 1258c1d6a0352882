"""What ``airflow providers list`` and the providers manager read (the ``apache_airflow_provider`` entry point).

Valid against Airflow's ``provider_info.schema.json``; a test checks it and that every module and class named here
imports. No plugin is needed for the links: Airflow 3 serializes an operator's extra links as (name, XCom key) and
the worker pushes the URLs, so the API server reads them without importing this package.
"""

from __future__ import annotations

from typing import Any

from personalize_provider import __version__

_INTEGRATION = "Amazon Personalize"
_OPERATOR_MODULES = ("campaign", "dataset", "delete", "jobs", "metric_attribution", "runtime", "solution")


def _link_classes() -> list[str]:
    # The resource specs name their links (one registry); resources.py imports nothing from Airflow.
    from personalize_provider.resources import RESOURCES

    return [spec.link_path for spec in RESOURCES.values() if spec.link_path]


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
            "python-modules": [f"personalize_provider.operators.{m}" for m in _OPERATOR_MODULES],
        }],
        "hooks": [{"integration-name": _INTEGRATION, "python-modules": ["personalize_provider.hooks.personalize"]}],
        "triggers": [{"integration-name": _INTEGRATION,
                      "python-modules": ["personalize_provider.triggers.personalize"]}],
        "extra-links": _link_classes(),
    }
