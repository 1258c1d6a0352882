"""Print the browser test's notes (screenshot folder, where the time went) after the run: they are test output
worth seeing in `make test`, which runs pytest -q with output captured."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "browser" and getattr(report, "when", "") == "call":
                    terminalreporter.write_line(f"browser test: {value}")
