"""Opt-in fault injection for exercising clients' retry and failure handling. Off unless configured.

Settings live on the engine's Config, so the admin endpoint (`POST /admin/faults`) can change them while the
engine runs: jobs read `fail_training` and `min_job_seconds` when they need them, requests read the rest.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from typing import Any

from .config import Config
from .errors import InternalError, InvalidInput, ServiceError, Throttling

# Settings the admin endpoint may change, with their type and lowest allowed value (rates are also <= 1).
ADJUSTABLE: dict[str, tuple[type, float]] = {
    "throttle_rate": (float, 0.0),
    "error_rate": (float, 0.0),
    "error_burst_length": (int, 0),
    "error_burst_every": (int, 0),
    "lost_response_rate": (float, 0.0),
    "fail_training": (str, 0),
    "min_job_seconds": (float, 0.0),
    "seed": (int, 0),
}


def _internal(message: str, flavour: float) -> InternalError:
    error = InternalError(message)
    error.status = 503 if flavour < 0.5 else 500
    return error


class FaultInjector:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - reproducible fault sequence, not security
        self._lock = threading.Lock()
        self._requests = 0
        self.injected = {"throttled": 0, "internal_errors": 0, "burst_errors": 0, "lost_responses": 0}

    def _count(self, kind: str) -> None:
        with self._lock:
            self.injected[kind] += 1

    def request_fault(self) -> ServiceError | None:
        """A fault answering this request instead of the engine, or None to carry it out."""
        config = self.config
        every, length = config.error_burst_every, config.error_burst_length
        with self._lock:
            self._requests += 1
            # Bursts are counted, not rolled: the last N of every M requests, so a run meets them at a steady pace.
            in_burst = every > 0 and length > 0 and self._requests % every >= every - length
            roll = self._rng.random()
            flavour = self._rng.random()
        if in_burst:
            self._count("burst_errors")
            return _internal("Injected error burst (PERSONALIZE_LOCAL_ERROR_BURST_*)", flavour)
        if roll < config.throttle_rate:
            self._count("throttled")
            return Throttling("Rate exceeded (injected by PERSONALIZE_LOCAL_THROTTLE_RATE)")
        if roll < config.throttle_rate + config.error_rate:
            self._count("internal_errors")
            return _internal("Injected internal error (PERSONALIZE_LOCAL_ERROR_RATE)", flavour)
        return None

    def lost_response(self) -> ServiceError | None:
        """After the engine carried a request out: an error replacing its answer, as when a gateway times out."""
        if self.config.lost_response_rate <= 0:
            return None
        with self._lock:
            lost = self._rng.random() < self.config.lost_response_rate
        if not lost:
            return None
        self._count("lost_responses")
        return _internal("Injected lost response: the request was carried out (PERSONALIZE_LOCAL_LOST_RESPONSE_RATE)",
                         1.0)

    def settings(self) -> dict[str, Any]:
        return {name: getattr(self.config, name) for name in ADJUSTABLE}

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"settings": self.settings(), "requests": self._requests, "injected": dict(self.injected)}

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Validate and apply new settings (all or nothing); a new seed restarts the fault sequence."""
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in ADJUSTABLE:
                raise InvalidInput(f"Unknown fault setting {name!r}; known: {', '.join(ADJUSTABLE)}")
            kind, lowest = ADJUSTABLE[name]
            if kind is str:
                if not isinstance(value, str):
                    raise InvalidInput(f"{name} must be a string")
                checked[name] = value
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and value != int(value)):
                raise InvalidInput(f"{name} must be a{'n integer' if kind is int else ' number'}")
            if value < lowest or (name.endswith("_rate") and value > 1):
                raise InvalidInput(f"{name} must be >= {lowest}" + (" and <= 1" if name.endswith("_rate") else ""))
            checked[name] = kind(value)
        with self._lock:
            for name, value in checked.items():
                setattr(self.config, name, value)
            if "seed" in checked:
                self._rng.seed(checked["seed"])
        return self.state()


def training_fault(config: Config, solution_name: str) -> str | None:
    """Reason to fail a training run when PERSONALIZE_LOCAL_FAIL_TRAINING asks for it."""
    rule = config.fail_training
    if not rule or rule == "0":
        return None
    if rule.lower() in ("1", "true", "yes", "all") or fnmatch.fnmatch(solution_name, rule):
        return f"Injected training failure (PERSONALIZE_LOCAL_FAIL_TRAINING={rule})"
    return None
