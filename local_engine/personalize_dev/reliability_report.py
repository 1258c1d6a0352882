"""The reliability report: what the fault-injection tests (tests/reliability) measured, as JSON and as a table.

The tests write `var/reports/reliability.json`; `make reliability` runs them and prints the table with
`python -m personalize_dev.reliability_report [path]`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPORT_PATH = Path(__file__).resolve().parents[2] / "var" / "reports" / "reliability.json"
COMMAND = "make reliability"


def scenario(name: str, *, faults: Mapping[str, int], runs: int, runs_ok: int, expected: str, outcome: str,
             duplicates: int, seconds: float, rows_staged: int | None = None,
             rows_imported: int | None = None) -> dict[str, Any]:
    """One row: faults injected (by kind), runs started and how many ended as expected, duplicates and data lost
    (rows staged for import minus rows the engine holds; None where the scenario imports nothing)."""
    lost = None if rows_staged is None or rows_imported is None else rows_staged - rows_imported
    return {"scenario": name, "faults": {k: v for k, v in faults.items() if v}, "runs": runs, "runs_ok": runs_ok,
            "expected": expected, "outcome": outcome, "duplicates": duplicates, "rows_staged": rows_staged,
            "rows_imported": rows_imported, "rows_lost": lost, "seconds": round(seconds, 1)}


def write_report(scenarios: Iterable[Mapping[str, Any]], path: Path = REPORT_PATH) -> Path:
    rows = list(scenarios)
    report = {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": COMMAND,
        "scenarios": rows,
        "totals": {key: sum(int(r[key] or 0) for r in rows) for key in ("runs", "runs_ok", "duplicates", "rows_lost")}
        | {"faults": sum(sum(r["faults"].values()) for r in rows)},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path


def table(report: Mapping[str, Any]) -> str:
    lines = ["| scenario | faults injected | runs | ended as expected | duplicates | rows staged / imported / lost "
             "| seconds |", "|---|---|---|---|---|---|---|"]
    for r in report["scenarios"]:
        faults = ", ".join(f"{k} {v}" for k, v in r["faults"].items()) or "none"
        data = ("n/a" if r["rows_lost"] is None
                else f"{r['rows_staged']:,} / {r['rows_imported']:,} / {r['rows_lost']:,}")
        lines.append(f"| {r['scenario']} | {faults} | {r['runs']} | {r['runs_ok']} ({r['outcome']}) | "
                     f"{r['duplicates']} | {data} | {r['seconds']:.0f} |")
    t = report["totals"]
    lines.append(f"\n{t['faults']} faults injected, {t['runs_ok']}/{t['runs']} runs ended as expected, "
                 f"{t['duplicates']} duplicates, {t['rows_lost']} rows lost ({report['generated_at']}, "
                 f"`{report['command']}`)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m personalize_dev.reliability_report", description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=REPORT_PATH)
    args = parser.parse_args(argv)
    if not args.path.exists():
        print(f"{args.path} does not exist: run `{COMMAND}` (or pytest tests/reliability) first", file=sys.stderr)
        return 1
    print(table(json.loads(args.path.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
