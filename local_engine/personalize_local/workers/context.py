"""What a running job sees of its runner: a cancel flag to check between steps.

Apart from runner.py so the job functions (imports, training, batch) can name it without importing the runner,
which is handed those functions by the wiring.
"""

from __future__ import annotations

import threading


class Cancelled(Exception):
    """Raised inside a job when StopSolutionVersionCreation (or a delete) asked it to stop."""


class JobContext:
    def __init__(self, arn: str) -> None:
        self.arn = arn
        self.cancel = threading.Event()

    def check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()
