"""Upgrading real upstream PostgreSQL databases in a non-default schema and table: nothing lost, safe to re-run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from openmemory.errors import MigrationError, SchemaTooNew
from openmemory.migrations.postgres import PgNames, migrate_postgres, plan_status_postgres
from openmemory.migrations.runner import LATEST
from tests.store.pg import ENABLE_HINT, PG_SERVERS, PG_URL, needs_pg, restore_dump, table_rows, throwaway_schema

TABLE = "legacy_mem"  # not upstream's default name, so every statement must honour OM_PG_TABLE
DUMPS = ("v1.1.1-postgres.sql", "v1.2.0-native-postgres.sql", "v1.2.2-native-postgres.sql")
MEMORY_COLUMNS = (
    "id, content, primary_sector, tags, meta, created_at, updated_at, last_seen_at, salience, decay_lambda, "
    "version, mean_dim, mean_vec"
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> str:
    if PG_URL is None:
        pytest.skip(ENABLE_HINT.format(var="OM_TEST_PG_URL", port=5433))
    return PG_URL


@pytest.fixture
def schema(pg_url: str) -> Iterator[str]:
    with throwaway_schema(pg_url, "ommig") as name:
        yield name


def _migrate(url: str, names: PgNames, *, dry_run: bool = False) -> tuple[list[str], tuple[str, ...]]:
    lines: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        report = migrate_postgres(conn, names, say=lines.append, dry_run=dry_run)
    return lines, report.statements


def _names(schema: str, table: str = TABLE) -> PgNames:
    return PgNames.from_settings(schema, table, None)


def snapshot(url: str, schema: str) -> dict[str, Any]:
    """Columns (name, type, not null, default), primary keys and index definitions of one schema."""
    with psycopg.connect(url) as conn:
        cols = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, "
            "replace(coalesce(column_default, ''), %s, '') FROM information_schema.columns WHERE table_schema = %s",
            (f"{schema}.", schema),
        ).fetchall()
        keys = conn.execute(
            "SELECT tc.table_name, kcu.column_name, kcu.ordinal_position FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name "
            "AND kcu.table_schema = tc.table_schema WHERE tc.table_schema = %s AND tc.constraint_type = 'PRIMARY KEY'",
            (schema,),
        ).fetchall()
        indexes = [
            # a primary key's index is named after the table that first had it: compare it by table instead
            (f"pkey of {table}", d.replace(name, "")) if name.endswith("_pkey") else (name, d)
            for name, table, d in conn.execute(
                "SELECT indexname, tablename, replace(replace(indexdef, %s, ''), %s, '') FROM pg_indexes "
                "WHERE schemaname = %s",
                (f'"{schema}".', f"{schema}.", schema),
            ).fetchall()
        ]
        rows = {
            t: conn.execute(f'SELECT count(*) FROM "{schema}"."{t}"'.encode()).fetchone()
            for (t,) in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
            ).fetchall()
        }
    return {"columns": sorted(cols), "keys": sorted(keys), "indexes": sorted(indexes), "rows": rows}


@pytest.mark.parametrize("server", PG_SERVERS)
@pytest.mark.parametrize("dump", DUMPS)
def test_every_upstream_row_survives(server: str, dump: str) -> None:
    with throwaway_schema(server, "ommig") as schema:
        restore_dump(server, dump, schema, TABLE)
        q = f'"{schema}"'
        before_mem = table_rows(server, f"SELECT {MEMORY_COLUMNS} FROM {q}.{TABLE}")
        before_vec = table_rows(server, f"SELECT id, sector, v, dim FROM {q}.openmemory_vectors")
        before_way = table_rows(
            server, f"SELECT src_id, dst_id, weight, created_at, updated_at FROM {q}.openmemory_waypoints"
        )
        before_logs = table_rows(server, f"SELECT * FROM {q}.openmemory_embed_logs")
        _migrate(server, _names(schema))
        assert table_rows(server, f"SELECT {MEMORY_COLUMNS} FROM {q}.{TABLE}") == before_mem
        assert table_rows(server, f"SELECT id, sector, v, dim FROM {q}.openmemory_vectors") == before_vec
        assert (
            table_rows(server, f"SELECT src_id, dst_id, weight, created_at, updated_at FROM {q}.openmemory_waypoints")
            == before_way
        )
        assert table_rows(server, f"SELECT * FROM {q}.openmemory_embed_logs") == before_logs
        if dump.startswith("v1.1.1"):  # upstream 1.1's own FTS table is kept as it was
            assert len(table_rows(server, f"SELECT * FROM {q}.openmemory_memories_fts")) == 77


def test_v11_upgrade_prints_upstreams_console_lines(pg_url: str, schema: str) -> None:
    restore_dump(pg_url, "v1.1.1-postgres.sql", schema, TABLE)
    lines, _ = _migrate(pg_url, _names(schema))
    assert lines[:3] == [
        "Checking for pending migrations...",
        "Current database version: none",
        "Running migration: 1.2.0 - Multi-user tenant support",
    ]
    for version in ("1.2.0", "1.3.0", "2.0.0", "2.1.0"):
        assert f"Migration {version} completed successfully" in lines
    assert lines[-1] == "All migrations completed"


def test_waypoint_key_is_src_and_user_and_null_owners_become_the_system_sentinel(pg_url: str, schema: str) -> None:
    restore_dump(pg_url, "v1.1.1-postgres.sql", schema, TABLE)
    _migrate(pg_url, _names(schema))
    with psycopg.connect(pg_url) as conn:
        (pk,) = conn.execute(
            "SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_constraint c "
            "CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY k(n, ord) "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n "
            "WHERE c.conrelid = to_regclass(%s) AND c.contype = 'p'",
            (f'"{schema}".openmemory_waypoints',),
        ).fetchone() or (None,)
        owners = conn.execute(f'SELECT DISTINCT user_id FROM "{schema}".openmemory_waypoints'.encode()).fetchall()
    assert pk == ["src_id", "user_id"]
    assert owners == [("",)]  # v1.1 had no users: every edge belongs to the system/default user


def test_native_v12_edges_and_vectors_take_their_memorys_owner(pg_url: str, schema: str) -> None:
    restore_dump(pg_url, "v1.2.0-native-postgres.sql", schema, TABLE)
    _migrate(pg_url, _names(schema))
    q = f'"{schema}"'
    mismatched_edges = table_rows(
        pg_url,
        f"SELECT w.src_id FROM {q}.openmemory_waypoints w JOIN {q}.{TABLE} m ON m.id::text = w.src_id "
        "WHERE w.user_id <> coalesce(m.user_id, '')",
    )
    mismatched_vectors = table_rows(
        pg_url,
        f"SELECT v.id FROM {q}.openmemory_vectors v JOIN {q}.{TABLE} m ON m.id = v.id "
        "WHERE v.user_id IS DISTINCT FROM m.user_id",
    )
    assert mismatched_edges == [] and mismatched_vectors == []
    assert len(table_rows(pg_url, f"SELECT * FROM {q}.openmemory_users")) == 3


@pytest.mark.parametrize("dump", DUMPS)
def test_upgraded_schema_equals_fresh_schema(pg_url: str, dump: str) -> None:
    with throwaway_schema(pg_url) as upgraded, throwaway_schema(pg_url) as fresh:
        restore_dump(pg_url, dump, upgraded, TABLE)
        _migrate(pg_url, _names(upgraded))
        _migrate(pg_url, _names(fresh))
        a, b = snapshot(pg_url, upgraded), snapshot(pg_url, fresh)

        def ours(s: dict[str, Any]) -> tuple[Any, ...]:
            keep = lambda name: "openmemory_memories_fts" not in str(name)  # noqa: E731
            return (
                [c for c in s["columns"] if keep(c[0])],
                [k for k in s["keys"] if keep(k[0])],
                [i for i in s["indexes"] if keep(i[0])],
            )

        assert ours(a) == ours(b)


@pytest.mark.parametrize("dump", DUMPS)
def test_second_run_changes_nothing(pg_url: str, schema: str, dump: str) -> None:
    restore_dump(pg_url, dump, schema, TABLE)
    _migrate(pg_url, _names(schema))
    before = snapshot(pg_url, schema)
    lines, statements = _migrate(pg_url, _names(schema))
    assert statements == ()
    assert "No pending migrations: the database is up to date" in lines
    assert snapshot(pg_url, schema) == before


def test_dry_run_prints_the_sql_and_changes_nothing(pg_url: str, schema: str) -> None:
    restore_dump(pg_url, "v1.1.1-postgres.sql", schema, TABLE)
    before = snapshot(pg_url, schema)
    _, statements = _migrate(pg_url, _names(schema), dry_run=True)
    assert any("PRIMARY KEY (src_id, user_id)" in s for s in statements)
    assert any(f'"{schema}"."{TABLE}"' in s for s in statements)
    assert snapshot(pg_url, schema) == before


def test_status_reports_pending_then_applied(pg_url: str, schema: str) -> None:
    restore_dump(pg_url, "v1.2.0-native-postgres.sql", schema, TABLE)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert all(s.is_pending for s in plan_status_postgres(conn, _names(schema)))
    _migrate(pg_url, _names(schema))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert not any(s.is_pending for s in plan_status_postgres(conn, _names(schema)))


def test_stamped_but_unfinished_versions_are_completed(pg_url: str, schema: str) -> None:
    """Upstream's PG run can stamp 1.2.0 after failing; our run finishes what it finds half done."""
    restore_dump(pg_url, "v1.1.1-postgres.sql", schema, TABLE)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        q = f'"{schema}"'
        # what upstream's failed 1.2.0 leaves: user_id added, the old key kept, and a version row
        conn.execute(f"ALTER TABLE {q}.openmemory_waypoints ADD COLUMN user_id TEXT".encode())
        conn.execute(f"CREATE TABLE {q}.schema_version (version TEXT PRIMARY KEY, applied_at BIGINT)".encode())
        conn.execute(f"INSERT INTO {q}.schema_version VALUES ('1.2.0', 1), ('1.3.0', 2)".encode())
    lines, _ = _migrate(pg_url, _names(schema))
    assert "Current database version: 1.3.0" in lines
    assert "Migration 1.2.0 completed successfully" in lines
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert not any(s.is_pending for s in plan_status_postgres(conn, _names(schema)))


