"""The pure rules of the temporal graph: supersession boundaries, timelines, comparisons, decay."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmemory.engine import temporal
from openmemory.models import Fact

DAY = temporal.DAY_MS


def fact(fid: str, predicate: str, obj: str, start: int, end: int | None = None, confidence: float = 1.0) -> Fact:
    return Fact(fid, "u", None, "alice", predicate, obj, start, end, confidence, 0)


@given(old_start=st.integers(-(10**13), 10**13), gap=st.integers(1, 10**12))
def test_a_superseded_fact_ends_exactly_where_the_new_one_begins(old_start: int, gap: int) -> None:
    new_start = old_start + gap
    old = fact("a", "p", "x", old_start)
    assert temporal.supersedes(new_start, old)
    closed = fact("a", "p", "x", old_start, temporal.closing_time(new_start))
    new = fact("b", "p", "y", new_start)
    for t in (new_start - 1, new_start, new_start + 1):
        holding = [f.object for f in (closed, new) if temporal.is_valid_at(f, t)]
        assert holding == (["x"] if t < new_start else ["y"])


def test_a_later_or_simultaneous_open_fact_is_not_superseded() -> None:
    assert not temporal.supersedes(100, fact("a", "p", "x", 100))
    assert not temporal.supersedes(100, fact("a", "p", "x", 200))
    assert not temporal.supersedes(300, fact("a", "p", "x", 100, 150))  # already closed


def test_timeline_orders_changes_and_puts_creation_first_on_a_tie() -> None:
    entries = temporal.timeline([fact("b", "p", "y", 200), fact("a", "p", "x", 100, 200)])
    assert [(e.timestamp_ms, e.fact_id, e.change_type) for e in entries] == [
        (100, "a", "created"),
        (200, "b", "created"),
        (200, "a", "invalidated"),
    ]
    window = temporal.changes_between([fact("a", "p", "x", 100, 200)], 150, 250)
    assert [e.change_type for e in window] == ["invalidated"]


def test_compare_takes_the_latest_fact_per_predicate() -> None:
    old_open = fact("a", "job", "chef", 100)
    back_dated_later = fact("b", "job", "pilot", 300)
    diff = temporal.compare([old_open], [old_open, back_dated_later])
    assert [(c.before.object, c.after.object) for c in diff.changed] == [("chef", "pilot")]


@pytest.mark.parametrize(
    ("confidence", "age_days", "rate", "expected"),
    [
        (1.0, 10, 0.01, 0.9),
        (0.8, 0, 0.5, 0.8),
        (1.0, 200, 0.01, 0.1),  # floor
        (0.9, -5, 0.01, 0.9),  # a future fact never gains confidence
    ],
)
def test_decay_formula(confidence: float, age_days: float, rate: float, expected: float) -> None:
    now = 10**12
    got = temporal.decayed_confidence(confidence, now - int(age_days * DAY), now, rate)
    assert got == pytest.approx(expected)


def test_change_frequency_averages_closed_lifetimes_only() -> None:
    freq = temporal.change_frequency("job", [fact("a", "job", "x", 0, DAY), fact("b", "job", "y", DAY + 1)], 10)
    assert (freq.total_changes, freq.avg_duration_ms, freq.change_rate_per_day) == (2, DAY, 0.2)
