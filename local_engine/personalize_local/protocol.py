"""Input validation and output shaping driven by botocore's own Personalize service model.

Using the model the SDK ships keeps field names, required members, length limits and patterns identical to
what a real client expects, without hand-copying them per operation.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from .errors import InvalidInput, UnknownOperation

CONTROL_SERVICE = "personalize"
RUNTIME_SERVICE = "personalize-runtime"


@cache
def service_model(name: str = CONTROL_SERVICE) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


def json_object(raw: str | bytes, what: str) -> dict[str, Any]:
    """Parse text that must hold a JSON object (a request body, an event's or a record's properties)."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{what} is not valid JSON: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    return value


def operation(name: str, service: str = CONTROL_SERVICE) -> OperationModel:
    model = service_model(service)
    if name not in model.operation_names:
        raise UnknownOperation(f"Unknown operation {name}")
    return model.operation_model(name)


def validate_input(op: OperationModel, params: Any) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise InvalidInput("Request body must be a JSON object")
    shape = op.input_shape
    if shape is not None:
        _validate(shape, params, "")
    return params


def _violation(detail: str) -> InvalidInput:
    """A constraint failure in the service's own words (its ValidationException message)."""
    return InvalidInput(f"1 validation error detected: {detail}")


def _validate(shape: Shape, value: Any, path: str) -> None:
    """Check one input value against its botocore shape; path is the member's dotted path, as AWS names it."""
    if value is None:
        return
    meta = shape.metadata
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            raise InvalidInput(f"{path} must be an object")
        for member in shape.required_members:
            if value.get(member) is None:
                where = f"{path}.{member}" if path else member
                raise _violation(f"Value null at '{where}' failed to satisfy constraint: Member must not be null")
        for key, item in value.items():
            if key in shape.members:
                _validate(shape.members[key], item, f"{path}.{key}" if path else key)
        return
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            raise InvalidInput(f"{path} must be a list")
        _check_range(len(value), meta, path, "length")
        for index, item in enumerate(value, start=1):
            _validate(shape.member, item, f"{path}.{index}.member" if isinstance(shape.member, StructureShape)
                      else path)
        return
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            raise InvalidInput(f"{path} must be a map")
        for key, item in value.items():
            _validate(shape.value, item, f"{path}.{key}")
        return
    if shape.type_name == "string":
        if not isinstance(value, str):
            raise InvalidInput(f"{path} must be a string")
        _check_range(len(value), meta, path, "length")
        if "enum" in meta and value not in meta["enum"]:
            raise _violation(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy "
                             f"enum value set: [{', '.join(meta['enum'])}]")
        pattern = _compiled(meta.get("pattern"))
        if pattern is not None and not pattern.fullmatch(value):
            # The pattern as the service model writes it, not Python's repr of the compiled expression.
            raise _violation(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy "
                             f"regular expression pattern: {meta['pattern']}")
    elif shape.type_name in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"{path} must be an integer")
        _check_range(value, meta, path, "value")
    elif shape.type_name in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{path} must be a number")
    elif shape.type_name == "boolean" and not isinstance(value, bool):
        raise InvalidInput(f"{path} must be a boolean")


@cache
def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    """AWS patterns are whole-value matches; a few use Java-only classes (\\p{ASCII}) we skip."""
    if not pattern:
        return None
    try:
        return re.compile(pattern.removeprefix("^").removesuffix("$"))
    except re.error:
        return None


def _check_range(size: int, meta: dict[str, Any], path: str, what: str) -> None:
    if "min" in meta and size < meta["min"]:
        raise _violation(f"Value at '{path}' failed to satisfy constraint: Member must have {what} "
                         f"greater than or equal to {meta['min']}")
    if "max" in meta and size > meta["max"]:
        raise _violation(f"Value at '{path}' failed to satisfy constraint: Member must have {what} "
                         f"less than or equal to {meta['max']}")


def shape_output(shape: Shape | None, value: Any) -> Any:
    """Project a stored record onto an output shape: drop unknown members and nulls, keep nested shapes."""
    if shape is None or value is None:
        return None
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            return None
        out = {}
        for key, member in shape.members.items():
            shaped = shape_output(member, value.get(key))
            if shaped is not None:
                out[key] = shaped
        return out
    if isinstance(shape, ListShape):
        return [shape_output(shape.member, v) for v in value]
    if isinstance(shape, MapShape):
        return {k: shape_output(shape.value, v) for k, v in value.items()}
    if shape.type_name == "timestamp":
        return float(value)  # json protocol: epoch seconds as a number
    return value


def output_for(op: OperationModel, result: dict[str, Any]) -> dict[str, Any]:
    shaped = shape_output(op.output_shape, result)
    return shaped if isinstance(shaped, dict) else {}
