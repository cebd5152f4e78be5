"""``opm migrate`` on PostgreSQL (OM_METADATA_BACKEND=postgres): the same lines, status and dry-run as on SQLite.

PostgreSQL needs no backup file: each version is one transaction, so a failure leaves the previous version.
``--dry-run`` runs every statement inside one transaction and rolls it back, so the SQL shown is exactly what a
real run would execute (it briefly takes the same table locks).
"""

from __future__ import annotations

import psycopg
import typer

from openmemory.config import Settings
from openmemory.migrations.postgres import PgNames, plan_status_postgres
from openmemory.migrations.postgres import migrate_postgres as run_migrations
from openmemory.store.postgres_connect import build_conninfo, connect, describe, unavailable

BANNER = "OpenMemory Database Migration Tool"


def _say(line: str) -> None:
    typer.echo(f"[MIGRATE] {line}")


def migrate_postgres(settings: Settings, *, status: bool, dry_run: bool) -> None:
    """Migrate, show the status of, or dry-run the configured PostgreSQL schema.

    Raises StoreUnavailable when the server cannot be reached and MigrationError when a version fails.
    """
    names = PgNames.from_settings(settings.pg_schema, settings.pg_table, settings.vector_table)
    where = f"{describe(build_conninfo(settings))} schema {names.schema}"
    with connect(settings) as conn:
        try:
            if status:
                _print_status(conn, names, where)
                return
            typer.echo(f"{BANNER}\n")
            report = run_migrations(conn, names, say=_say, dry_run=dry_run)
            if dry_run:
                typer.echo("\n-- SQL that `opm migrate` would run (nothing was changed):")
                for statement in report.statements:
                    typer.echo(f"{statement};")
                return
            if report.applied and _has_legacy_vectors(conn, names):
                _say("Vectors from upstream's embedder were kept; run `opm reembed` to rebuild them for search")
        except psycopg.OperationalError as exc:
            raise unavailable(build_conninfo(settings), exc) from exc
    typer.echo("\n[SUCCESS] Migration completed")


def _print_status(conn: psycopg.Connection[tuple[object, ...]], names: PgNames, where: str) -> None:
    from openmemory.cli.migrate import print_status

    print_status(plan_status_postgres(conn, names), where)


def _has_legacy_vectors(conn: psycopg.Connection[tuple[object, ...]], names: PgNames) -> bool:
    meta = conn.execute(f"SELECT value FROM {names.qualified('om_meta')} WHERE key = 'embed_model'".encode()).fetchone()
    if meta is not None:
        return False
    return conn.execute(f"SELECT 1 FROM {names.qualified(names.vectors)} LIMIT 1".encode()).fetchone() is not None
