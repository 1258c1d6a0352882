"""
The custom waiters (``<kind>_active``, ``<kind>_deleted``, ``<kind>_<other target>``), built from the resource specs.

botocore ships no waiters for Personalize. Rather than a JSON file kept in step with the specs by hand, the waiter
model is generated from :mod:`personalize_provider.resources`, so the sync waits, the triggers and the pre-defer
check (``waiter_outcome``) share one definition of "done" and "failed" per resource type.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from botocore.waiter import WaiterModel

from personalize_provider.resources import DELETING, RESOURCES, ResourceSpec

Acceptor = dict[str, Any]


def _status_is(spec: ResourceSpec, status: str, state: str, member: str = "status") -> Acceptor:
    return {"matcher": "path", "argument": f"{spec.describe_key}.{member}", "expected": status, "state": state}


def _active(spec: ResourceSpec) -> list[Acceptor]:
    key = spec.describe_key
    if spec.update_key:  # done only once the latest in-place update is done too
        update = f"{key}.{spec.update_key}"
        success = {
            "matcher": "path",
            "argument": f"{key}.status == '{spec.done_status}' && "
                        f"({update} == null || {update}.status == '{spec.done_status}')",
            "expected": True,
            "state": "success",
        }
        failures = [_status_is(spec, s, "failure", f"{spec.update_key}.status") for s in spec.failed_statuses
                    if s.startswith("CREATE")]
    else:
        success, failures = _status_is(spec, spec.done_status, "success"), []
    failures += [_status_is(spec, s, "failure") for s in (*spec.failed_statuses, *DELETING)]
    return [success, *failures]


def _reached(spec: ResourceSpec, status: str) -> list[Acceptor]:
    return [_status_is(spec, status, "success"),
            *(_status_is(spec, s, "failure") for s in ("CREATE FAILED", *DELETING))]


def _gone() -> list[Acceptor]:
    return [{"matcher": "error", "expected": "ResourceNotFoundException", "state": "success"}]


def _waiter(spec: ResourceSpec, target: str) -> dict[str, Any]:
    delay, attempts = spec.waiter_delay, spec.waiter_max_attempts
    if target == "active":
        acceptors = _active(spec)
    elif target == "deleted":
        acceptors, delay, attempts = _gone(), 15, 120
    else:
        acceptors = _reached(spec, spec.other_targets[target])
    return {"operation": f"Describe{spec.api_name}", "delay": delay, "maxAttempts": attempts, "acceptors": acceptors}


@cache
def _config() -> dict[str, Any]:
    waiters = {spec.waiter_name(target): _waiter(spec, target)
               for spec in RESOURCES.values() for target in spec.targets}
    return {"version": 2, "waiters": waiters}


def waiter_config() -> dict[str, Any]:
    """The waiter model as botocore reads it (a fresh copy: the Amazon provider's hooks update it in place)."""
    return copy.deepcopy(_config())


@cache
def waiter_model() -> WaiterModel:
    return WaiterModel(_config())
