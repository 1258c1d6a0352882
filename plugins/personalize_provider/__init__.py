"""Amazon Personalize operators, hooks, triggers, waiters and console links for Apache Airflow: a provider,
registered through the ``apache_airflow_provider`` entry point (see :mod:`personalize_provider.get_provider_info`)."""

from __future__ import annotations

__version__ = "0.2.0"
