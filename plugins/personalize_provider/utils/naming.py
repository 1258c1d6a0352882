"""Deterministic, Personalize-compliant names for jobs."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

#: Personalize names: ``^[a-zA-Z0-9][a-zA-Z0-9\-_]*`` and at most 63 characters.
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
MAX_NAME_LENGTH = 63
_HASH_LENGTH = 8


def _digest(text: str, length: int = _HASH_LENGTH) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def sanitize_name(raw: str) -> str:
    """Replace characters Personalize rejects with ``-`` and make the first character alphanumeric."""
    cleaned = re.sub(r"[^a-zA-Z0-9\-_]+", "-", raw).strip("-_")
    if not cleaned:
        return "x" + _digest(raw)
    return cleaned


def job_name(prefix: str, run_key: str) -> str:
    """
    Build ``<prefix>-<run_key>`` honouring Personalize's name rules.

    The same inputs always give the same name, which is what lets a retried task find the job it
    started. Names over 63 characters are cut and end with a hash of the full name, so two long
    names differing only in their tail still map to different jobs.
    """
    full = sanitize_name(f"{prefix}-{run_key}" if run_key else prefix)
    if len(full) <= MAX_NAME_LENGTH:
        return full
    head = full[: MAX_NAME_LENGTH - _HASH_LENGTH - 1].rstrip("-_")
    return f"{head}-{_digest(full)}"


def run_key(*parts: Any) -> str:
    """
    Short stable hash of the run identity and the job definition.

    Hashing the definition too means a changed configuration in the same run gets a new job
    instead of colliding with (and drifting from) the one started earlier.
    """
    canonical = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return _digest(canonical, 12)
