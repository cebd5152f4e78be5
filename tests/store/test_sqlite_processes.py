"""Two stores on one SQLite file (two server workers, or a server and a CLI command) stay coherent."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import numpy as np

from openmemory.models import MemoryRecord, SectorVector
from openmemory.store.owner_cache import RECHECK_S
from openmemory.store.sqlite import SQLiteStore


def _add(store: SQLiteStore, user: str, text: str, seed: int) -> str:
    vec = np.random.default_rng(seed).standard_normal(16).astype(np.float32)
    vec /= np.linalg.norm(vec)
    memory_id = str(uuid.uuid4())
    rec = MemoryRecord(memory_id=memory_id, user_id=user, content=text, primary_sector="semantic", created_at_ms=1)
    store.insert_memory(rec, [SectorVector(memory_id, "semantic", vec, 16)], vec, None, "test", user_id=rec.user_id)
    return memory_id


def test_a_write_by_another_store_is_seen_by_cached_searches(tmp_path: Path) -> None:
    a = SQLiteStore.open(tmp_path / "m.sqlite")
    b = SQLiteStore.open(tmp_path / "m.sqlite")
    try:
        first = _add(a, "u", "the red kettle", 1)
        probe = np.ones(16, dtype=np.float32) / 4
        assert {m for m, _ in a.search_vectors(probe, user_id="u", k=10)} == {first}  # a caches u's vectors
        assert {m for m, _ in a.search_lexical("kettle", user_id="u", k=10)} == {first}
        second = _add(b, "u", "the blue kettle", 2)  # written through the other store
        time.sleep(RECHECK_S + 0.01)  # a store re-reads the owner's generation at most every RECHECK_S
        assert {m for m, _ in a.search_vectors(probe, user_id="u", k=10)} == {first, second}
        assert {m for m, _ in a.search_lexical("kettle", user_id="u", k=10)} == {first, second}
        b.delete_memory(first, user_id="u")
        time.sleep(RECHECK_S + 0.01)
        assert {m for m, _ in a.search_vectors(probe, user_id="u", k=10)} == {second}
        assert {m for m, _ in a.search_lexical("kettle", user_id="u", k=10)} == {second}
        third = _add(a, "u", "a green kettle", 3)  # and a's own write updates its cache in place
        assert {m for m, _ in a.search_lexical("kettle", user_id="u", k=10)} == {second, third}
    finally:
        a.close()
        b.close()
