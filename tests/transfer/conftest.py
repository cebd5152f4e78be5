"""Databases for transfer tests: a factory of empty ``Memory`` targets on SQLite and on both PostgreSQL servers."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openmemory.config import Settings
from openmemory.memory import Memory
from openmemory.store.temporal_base import FactQuery
from tests.store.pg import PG_SERVERS, pg_settings, throwaway_schema

MakeMemory = Callable[..., Memory]


@pytest.fixture
def make_memory(tmp_path: Path) -> Iterator[MakeMemory]:
    """``make_memory(url_or_none, **settings)``: a new empty database (a SQLite file, or a throwaway schema)."""
    with contextlib.ExitStack() as stack:
        opened: list[Memory] = []

        def make(url: str | None = None, **more: Any) -> Memory:
            more.setdefault("embeddings", "synthetic")
            if url is None:
                settings = Settings.load(db_path=tmp_path / f"db{len(opened)}.sqlite", **more)
            else:
                schema = stack.enter_context(throwaway_schema(url, "omx"))
                settings = pg_settings(url, schema, **more)
            mem = Memory(settings=settings)
            opened.append(mem)
            return mem

        yield make
        for mem in opened:
            mem.close()


BACKENDS = [pytest.param(None, id="sqlite"), *PG_SERVERS]


def rows_of(mem: Memory) -> dict[str, Any]:
    """Everything a user could notice of a store, owner by owner: memories, vectors, waypoints, users rows,
    temporal facts and edges."""
    store = mem.maintenance.store
    out: dict[str, Any] = {"users": sorted(store.maintenance_users(), key=lambda u: u.user_id)}
    for owner in sorted({*mem.users(), *store.facts.maintenance_owners()}, key=lambda u: (u is not None, u or "")):
        ids = store.memory_ids(user_id=owner)
        vectors = store.get_vectors(ids, user_id=owner)
        out[repr(owner)] = {
            "memories": [store.get_memories([i], user_id=owner)[i] for i in ids],
            "waypoints": sorted(store.waypoints_from(ids, user_id=owner), key=lambda w: (w.src_id, w.dst_id)),
            "facts": sorted(store.facts.find(FactQuery(), user_id=owner), key=lambda f: f.fact_id),
            "edges": store.facts.edges(user_id=owner),
            "vectors": {
                i: (
                    [(v.sector, v.dim, v.vector.tobytes()) for v in vs],
                    None if mean is None else np.asarray(mean).tobytes(),
                )
                for i, (vs, mean) in vectors.items()
            },
        }
    return out
