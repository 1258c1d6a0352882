"""Personalize filter expressions, compiled once and evaluated as item masks per request.

Supported: one or more `INCLUDE|EXCLUDE ItemID WHERE <conditions>` parts joined by `|` (an item must pass
every part); conditions on `Items.<FIELD>` and `Interactions.EVENT_TYPE` with IN, NOT IN, =, <, >, <=, >=,
literal lists or `$PARAM` placeholders, combined with AND / OR (AND binds tighter). A part whose placeholder
gets no value is skipped, as Personalize does. CurrentUser / IF clauses are rejected at CreateFilter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import InvalidInput

if TYPE_CHECKING:
    from .recipes import Model

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"[^"]*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<param>\$[A-Za-z0-9_]+)'
    r"|(?P<op><=|>=|=|<|>|\(|\)|,|\|)|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)


@dataclass(frozen=True)
class Condition:
    source: str  # "Items" or "Interactions"
    field: str
    op: str  # IN, NOT IN, =, <, >, <=, >=
    values: tuple[str | float, ...]
    param: str | None

    def resolve(self, filter_values: dict[str, str]) -> tuple[str | float, ...] | None:
        if self.param is None:
            return self.values
        raw = filter_values.get(self.param)
        if raw is None:
            return None
        return tuple(_literal(tok) for tok in _split_values(raw))


@dataclass(frozen=True)
class Part:
    include: bool
    groups: tuple[tuple[Condition, ...], ...]  # OR of AND-groups


def _literal(token: str) -> str | float:
    token = token.strip()
    if token.startswith('"') and token.endswith('"'):
        return token[1:-1]
    try:
        return float(token)
    except ValueError:
        return token


def _split_values(raw: str) -> list[str]:
    return [t for t in re.findall(r'"[^"]*"|[^,]+', raw) if t.strip()]


def _tokens(text: str) -> list[str]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise InvalidInput(f"Invalid filter expression near: {text[pos : pos + 20]!r}")
        out.append(match.group().strip())
        pos = match.end()
    return out


def parse(expression: str) -> list[Part]:
    tokens = _tokens(expression)
    parts: list[Part] = []
    i = 0

    def expect(word: str) -> None:
        nonlocal i
        if i >= len(tokens) or tokens[i].upper() != word:
            found = tokens[i] if i < len(tokens) else "end of expression"
            raise InvalidInput(f"Invalid filter expression: expected {word}, found {found}")
        i += 1

    while i < len(tokens):
        action = tokens[i].upper()
        if action not in ("INCLUDE", "EXCLUDE"):
            raise InvalidInput("Filter expression must start with INCLUDE or EXCLUDE")
        i += 1
        if i < len(tokens) and tokens[i].upper() == "ITEMID":
            i += 1
        else:
            raise InvalidInput("Only ItemID filters are supported (INCLUDE/EXCLUDE ItemID WHERE ...)")
        expect("WHERE")
        groups: list[list[Condition]] = [[]]
        while True:
            if i >= len(tokens) or "." not in tokens[i]:
                raise InvalidInput('Expected a condition such as Items.GENRES IN ("Comedy")')
            source, field = tokens[i].split(".", 1)
            source = source.capitalize()
            if source not in ("Items", "Interactions"):
                raise InvalidInput(f"Unsupported filter dataset {source}; use Items or Interactions")
            if source == "Interactions" and field.upper() != "EVENT_TYPE":
                raise InvalidInput("Only Interactions.EVENT_TYPE is supported in filters")
            i += 1
            op = tokens[i].upper() if i < len(tokens) else ""
            if op == "NOT":
                i += 1
                expect("IN")
                op = "NOT IN"
            elif op in ("IN", "=", "<", ">", "<=", ">="):
                i += 1
            else:
                raise InvalidInput(f"Unsupported filter operator {op or 'missing'}")
            values: list[str | float] = []
            param = None
            if i < len(tokens) and tokens[i].startswith("$"):
                param = tokens[i][1:]
                i += 1
            elif i < len(tokens) and tokens[i] == "(":
                i += 1
                while i < len(tokens) and tokens[i] != ")":
                    if tokens[i].startswith("$"):
                        param = tokens[i][1:]  # IN ($PARAM): the values arrive with the request
                    elif tokens[i] != ",":
                        values.append(_literal(tokens[i]))
                    i += 1
                expect(")")
            elif i < len(tokens):
                values.append(_literal(tokens[i]))
                i += 1
            groups[-1].append(Condition(source, field.upper(), op, tuple(values), param))
            if i < len(tokens) and tokens[i].upper() == "AND":
                i += 1
            elif i < len(tokens) and tokens[i].upper() == "OR":
                i += 1
                groups.append([])
            else:
                break
        if i < len(tokens) and tokens[i].upper() == "IF":
            raise InvalidInput("CurrentUser conditions (IF ...) are not supported by this engine")
        parts.append(Part(action == "INCLUDE", tuple(tuple(g) for g in groups)))
        if i < len(tokens):
            expect("|")
    if not parts:
        raise InvalidInput("Empty filter expression")
    return parts


class CompiledFilter:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.parts = parse(expression)

    def allowed(self, model: Model, user_rows: np.ndarray, filter_values: dict[str, str]) -> np.ndarray:
        """Boolean (len(user_rows) x n_items) mask of items the filter lets through."""
        n_rows, n_items = len(user_rows), len(model.item_ids)
        mask = np.ones((n_rows, n_items), dtype=bool)
        for part in self.parts:
            matched: np.ndarray | None = None
            skipped = False
            for group in part.groups:
                group_mask = np.ones((n_rows, n_items), dtype=bool)
                for cond in group:
                    values = cond.resolve(filter_values)
                    if values is None:
                        skipped = True
                        break
                    group_mask &= self._condition(model, cond, values, user_rows)
                if skipped:
                    break
                matched = group_mask if matched is None else matched | group_mask
            if skipped or matched is None:
                continue
            mask &= matched if part.include else ~matched
        return mask

    @staticmethod
    def _condition(
        model: Model, cond: Condition, values: tuple[str | float, ...], user_rows: np.ndarray
    ) -> np.ndarray:
        n_items = len(model.item_ids)
        if cond.source == "Interactions":
            hit = np.zeros((len(user_rows), n_items), dtype=bool)
            known = user_rows >= 0
            for value in values:
                matrix = model.event_items.get(str(value))
                if matrix is not None and known.any():
                    hit[known] |= matrix[user_rows[known]].toarray() > 0
            return ~hit if cond.op == "NOT IN" else hit
        meta = model.items_meta
        if meta is None or cond.field not in meta.columns:
            column = pd.Series([None] * n_items, dtype=object)
        else:
            column = meta[cond.field].reset_index(drop=True)
        if cond.op in ("IN", "NOT IN", "="):
            wanted = {str(v).lower() if isinstance(v, str) else v for v in values}

            def matches(cell: object) -> bool:
                if cell is None or (isinstance(cell, float) and np.isnan(cell)):
                    return False
                if isinstance(cell, str):
                    return any(tok.strip().lower() in wanted for tok in cell.split("|"))
                return cell in wanted or float(cell) in wanted  # type: ignore[arg-type]

            hit_items = np.fromiter((matches(c) for c in column), dtype=bool, count=n_items)
            if cond.op == "NOT IN":
                hit_items = ~hit_items
        else:
            numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
            target = float(values[0])
            with np.errstate(invalid="ignore"):
                hit_items = {
                    "<": numbers < target,
                    ">": numbers > target,
                    "<=": numbers <= target,
                    ">=": numbers >= target,
                }[cond.op]
        return np.broadcast_to(hit_items, (len(user_rows), n_items))
