"""The versioned migration runner for PostgreSQL: inspect one schema, plan, apply, status, dry-run.

It mirrors ``runner.migrate_sqlite`` line for line (same ``[MIGRATE]`` console lines, same numeric version order,
one transaction per version with its ``schema_version`` row), with what PostgreSQL needs on top:

* every name is schema-qualified and quoted (``OM_PG_SCHEMA``, ``OM_PG_TABLE``, ``OM_VECTOR_TABLE``), and only
  the chosen schema is inspected, so another schema's tables never count as "already there";
* a per-schema advisory lock is held by each version's transaction, so two processes starting at once do not
  both migrate; the second re-inspects after the first committed and finds nothing to do;
* dry-run runs every version inside one outer transaction (each version a savepoint) and rolls it all back, so
  the printed SQL is exactly what a real run executes and the database is left as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import psycopg
from psycopg import sql

from openmemory.errors import MigrationError, SchemaTooNew
from openmemory.migrations.base import Names, Step
from openmemory.migrations.runner import (
    LATEST,
    MIGRATIONS,
    MigrationReport,
    Say,
    StepHook,
    VersionStatus,
    current_version,
    live_steps,
    version_key,
)
from openmemory.migrations.schema import Column, SchemaInfo, Table

DEFAULT_VECTOR_TABLE = "openmemory_vectors"

# Upstream's fixed PostgreSQL table names (reference §1.2); only memories and vectors are configurable.
_FIXED = {
    "waypoints": "openmemory_waypoints",
    "users": "openmemory_users",
    "stats": "stats",
    "embed_logs": "openmemory_embed_logs",
    "temporal_facts": "temporal_facts",
    "temporal_edges": "temporal_edges",
}


def quote(*parts: str) -> str:
    """``"schema"."name"``: identifiers quoted by psycopg (callers pass names Settings already validated)."""
    return sql.Identifier(*parts).as_string()


@dataclass(frozen=True, slots=True)
class PgNames:
    """The schema and configurable table names of one OpenMemory database on PostgreSQL."""

    schema: str
    memories: str
    vectors: str

    @classmethod
    def from_settings(cls, pg_schema: str, pg_table: str, vector_table: str | None) -> PgNames:
        return cls(pg_schema, pg_table, vector_table or DEFAULT_VECTOR_TABLE)

    def qualified(self, bare: str) -> str:
        return quote(self.schema, bare)

    @property
    def location(self) -> str:
        return f"schema {self.schema!r}"

    def names(self) -> Names:
        q = self.qualified
        f = _FIXED
        return Names(
            memories=q(self.memories),
            vectors=q(self.vectors),
            waypoints=q(f["waypoints"]),
            users=q(f["users"]),
            stats=q(f["stats"]),
            embed_logs=q(f["embed_logs"]),
            temporal_facts=q(f["temporal_facts"]),
            temporal_edges=q(f["temporal_edges"]),
            bare_memories=self.memories,
            bare_vectors=self.vectors,
            bare_waypoints=f["waypoints"],
            bare_users=f["users"],
            bare_stats=f["stats"],
            bare_embed_logs=f["embed_logs"],
            bare_temporal_facts=f["temporal_facts"],
            bare_temporal_edges=f["temporal_edges"],
        )


def _say_nothing(_: str) -> None:
    return None


# -- inspection ----------------------------------------------------------------------------------------------

_COLUMNS_SQL = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
ORDER BY c.relname, a.attnum
"""

_KEYS_SQL = """
SELECT c.relname, con.conname, con.contype, array_agg(a.attname::text ORDER BY k.ord)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE n.nspname = %s AND con.contype IN ('p', 'u')
GROUP BY c.relname, con.conname, con.contype
"""

_INDEXES_SQL = """
SELECT i.relname, t.relname
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE n.nspname = %s
"""


