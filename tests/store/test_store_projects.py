"""Project-scoped reads on every backend: a project sees its own rows, system_global ones and unscoped ones,
and never another owner's, in listings, counts, dense search (matrix and pgvector) and BM25."""

from __future__ import annotations

from typing import Any

import numpy as np

from openmemory.models import SYSTEM_GLOBAL
from openmemory.store.base import MemoryFilter
from tests.store.test_contract import add, record, unit

PROJECTS = ("alpha", "beta", SYSTEM_GLOBAL, None)


def _fill(store: Any) -> dict[str, tuple[str | None, str | None]]:
    """Rows for two owners in every kind of project; returns memory id -> (owner, project)."""
    where: dict[str, tuple[str | None, str | None]] = {}
    seed = 0
    for owner in ("alice", "bob"):
        for project in PROJECTS:
            for n in range(3):
                seed += 1
                rec = add(store, record(owner, f"kettle note {n} of {project}", project_id=project), seed=seed)
                where[rec.memory_id] = (owner, project)
    return where


def _visible(where: dict[str, tuple[str | None, str | None]], owner: str, project: str | None) -> set[str]:
    return {m for m, (o, p) in where.items() if o == owner and (project is None or p in (None, SYSTEM_GLOBAL, project))}


def test_project_scoped_searches_rank_only_rows_visible_in_that_project(store: Any) -> None:
    where = _fill(store)
    query = unit(3)
    for project in ("alpha", "beta", "gamma", None):
        expected = _visible(where, "alice", project)
        dense = store.search_vectors(query, user_id="alice", k=100, project_id=project)
        assert {m for m, _ in dense} == expected
        lexical = store.search_lexical("kettle", user_id="alice", k=100, project_id=project)
        assert {m for m, _ in lexical} == expected
        many = store.search_vectors_many(np.stack([query, unit(4)]), user_id="alice", k=100, project_id=project)
        assert all({m for m, _ in hits} == expected for hits in many)


def test_project_filter_keeps_recall_when_the_project_is_a_small_part(store: Any) -> None:
    # 40 rows of another project are all closer to the query than the one row of "tiny"; a top-k taken before
    # filtering would come back empty.
    query = unit(7)
    for n in range(40):
        add(store, record("alice", f"big {n}", project_id="big"), seed=7)
    tiny = add(store, record("alice", "tiny", project_id="tiny"), seed=8)
    assert [m for m, _ in store.search_vectors(query, user_id="alice", k=5, project_id="tiny")] == [tiny.memory_id]
    assert store.search_vectors(query, user_id="alice", k=5, project_id="none-such") == []


def test_listing_and_counting_by_project_stay_inside_the_owner(store: Any) -> None:
    where = _fill(store)
    for project in ("alpha", "gamma"):
        scope = MemoryFilter(project_id=project)
        listed = {r.memory_id for r in store.all_mem_by_user(user_id="alice", limit=100, offset=0, where=scope)}
        assert listed == _visible(where, "alice", project)
        assert store.count_memories(user_id="alice", where=scope) == len(listed)


def test_cached_indexes_follow_a_memory_written_after_they_were_loaded(store: Any) -> None:
    first = add(store, record("alice", "kettle first", project_id="alpha"), seed=1)
    assert store.search_vectors(unit(1), user_id="alice", k=10, project_id="beta") == []
    assert store.search_lexical("kettle", user_id="alice", k=10, project_id="beta") == []
    later = add(store, record("alice", "kettle later", project_id="beta"), seed=2)
    assert [m for m, _ in store.search_vectors(unit(2), user_id="alice", k=10, project_id="beta")] == [later.memory_id]
    assert {m for m, _ in store.search_lexical("kettle", user_id="alice", k=10, project_id="alpha")} == {
        first.memory_id
    }
