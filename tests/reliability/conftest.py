"""The reliability tests share one report: each scenario adds a row, written to var/reports/reliability.json."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from personalize_dev.reliability_report import write_report


@pytest.fixture(scope="session")
def reliability_report() -> Iterator[list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    yield rows
    if rows:  # only scenarios that ran (and finished their measurements) are reported
        write_report(rows)
