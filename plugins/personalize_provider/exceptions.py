"""Exceptions raised by the Personalize operators."""

from __future__ import annotations

from airflow.providers.common.compat.sdk import AirflowException


class PersonalizeResourceFailedError(AirflowException):
    """A resource or job reached a terminal failure state (carries Personalize's ``failureReason``)."""


class PersonalizeResourceDriftError(AirflowException):
    """An existing resource with the requested name does not match the requested definition."""


class PersonalizeResourceInUseError(AirflowException):
    """A resource cannot be changed or deleted because it is in use or still transitioning."""
