"""The tree stays lint-, type- and secret-clean: CI runs these with the rest of `make test`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=REPO, timeout=600, check=False)


def test_ruff_clean() -> None:
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_clean() -> None:
    result = run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout[-4000:]


def test_no_secrets_committed() -> None:
    files = run("git", "ls-files").stdout.split()
    files = [f for f in files if not f.endswith((".lock", ".png"))]
    result = run(str(BIN / "detect-secrets"), "scan", *files)
    findings = json.loads(result.stdout)["results"]
    assert findings == {}, json.dumps(findings, indent=2)[:4000]
