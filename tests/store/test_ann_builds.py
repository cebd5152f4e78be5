"""The approximate index is built in the background: the exact scan answers meanwhile, writes made during the
build reach it, and a damaged index file is rebuilt, never trusted."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from openmemory.store.ann_index import OwnerAnn
from openmemory.store.sqlite import SQLiteStore
from tests.store.test_ann_index import DIM, _clustered, _fill, _open
from tests.store.test_contract import record


def _exact(vectors: Any, ids: list[str], query: Any, k: int) -> list[str]:
    return [ids[i] for i in np.argsort(-(vectors @ query), kind="stable")[:k]]


def _index_in_use(store: SQLiteStore, user_id: str) -> bool:
    return isinstance(store._caches._vectors.get(user_id, DIM), OwnerAnn)


def test_queries_during_the_build_are_exact_and_the_index_serves_after_it(tmp_path: Path) -> None:
    vectors = _clustered(3000, seed=11)
    queries = _clustered(40, seed=12)
    store = _open(tmp_path / "m.sqlite")
    try:
        ids = _fill(store, "big", vectors)
        with store._caches.builds.held():  # the build is queued, not started: the exact scan must answer
            for q in queries:
                got = store.search_vectors(q, user_id="big", k=50)
                assert [m for m, _ in got] == _exact(vectors, ids, q, 50)
            assert not _index_in_use(store, "big")
            assert not list((tmp_path / "m.sqlite-ann").glob("*.npz"))
        assert store.maintenance_wait_for_indexes(120)
        assert _index_in_use(store, "big")
        assert len(list((tmp_path / "m.sqlite-ann").glob("*.npz"))) == 1  # persisted as soon as built
        recall = [
            len({m for m, _ in store.search_vectors(q, user_id="big", k=10)} & set(_exact(vectors, ids, q, 10))) / 10
            for q in queries
        ]
        assert float(np.mean(recall)) >= 0.98
    finally:
        store.close()


def test_writes_made_while_the_index_builds_reach_it(tmp_path: Path) -> None:
    vectors = _clustered(2500, seed=13)
    store = _open(tmp_path / "m.sqlite")
    try:
        ids = _fill(store, "big", vectors)
        store.search_vectors(vectors[0], user_id="big", k=1)  # queues the build
        added: list[tuple[str, Any]] = []
        deleted: list[int] = []
        rng = np.random.default_rng(14)
        i = 0
        # write while the index builds (bounded: on a fast machine a tight write loop could outrun every catch-up)
        while (store._caches.builds.is_pending("big", DIM) and i < 40) or i < 20:
            time.sleep(0.002)  # a client's pace, so the build thread gets the interpreter too
            if i % 2 == 0:
                vec = rng.standard_normal(DIM).astype(np.float32)
                rec = record("big", f"added during the build {i}")
                store.insert_memory(rec, [], vec, None, "test", user_id="big")
                added.append((rec.memory_id, vec))
            else:
                store.delete_memory(ids[i], user_id="big")
                deleted.append(i)
            i += 1
        assert store.maintenance_wait_for_indexes(120)
        assert _index_in_use(store, "big")
        for memory_id, vec in added:  # in the index with its vector (a graph search may miss a lone point)
            (score,) = store.vector_scores(vec, [memory_id], user_id="big").values()
            assert score > 0.9999
        for j in deleted:
            assert store.vector_scores(vectors[j], [ids[j]], user_id="big") == {}
            assert ids[j] not in [m for m, _ in store.search_vectors(vectors[j], user_id="big", k=10)]
        found = [store.search_vectors(vec, user_id="big", k=1)[0][0] == m for m, vec in added]
        assert sum(found) >= 0.95 * len(found)
    finally:
        store.close()


def test_a_damaged_index_file_is_rebuilt_while_the_exact_scan_serves(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    vectors = _clustered(1500, seed=15)
    store = _open(path)
    ids = _fill(store, "big", vectors)
    store.search_vectors(vectors[0], user_id="big", k=1)
    assert store.maintenance_wait_for_indexes(120)
    store.close()
    (saved,) = (tmp_path / "m.sqlite-ann").glob("*.npz")
    saved.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])  # as a copy cut short by a kill
    store = _open(path)
    try:
        with store._caches.builds.held():
            assert store.search_vectors(vectors[3], user_id="big", k=1)[0][0] == ids[3]
            assert not _index_in_use(store, "big")
        assert store.maintenance_wait_for_indexes(120)
        assert _index_in_use(store, "big")
        _, ann = OwnerAnn.load(saved)  # rewritten whole
        assert len(ann) == 1500
        assert store.search_vectors(vectors[9], user_id="big", k=1)[0][0] == ids[9]
    finally:
        store.close()


def test_start_up_loads_a_saved_index_and_never_waits_for_a_build(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    store = _open(path)
    ids = _fill(store, "big", _clustered(1200, seed=16))
    _fill(store, "fresh", _clustered(900, seed=17))
    store.search_vectors(np.ones(DIM, dtype=np.float32), user_id="big", k=1)
    assert store.maintenance_wait_for_indexes(120)
    store.close()
    store = _open(path)
    try:
        with store._caches.builds.held():  # a build would block this test: warm-up must not need one
            done = threading.Event()
            warm = threading.Thread(target=lambda: (store.maintenance_preload(DIM, 10**6), done.set()))
            warm.start()
            assert done.wait(60)
            assert _index_in_use(store, "big")  # loaded from its file
            assert not _index_in_use(store, "fresh")  # exact until its build has run
            assert store._caches.builds.is_pending("fresh", DIM)
        assert store.maintenance_wait_for_indexes(120)
        assert _index_in_use(store, "fresh")
        assert store.search_vectors(np.ones(DIM, dtype=np.float32), user_id="big", k=1)[0][0] in ids
    finally:
        store.close()


def test_closing_the_store_stops_a_build_in_progress(tmp_path: Path) -> None:
    store = _open(tmp_path / "m.sqlite")
    _fill(store, "big", _clustered(3000, seed=18))
    store.search_vectors(np.ones(DIM, dtype=np.float32), user_id="big", k=1)
    store.close()  # returns with the build stopped (at its next chunk), whatever it had reached
    assert not store._caches.builds.is_pending("big", DIM)
    store = _open(tmp_path / "m.sqlite")
    try:
        assert len(store.search_vectors(np.ones(DIM, dtype=np.float32), user_id="big", k=5)) == 5
    finally:
        store.close()