def inspect_postgres(conn: psycopg.Connection[tuple[object, ...]], schema: str) -> SchemaInfo:
    """Tables, columns, primary keys (with their real constraint names) and indexes of one schema."""
    columns: dict[str, dict[str, Column]] = {}
    for table, name, sql_type, not_null, default in conn.execute(_COLUMNS_SQL, (schema,)).fetchall():
        columns.setdefault(str(table), {})[str(name)] = Column(
            str(name), str(sql_type).upper(), bool(not_null), None if default is None else str(default)
        )
    keys: dict[str, tuple[str, tuple[str, ...]]] = {}
    uniques: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for table, conname, kind, cols in conn.execute(_KEYS_SQL, (schema,)).fetchall():
        names = (str(conname), tuple(str(c) for c in cols))  # type: ignore[attr-defined]
        if kind == "p":
            keys[str(table)] = names
        else:
            uniques.setdefault(str(table), []).append(names)
    tables = {}
    for table, cols in columns.items():
        pk_name, pk = keys.get(table, (None, ()))
        tables[table] = Table(table, cols, pk, pk_name, unique_constraints=tuple(sorted(uniques.get(table, ()))))
    indexes = {str(i): str(t) for i, t in conn.execute(_INDEXES_SQL, (schema,)).fetchall()}
    return SchemaInfo(tables, indexes)


def schema_exists(conn: psycopg.Connection[tuple[object, ...]], schema: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is not None


def recorded_versions_postgres(conn: psycopg.Connection[tuple[object, ...]], names: PgNames) -> list[str]:
    """Versions in ``schema_version`` of the schema, oldest first by number (empty when there is no table)."""
    row = conn.execute("SELECT to_regclass(%s)", (names.qualified("schema_version"),)).fetchone()
    if row is None or row[0] is None:
        return []
    query = sql.SQL("SELECT version FROM {}").format(sql.Identifier(names.schema, "schema_version"))
    versions = [str(r[0]) for r in conn.execute(query).fetchall() if r[0]]
    return sorted(versions, key=version_key)


def plan_status_postgres(conn: psycopg.Connection[tuple[object, ...]], names: PgNames) -> list[VersionStatus]:
    """Applied/pending state of every known version, judged on the live schema (read-only)."""
    schema = inspect_postgres(conn, names.schema)
    recorded = set(recorded_versions_postgres(conn, names))
    out = []
    for module in MIGRATIONS:
        steps = live_steps(module, module.plan_postgres(schema, names.names()), recorded)
        out.append(VersionStatus(module.VERSION, module.DESCRIPTION, module.VERSION in recorded, len(steps)))
    return out


# -- applying ------------------------------------------------------------------------------------------------


def migrate_postgres(
    conn: psycopg.Connection[tuple[object, ...]],
    names: PgNames,
    *,
    say: Say = _say_nothing,
    on_step: StepHook | None = None,
    now_ms: Callable[[], int] | None = None,
    dry_run: bool = False,
) -> MigrationReport:
    """Apply every pending version to one schema, one transaction per version.

    ``conn`` must be in autocommit mode. With ``dry_run`` every statement runs inside one transaction that is
    rolled back at the end. Raises SchemaTooNew for a database newer than this tool, MigrationError when a step
    fails (that version is rolled back, earlier ones stay) or the role may not change the schema.
    """
    if not conn.autocommit:
        raise MigrationError("migrate_postgres needs an autocommit connection")
    clock = now_ms or (lambda: int(time.time() * 1000))
    if not dry_run:
        return _migrate(conn, names, say, on_step, clock)
    report: MigrationReport | None = None
    with conn.transaction() as outer:
        report = _migrate(conn, names, say, on_step, clock)
        raise psycopg.Rollback(outer)
    return report


def _migrate(
    conn: psycopg.Connection[tuple[object, ...]],
    names: PgNames,
    say: Say,
    on_step: StepHook | None,
    clock: Callable[[], int],
) -> MigrationReport:
    say("Checking for pending migrations...")
    recorded = recorded_versions_postgres(conn, names)
    current = current_version(recorded)
    say(f"Current database version: {current or 'none'}")
    if current is not None and version_key(current) > version_key(LATEST):
        raise SchemaTooNew(names.location, current, LATEST)
    statements: list[str] = []
    if not schema_exists(conn, names.schema):
        statement = f"CREATE SCHEMA IF NOT EXISTS {quote(names.schema)}"
        _execute(conn, statement, names, "schema")
        statements.append(statement)
    applied: list[str] = []
    for module in MIGRATIONS:
        if _apply_one(conn, module, names, say, on_step, clock, statements):
            applied.append(module.VERSION)
    if not applied:
        say("No pending migrations: the database is up to date")
    say("All migrations completed")
    return MigrationReport(current, tuple(applied), tuple(statements))


def _apply_one(
    conn: psycopg.Connection[tuple[object, ...]],
    module: ModuleType,
    names: PgNames,
    say: Say,
    on_step: StepHook | None,
    clock: Callable[[], int],
    statements: list[str],
) -> bool:
    version: str = module.VERSION
    ran = False
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"openmemory-migrate:{names.schema}",))
            schema = inspect_postgres(conn, names.schema)
            recorded = recorded_versions_postgres(conn, names)
            steps: list[Step] = live_steps(module, module.plan_postgres(schema, names.names()), recorded)
            if not steps and version in recorded:
                return False
            say(f"Running migration: {version} - {module.DESCRIPTION}")
            if not steps:
                say(f"Migration {version} already in effect, recording it")
            for index, step in enumerate(steps):
                if step.verify_same_rows is not None:
                    _verify_same_rows(conn, *step.verify_same_rows)
                conn.execute(step.sql.encode())
                statements.append(step.sql)
                if on_step is not None:
                    on_step(version, index, step)
            table = sql.Identifier(names.schema, "schema_version")
            conn.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} (version TEXT PRIMARY KEY, applied_at BIGINT)").format(table)
            )
            conn.execute(
                sql.SQL("INSERT INTO {} (version, applied_at) VALUES (%s, %s) ON CONFLICT (version) DO NOTHING").format(
                    table
                ),
                (version, clock()),
            )
            ran = True
    except psycopg.Error as exc:
        say(f"ERROR: {exc}")
        raise MigrationError(_failure_message(f"migration {version} failed and was rolled back", exc, names)) from exc
    if ran:
        say(f"Migration {version} completed successfully")
    return ran


