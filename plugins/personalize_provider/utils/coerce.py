"""
Restore native types of values rendered from Jinja templates.

Unless the DAG sets ``render_template_as_native_obj=True`` every rendered template is a string, so
``min_provisioned_tps="{{ params.tps }}"`` arrives as ``"5"`` and botocore's parameter validation
would reject it. These helpers accept both the native value and its rendered string form.
"""

from __future__ import annotations

import ast
import json
from typing import Any

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off", "none", ""}


def to_int(value: Any, field: str) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    try:
        as_float = float(str(value).strip())
    except ValueError:
        raise ValueError(f"{field} must be an integer, got {value!r}") from None
    if not as_float.is_integer():
        raise ValueError(f"{field} must be an integer, got {value!r}")
    return int(as_float)


def to_bool(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{field} must be a boolean, got {value!r}")


def to_dict(value: Any, field: str) -> dict[str, Any] | None:
    """Accept a dict, its JSON text, or its Python repr (what ``{{ var.json.x }}`` renders to)."""
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        for parse in (json.loads, ast.literal_eval):
            try:
                parsed = parse(text)
            except (ValueError, SyntaxError):
                continue
            if isinstance(parsed, dict):
                return parsed
    raise ValueError(f"{field} must be a mapping, got {value!r}")


def to_str_map(value: Any, field: str) -> dict[str, str] | None:
    """Personalize string maps (e.g. ``itemExplorationConfig``) require string values, even for numbers."""
    mapping = to_dict(value, field)
    if mapping is None:
        return None
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in mapping.items()}
