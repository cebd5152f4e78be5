"""PostgresStore beyond the contract: modes, cross-process freshness, bad configuration and a server going away."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import psycopg
import pytest

from openmemory.errors import SchemaOutdated, StoreUnavailable
from openmemory.models import SectorVector, Waypoint
from openmemory.store.postgres import PostgresStore
from tests.store.pg import ENABLE_HINT, PG15_URL, PG_SERVERS, PG_URL, pg_settings, throwaway_schema
from tests.store.test_contract import add, record, unit

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> str:
    if PG_URL is None:
        pytest.skip(ENABLE_HINT.format(var="OM_TEST_PG_URL", port=5433))
    return PG_URL


@pytest.fixture
def schema(pg_url: str) -> Iterator[str]:
    with throwaway_schema(pg_url, "omp") as name:
        yield name


@pytest.mark.parametrize("server", PG_SERVERS)
def test_start_up_logs_the_vector_mode(server: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="openmemory.store.postgres")
    with throwaway_schema(server) as schema:
        store = PostgresStore.open(pg_settings(server, schema))
        store.close()
    expected = "pgvector" if server == PG_URL else "bytea"
    assert store.vector_mode == expected
    assert any(f"Vector mode: {expected}" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("server", PG_SERVERS)
def test_a_second_process_sees_writes_of_the_first(server: str) -> None:
    with throwaway_schema(server) as schema:
        one, two = (PostgresStore.open(pg_settings(server, schema)) for _ in range(2))
        try:
            one.write_meta("embed_dim", "8")
            two.write_meta("embed_dim", "8")
            first = add(one, record("alice", "a"), seed=1)
            assert [h[0] for h in two.search_vectors(unit(2), user_id="alice", k=5)] == [first.memory_id]
            second = add(one, record("alice", "b"), seed=2)
            assert two.search_vectors(unit(2), user_id="alice", k=1)[0][0] == second.memory_id
            one.delete_memory(second.memory_id, user_id="alice")
            assert [h[0] for h in two.search_vectors(unit(2), user_id="alice", k=5)] == [first.memory_id]
        finally:
            one.close()
            two.close()


def test_legacy_dimension_vectors_are_searched_beside_pgvector(pg_url: str, schema: str) -> None:
    """Vectors of another dimension (upstream's embedder, before `opm reembed`) still answer their queries."""
    store = PostgresStore.open(pg_settings(pg_url, schema))
    try:
        store.write_meta("embed_dim", "8")
        old = record("alice", "old")
        mean = unit(4, dim=16)
        store.insert_memory(
            old, [SectorVector(old.memory_id, "semantic", mean, 16)], mean, None, "legacy", user_id=old.user_id
        )
        new = add(store, record("alice", "new"), seed=4)
        assert [h[0] for h in store.search_vectors(mean, user_id="alice", k=5)] == [old.memory_id]
        assert [h[0] for h in store.search_vectors(unit(4), user_id="alice", k=5)] == [new.memory_id]
    finally:
        store.close()


@pytest.mark.parametrize("exact_below", [20_000, 1], ids=["exact-sort", "hnsw"])
def test_a_small_owner_among_many_gets_their_exact_nearest(pg_url: str, schema: str, exact_below: int) -> None:
    # below OM_ANN_MIN_MEMORIES the owner's rows are sorted exactly; past it the HNSW index's iterative scan
    # walks on until it has found k of them
    store = PostgresStore.open(pg_settings(pg_url, schema, ann_min_memories=exact_below))
    try:
        store.write_meta("embed_dim", "8")
        rng = np.random.default_rng(7)
        big = [record("big", "x") for _ in range(3000)]
        small = [record("small", "y") for _ in range(30)]
        vecs = {r.memory_id: (v / np.linalg.norm(v)).astype(np.float32) for r, v in
                zip(big + small, rng.standard_normal((len(big) + len(small), 8)), strict=True)}  # fmt: skip
        for r in big + small:
            store.insert_memory(r, [], vecs[r.memory_id], None, "test", user_id=r.user_id)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'ANALYZE "{schema}".om_mean_vectors'.encode())
        for q in rng.standard_normal((10, 8)).astype(np.float32):
            q = q / np.linalg.norm(q)
            exact = sorted((float(vecs[r.memory_id] @ q), r.memory_id) for r in small)[::-1][:10]
            got = store.search_vectors(q, user_id="small", k=10)
            assert [h[0] for h in got] == [m for _, m in exact]
    finally:
        store.close()


def test_wrong_credentials_are_a_clear_store_unavailable(pg_url: str) -> None:
    url = psycopg.conninfo.make_conninfo(pg_url, user=f"nobody_{uuid.uuid4().hex[:6]}")
    with pytest.raises(StoreUnavailable, match="refused the credentials"):
        PostgresStore.open(pg_settings(url, "whatever"))


def test_unreachable_server_is_a_clear_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable, match="cannot reach PostgreSQL"):
        PostgresStore.open(pg_settings("postgresql://postgres@127.0.0.1:1/test", "whatever"))


def test_missing_database_is_created_only_when_asked(pg_url: str) -> None:
    name = f"om_missing_{uuid.uuid4().hex[:8]}"
    url = psycopg.conninfo.make_conninfo(pg_url, dbname=name)
    with pytest.raises(StoreUnavailable, match="OM_PG_CREATE_DB=true"):
        PostgresStore.open(pg_settings(url, "om"))
    try:
        store = PostgresStore.open(pg_settings(url, "om", pg_create_db=True))
        assert store.count_memories(user_id=None) == 0
        store.close()
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def test_pending_migrations_with_auto_migrate_off_are_refused(pg_url: str, schema: str) -> None:
    with pytest.raises(SchemaOutdated, match="opm migrate"):
        PostgresStore.open(pg_settings(pg_url, schema, auto_migrate=False))


