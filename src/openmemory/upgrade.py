"""Upgrading and moving whole databases: the service behind ``opm migrate`` and ``opm copy``.

Surfaces call these functions with ``Settings`` and never touch a connection, a driver or SQL. Either backend:
SQLite (a file, checked, backed up before the first change, dry-run on an in-memory copy) or PostgreSQL (the
configured schema, dry-run inside a transaction that is rolled back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from openmemory.config import Settings
from openmemory.migrations.runner import MigrationReport, Say
from openmemory.migrations.runner import VersionStatus as VersionStatus  # re-exported: opm migrate prints it
from openmemory.migrations.sqlite import plan_status_sqlite
from openmemory.migrations.sqlite_file import check_database_file, connect, dry_run, migrate_file
from openmemory.store import require_postgres

if TYPE_CHECKING:
    import psycopg

    from openmemory.migrations.postgres import PgNames

T = TypeVar("T")
PgWork = Callable[["psycopg.Connection[tuple[object, ...]]", "PgNames", str], T]


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where the database is and the state of every known version."""

    location: str
    versions: list[VersionStatus]

    @property
    def pending(self) -> list[str]:
        return [v.version for v in self.versions if v.is_pending]


def schema_status(settings: Settings) -> SchemaStatus:
    """Applied / pending / unfinished versions of the configured database; changes nothing.

    Raises StoreUnavailable for a missing, unreadable or unreachable database.
    """
    if settings.metadata_backend == "postgres":
        return _postgres(settings, lambda conn, names, where: SchemaStatus(where, _pg_status(conn, names)))
    path = settings.db_path
    check_database_file(path, must_exist=True, needs_write=False)
    conn = connect(path, busy_timeout_ms=settings.busy_timeout_ms, read_only=True)
    try:
        return SchemaStatus(str(path), plan_status_sqlite(conn, settings.vector_table))
    finally:
        conn.close()


def migrate_database(
    settings: Settings,
    *,
    dry_run_only: bool = False,
    backup: bool = True,
    say: Say,
    on_start: Callable[[], None] = lambda: None,
    on_backup: Callable[[Path], None] | None = None,
) -> MigrationReport:
    """Apply every pending version to the configured database (or, with ``dry_run_only``, show the SQL it would run).

    ``on_start`` is called once the database was found and can be migrated, before any change. Raises
    StoreUnavailable (missing, read-only, locked or unreachable database), SchemaTooNew, MigrationError.
    """
    if settings.metadata_backend == "postgres":

        def run(conn: psycopg.Connection[tuple[object, ...]], names: PgNames, _: str) -> MigrationReport:
            on_start()
            return _pg_migrate(conn, names, say, dry_run_only)

        return _postgres(settings, run)
    path = settings.db_path
    check_database_file(path, must_exist=True, needs_write=not dry_run_only)
    on_start()
    if dry_run_only:
        return dry_run(path, busy_timeout_ms=settings.busy_timeout_ms, vector_table=settings.vector_table, say=say)
    return migrate_file(
        path,
        busy_timeout_ms=settings.busy_timeout_ms,
        vector_table=settings.vector_table,
        make_backup=backup,
        say=say,
        on_backup=on_backup,
    )


@dataclass(frozen=True, slots=True)
class CopyReport:
    """How many rows of each table were copied."""

    rows: dict[str, int]


def copy_to_postgres(source: Path, settings: Settings, *, say: Say) -> CopyReport:
    """Copy the SQLite file ``source`` into the empty PostgreSQL schema ``settings`` names (migrated first).

    Raises SchemaOutdated when the source needs ``opm migrate`` first, StoreError when the target already holds
    memories or a row does not fit, StoreUnavailable when PostgreSQL cannot be reached.
    """
    require_postgres()
    from openmemory.store.postgres_copy import copy_sqlite_to_postgres

    return CopyReport(copy_sqlite_to_postgres(source, settings, say=say).rows)


# -- PostgreSQL (imported on use: the driver is the optional `postgres` extra) ---------------------------------


def _postgres(settings: Settings, work: PgWork[T]) -> T:
    require_postgres()
    import psycopg

    from openmemory.migrations.postgres import PgNames
    from openmemory.store.postgres_connect import build_conninfo, connect, describe, unavailable

    names = PgNames.from_settings(settings.pg_schema, settings.pg_table, settings.vector_table)
    conninfo = build_conninfo(settings)
    with connect(settings) as conn:
        try:
            return work(conn, names, f"{describe(conninfo)} schema {names.schema}")
        except psycopg.OperationalError as exc:
            raise unavailable(conninfo, exc) from exc


def _pg_status(conn: psycopg.Connection[tuple[object, ...]], names: PgNames) -> list[VersionStatus]:
    from openmemory.migrations.postgres import plan_status_postgres

    return plan_status_postgres(conn, names)


def _pg_migrate(
    conn: psycopg.Connection[tuple[object, ...]], names: PgNames, say: Say, dry_run_only: bool
) -> MigrationReport:
    from openmemory.migrations.postgres import migrate_postgres

    return migrate_postgres(conn, names, say=say, dry_run=dry_run_only)
