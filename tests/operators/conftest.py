"""Fixtures of the operator tests.

The suite runs with ``--import-mode=importlib``, which puts no test directory on ``sys.path``; the
shared helpers are plain modules next to this file, so make them importable by the tests here.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from personalize_stubs import _no_sleep, context, personalize

__all__ = ["_no_sleep", "context", "personalize"]