def test_server_going_away_mid_request_fails_cleanly_and_the_pool_recovers(pg_url: str, schema: str) -> None:
    store = PostgresStore.open(pg_settings(pg_url, schema))
    try:
        store.write_meta("embed_dim", "8")
        add(store, record("alice", "before"))
        rec = record("alice", "during")
        errors: list[BaseException] = []
        with psycopg.connect(pg_url) as blocker:
            # hold the waypoints table so the insert stops after writing its memory row, then kill its session
            blocker.execute(f'LOCK TABLE "{schema}".openmemory_waypoints IN ACCESS EXCLUSIVE MODE'.encode())
            worker = threading.Thread(target=_insert_catching, args=(store, rec, errors))
            worker.start()
            pid = _wait_for_blocked_backend(blocker, schema)
            blocker.execute("SELECT pg_terminate_backend(%s)", (pid,))
            blocker.rollback()
            worker.join(10)
        assert len(errors) == 1 and isinstance(errors[0], StoreUnavailable)
        assert "applied whole or not at all" in str(errors[0])
        assert store.get_memory(rec.memory_id, user_id="alice") is None
        assert store.count_memories(user_id="alice") == 1  # the pool hands out a live connection again
        add(store, record("alice", "after"))
        assert store.count_memories(user_id="alice") == 2
    finally:
        store.close()


def _insert_catching(store: PostgresStore, rec: Any, errors: list[BaseException]) -> None:
    try:
        add(store, rec, waypoint=Waypoint(rec.memory_id, rec.memory_id, "alice", 1.0))
    except BaseException as exc:
        errors.append(exc)


def _wait_for_blocked_backend(conn: psycopg.Connection[Any], schema: str) -> int:
    # Only a backend waiting on this test's own table: other runs share the server and may be blocked on
    # theirs (terminating one of those made this test, and theirs, fail now and then).
    table = f'"{schema}".openmemory_waypoints'
    for _ in range(200):
        row = conn.execute(
            "SELECT pid FROM pg_locks WHERE NOT granted AND relation = %s::regclass AND pid <> pg_backend_pid()",
            (table,),
        ).fetchone()
        if row is not None:
            return int(row[0])
        time.sleep(0.05)
    raise AssertionError("the insert never blocked on the waypoints lock")


@pytest.mark.skipif(PG15_URL is None, reason=ENABLE_HINT.format(var="OM_TEST_PG15_URL", port=5432))
def test_plain_postgres_15_runs_in_bytea_mode_with_exact_search() -> None:
    assert PG15_URL is not None
    with throwaway_schema(PG15_URL) as schema:
        store = PostgresStore.open(pg_settings(PG15_URL, schema))
        try:
            store.write_meta("embed_dim", "8")
            recs = [add(store, record("alice", str(i)), seed=i) for i in range(20)]
            got = store.search_vectors(unit(3), user_id="alice", k=1)
            assert store.vector_mode == "bytea" and got[0][0] == recs[3].memory_id
        finally:
            store.close()


def test_a_query_session_uses_one_pooled_connection(pg_url: str, schema: str) -> None:
    store = PostgresStore.open(pg_settings(pg_url, schema))
    try:
        store.write_meta("embed_dim", "8")
        first = add(store, record("alice", "the red bicycle"), seed=1)
        before = store._pool.get_stats().get("requests_num", 0)
        with store.session():
            assert store.search_vectors(unit(1), user_id="alice", k=5)[0][0] == first.memory_id
            assert store.search_lexical("bicycle", user_id="alice", k=5)[0][0] == first.memory_id
            assert set(store.get_memories([first.memory_id], user_id="alice")) == {first.memory_id}
            assert store.waypoints_from([first.memory_id], user_id="alice") == []
        assert store._pool.get_stats().get("requests_num", 0) - before == 1
    finally:
        store.close()


def test_a_rebuild_keeps_serving_and_catches_up_writes_made_meanwhile(pg_url: str, schema: str) -> None:
    store = PostgresStore.open(pg_settings(pg_url, schema))
    other = PostgresStore.open(pg_settings(pg_url, schema))
    try:
        store.write_meta("embed_dim", "8")
        other.write_meta("embed_dim", "8")
        rng = np.random.default_rng(3)
        bulk = [(record(f"u{i % 5}", "x"), v / np.linalg.norm(v)) for i, v in enumerate(rng.standard_normal((4000, 8)))]
        store.maintenance_bulk_insert([(r, v.astype(np.float32)) for r, v in bulk], "test")
        rebuild = threading.Thread(target=store.maintenance_reindex)
        rebuild.start()
        added, searched = [], 0
        while rebuild.is_alive() or not added:
            added.append(add(other, record("u1", "during"), seed=len(added) + 10))
            searched += len(other.search_vectors(unit(1), user_id="u1", k=5)) > 0
        rebuild.join()
        with psycopg.connect(pg_url) as conn:
            n_ann, n_mem = conn.execute(
                f'SELECT (SELECT count(*) FROM "{schema}".om_mean_vectors), '
                f'(SELECT count(*) FROM "{schema}".openmemory_memories WHERE mean_vec IS NOT NULL)'.encode()
            ).fetchone() or (0, 0)
        assert n_ann == n_mem == 4000 + len(added)
        assert searched == len(added)
        last = added[-1]
        assert last.memory_id in [h[0] for h in store.search_vectors(unit(len(added) + 9), user_id="u1", k=3)]
    finally:
        store.close()
        other.close()
