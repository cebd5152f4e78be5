"""The maintenance jobs the server runs: decay, waypoint pruning, summary refresh."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openmemory.config import Settings
from openmemory.engine.decay import DAY_MS
from openmemory.memory import Memory

T0 = 1_700_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now_ms = T0

    def __call__(self) -> int:
        return self.now_ms


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def memory(tmp_path: Path, clock: Clock) -> Iterator[Memory]:
    mem = Memory(tmp_path / "m.sqlite", settings=Settings.load(embeddings="synthetic"), clock=clock)
    yield mem
    mem.close()


def _stat_counts(memory: Memory, kind: str) -> list[int]:
    return [row.count for row in memory.maintenance.log(0) if row.type == kind]


def test_run_decay_lowers_salience_once_and_logs_a_stats_row(memory: Memory) -> None:
    memory.add("I went hiking in the Alps last summer", user_id="alice")
    memory.add("Python uses indentation for blocks", user_id="bob")
    before = {m.memory_id: m.salience for u in ("alice", "bob") for m in memory.list(user_id=u)}

    assert memory.maintenance.run_decay(T0 + 30 * DAY_MS) == 2
    after = {m.memory_id: m.salience for u in ("alice", "bob") for m in memory.list(user_id=u)}
    assert all(after[i] < before[i] for i in before)
    assert memory.maintenance.run_decay(T0 + 30 * DAY_MS) == 0  # anchored: a second run at the same time is a no-op
    assert _stat_counts(memory, "decay") == [2, 0]


def test_prune_waypoints_logs_how_many_it_removed(memory: Memory) -> None:
    memory.add("first note about gardening tomatoes", user_id="alice")
    memory.add("second note about gardening peppers", user_id="alice")
    links = memory.stats(user_id="alice").waypoints
    assert links >= 1
    assert memory.maintenance.prune_waypoints() == 0  # the link is stronger than the default 0.05 threshold
    assert memory.maintenance.prune_waypoints(threshold=2.0) == links  # every real link weighs at most 1
    assert memory.stats(user_id="alice").waypoints == 0
    assert _stat_counts(memory, "prune") == [0, links]


def test_refresh_summaries_writes_one_summary_per_named_user(memory: Memory, clock: Clock) -> None:
    memory.add("I love espresso in the morning", user_id="alice")
    memory.add("Deploy with docker compose up", user_id="bob")
    memory.add("a system note", user_id=None)
    clock.now_ms += 1000
    assert memory.maintenance.refresh_summaries() == 2
    for user in ("alice", "bob"):
        record = memory.user(user)
        assert record is not None and record.updated_at_ms == clock.now_ms and record.summary
    assert _stat_counts(memory, "summary") == [2]


def test_reflection_consolidates_one_users_repeats_and_never_mixes_users(tmp_path: Path) -> None:

    with Memory(tmp_path / "r.sqlite", settings=Settings.load(embeddings="synthetic")) as mem:
        for i in range(3):
            mem.add(f"I drank a flat white at the corner cafe this morning number {i}", user_id="alice")
        mem.add("I drank a flat white at the corner cafe this morning number 9", user_id="bob")
        for i in range(20):
            mem.add(f"unrelated note {i} about item {i * 7}", user_id="alice")
            mem.add(f"another unrelated note {i} about thing {i * 3}", user_id="bob")
        assert mem.maintenance.run_reflection(1_795_000_000_000) == 1
        reflections = [m for m in mem.list(user_id="alice", limit=100) if m.meta.get("type") == "auto_reflect"]
        assert len(reflections) == 1 and reflections[0].primary_sector == "reflective"
        assert all(m.meta.get("type") != "auto_reflect" for m in mem.list(user_id="bob", limit=100))
        assert mem.maintenance.run_reflection(1_795_000_000_000) == 0  # sources are consolidated: not reflected again


def test_stats_rows_are_stamped_by_the_clock_memory_was_given(memory: Memory, clock: Clock) -> None:
    clock.now_ms = T0 + 5 * DAY_MS
    memory.maintenance.prune_waypoints()
    assert [(row.type, row.ts_ms) for row in memory.maintenance.log(0)] == [("prune", T0 + 5 * DAY_MS)]
