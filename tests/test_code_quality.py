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


# Each installable unit imports only the units below it: the provider nothing of ours, the pipeline the provider,
# the engine neither (it speaks Personalize's wire protocol, not our Python), the dev tooling anything.
ALLOWED_IMPORTS = {
    "personalize_provider": set(),
    "personalize_pipeline": {"personalize_provider"},
    "personalize_local": set(),
    "personalize_dev": {"personalize_provider", "personalize_pipeline", "personalize_local"},
}
PACKAGE_DIRS = {"personalize_provider": "plugins", "personalize_pipeline": "include",
                "personalize_local": "local_engine", "personalize_dev": "local_engine"}


def test_imports_flow_one_way_between_the_installable_units() -> None:
    """Also function-level imports: a lazy import of the engine from the pipeline would still break a worker."""
    import ast

    wrong = []
    for package, folder in PACKAGE_DIRS.items():
        for path in sorted((REPO / folder / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
                for name in names:
                    top = name.split(".")[0]
                    if top in ALLOWED_IMPORTS and top != package and top not in ALLOWED_IMPORTS[package]:
                        wrong.append(f"{path.relative_to(REPO)}:{node.lineno}: {package} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_no_data_path_walks_up_from_a_module_file() -> None:
    """Installed code finds its data through personalize_pipeline.paths or package resources, never by climbing
    out of its own folder (`Path(__file__).parents[...]`), which breaks once the code lives in site-packages."""
    climbing = re.compile(r"__file__\)?(\.resolve\(\))?\.parents?\b")
    found = []
    for package in ("personalize_provider", "personalize_pipeline", "personalize_local"):
        for path in sorted((REPO / PACKAGE_DIRS[package] / package).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if climbing.search(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
