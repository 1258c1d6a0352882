"""Promotion gate: decide whether a new solution version may replace the one behind the campaign.

Pure logic (no AWS calls) so it can be unit-tested exhaustively and its decision pushed to XCom.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

PersonalizeMetric = Literal[
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
]
METRIC_NAMES: tuple[str, ...] = get_args(PersonalizeMetric)

# Relative comparisons such as 0.102 / 0.1 - 1 >= 0.02 fail by one ulp without a little slack.
_EPS = 1e-9


class PromotionRule(BaseModel):
    """Configurable promotion policy (validated from the pipeline config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    primary_metric: PersonalizeMetric = "normalized_discounted_cumulative_gain_at_10"
    # 0.0 = "not worse than the incumbent"; 0.02 = "at least 2% better"; negative tolerates a small loss.
    min_relative_change: float = Field(default=0.0, allow_inf_nan=False, gt=-1.0)
    # metric -> maximum allowed relative drop versus the incumbent (0.10 = may lose at most 10%).
    guards: dict[PersonalizeMetric, float] = Field(default_factory=dict)
    # metric -> absolute minimum; the only check a first version faces, and applied to every candidate.
    floors: dict[PersonalizeMetric, float] = Field(default_factory=dict)

    @field_validator("guards")
    @classmethod
    def _guards_are_fractions(cls, value: dict[str, float]) -> dict[str, float]:
        for metric, drop in value.items():
            if not (math.isfinite(drop) and 0.0 <= drop <= 1.0):
                raise ValueError(f"guard for {metric} must be a fraction in [0, 1], got {drop}")
        return value

    @field_validator("floors")
    @classmethod
    def _floors_are_finite(cls, value: dict[str, float]) -> dict[str, float]:
        for metric, floor in value.items():
            if not math.isfinite(floor):
                raise ValueError(f"floor for {metric} must be a finite number, got {floor}")
        return value


@dataclass(frozen=True)
class MetricDelta:
    """One metric, old vs new. ``None`` means missing/NaN (or undefined, for rel_delta)."""

    metric: str
    incumbent: float | None
    candidate: float | None
    abs_delta: float | None
    rel_delta: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "incumbent": self.incumbent,
            "candidate": self.candidate,
            "abs_delta": self.abs_delta,
            "rel_delta": self.rel_delta,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricDelta:
        return cls(
            metric=str(data["metric"]),
            incumbent=_clean(data.get("incumbent")),
            candidate=_clean(data.get("candidate")),
            abs_delta=_clean(data.get("abs_delta")),
            rel_delta=_clean(data.get("rel_delta")),
        )


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    reason: str
    rows: list[MetricDelta] = field(default_factory=list)
    primary_metric: str = "normalized_discounted_cumulative_gain_at_10"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (no NaN/inf, only builtins) so it can travel through XCom."""
        return {
            "promote": self.promote,
            "reason": self.reason,
            "primary_metric": self.primary_metric,
            "rows": [row.to_dict() for row in self.rows],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PromotionDecision:
        """Inverse of :meth:`to_dict`, for downstream tasks that pull the decision from XCom."""
        return cls(
            promote=bool(data["promote"]),
            reason=str(data["reason"]),
            rows=[MetricDelta.from_dict(r) for r in data.get("rows", [])],
            primary_metric=str(data.get("primary_metric", PromotionRule().primary_metric)),
        )


def _clean(value: Any) -> float | None:
    """Coerce a metric value to float; NaN, inf, None and junk all count as 'missing'."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _pct(rel: float) -> str:
    return f"{rel * 100:+.1f}%"


def metric_order(names: Iterable[str], primary: str | None = None) -> list[str]:
    """Display order: ``primary`` first, then Personalize's own order, then anything unexpected."""
    names = set(names)
    ordered = [m for m in METRIC_NAMES if m in names] + sorted(names - set(METRIC_NAMES))
    if primary in names:
        ordered.remove(primary)
        ordered.insert(0, primary)
    return ordered


def _rel_change(candidate: float, incumbent: float) -> float | None:
    """Relative change, or None when undefined (incumbent 0 and candidate not 0)."""
    if incumbent == 0.0:
        return 0.0 if candidate == 0.0 else None
    return (candidate - incumbent) / abs(incumbent)


def compute_rows(
    candidate: Mapping[str, Any], incumbent: Mapping[str, Any] | None, primary: str | None = None
) -> list[MetricDelta]:
    """Old vs new for every metric present in either mapping (``primary`` listed first)."""
    inc_map = incumbent or {}
    rows = []
    for metric in metric_order(set(candidate) | set(inc_map), primary):
        new, old = _clean(candidate.get(metric)), _clean(inc_map.get(metric))
        if new is None or old is None:
            rows.append(MetricDelta(metric, old, new, None, None))
        else:
            rows.append(MetricDelta(metric, old, new, new - old, _rel_change(new, old)))
    return rows


def _check_floors(candidate: Mapping[str, Any], rule: PromotionRule) -> str | None:
    for metric, floor in rule.floors.items():
        value = _clean(candidate.get(metric))
        if value is None:
            return f"{metric} is missing or NaN in the candidate, required ≥ {floor:.4f} (floor)"
        if value + _EPS < floor:
            return f"{metric} {value:.4f} is below the floor, required ≥ {floor:.4f}"
    return None


def _check_guards(
    candidate: Mapping[str, Any], incumbent: Mapping[str, Any], rule: PromotionRule
) -> str | None:
    for metric, max_drop in rule.guards.items():
        old = _clean(incumbent.get(metric))
        if old is None or old <= 0.0:
            # Nothing to protect: no baseline, or already at zero (metrics are non-negative).
            continue
        new = _clean(candidate.get(metric))
        if new is None:
            return f"{metric} is missing or NaN in the candidate but {old:.4f} in service (guarded metric)"
        rel = (new - old) / old
        if rel + _EPS < -max_drop:
            return (
                f"{metric} {new:.4f} vs {old:.4f} in service ({_pct(rel)}), "
                f"guard allows at most {_pct(-max_drop)}"
            )
    return None


def decide(
    candidate: Mapping[str, float], incumbent: Mapping[str, float] | None, rule: PromotionRule
) -> PromotionDecision:
    """Decide whether ``candidate`` may replace ``incumbent`` (None = nothing in service yet).

    Check order: primary present -> primary change vs threshold -> guards -> floors.
    The reason names the first failing check, or the primary comparison on success.
    """
    primary = rule.primary_metric
    rows = compute_rows(candidate, incumbent, primary)

    def result(promote: bool, reason: str) -> PromotionDecision:
        return PromotionDecision(promote=promote, reason=reason, rows=rows, primary_metric=primary)

    new = _clean(candidate.get(primary))
    if new is None:
        return result(False, f"{primary} is missing or NaN in the candidate, so it cannot be evaluated")

    old = _clean(incumbent.get(primary)) if incumbent is not None else None
    if old is None:
        # First version, or an incumbent without a usable primary metric: there is no baseline, and
        # refusing forever would leave the campaign stuck on it, so only absolute floors apply.
        floor_failure = _check_floors(candidate, rule)
        if floor_failure:
            return result(False, floor_failure)
        context = "no version in service" if incumbent is None else f"in-service {primary} is missing or NaN"
        floors = "floors met" if rule.floors else "no floors configured"
        return result(True, f"{primary} {new:.4f} with {context}, {floors}")

    required = f"required ≥ {_pct(rule.min_relative_change)}"
    rel = _rel_change(new, old)
    if rel is None:
        # Incumbent is 0: a relative change is undefined, so compare absolutely (any gain beats 0).
        passed = new > old
        observed = f"{new:.4f} vs {old:.4f} in service (relative change undefined, {new - old:+.4f} absolute)"
    else:
        passed = rel + _EPS >= rule.min_relative_change
        observed = f"{new:.4f} vs {old:.4f} in service ({_pct(rel)})"
    primary_sentence = f"{primary} {observed}, {required}"
    if not passed:
        return result(False, primary_sentence)

    failure = _check_guards(candidate, incumbent or {}, rule) or _check_floors(candidate, rule)
    if failure:
        return result(False, failure)
    return result(True, primary_sentence)


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def format_table(rows: Iterable[MetricDelta]) -> str:
    """Fixed-width old-vs-new table for task logs."""
    header = ("metric", "incumbent", "candidate", "abs_delta", "rel_delta")
    body = [
        (
            r.metric,
            _fmt(r.incumbent, ".4f"),
            _fmt(r.candidate, ".4f"),
            _fmt(r.abs_delta, "+.4f"),
            "n/a" if r.rel_delta is None else _pct(r.rel_delta),
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    rule_line = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule_line, *(line(cells) for cells in body)])
