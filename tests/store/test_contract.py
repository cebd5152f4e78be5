"""One suite, every backend: each Store method behaves the same on SQLite and PostgreSQL (pgvector and bytea)."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmemory.errors import InvalidInput
from openmemory.migrations.runner import MIGRATIONS
from openmemory.models import MemoryRecord, SectorVector, Waypoint
from openmemory.store.base import MemoryFilter
from tests.store.conftest import DIM


def unit(seed: int, dim: int = DIM) -> Any:
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def record(user_id: str | None, content: str, **kw: Any) -> MemoryRecord:
    fields: dict[str, Any] = {"created_at_ms": 1000, "updated_at_ms": 1000, "last_seen_at_ms": 1000}
    fields.update(kw)
    return MemoryRecord(memory_id=str(uuid.uuid4()), user_id=user_id, content=content, primary_sector="semantic",
                        **fields)  # fmt: skip


def add(store: Any, rec: MemoryRecord, seed: int = 0, waypoint: Waypoint | None = None) -> MemoryRecord:
    mean = unit(seed)
    vectors = [SectorVector(rec.memory_id, rec.primary_sector, mean, DIM)]
    store.insert_memory(rec, vectors, mean, waypoint, "test", user_id=rec.user_id)
    return rec


def test_meta_round_trips_and_overwrites(store: Any) -> None:
    assert store.read_meta("missing") is None
    store.write_meta("k", "one")
    store.write_meta("k", "two")
    assert store.read_meta("k") == "two"


def test_inserted_memory_reads_back_whole_for_its_owner_only(store: Any) -> None:
    rec = add(store, record("alice", "I moved to Lisbon", tags=("travel", "home"), meta={"n": 1, "x": [True]},
                           salience=0.7, simhash="abc", project_id="p1"))  # fmt: skip
    got = store.get_memory(rec.memory_id, user_id="alice")
    assert got is not None
    assert got == MemoryRecord(**{**_fields(rec), "sectors": ("semantic",)})
    assert store.get_memory(rec.memory_id, user_id="bob") is None
    assert store.get_memory(rec.memory_id, user_id=None) is None
    assert store.get_memory("not-a-uuid", user_id="alice") is None
    assert set(store.get_memories([rec.memory_id, str(uuid.uuid4())], user_id="alice")) == {rec.memory_id}
    assert store.vector_dims() == {DIM: 1}


def _fields(rec: MemoryRecord) -> dict[str, Any]:
    return {f: getattr(rec, f) for f in rec.__slots__}  # type: ignore[attr-defined]


def test_listing_is_newest_first_filtered_then_paged(store: Any) -> None:
    for i in range(5):
        add(store, record("alice", f"note {i}", created_at_ms=1000 + i, salience=0.1 * i, tags=(f"t{i % 2}",)))
    add(store, record("bob", "other"))
    listed = store.all_mem_by_user(user_id="alice", limit=3, offset=1)
    assert [m.content for m in listed] == ["note 3", "note 2", "note 1"]
    where = MemoryFilter(min_salience=0.15, start_ms=1001, end_ms=1004, tags=("t0",))
    assert [m.content for m in store.all_mem_by_user(user_id="alice", limit=10, offset=0, where=where)] == [
        "note 4",
        "note 2",
    ]
    assert store.count_memories(user_id="alice", where=where) == 2
    assert store.count_memories(user_id="alice") == 5
    assert store.count_memories(user_id="alice", where=MemoryFilter(sector="episodic")) == 0


def test_simhash_lookup_is_owner_scoped(store: Any) -> None:
    rec = add(store, record("alice", "x", simhash="ff00"))
    found = store.find_by_simhash("ff00", user_id="alice")
    assert found is not None and found.memory_id == rec.memory_id
    assert store.find_by_simhash("ff00", user_id="bob") is None


def test_replace_changes_content_and_vectors_only_for_the_owner(store: Any) -> None:
    rec = add(store, record("alice", "old words", simhash="1"), seed=1)
    from dataclasses import replace

    new = replace(rec, content="new words", version=2, updated_at_ms=2000)
    store.replace_memory(replace(new, user_id="bob"), None, None, user_id="bob")
    assert store.get_memory(rec.memory_id, user_id="alice").content == "old words"  # type: ignore[union-attr]
    mean = unit(9)
    store.replace_memory(new, [SectorVector(rec.memory_id, "episodic", mean, DIM)], mean, user_id="alice")
    got = store.get_memory(rec.memory_id, user_id="alice")
    assert got is not None and (got.content, got.version, got.sectors) == ("new words", 2, ("episodic",))
    top = store.search_vectors(mean, user_id="alice", k=1)
    assert top[0][0] == rec.memory_id and abs(top[0][1] - 1.0) < 1e-5


def test_a_write_naming_another_owner_than_its_record_is_refused(store: Any) -> None:
    rec = record("alice", "mine")
    with pytest.raises(InvalidInput):
        add_as(store, rec, user_id="bob")
    with pytest.raises(InvalidInput):
        store.upsert_waypoint(Waypoint(rec.memory_id, rec.memory_id, "alice", 1.0), user_id=None)
    add(store, rec)
    with pytest.raises(InvalidInput):
        store.replace_memory(rec, None, None, user_id="bob")
    assert store.count_memories(user_id="bob") == 0
    assert store.waypoints_from([rec.memory_id], user_id=None) == []


def add_as(store: Any, rec: MemoryRecord, *, user_id: str | None) -> None:
    mean = unit(0)
    store.insert_memory(
        rec, [SectorVector(rec.memory_id, rec.primary_sector, mean, DIM)], mean, None, "t", user_id=user_id
    )


def test_touch_updates_salience_and_last_seen_for_the_owner(store: Any) -> None:
    a, b = add(store, record("alice", "a")), add(store, record("alice", "b"))
    assert store.touch_memory(a.memory_id, user_id="bob", salience=0.9, last_seen_at_ms=5) is False
    assert store.touch_memory(a.memory_id, user_id="alice", salience=0.9, last_seen_at_ms=5) is True
    assert store.touch_memories([(a.memory_id, 0.2, 7), (b.memory_id, 0.3, 9)], user_id="alice") == 2
    assert store.touch_memories([(a.memory_id, 0.2, 7)], user_id="bob") == 0
    got = store.get_memory(b.memory_id, user_id="alice")
    assert got is not None and (round(got.salience, 6), got.last_seen_at_ms) == (0.3, 9)  # each its own time
    got = store.get_memory(a.memory_id, user_id="alice")
    assert got is not None and (round(got.salience, 6), got.last_seen_at_ms) == (0.2, 7)


def test_delete_is_owner_scoped_and_takes_vectors_and_edges(store: Any) -> None:
    a = add(store, record("alice", "a"), seed=1)
    b = add(store, record("alice", "b"), seed=2, waypoint=Waypoint(str(uuid.uuid4()), a.memory_id, "alice", 0.9))
    edge = Waypoint(b.memory_id, a.memory_id, "alice", 0.8, 1, 1)
    store.upsert_waypoint(edge, user_id=edge.user_id)
    assert store.delete_memory(a.memory_id, user_id="bob") is False
    assert store.delete_memory(a.memory_id, user_id="alice") is True
    assert store.get_memory(a.memory_id, user_id="alice") is None
    assert store.waypoints_from([b.memory_id], user_id="alice") == []
    assert [h[0] for h in store.search_vectors(unit(1), user_id="alice", k=5)] == [b.memory_id]
    assert store.delete_user_memories(user_id="alice") == 1
    assert store.count_memories(user_id="alice") == 0
    assert store.search_vectors(unit(2), user_id="alice", k=5) == []


def test_user_stats_count_sectors_salience_and_edges(store: Any) -> None:
    a = add(store, record("alice", "a", salience=0.2, created_at_ms=10))
    add(store, record("alice", "b", salience=0.4, created_at_ms=30))
    store.upsert_waypoint(Waypoint(a.memory_id, a.memory_id, "alice", 1.0), user_id="alice")
    stats = store.user_stats(user_id="alice")
    assert (stats.memories, stats.per_sector, stats.waypoints, stats.last_created_at_ms) == (2, {"semantic": 2}, 1, 30)
    assert abs(stats.avg_salience - 0.3) < 1e-9
    assert store.user_stats(user_id="bob").memories == 0


def test_vector_search_is_exact_cosine_best_first(store: Any) -> None:
    recs = [add(store, record("alice", f"m{i}"), seed=i) for i in range(12)]
    add(store, record("bob", "b"), seed=3)
    query = unit(3) + 0.1 * unit(100)
    query = (query / np.linalg.norm(query)).astype(np.float32)
    expected = sorted(((r.memory_id, float(unit(i) @ query)) for i, r in enumerate(recs)), key=lambda h: -h[1])
    got = store.search_vectors(query, user_id="alice", k=4)
    assert [h[0] for h in got] == [h[0] for h in expected[:4]]
    assert np.allclose([h[1] for h in got], [h[1] for h in expected[:4]], atol=1e-5)
    scores = store.vector_scores(query, [recs[0].memory_id, recs[5].memory_id], user_id="alice")
    assert np.isclose(scores[recs[5].memory_id], float(unit(5) @ query), atol=1e-5)
    assert store.vector_scores(query, [recs[0].memory_id], user_id="bob") == {}
    assert store.search_vectors(unit(1, dim=DIM * 2), user_id="alice", k=4) == []  # no vectors at that dimension


def test_lexical_search_finds_words_of_the_owner_only(store: Any) -> None:
    lisbon = add(store, record("alice", "I moved to Lisbon in March"))
    add(store, record("alice", "Bread and coffee for breakfast"))
    add(store, record("bob", "Lisbon is sunny"))
    hits = store.search_lexical("where is Lisbon", user_id="alice", k=5)
    assert [h[0] for h in hits] == [lisbon.memory_id] and hits[0][1] > 0
    assert store.search_lexical("", user_id="alice", k=5) == []
    assert store.search_lexical("lisbon", user_id="carol", k=5) == []


def test_waypoints_replace_per_source_and_owner_including_the_system_user(store: Any) -> None:
    src = str(uuid.uuid4())
    for owner in (None, "alice"):
        store.upsert_waypoint(Waypoint(src, "d1", owner, 0.5, 1, 1), user_id=owner)
        store.upsert_waypoint(Waypoint(src, "d2", owner, 0.7, 2, 2), user_id=owner)
        assert store.waypoints_from([src], user_id=owner) == [Waypoint(src, "d2", owner, 0.7, 2, 2)]
    assert store.waypoints_from([src], user_id="bob") == []
    assert store.maintenance_prune_waypoints(0.8) == 2
    assert store.waypoints_from([src], user_id=None) == []


def test_users_rows_and_summaries(store: Any) -> None:
    assert store.get_user(user_id="alice") is None
    store.ins_user(user_id="alice", summary="first", reflection_count=0, created_at=10, updated_at=10)
    store.upd_user_summary(user_id="alice", summary="second", updated_at=20)
    store.upd_user_summary(user_id="bob", summary="hello", updated_at=30)
    alice, bob = store.get_user(user_id="alice"), store.get_user(user_id="bob")
    assert alice is not None and (alice.summary, alice.reflection_count, alice.created_at_ms) == ("second", 1, 10)
    assert bob is not None and (bob.summary, bob.reflection_count) == ("hello", 1)


def test_stats_and_maintenance_cross_users(store: Any) -> None:
    store.log_stat("decay", 3)
    assert [(t, c) for t, c, _ in store.maintenance_stats(0)] == [("decay", 3)]
    recs = [add(store, record(u, f"m {u} {i}")) for u in ("alice", None) for i in range(3)]
    assert set(store.maintenance_user_ids()) == {"alice", None}
    batches = list(store.maintenance_iter_memories(batch=4))
    assert [len(b) for b in batches] == [4, 2]
    assert {m.memory_id for b in batches for m in b} == {r.memory_id for r in recs}
    assert store.maintenance_set_salience([(recs[0].memory_id, 0.05), (recs[4].memory_id, 0.06)], 99) == 2
    got = store.get_memory(recs[4].memory_id, user_id=None)
    assert got is not None and (round(got.salience, 6), got.updated_at_ms) == (0.06, 99)


def test_system_user_and_named_users_never_see_each_other(store: Any) -> None:
    mine = add(store, record(None, "system note about Lisbon"), seed=5)
    theirs = add(store, record("alice", "alice note about Lisbon"), seed=5)
    assert [h[0] for h in store.search_vectors(unit(5), user_id=None, k=5)] == [mine.memory_id]
    assert [h[0] for h in store.search_lexical("Lisbon", user_id=None, k=5)] == [mine.memory_id]
    assert [m.memory_id for m in store.all_mem_by_user(user_id=None, limit=10, offset=0)] == [mine.memory_id]
    assert store.get_memory(theirs.memory_id, user_id=None) is None


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    contents_a=st.lists(st.sampled_from(["lisbon trip", "coffee beans", "python code", "march rain"]), max_size=4),
    contents_b=st.lists(
        st.sampled_from(["lisbon trip", "coffee beans", "secret plans", "march rain"]), min_size=1, max_size=4
    ),
    seeds=st.lists(st.integers(0, 50), min_size=8, max_size=8),
)
def test_nothing_of_user_b_appears_in_user_as_reads(
    store: Any, contents_a: list[str], contents_b: list[str], seeds: list[int]
) -> None:
    tag = uuid.uuid4().hex[:8]
    a, b = f"a-{tag}", f"b-{tag}"
    mine = {add(store, record(a, c), seed=seeds[i]).memory_id for i, c in enumerate(contents_a)}
    theirs = [add(store, record(b, c, simhash=f"h{i}"), seed=seeds[4 + i]) for i, c in enumerate(contents_b)]
    their_ids = {r.memory_id for r in theirs}
    for r in theirs:
        store.upsert_waypoint(Waypoint(r.memory_id, r.memory_id, b, 1.0), user_id=b)
    seen: set[str] = set()
    seen |= {m.memory_id for m in store.all_mem_by_user(user_id=a, limit=100, offset=0)}
    seen |= set(store.get_memories(list(their_ids), user_id=a))
    for seed in seeds:
        seen |= {h[0] for h in store.search_vectors(unit(seed), user_id=a, k=10)}
    seen |= set(store.vector_scores(unit(seeds[0]), list(their_ids), user_id=a))
    for words in ("lisbon coffee secret plans march python", "trip"):
        seen |= {h[0] for h in store.search_lexical(words, user_id=a, k=10)}
    seen |= {w.dst_id for w in store.waypoints_from(list(their_ids), user_id=a)}
    for i in range(len(theirs)):
        found = store.find_by_simhash(f"h{i}", user_id=a)
        if found is not None:
            seen.add(found.memory_id)
    assert not (seen & their_ids)
    assert seen <= mine
    assert store.count_memories(user_id=a) == len(mine)


def test_bulk_insert_is_searchable_by_each_owner_only(store: Any) -> None:
    alice = [(record("alice", f"alice bulk note {i}"), unit(100 + i)) for i in range(30)]
    bob = [(record("bob", f"bob bulk note {i}"), unit(200 + i)) for i in range(30)]
    assert store.maintenance_bulk_insert(alice + bob, "test-model") == 60
    store.maintenance_reindex()
    assert store.count_memories(user_id="alice") == 30
    top = store.search_vectors(alice[3][1], user_id="alice", k=1)
    assert top[0][0] == alice[3][0].memory_id
    assert all(m.startswith(tuple(r.memory_id for r, _ in bob)) is False for m, _ in top)
    found = {m for m, _ in store.search_lexical("bulk note", user_id="bob", k=100)}
    assert found == {r.memory_id for r, _ in bob}


def test_the_audit_finds_nothing_half_written_after_writes_and_deletes(store: Any) -> None:
    a = add(store, record("alice", "a"), seed=1)
    rec = record("alice", "b")
    add(store, rec, seed=2, waypoint=Waypoint(rec.memory_id, a.memory_id, "alice", 0.9))
    add(store, record(None, "system note"), seed=3)
    assert store.delete_memory(a.memory_id, user_id="alice") is True
    audit = store.maintenance_audit()
    assert audit.is_clean, audit.describe()
    assert audit.rows["memories"] == 2 and MIGRATIONS[-1].VERSION in audit.versions
