"""Property: the store's SQL answers exactly what the engine's pure rules say (validity, ranges, timelines)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmemory.engine import temporal
from openmemory.facts import Facts
from openmemory.store.sqlite import SQLiteStore
from tests.service.conftest import Clock

times = st.integers(-1_000, 1_000)
inserts = st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("xyz"), times), min_size=1, max_size=12)
probes = st.lists(st.one_of(times, st.none()), min_size=2, max_size=2)


SUBJECTS = itertools.count()


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Facts]:
    store = SQLiteStore.open(tmp_path_factory.mktemp("rules") / "f.sqlite")
    yield Facts(store.facts, Clock())
    store.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=inserts, at=times, window=probes)
def test_sql_reads_follow_the_engine_rules(
    facts: Facts, rows: list[tuple[str, str, int]], at: int, window: list[int | None]
) -> None:
    subject = f"s{next(SUBJECTS)}"  # one store for every example; each example its own subject
    for predicate, obj, start in rows:
        if not any(f.predicate == predicate and f.object == obj and f.valid_from_ms == start
                   for f in facts.subject(subject, include_historical=True)):  # fmt: skip
            facts.add(subject, predicate, obj, valid_from=start)
    every = facts.subject(subject, include_historical=True)
    assert {f.id for f in facts.at(subject=subject, at=at, min_confidence=0)} == {
        f.id for f in every if temporal.is_valid_at(f, at)
    }
    start, end = window
    assert {f.id for f in facts.range(subject=subject, start=start, end=end, min_confidence=0)} == {
        f.id for f in every if temporal.overlaps(f, start, end)
    }
    for predicate in {f.predicate for f in every}:
        mine = [f for f in every if f.predicate == predicate]
        for f in mine:  # a closed fact always ends 1 ms before another fact of its predicate starts
            if f.valid_to_ms is not None:
                assert any(g.valid_from_ms == f.valid_to_ms + 1 for g in mine)
        assert facts.timeline(subject, predicate) == temporal.timeline(mine)
