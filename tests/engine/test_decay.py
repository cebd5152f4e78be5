from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmemory.engine.decay import (
    DAY_MS,
    current_salience,
    decay_anchor_ms,
    decayed_salience,
    plan_decay,
    recall_boost,
    reinforced_salience,
)
from openmemory.engine.sectors import DECAY_LAMBDA_PER_DAY
from openmemory.models import SECTORS, MemoryRecord


def _upstream_calc_decay(sector: str, s: float, days: float) -> float:
    lam = DECAY_LAMBDA_PER_DAY[sector]
    return min(1.0, max(0.0, s * math.exp(-lam * days) + 0.08 * (1 - math.exp(-lam * days))))


@pytest.mark.parametrize("sector", SECTORS)
@pytest.mark.parametrize("salience", [0.08, 0.2, 0.4, 0.9, 1.0])
@pytest.mark.parametrize("days", [0.0, 0.5, 1.0, 30.0, 365.0, 10_000.0])
def test_decay_matches_upstream_formula_above_the_floor(sector: str, salience: float, days: float) -> None:
    assert decayed_salience(sector, salience, days) == pytest.approx(_upstream_calc_decay(sector, salience, days))


@pytest.mark.parametrize(
    ("sector", "salience", "days", "expected"),
    [
        ("episodic", 0.8, 30, 0.08 + 0.72 * math.exp(-0.015 * 30)),
        ("reflective", 1.0, 100, 0.08 + 0.92 * math.exp(-0.1)),
        ("emotional", 0.5, 0, 0.5),
        ("semantic", 0.05, 1000, 0.05),  # below the floor: never raised (upstream pulled it up to 0.08)
        ("not-a-sector", 0.7, 1000, 0.7),  # unknown sector: unchanged, as upstream
        ("episodic", 0.7, -5, 0.7),  # a clock behind the anchor does not grow salience
    ],
)
def test_decay_table(sector: str, salience: float, days: float, expected: float) -> None:
    assert decayed_salience(sector, salience, days) == pytest.approx(expected)


def test_segment_scaling_slows_decay_for_later_segments() -> None:
    base = decayed_salience("episodic", 0.9, 50)
    half = decayed_salience("episodic", 0.9, 50, segment_index=1, max_segment=4)  # λ × (1 − 0.5)
    assert half == pytest.approx(0.08 + 0.82 * math.exp(-0.015 * 0.5 * 50))
    assert half > base
    assert decayed_salience("episodic", 0.9, 50, segment_index=4, max_segment=4) == pytest.approx(0.9)
    assert decayed_salience("episodic", 0.9, 50, segment_index=1, max_segment=0) == pytest.approx(base)


unit = st.floats(min_value=0.0, max_value=1.0)
days_st = st.floats(min_value=0.0, max_value=1e5)


@given(st.sampled_from(SECTORS), unit, days_st, days_st)
def test_decay_is_monotone_non_increasing_in_days_and_stays_in_unit_range(
    sector: str, s: float, d1: float, d2: float
) -> None:
    early, late = sorted((d1, d2))
    a, b = decayed_salience(sector, s, early), decayed_salience(sector, s, late)
    assert 0.0 <= b <= a + 1e-12
    assert a <= s + 1e-12
    assert a <= 1.0


@given(st.sampled_from(SECTORS), unit, st.floats(0, 1e4), st.floats(0, 1e4))
def test_decaying_in_two_steps_equals_one_step(sector: str, s: float, t1: float, t2: float) -> None:
    two_steps = decayed_salience(sector, decayed_salience(sector, s, t1), t2)
    assert two_steps == pytest.approx(decayed_salience(sector, s, t1 + t2), abs=1e-12)


@pytest.mark.parametrize(
    ("salience", "boost", "expected"), [(0.4, 0.1, 0.5), (0.95, 0.1, 1.0), (0.2, 0.5, 0.7), (1.3, 0.1, 1.0)]
)
def test_reinforced_salience_adds_and_caps(salience: float, boost: float, expected: float) -> None:
    assert reinforced_salience(salience, boost) == pytest.approx(expected)


@pytest.mark.parametrize(("salience", "expected"), [(0.0, 0.18), (0.5, 0.59), (1.0, 1.0)])
def test_recall_boost_closes_18_percent_of_the_gap(salience: float, expected: float) -> None:
    assert recall_boost(salience) == pytest.approx(expected)


@given(unit)
def test_recall_boost_never_saturates_in_one_step(s: float) -> None:
    assert s <= recall_boost(s) <= 1.0
    if s < 0.5:
        assert recall_boost(s) < 1.0


NOW = 1_700_000_000_000


def _row(
    memory_id: str,
    salience: float,
    *,
    seen_days_ago: float,
    updated_days_ago: float | None = None,
    sector: str = "episodic",
) -> MemoryRecord:
    seen = NOW - int(seen_days_ago * DAY_MS)
    updated = seen if updated_days_ago is None else NOW - int(updated_days_ago * DAY_MS)
    return MemoryRecord(
        memory_id=memory_id,
        user_id="u",
        content="x",
        primary_sector=sector,
        salience=salience,
        last_seen_at_ms=seen,
        updated_at_ms=updated,
        created_at_ms=seen,
    )


def test_anchor_is_the_later_of_last_seen_and_updated() -> None:
    row = _row("a", 0.5, seen_days_ago=10, updated_days_ago=3)
    assert decay_anchor_ms(row) == NOW - 3 * DAY_MS
    assert current_salience(row, NOW) == pytest.approx(decayed_salience("episodic", 0.5, 3))


def test_plan_decay_lists_only_rows_that_change_by_more_than_1e_4() -> None:
    rows = [
        _row("old", 0.9, seen_days_ago=30),
        _row("fresh", 0.9, seen_days_ago=0),
        _row("tiny", 0.9, seen_days_ago=0.001),  # 1.4 minutes: change < 1e-4
        _row("floor", 0.08, seen_days_ago=500),
    ]
    plan = plan_decay(rows, NOW)
    assert [mid for mid, _ in plan] == ["old"]
    assert plan[0][1] == pytest.approx(decayed_salience("episodic", 0.9, 30))


def test_running_the_decay_job_twice_with_the_same_clock_does_not_compound() -> None:
    row = _row("a", 0.9, seen_days_ago=30)
    ((_mid, new),) = plan_decay([row], NOW)
    # The caller stores the new salience and moves the anchor (updated_at) to now; last_seen stays.
    stored = replace(row, salience=new, updated_at_ms=NOW)
    assert stored.last_seen_at_ms == row.last_seen_at_ms
    assert plan_decay([stored], NOW) == []
    later = NOW + 20 * DAY_MS
    ((_, after_two_runs),) = plan_decay([stored], later)
    ((_, after_one_run),) = plan_decay([row], later)
    assert after_two_runs == pytest.approx(after_one_run)


def test_unknown_sector_rows_decay_at_their_stored_lambda() -> None:
    row = MemoryRecord(
        memory_id="m",
        user_id=None,
        content="x",
        primary_sector="legacy",
        salience=0.9,
        decay_lambda=0.1,
        last_seen_at_ms=NOW - 10 * DAY_MS,
        updated_at_ms=NOW - 10 * DAY_MS,
    )
    ((_, new),) = plan_decay([row], NOW)
    assert new == pytest.approx(0.08 + 0.82 * math.exp(-1.0))
