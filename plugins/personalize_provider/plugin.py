"""Airflow plugin registering the Personalize console links and the pipeline's report links."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from personalize_provider.links.personalize import LINKS
from personalize_provider.links.reports import REPORT_LINKS


class PersonalizePlugin(AirflowPlugin):
    """Registers the operator extra links of :mod:`personalize_provider`."""

    name = "personalize"
    operator_extra_links = [link() for link in (*LINKS.values(), *REPORT_LINKS)]  # noqa: RUF012 - AirflowPlugin's API
