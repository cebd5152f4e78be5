"""The SQLite dialect of the migration runner: one file, ``BEGIN IMMEDIATE`` per version, bare table names.

SQLite specifics: the vector table is ``OM_VECTOR_TABLE``, else ``vectors`` (v1.2) when present, else
``openmemory_vectors``; a version's transaction takes the write lock up front (``BEGIN IMMEDIATE``), and foreign
keys are switched off while migrating (a table rebuild drops a table other tables reference; SQLite only allows
changing the setting outside a transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from openmemory.errors import MigrationError, OpenMemoryError
from openmemory.migrations.base import Names
from openmemory.migrations.runner import MigrationReport, Say, StepHook, VersionStatus, migrate, plan_status
from openmemory.migrations.schema import SchemaInfo, inspect_sqlite

LockError = Callable[[sqlite3.Error], OpenMemoryError]


def resolve_vector_table(schema: SchemaInfo, configured: str | None) -> str:
    """The vector table a SQLite file uses: the configured name, else ``vectors`` (v1.2) if present, else
    ``openmemory_vectors`` (upstream's later default)."""
    if configured:
        return configured
    if schema.has_table("vectors"):
        return "vectors"
    return "openmemory_vectors"


def recorded_versions_sqlite(conn: sqlite3.Connection) -> list[str]:
    """Versions in ``schema_version``, as stored (empty when the table does not exist)."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'").fetchone()
    if not exists:
        return []
    return [str(r[0]) for r in conn.execute("SELECT version FROM schema_version").fetchall() if r[0]]


class SQLiteDialect:
    """An autocommit connection (``isolation_level=None``) to one SQLite database."""

    name = "sqlite"
    driver_error = sqlite3.Error

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        location: str,
        vector_table: str | None = None,
        on_lock: LockError | None = None,
    ) -> None:
        self.conn = conn
        self.location = location
        self.vector_table = vector_table
        self._on_lock = on_lock

    def inspect(self) -> SchemaInfo:
        return inspect_sqlite(self.conn)

    def names(self, schema: SchemaInfo) -> Names:
        return Names.sqlite(resolve_vector_table(schema, self.vector_table))

    def recorded_versions(self) -> list[str]:
        return recorded_versions_sqlite(self.conn)

    def prepare(self) -> list[str]:
        return []

    @contextmanager
    def transaction(self) -> Iterator[None]:
        enforced = self.conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
        if enforced:
            self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        finally:
            if enforced:
                self.conn.execute("PRAGMA foreign_keys = ON")

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def scalar(self, query: str) -> object:
        row = self.conn.execute(query).fetchone()  # built from Names, never from input
        return row[0] if row else None

    def record_version(self, version: str, applied_at_ms: int) -> None:
        self.conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version TEXT PRIMARY KEY, applied_at INTEGER)")
        self.conn.execute(
            "INSERT OR IGNORE INTO schema_version(version, applied_at) VALUES (?, ?)", (version, applied_at_ms)
        )

    def failure(self, head: str, exc: Exception) -> OpenMemoryError:
        text = str(exc)
        if self._on_lock is not None and isinstance(exc, sqlite3.Error) and ("locked" in text or "busy" in text):
            return self._on_lock(exc)
        return MigrationError(f"{head}: {text}")


def plan_status_sqlite(conn: sqlite3.Connection, vector_table: str | None = None) -> list[VersionStatus]:
    """Applied/pending state of every known version of an open SQLite database (read-only)."""
    return plan_status(SQLiteDialect(conn, location="", vector_table=vector_table))


def migrate_sqlite(
    conn: sqlite3.Connection,
    *,
    location: str,
    vector_table: str | None = None,
    say: Say | None = None,
    on_step: StepHook | None = None,
    now_ms: Callable[[], int] | None = None,
    on_lock: LockError | None = None,
) -> MigrationReport:
    """Apply every pending version to an open SQLite connection (autocommit mode), one transaction per version.

    Raises SchemaTooNew for a database newer than this tool, MigrationError when a step fails (that version is
    rolled back, earlier ones stay), and ``on_lock``'s error when another writer holds the file too long.
    """
    dialect = SQLiteDialect(conn, location=location, vector_table=vector_table, on_lock=on_lock)
    return migrate(dialect, say=say or (lambda _: None), on_step=on_step, now_ms=now_ms)
