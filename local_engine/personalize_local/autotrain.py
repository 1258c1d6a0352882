"""Automatic training rules: a solution with performAutoTraining gets an AUTOTRAIN solution version as soon as
it is ACTIVE and then once per `autoTrainingConfig.schedulingExpression` interval, e.g. `rate(7 days)`.

Pure functions, so the backend can validate schedules and the scheduler (workers/autotrainer.py) can decide
what is due without either importing the other."""

from __future__ import annotations

import re
from typing import Any

from .errors import InvalidInput
from .status import ACTIVE, UNFINISHED

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
