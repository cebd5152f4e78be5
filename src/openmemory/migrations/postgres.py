"""The PostgreSQL dialect of the migration runner: one schema, schema-qualified names, dry-run by rollback.

PostgreSQL specifics on top of the shared runner (``runner.py``):

* every name is schema-qualified and quoted (``OM_PG_SCHEMA``, ``OM_PG_TABLE``, ``OM_VECTOR_TABLE``), and only
  the chosen schema is inspected, so another schema's tables never count as "already there"; the schema itself
  is created first when missing;
* a per-schema advisory lock is held by each version's transaction, so two processes starting at once do not
  both migrate; the second re-inspects after the first committed and finds nothing to do;
* dry-run runs every version inside one outer transaction (each version a savepoint) and rolls it all back, so
  the printed SQL is exactly what a real run executes and the database is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql

from openmemory.errors import MigrationError, OpenMemoryError
from openmemory.migrations.base import Names
from openmemory.migrations.runner import MigrationReport, Say, StepHook, VersionStatus, migrate, plan_status
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
            om_meta=q("om_meta"),
        )


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
    """Versions in ``schema_version`` of the schema, as stored (empty when there is no table)."""
    row = conn.execute("SELECT to_regclass(%s)", (names.qualified("schema_version"),)).fetchone()
    if row is None or row[0] is None:
        return []
    query = sql.SQL("SELECT version FROM {}").format(sql.Identifier(names.schema, "schema_version"))
    return [str(r[0]) for r in conn.execute(query).fetchall() if r[0]]


class PostgresDialect:
    """An autocommit connection and the schema it migrates."""

    name = "postgres"
    driver_error = psycopg.Error

    def __init__(self, conn: psycopg.Connection[tuple[object, ...]], names: PgNames) -> None:
        self.conn = conn
        self.pg = names
        self.location = names.location

    def inspect(self) -> SchemaInfo:
        return inspect_postgres(self.conn, self.pg.schema)

    def names(self, schema: SchemaInfo) -> Names:
        return self.pg.names()

    def recorded_versions(self) -> list[str]:
        return recorded_versions_postgres(self.conn, self.pg)

    def prepare(self) -> list[str]:
        if schema_exists(self.conn, self.pg.schema):
            return []
        statement = f"CREATE SCHEMA IF NOT EXISTS {quote(self.pg.schema)}"
        self.conn.execute(statement.encode())
        return [statement]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            lock = f"openmemory-migrate:{self.pg.schema}"
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (lock,))
            yield

    def execute(self, statement: str) -> None:
        self.conn.execute(statement.encode())

    def scalar(self, query: str) -> object:
        row = self.conn.execute(query.encode()).fetchone()  # built from PgNames, never from input
        return row[0] if row else None

    def record_version(self, version: str, applied_at_ms: int) -> None:
        table = sql.Identifier(self.pg.schema, "schema_version")
        create = sql.SQL("CREATE TABLE IF NOT EXISTS {} (version TEXT PRIMARY KEY, applied_at BIGINT)")
        self.conn.execute(create.format(table))
        insert = sql.SQL("INSERT INTO {} (version, applied_at) VALUES (%s, %s) ON CONFLICT (version) DO NOTHING")
        self.conn.execute(insert.format(table), (version, applied_at_ms))

    def failure(self, head: str, exc: Exception) -> OpenMemoryError:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, psycopg.errors.InsufficientPrivilege):
            return MigrationError(
                f"{head}: {text}; the connecting role may not change schema {self.pg.schema!r} (its tables belong "
                f"to another role): run `opm migrate` as the owner, or grant ownership to this role"
            )
        if isinstance(exc, psycopg.OperationalError):
            return MigrationError(
                f"{head}: the PostgreSQL connection failed ({text}); nothing of this version was kept, retry"
            )
        return MigrationError(f"{head}: {text}")


def plan_status_postgres(conn: psycopg.Connection[tuple[object, ...]], names: PgNames) -> list[VersionStatus]:
    """Applied/pending state of every known version, judged on the live schema (read-only)."""
    return plan_status(PostgresDialect(conn, names))


def migrate_postgres(
    conn: psycopg.Connection[tuple[object, ...]],
    names: PgNames,
    *,
    say: Say | None = None,
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
    dialect = PostgresDialect(conn, names)
    quiet = say or (lambda _: None)
    if not dry_run:
        return migrate(dialect, say=quiet, on_step=on_step, now_ms=now_ms)
    report: MigrationReport | None = None
    with conn.transaction() as outer:
        report = migrate(dialect, say=quiet, on_step=on_step, now_ms=now_ms)
        raise psycopg.Rollback(outer)
    return report
