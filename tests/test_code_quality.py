"""The tree stays lint-, type- and secret-clean: CI runs these with the rest of `make test`."""

from __future__ import annotations

import json
import re
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


def test_silenced_security_findings_say_why() -> None:
    """ruff's bandit rules (S) run on the code; each finding silenced with `noqa: S...` carries its reason after a
    dash on the same line, or in a comment right above, so a reviewer can judge it."""
    noqa = re.compile(r"#\s*noqa:\s*(S\d+(?:\s*,\s*[A-Z]+\d+)*)(.*)$")
    unexplained = []
    for folder in ("plugins", "include", "local_engine", "dags"):
        for path in sorted((REPO / folder).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, start=1):
                found = noqa.search(line)
                if not found:
                    continue
                reason_here = re.match(r"\s*[-—:]\s*\w+", found[2])
                reason_above = number > 1 and lines[number - 2].strip().startswith("#")
                if not (reason_here or reason_above):
                    unexplained.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not unexplained, "security findings silenced without a reason:\n" + "\n".join(unexplained)
