"""What upstream HEAD leaves on PostgreSQL (memories and a `v vector` table, then a failed HNSW index) migrates."""

from __future__ import annotations

import struct

import psycopg
import pytest

from openmemory import Memory, Settings
from openmemory.migrations.postgres import PgNames, migrate_postgres
from tests.migrations.test_postgres_migrations import snapshot
from tests.store.pg import PG_URL, needs_pg, table_rows, throwaway_schema

pytestmark = [pytest.mark.postgres, needs_pg]

# upstream HEAD's db.ts, schema-qualified (the HNSW index after these fails, so start-up stops here)
HEAD_MEMORIES = (
    "CREATE TABLE {s}.openmemory_memories(id uuid primary key,user_id text,project_id text,segment integer "
    "default 0,content text not null,simhash text,primary_sector text not null,tags text,meta text,created_at "
    "bigint,updated_at bigint,last_seen_at bigint,salience double precision,decay_lambda double precision,version "
    "integer default 1,mean_dim integer,mean_vec bytea,compressed_vec bytea,feedback_score double precision "
    "default 0)"
)
HEAD_VECTORS = (
    "CREATE TABLE {s}.openmemory_vectors(id uuid,sector text,user_id text,project_id text,v vector,dim integer "
    "not null,primary key(id,sector))"
)
MEMORY_ID = "00000000-0000-4000-8000-0000000000a1"


def _head(url: str, schema: str) -> None:
    s = f'"{schema}"'
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute(f"CREATE SCHEMA {s}".encode())
        conn.execute(HEAD_MEMORIES.format(s=s).encode())
        conn.execute(HEAD_VECTORS.format(s=s).encode())
        conn.execute(
            f"INSERT INTO {s}.openmemory_memories (id, user_id, content, primary_sector, created_at) "
            "VALUES (%s, 'alice', 'the greenhouse needs a new vent', 'semantic', 5)".encode(),
            (MEMORY_ID,),
        )
        conn.execute(
            f"INSERT INTO {s}.openmemory_vectors VALUES (%s, 'semantic', 'alice', NULL, '[1, 0, 0.5, -2]', 4)".encode(),
            (MEMORY_ID,),
        )


def _migrate(schema: str) -> None:
    assert PG_URL is not None
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        migrate_postgres(conn, PgNames.from_settings(schema, "openmemory_memories", None))


def test_head_vectors_become_float32_bytes_and_the_database_opens() -> None:
    assert PG_URL is not None
    with throwaway_schema(PG_URL, "omhead") as schema, throwaway_schema(PG_URL, "omhead") as fresh:
        _head(PG_URL, schema)
        _migrate(schema)
        rows = table_rows(PG_URL, f'SELECT id::text, v, dim FROM "{schema}".openmemory_vectors')
        assert rows == [(MEMORY_ID, struct.pack("<4f", 1.0, 0.0, 0.5, -2.0), 4)]
        _migrate(fresh)
        a, b = snapshot(PG_URL, schema), snapshot(PG_URL, fresh)
        assert (a["columns"], a["keys"], a["indexes"]) == (b["columns"], b["keys"], b["indexes"])
        _migrate(schema)
        assert snapshot(PG_URL, schema) == a
        settings = Settings.load(metadata_backend="postgres", pg_url=PG_URL, pg_schema=schema, embeddings="synthetic")
        with Memory(settings=settings) as mem:
            assert [h.memory.id for h in mem.query("greenhouse vent", user_id="alice")] == [MEMORY_ID]
