"""Opt-in fault injection for exercising clients' retry and failure handling. Off unless configured."""

from __future__ import annotations

import fnmatch
import random
import threading

from .config import Config
from .errors import InternalError, ServiceError, Throttling


class FaultInjector:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - reproducible fault sequence, not security
        self._lock = threading.Lock()

    def request_fault(self) -> ServiceError | None:
        if self.config.throttle_rate <= 0 and self.config.error_rate <= 0:
            return None
        with self._lock:
            roll = self._rng.random()
            flavour = self._rng.random()
        if roll < self.config.throttle_rate:
            return Throttling("Rate exceeded (injected by PERSONALIZE_LOCAL_THROTTLE_RATE)")
        if roll < self.config.throttle_rate + self.config.error_rate:
            error = InternalError("Injected internal error (PERSONALIZE_LOCAL_ERROR_RATE)")
            error.status = 503 if flavour < 0.5 else 500
            return error
        return None


def training_fault(config: Config, solution_name: str) -> str | None:
    """Reason to fail a training run when PERSONALIZE_LOCAL_FAIL_TRAINING asks for it."""
    rule = config.fail_training
    if not rule or rule == "0":
        return None
    if rule.lower() in ("1", "true", "yes", "all") or fnmatch.fnmatch(solution_name, rule):
        return f"Injected training failure (PERSONALIZE_LOCAL_FAIL_TRAINING={rule})"
    return None
