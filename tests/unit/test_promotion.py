from __future__ import annotations

import json

import pytest
from personalize_pipeline.promotion import (
    MetricDelta,
    PromotionDecision,
    PromotionRule,
    decide,
    format_table,
)
from pydantic import ValidationError

NDCG = "normalized_discounted_cumulative_gain_at_10"
DEFAULT = PromotionRule()


def m(ndcg: float, coverage: float = 0.5, **extra: float) -> dict[str, float]:
    return {NDCG: ndcg, "coverage": coverage, **extra}


# --- rule validation -------------------------------------------------------------------------


def test_rule_defaults() -> None:
    assert DEFAULT.primary_metric == NDCG
    assert DEFAULT.min_relative_change == 0.0
    assert DEFAULT.guards == {} and DEFAULT.floors == {}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"primary_metric": "ndcg"},
        {"guards": {"covrage": 0.1}},
        {"floors": {"precision_at_11": 0.1}},
        {"guards": {"coverage": 1.5}},
        {"guards": {"coverage": -0.1}},
        {"floors": {"coverage": float("nan")}},
        {"min_relative_change": float("nan")},
        {"unknown_field": 1},
    ],
)
def test_rule_rejects_bad_config(kwargs: dict) -> None:
    with pytest.raises(ValidationError):
        PromotionRule(**kwargs)


# --- the gate --------------------------------------------------------------------------------


def test_worse_candidate_rejected_with_exact_reason() -> None:
    d = decide(m(0.1012), m(0.1238), DEFAULT)
    assert d.promote is False
    assert d.reason == (
        "normalized_discounted_cumulative_gain_at_10 0.1012 vs 0.1238 in service (-18.3%), required ≥ +0.0%"
    )


def test_better_candidate_promoted_with_exact_reason() -> None:
    d = decide(m(0.1238), m(0.1012), DEFAULT)
    assert d.promote is True
    assert d.reason == (
        "normalized_discounted_cumulative_gain_at_10 0.1238 vs 0.1012 in service (+22.3%), required ≥ +0.0%"
    )


def test_equal_counts_as_not_worse() -> None:
    assert decide(m(0.1), m(0.1), DEFAULT).promote is True


def test_equal_fails_when_improvement_required() -> None:
    rule = PromotionRule(min_relative_change=0.02)
    d = decide(m(0.1), m(0.1), rule)
    assert d.promote is False
    assert "required ≥ +2.0%" in d.reason


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [(0.1019, False), (0.1020, True), (0.1021, True)],  # 0.1020 is exactly +2%: float noise must not reject
)
def test_threshold_boundary(candidate: float, expected: bool) -> None:
    rule = PromotionRule(min_relative_change=0.02)
    assert decide(m(candidate), m(0.1), rule).promote is expected


def test_negative_threshold_tolerates_small_loss() -> None:
    rule = PromotionRule(min_relative_change=-0.05)
    assert decide(m(0.097), m(0.1), rule).promote is True
    assert decide(m(0.094), m(0.1), rule).promote is False


def test_other_primary_metric_is_used() -> None:
    rule = PromotionRule(primary_metric="precision_at_5")
    d = decide(m(0.05, precision_at_5=0.2), m(0.5, precision_at_5=0.1), rule)
    assert d.promote is True  # NDCG collapsed but it is not the primary metric and has no guard
    assert d.reason.startswith("precision_at_5 0.2000 vs 0.1000")


def test_guard_drop_rejects_even_if_primary_improves() -> None:
    rule = PromotionRule(guards={"coverage": 0.10})
    d = decide(m(0.2, coverage=0.70), m(0.1, coverage=0.82), rule)
    assert d.promote is False
    assert d.reason == "coverage 0.7000 vs 0.8200 in service (-14.6%), guard allows at most -10.0%"


def test_guard_within_allowance_passes() -> None:
    rule = PromotionRule(guards={"coverage": 0.10})
    assert decide(m(0.2, coverage=0.75), m(0.1, coverage=0.82), rule).promote is True  # -8.5%


def test_guard_missing_in_candidate_rejects() -> None:
    rule = PromotionRule(guards={"precision_at_10": 0.1})
    d = decide(m(0.2), m(0.1, precision_at_10=0.3), rule)
    assert d.promote is False
    assert "precision_at_10 is missing" in d.reason


def test_guard_without_incumbent_baseline_is_skipped() -> None:
    rule = PromotionRule(guards={"precision_at_10": 0.1})
    assert decide(m(0.2, precision_at_10=0.0), m(0.1), rule).promote is True
    # incumbent at 0 cannot be undercut
    assert decide(m(0.2, precision_at_10=0.0), m(0.1, precision_at_10=0.0), rule).promote is True


def test_first_version_promoted_without_floors() -> None:
    d = decide(m(0.01), None, DEFAULT)
    assert d.promote is True
    assert d.reason == (
        "normalized_discounted_cumulative_gain_at_10 0.0100 with no version in service, no floors configured"
    )
    assert all(r.incumbent is None and r.rel_delta is None for r in d.rows)


