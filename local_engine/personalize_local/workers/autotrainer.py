"""The automatic-training scheduler: a thread that starts AUTOTRAIN solution versions when they are due."""

from __future__ import annotations

import logging
import threading
import time

from ..autotrain import is_due
from ..backend import Backend
from ..errors import ServiceError

log = logging.getLogger("personalize_local.autotrain")


class AutoTrainer:
    """Background scheduler; `poke()` makes it check at once (used when a solution becomes ACTIVE)."""

    def __init__(self, backend: Backend, check_seconds: float = 60.0) -> None:
        self.backend = backend
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
        started = []
        for solution in self.backend.store.records("Solution"):
            versions = self.backend.store.records("SolutionVersion", solution["solutionArn"])
            if not is_due(solution, versions, now):
                continue
            try:
                result = self.backend.create_solution_version(solution["solutionArn"], "AUTOTRAIN")
                started.append(result["solutionVersionArn"])
            except ServiceError as exc:  # e.g. the training limit: try again at the next check
                log.warning("automatic training of %s not started: %s", solution["solutionArn"], exc)
        return started
