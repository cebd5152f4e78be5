"""Store.memories_around: one owner's memories made just before and after a memory, on every backend."""

from __future__ import annotations

from typing import Any

from tests.store.test_contract import add, record


def test_neighbours_in_time_are_the_owners_nearest_first(store: Any) -> None:
    alice = [add(store, record("alice", f"turn {i}", created_at_ms=1000 + 10 * i)) for i in range(6)]
    for owner in ("bob", None):  # other owners' memories made at the very same times never appear
        for i in range(6):
            add(store, record(owner, f"{owner} turn {i}", created_at_ms=1000 + 10 * i + 5))
    middle = alice[3]
    got = store.memories_around([(middle.memory_id, middle.created_at_ms)], user_id="alice", span=2)
    assert sorted(got, key=lambda row: row[2]) == [
        (middle.memory_id, alice[1].memory_id, -2),
        (middle.memory_id, alice[2].memory_id, -1),
        (middle.memory_id, alice[4].memory_id, 1),
        (middle.memory_id, alice[5].memory_id, 2),
    ]
    first, last = alice[0], alice[-1]
    edges = store.memories_around(
        [(first.memory_id, first.created_at_ms), (last.memory_id, last.created_at_ms)], user_id="alice", span=1
    )
    assert sorted(edges, key=lambda row: row[2]) == [
        (last.memory_id, alice[4].memory_id, -1),
        (first.memory_id, alice[1].memory_id, 1),
    ]
    assert store.memories_around([(middle.memory_id, middle.created_at_ms)], user_id="carol", span=2) == []
    assert store.memories_around([], user_id="alice", span=2) == []


def test_memories_made_in_the_same_millisecond_are_not_neighbours(store: Any) -> None:
    before = add(store, record(None, "earlier", created_at_ms=5))
    same = [add(store, record(None, f"batch {i}", created_at_ms=7)) for i in range(3)]
    after = add(store, record(None, "later", created_at_ms=9))
    got = store.memories_around([(same[1].memory_id, 7)], user_id=None, span=1)
    assert sorted(got, key=lambda row: row[2]) == [
        (same[1].memory_id, before.memory_id, -1),
        (same[1].memory_id, after.memory_id, 1),
    ]
