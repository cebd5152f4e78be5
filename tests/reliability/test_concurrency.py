"""Eight client processes adding and querying at once: no "database is locked", no lost write, on SQLite (one
server, or eight processes on one file) and on PostgreSQL with fewer pool connections than requests in flight.
The long runs are ``opm bench concurrency`` (docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from openmemory.bench.concurrency import run_concurrency
from openmemory.config import Settings
from openmemory.memory import Memory
from tests.live import live_server
from tests.store.pg import PG_URL, needs_pg, throwaway_schema


@pytest.mark.parametrize("mode", ["http", "direct"])
def test_eight_processes_on_sqlite_lose_nothing_and_never_see_a_lock(tmp_path: Path, mode: str) -> None:
    report = run_concurrency(tmp_path, mode="http" if mode == "http" else "direct", processes=8, seconds=3)
    assert report.samples == []
    assert (report.locked_errors, report.other_errors, report.clean_503, report.rows_lost) == (0, 0, 0, 0)
    assert report.integrity == "ok"
    assert report.acknowledged_writes > 0 and report.queries_ok > 0


@needs_pg
@pytest.mark.postgres
def test_more_requests_than_pool_connections_on_postgres_queue_and_lose_nothing(tmp_path: Path) -> None:
    assert PG_URL is not None
    with throwaway_schema(PG_URL, "omconc") as schema:
        settings = Settings.load(pg_url=PG_URL, pg_schema=schema, metadata_backend="postgres")
        report = run_concurrency(
            tmp_path, backend="postgres", processes=8, threads=2, seconds=3, pool_max=2, settings=settings
        )
    assert report.samples == [] and report.integrity == "ok"
    assert (report.locked_errors, report.other_errors, report.clean_503, report.rows_lost) == (0, 0, 0, 0)
    assert report.acknowledged_writes > 0 and report.queries_ok > 0


@needs_pg
@pytest.mark.postgres
def test_a_request_finding_every_pool_connection_busy_gets_a_clean_503_and_writes_nothing() -> None:
    assert PG_URL is not None
    with throwaway_schema(PG_URL, "ompool") as schema:
        settings = Settings.load(
            embeddings="synthetic", metadata_backend="postgres", pg_url=PG_URL, pg_schema=schema, pg_pool_max=1,
            pg_pool_timeout_s=0.5,
        )  # fmt: skip
        with Memory(settings=settings) as memory, live_server(settings, memory) as url:
            body = {"content": "written while the pool is exhausted", "user_id": "pool-user"}
            with memory.maintenance.store.session():  # this thread holds the pool's one connection
                refused = httpx.post(f"{url}/memory/add", json=body, timeout=30)
            assert refused.status_code == 503, refused.text
            assert refused.json()["err"] == "store_unavailable" and "OM_PG_POOL_MAX" in refused.json()["message"]
            assert memory.count(user_id="pool-user") == 0
            accepted = httpx.post(f"{url}/memory/add", json=body, timeout=30)  # the pool recovered by itself
            assert accepted.status_code == 200 and memory.count(user_id="pool-user") == 1
