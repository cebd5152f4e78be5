"""Generated upstream-shaped databases: migrate -> the schema of a fresh database, every row kept, idempotent.

Each example combines the things that differ between upstream releases and half-finished upstream runs
(``upstream_schemas.py``). SQLite and both PostgreSQL servers; a dry run before the migration changes nothing,
and a second run changes nothing either.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings

from openmemory.migrations.postgres import PgNames, migrate_postgres
from openmemory.migrations.sqlite_file import dry_run, migrate_file
from tests.migrations.test_postgres_migrations import snapshot
from tests.migrations.test_sqlite_migrations import normalised_schema
from tests.migrations.upstream_schemas import ORPHAN, UpstreamShape, build_postgres, build_sqlite, shapes
from tests.store.pg import PG_SERVERS, throwaway_schema

FACTS = (
    "SELECT id{cast}, subject, predicate, object, valid_from, valid_to, confidence, last_updated, metadata{owner} "
    "FROM {t}"
)
PG_TABLES = {
    "memories": "openmemory_memories",
    "vectors": "openmemory_vectors",
    "waypoints": "openmemory_waypoints",
    "users": "openmemory_users",
    "stats": "stats",
    "embed_logs": "openmemory_embed_logs",
    "temporal_facts": "temporal_facts",
    "temporal_edges": "temporal_edges",
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sqlite_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        out = {}
        for table in ("memories", "vectors", "openmemory_vectors", *PG_TABLES):
            if table in names:
                key = "vectors" if table == "openmemory_vectors" else table
                out[key] = out.get(key, 0) + conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return out
    finally:
        conn.close()


def _sqlite_facts(path: Path, with_owner: bool) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'temporal_facts'").fetchone() is None:
            return []
        sql = FACTS.format(cast="", owner=", user_id" if with_owner else "", t="temporal_facts")
        return sorted(conn.execute(sql).fetchall(), key=repr)
    finally:
        conn.close()


def _expected_facts(before: list[tuple[Any, ...]], shape: UpstreamShape) -> list[tuple[Any, ...]]:
    """Every fact as it was, owned by its owner (upstream's quarantine owner and no owner: the default user)."""
    if shape.temporal == "head":
        return sorted([(*row[:-1], None if row[-1] == ORPHAN else row[-1]) for row in before], key=repr)
    return sorted([(*row, None) for row in before], key=repr)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes())
def test_sqlite_upstream_shapes_migrate_to_the_fresh_schema(shape: UpstreamShape) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fresh, path = Path(tmp) / "fresh.sqlite", Path(tmp) / "upstream.sqlite"
        sqlite3.connect(fresh).close()
        migrate_file(fresh, busy_timeout_ms=1000, make_backup=False, say=lambda _: None)
        build_sqlite(str(path), shape)
        counts = _sqlite_counts(path)
        facts = _sqlite_facts(path, with_owner=shape.temporal == "head")
        digest = _sha(path)
        dry_run(path, busy_timeout_ms=1000, vector_table=None, say=lambda _: None)
        assert _sha(path) == digest
        migrate_file(path, busy_timeout_ms=1000, make_backup=False, say=lambda _: None)
        assert normalised_schema(path) == normalised_schema(fresh)
        after = _sqlite_counts(path)
        assert {t: after[t] for t in counts} == counts
        assert _sqlite_facts(path, with_owner=True) == _expected_facts(facts, shape)
        digest = _sha(path)
        migrate_file(path, busy_timeout_ms=1000, make_backup=False, say=lambda _: None)
        assert _sha(path) == digest


def _pg_counts(url: str, schema: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        present = {
            r[0]
            for r in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))
        }
        return {
            label: int(conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"'.encode()).fetchone()[0])  # type: ignore[index]
            for label, table in PG_TABLES.items()
            if table in present
        }


def _pg_facts(url: str, schema: str, with_owner: bool) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass(%s)", (f'"{schema}".temporal_facts',)).fetchone() == (None,):
            return []
        sql = FACTS.format(cast="::text", owner=", user_id" if with_owner else "", t=f'"{schema}".temporal_facts')
        return sorted(conn.execute(sql.encode()).fetchall(), key=repr)


def _pg_migrate(url: str, schema: str, *, dry_run: bool = False) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        migrate_postgres(conn, PgNames.from_settings(schema, "openmemory_memories", None), dry_run=dry_run)


def _schema_only(snap: dict[str, Any]) -> tuple[Any, ...]:
    return snap["columns"], snap["keys"], snap["indexes"]


@pytest.mark.postgres
@pytest.mark.parametrize("server", PG_SERVERS)
def test_postgres_upstream_shapes_migrate_to_the_fresh_schema(server: str) -> None:
    with throwaway_schema(server, "omgen") as fresh:
        _pg_migrate(server, fresh)
        fresh_schema = _schema_only(snapshot(server, fresh))

    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(shape=shapes())
    def check(shape: UpstreamShape) -> None:
        with throwaway_schema(server, "omgen") as schema:
            build_postgres(server, schema, shape)
            counts = _pg_counts(server, schema)
            facts = _pg_facts(server, schema, with_owner=shape.temporal == "head")
            before = snapshot(server, schema)
            _pg_migrate(server, schema, dry_run=True)
            assert snapshot(server, schema) == before
            _pg_migrate(server, schema)
            migrated = snapshot(server, schema)
            assert _schema_only(migrated) == fresh_schema
            after = _pg_counts(server, schema)
            assert {t: after[t] for t in counts} == counts
            assert _pg_facts(server, schema, with_owner=True) == _expected_facts(facts, shape)
            _pg_migrate(server, schema)
            assert snapshot(server, schema) == migrated

    check()
