"""Find a CPython interpreter by minor version (3.12, 3.13) without a machine-specific path.

`python3.X` on PATH when it runs; else pyenv's newest 3.X (pyenv's shims answer only for the versions it has
activated, so `python3.12` fails on a machine whose global pyenv version is 3.11 even though 3.12 is installed).
`python -m personalize_dev.pythons 3.12` prints the path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys


def _runs(python: str, version: str) -> bool:
    # An interpreter found on PATH or by pyenv, asked its own version; no shell.
    done = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],  # noqa: S603
                          capture_output=True, text=True, check=False, timeout=60)
    return done.returncode == 0 and done.stdout.strip() == version


def find_python(version: str) -> str | None:
    """The path of a working python<version> interpreter, or None."""
    on_path = shutil.which(f"python{version}")
    if on_path and _runs(on_path, version):
        return on_path
    pyenv = shutil.which("pyenv")
    if not pyenv:
        return None
    # pyenv as found on PATH, with fixed arguments; no shell.
    listed = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True,  # noqa: S603
                            check=False, timeout=60).stdout.split()
    pattern = re.compile(rf"^{re.escape(version)}\.(\d+)$")
    candidates = sorted((int(m[1]), v) for v in listed if (m := pattern.match(v)))
    for _, full in reversed(candidates):
        # pyenv asked where its own interpreter is; no shell.
        found = subprocess.run([pyenv, "which", f"python{version}"], capture_output=True, text=True,  # noqa: S603
                               check=False, timeout=60, env={**os.environ, "PYENV_VERSION": full}).stdout.strip()
        if found and _runs(found, version):
            return found
    return None


def main(argv: list[str] | None = None) -> int:
    (version,) = argv if argv is not None else sys.argv[1:]
    found = find_python(version)
    if not found:
        print(f"no python{version}: install it (e.g. `pyenv install {version}`)", file=sys.stderr)
        return 1
    print(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
