"""The ``store`` fixture: every Store backend behind one parametrised fixture (SQLite always runs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openmemory.store.sqlite import SQLiteStore
from tests.store.pg import PG_SERVERS, PG_URL, needs_pg, pg_settings, throwaway_schema

DIM = 8


@pytest.fixture(
    params=[
        pytest.param(None, id="sqlite"),
        pytest.param("ann", id="sqlite-ann"),
        *PG_SERVERS,
        pytest.param("pg-hnsw", id="pgvector-hnsw", marks=[needs_pg, pytest.mark.postgres]),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    url = request.param
    if url is None or url == "ann":
        # sqlite-ann: every owner searched through the approximate index (threshold 1)
        s: Any = SQLiteStore.open(tmp_path / "contract.sqlite", ann_min_memories=1 if url == "ann" else 20_000)
        s.write_meta("embed_model", "test")
        s.write_meta("embed_dim", str(DIM))
        yield s
        s.close()
        return
    from openmemory.store.postgres import PostgresStore

    # pgvector-hnsw: every owner searched through pgvector's HNSW index (threshold 1), not the exact sort
    more = {"ann_min_memories": 1} if url == "pg-hnsw" else {}
    url = PG_URL if url == "pg-hnsw" else url
    with throwaway_schema(url, "omc") as schema:
        s = PostgresStore.open(pg_settings(url, schema, **more))
        s.write_meta("embed_model", "test")
        s.write_meta("embed_dim", str(DIM))
        try:
            yield s
        finally:
            s.close()