def test_first_version_must_meet_floors() -> None:
    rule = PromotionRule(floors={NDCG: 0.05, "coverage": 0.2})
    ok = decide(m(0.06, coverage=0.3), None, rule)
    assert ok.promote is True and "floors met" in ok.reason
    low = decide(m(0.04, coverage=0.3), None, rule)
    assert low.promote is False
    assert low.reason == (
        "normalized_discounted_cumulative_gain_at_10 0.0400 is below the floor, required ≥ 0.0500"
    )
    assert decide(m(0.06, coverage=0.1), None, rule).promote is False
    assert decide({NDCG: 0.06}, None, rule).promote is False  # floor metric missing


def test_floors_apply_to_later_candidates_too() -> None:
    rule = PromotionRule(floors={"coverage": 0.2})
    d = decide(m(0.2, coverage=0.1), m(0.1, coverage=0.1), rule)
    assert d.promote is False
    assert "coverage 0.1000 is below the floor" in d.reason


def test_zero_incumbent_compares_absolute() -> None:
    rule = PromotionRule(min_relative_change=0.5)
    d = decide(m(0.01), m(0.0), rule)
    assert d.promote is True
    assert "relative change undefined, +0.0100 absolute" in d.reason
    primary = d.rows[0]
    assert primary.metric == NDCG and primary.rel_delta is None and primary.abs_delta == pytest.approx(0.01)
    assert decide(m(0.0), m(0.0), rule).promote is False  # no gain at all vs required +50%
    assert decide(m(0.0), m(0.0), DEFAULT).promote is True  # equal is "not worse"
    assert decide(m(-0.01), m(0.0), DEFAULT).promote is False  # absolute comparison: below 0 is worse


@pytest.mark.parametrize("candidate", [{"coverage": 0.5}, m(float("nan")), {NDCG: None}, {NDCG: "abc"}])
def test_missing_or_nan_primary_in_candidate_rejects(candidate: dict) -> None:
    d = decide(candidate, m(0.1), DEFAULT)
    assert d.promote is False
    assert d.reason == (
        "normalized_discounted_cumulative_gain_at_10 is missing or NaN in the candidate, "
        "so it cannot be evaluated"
    )
    assert decide(candidate, None, DEFAULT).promote is False  # also for a first version


def test_nan_incumbent_primary_falls_back_to_floors() -> None:
    rule = PromotionRule(floors={NDCG: 0.05})
    d = decide(m(0.06), m(float("nan")), rule)
    assert d.promote is True
    assert "in-service normalized_discounted_cumulative_gain_at_10 is missing or NaN" in d.reason
    assert decide(m(0.04), m(float("nan")), rule).promote is False


def test_rows_cover_union_of_metrics_primary_first() -> None:
    d = decide(
        {NDCG: 0.2, "precision_at_5": 0.1}, {NDCG: 0.1, "coverage": 0.4, "precision_at_5": 0.0}, DEFAULT
    )
    by_metric = {r.metric: r for r in d.rows}
    assert [r.metric for r in d.rows] == [NDCG, "coverage", "precision_at_5"]
    assert by_metric[NDCG] == MetricDelta(NDCG, 0.1, 0.2, pytest.approx(0.1), pytest.approx(1.0))
    assert by_metric["coverage"] == MetricDelta("coverage", 0.4, None, None, None)
    assert by_metric["precision_at_5"].rel_delta is None  # 0 -> 0.1: undefined


def test_to_dict_is_json_safe_and_round_trips() -> None:
    d = decide(m(float("nan"), coverage=float("inf")), m(0.1), DEFAULT)
    payload = json.loads(json.dumps(d.to_dict(), allow_nan=False))
    assert payload["promote"] is False and payload["primary_metric"] == NDCG
    assert {r["metric"] for r in payload["rows"]} == {NDCG, "coverage"}
    again = PromotionDecision.from_dict(payload)
    assert again == d


def test_decision_is_frozen() -> None:
    d = decide(m(0.2), m(0.1), DEFAULT)
    with pytest.raises(AttributeError):
        d.promote = False  # type: ignore[misc]


# --- table -----------------------------------------------------------------------------------


def test_format_table_fixed_width() -> None:
    d = decide(m(0.1238, coverage=0.5), m(0.1012, coverage=0.0), DEFAULT)
    table = format_table(d.rows)
    lines = table.splitlines()
    assert lines[0].split() == ["metric", "incumbent", "candidate", "abs_delta", "rel_delta"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == [NDCG, "0.1012", "0.1238", "+0.0226", "+22.3%"]
    assert lines[3].split() == ["coverage", "0.0000", "0.5000", "+0.5000", "n/a"]
    # right-aligned numeric columns end at the same position
    assert len({len(line) for line in lines}) == 1


def test_format_table_empty() -> None:
    assert format_table([]).splitlines()[0].split()[0] == "metric"
