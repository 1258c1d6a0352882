"""Airflow plugin registering the Personalize console links (so the UI can render them)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from personalize_provider.links.personalize import LINKS


class PersonalizePlugin(AirflowPlugin):
    """Registers the operator extra links of :mod:`personalize_provider`."""

    name = "personalize"
    operator_extra_links = [link() for link in LINKS.values()]  # noqa: RUF012 - AirflowPlugin's API