def test_database_newer_than_the_tool_is_refused_untouched(pg_url: str, schema: str) -> None:
    restore_dump(pg_url, "v1.2.0-native-postgres.sql", schema, TABLE)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{schema}".schema_version (version TEXT PRIMARY KEY, applied_at BIGINT)'.encode())
        conn.execute(f"INSERT INTO \"{schema}\".schema_version VALUES ('10.0.0', 1)".encode())
    before = snapshot(pg_url, schema)
    with pytest.raises(SchemaTooNew, match=LATEST):
        _migrate(pg_url, _names(schema))
    assert snapshot(pg_url, schema) == before


def test_versions_are_compared_numerically(pg_url: str, schema: str) -> None:
    """'1.10.0' is newer than '1.2.0' (upstream compares strings and would call it older)."""
    restore_dump(pg_url, "v1.2.0-native-postgres.sql", schema, TABLE)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{schema}".schema_version (version TEXT PRIMARY KEY, applied_at BIGINT)'.encode())
        conn.execute(f"INSERT INTO \"{schema}\".schema_version VALUES ('1.2.0', 2), ('1.10.0', 1)".encode())
    lines, _ = _migrate(pg_url, _names(schema))
    assert "Current database version: 1.10.0" in lines


@needs_pg
def test_schema_owned_by_another_role_fails_with_a_clear_message(pg_url: str, schema: str) -> None:
    owner, guest = f"om_owner_{uuid.uuid4().hex[:8]}", f"om_guest_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {owner} NOLOGIN".encode())
        admin.execute(f"CREATE ROLE {guest} LOGIN".encode())
        try:
            restore_dump(pg_url, "v1.2.0-native-postgres.sql", schema, TABLE)
            admin.execute(f'ALTER SCHEMA "{schema}" OWNER TO {owner}'.encode())
            for (table,) in admin.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall():
                admin.execute(f'ALTER TABLE "{schema}"."{table}" OWNER TO {owner}'.encode())
            admin.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {guest}'.encode())
            guest_url = psycopg.conninfo.make_conninfo(pg_url, user=guest)
            before = snapshot(pg_url, schema)
            with pytest.raises(MigrationError, match="another role"):
                _migrate(guest_url, _names(schema))
            assert snapshot(pg_url, schema) == before
        finally:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())
            admin.execute(f"DROP ROLE IF EXISTS {guest}".encode())
            admin.execute(f"DROP ROLE IF EXISTS {owner}".encode())


def test_2_3_0_drops_the_unused_full_text_index_and_stays_done(pg_url: str, schema: str) -> None:
    restore_dump(pg_url, "v1.2.2-native-postgres.sql", schema, TABLE)
    lines, statements = _migrate(pg_url, _names(schema))
    assert "Migration 2.3.0 completed successfully" in lines
    assert any("DROP INDEX" in s and "om_memories_content_fts_idx" in s for s in statements)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass(%s)", (f'"{schema}".om_memories_content_fts_idx',)).fetchone() == (
            None,
        )
        assert not [s.version for s in plan_status_postgres(conn, _names(schema)) if s.is_pending]
    again, _ = _migrate(pg_url, _names(schema))  # 2.0.0 is not re-run to bring the index back
    assert "No pending migrations: the database is up to date" in again
