"""``retrieve`` over a real SQLite store: owner scoping, filters, the memory graph, ranking."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openmemory.engine.embed.synthetic import SyntheticEmbedder
from openmemory.engine.retrieve import retrieve
from openmemory.models import MemoryRecord, SectorVector, Waypoint
from openmemory.store.base import MemoryFilter
from openmemory.store.sqlite import SQLiteStore

NOW = 1_795_000_000_000
EMBEDDER = SyntheticEmbedder(dim=64)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore.open(tmp_path / "retrieve.sqlite")
    yield s
    s.close()


def put(
    store: SQLiteStore, user_id: str | None, content: str, *, vector: Any = None, link_to: str | None = None, **kw: Any
) -> MemoryRecord:
    mean = EMBEDDER.embed_query(content) if vector is None else vector
    fields: dict[str, Any] = {"created_at_ms": NOW, "updated_at_ms": NOW, "last_seen_at_ms": NOW, **kw}
    rec = MemoryRecord(str(uuid.uuid4()), user_id, content, "semantic", **fields)
    edge = Waypoint(rec.memory_id, link_to, user_id, 0.9, NOW, NOW) if link_to else None
    vectors = [SectorVector(rec.memory_id, rec.primary_sector, mean, int(mean.shape[0]))]
    store.insert_memory(rec, vectors, mean, edge, EMBEDDER.name, user_id=user_id)
    return rec


def ask(store: SQLiteStore, query: str, user_id: str | None, k: int = 10, where: MemoryFilter | None = None) -> Any:
    return retrieve(store, EMBEDDER, query, user_id=user_id, k=k, where=where, now_ms=NOW)


def test_only_the_owners_memories_come_back_even_for_identical_text(store: SQLiteStore) -> None:
    mine = put(store, "alice", "I moved to Lisbon in March")
    put(store, "bob", "I moved to Lisbon in March")
    put(store, None, "I moved to Lisbon in March")
    assert [h.id for h in ask(store, "moved to Lisbon", "alice")] == [mine.memory_id]


def test_hits_are_best_first_and_at_most_k(store: SQLiteStore) -> None:
    best = put(store, "alice", "the kettle needs descaling every month")
    for n in range(6):
        put(store, "alice", f"unrelated note number {n} about gardening")
    hits = ask(store, "descaling the kettle", "alice", k=3)
    assert len(hits) == 3 and hits[0].id == best.memory_id
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].parts.lexical > 0 and hits[0].parts.similarity > 0


def test_filters_drop_memories_outside_them(store: SQLiteStore) -> None:
    old = put(store, "alice", "coffee with Ana at the harbour", created_at_ms=NOW - 10_000, tags=("social",))
    new = put(store, "alice", "coffee with Ana at the station", tags=("work",))
    assert [h.id for h in ask(store, "coffee with Ana", "alice", where=MemoryFilter(tags=("work",)))] == [new.memory_id]
    assert [h.id for h in ask(store, "coffee with Ana", "alice", where=MemoryFilter(end_ms=NOW - 1))] == [old.memory_id]


def test_a_memory_reached_only_through_the_graph_carries_its_path(store: SQLiteStore) -> None:
    far = put(store, "alice", "zzz qqq www", vector=_orthogonal_to("passport renewal appointment"))
    near = put(store, "alice", "passport renewal appointment", link_to=far.memory_id)
    hits = {h.id: h for h in ask(store, "passport renewal appointment", "alice")}
    assert hits[near.memory_id].parts.waypoint == 0.0
    assert hits[far.memory_id].parts.waypoint > 0.0 and hits[far.memory_id].path == (near.memory_id, far.memory_id)
    assert hits[near.memory_id].score > hits[far.memory_id].score


def _orthogonal_to(text: str) -> Any:
    q = EMBEDDER.embed_query(text)
    v = np.random.default_rng(7).standard_normal(q.shape[0]).astype(np.float32)
    v -= (v @ q) * q
    return v / np.linalg.norm(v)


class _AroundSpy:
    """The store, counting the anchors it is asked for neighbours of."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self.anchors: list[list[str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def memories_around(self, anchors: Any, **kw: Any) -> Any:
        self.anchors.append([a for a, _ in anchors])
        return self._store.memories_around(anchors, **kw)


def test_neighbours_in_time_are_read_only_for_hits_that_could_lift_one_into_the_top_k(store: SQLiteStore) -> None:
    for n in range(4):
        put(store, "alice", f"the kettle needs descaling, note {n}", created_at_ms=NOW - 1000 * (4 - n))
    spy = _AroundSpy(store)
    top = retrieve(spy, EMBEDDER, "descaling the kettle", user_id="alice", k=1, where=None, now_ms=NOW)
    assert len(top) == 1 and spy.anchors == []  # 0.75 of the best raw score cannot beat the best itself
    every = retrieve(spy, EMBEDDER, "descaling the kettle", user_id="alice", k=10, where=None, now_ms=NOW)
    assert len(every) == 4 and len(spy.anchors) == 1 and len(spy.anchors[0]) == 4  # fewer hits than k: all seeds