def _execute(conn: psycopg.Connection[tuple[object, ...]], statement: str, names: PgNames, what: str) -> None:
    try:
        conn.execute(statement.encode())
    except psycopg.Error as exc:
        raise MigrationError(_failure_message(f"creating the {what} failed", exc, names)) from exc


def _failure_message(head: str, exc: psycopg.Error, names: PgNames) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return (
            f"{head}: {text}; the connecting role may not change schema {names.schema!r} (its tables belong to "
            f"another role): run `opm migrate` as the owner, or grant ownership to this role"
        )
    if isinstance(exc, psycopg.OperationalError):
        return f"{head}: the PostgreSQL connection failed ({text}); nothing of this version was kept, retry"
    return f"{head}: {text}"


def _verify_same_rows(conn: psycopg.Connection[tuple[object, ...]], source: str, copy: str) -> None:
    # names come from PgNames (validated and quoted), never from input
    row_source = conn.execute(f"SELECT count(*) FROM {source}".encode()).fetchone()
    row_copy = conn.execute(f"SELECT count(*) FROM {copy}".encode()).fetchone()
    n_source = row_source[0] if row_source else None
    n_copy = row_copy[0] if row_copy else None
    if n_source != n_copy:
        raise MigrationError(f"copy of {source} has {n_copy} rows but the original has {n_source}; nothing was dropped")
