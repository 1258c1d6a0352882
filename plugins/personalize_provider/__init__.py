"""Amazon Personalize operators, hooks, triggers and console links for Apache Airflow (provider-style)."""

from __future__ import annotations
