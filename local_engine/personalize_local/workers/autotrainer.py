"""Automatic training: a solution with performAutoTraining gets an AUTOTRAIN solution version as soon as it
is ACTIVE and then once per `autoTrainingConfig.schedulingExpression` interval, e.g. `rate(7 days)`."""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import TYPE_CHECKING, Any

from .engine import ACTIVE, UNFINISHED
from .errors import InvalidInput, ServiceError

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger("personalize_local.autotrain")
RATE = re.compile(r"rate\((\d+) days?\)")
DAY = 86400.0
Record = dict[str, Any]


def interval_seconds(expression: str) -> float:
    """Personalize accepts rate(1 days) to rate(30 days)."""
    match = RATE.fullmatch(expression.strip())
    if not match or not 1 <= int(match.group(1)) <= 30:
        raise InvalidInput(
            f"schedulingExpression must be rate(N days) with N from 1 to 30, got {expression!r}"
        )
    return int(match.group(1)) * DAY


def is_due(solution: Record, versions: list[Record], now: float) -> bool:
    if not solution.get("performAutoTraining") or solution.get("status") != ACTIVE:
        return False
    if any(v.get("status") in UNFINISHED for v in versions):
        return False
    if not versions:
        return True
    expression = ((solution.get("solutionConfig") or {}).get("autoTrainingConfig") or {}).get(
        "schedulingExpression", "rate(7 days)"
    )
    last = max(float(v["creationDateTime"]) for v in versions)
    return now - last >= interval_seconds(expression)


class AutoTrainer:
    """Background scheduler; `poke()` makes it check at once (used when a solution becomes ACTIVE)."""

    def __init__(self, engine: Engine, check_seconds: float = 60.0) -> None:
        self.engine = engine
        self.check_seconds = check_seconds
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="autotrain", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while True:
            self._wake.wait(self.check_seconds)
            self._wake.clear()
            try:
                self.check(time.time())
            except Exception:  # the scheduler must survive a bad record or a closed store at shutdown
                log.exception("automatic training check failed")

    def check(self, now: float) -> list[str]:
        from .resources import Operations

        started = []
        for solution in self.engine.store.records("Solution"):
            versions = self.engine.store.records("SolutionVersion", solution["solutionArn"])
            if not is_due(solution, versions, now):
                continue
            try:
                result = Operations(self.engine).call(
                    "CreateSolutionVersion",
                    {"solutionArn": solution["solutionArn"], "trainingMode": "AUTOTRAIN"},
                )
                started.append(result["solutionVersionArn"])
            except ServiceError as exc:  # e.g. the training limit: try again at the next check
                log.warning("automatic training of %s not started: %s", solution["solutionArn"], exc)
        return started
