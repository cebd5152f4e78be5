"""``opm migrate``: upgrade a database in place, show its status, or print the SQL a run would execute."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openmemory.cli.console import handles_errors, load_settings
from openmemory.migrations.runner import VersionStatus
from openmemory.migrations.sqlite import plan_status_sqlite
from openmemory.migrations.sqlite_file import check_database_file, connect, dry_run, migrate_file

BANNER = "OpenMemory Database Migration Tool"


def _say(line: str) -> None:
    typer.echo(f"[MIGRATE] {line}")


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate)


@handles_errors
def migrate(
    db: Annotated[
        Path | None, typer.Option("--db", help="SQLite database file (default: OM_DB_PATH).", show_default=False)
    ] = None,
    status: Annotated[
        bool, typer.Option("--status", help="List applied and pending versions; change nothing.")
    ] = False,
    dry_run_: Annotated[bool, typer.Option("--dry-run", help="Print the SQL that would run; change nothing.")] = False,
    backup: Annotated[
        bool, typer.Option("--backup/--no-backup", help="Copy the file (online backup) before the first change.")
    ] = True,
) -> None:
    """Upgrade an OpenMemory database (upstream v1.1 or later, or ours) to the current schema, in place.

    Safe to re-run: versions already in effect are skipped, and versions recorded as applied but left
    unfinished (as upstream's tool can leave them) are completed. Each version runs in one transaction.
    """
    settings = load_settings(db_path=db)
    if settings.metadata_backend == "postgres":
        from openmemory.cli.migrate_postgres import migrate_postgres

        migrate_postgres(settings, status=status, dry_run=dry_run_)
        return
    path = settings.db_path
    if status:
        _print_status(path, settings.busy_timeout_ms, settings.vector_table)
        return
    check_database_file(path, must_exist=True, needs_write=not dry_run_)
    typer.echo(f"{BANNER}\n")
    if dry_run_:
        report = dry_run(path, busy_timeout_ms=settings.busy_timeout_ms, vector_table=settings.vector_table, say=_say)
        typer.echo("\n-- SQL that `opm migrate` would run (nothing was changed):")
        for sql in report.statements:
            typer.echo(f"{sql};")
        return
    report = migrate_file(
        path,
        busy_timeout_ms=settings.busy_timeout_ms,
        vector_table=settings.vector_table,
        make_backup=backup,
        say=_say,
        on_backup=lambda copy: _say(f"Backup written to {copy}"),
    )
    if report.applied and _has_legacy_vectors(path, settings.busy_timeout_ms):
        _say("Vectors from upstream's embedder were kept; run `opm reembed` to rebuild them for search")
    typer.echo("\n[SUCCESS] Migration completed")


def _print_status(path: Path, busy_timeout_ms: int, vector_table: str | None) -> None:
    check_database_file(path, must_exist=True, needs_write=False)
    conn = connect(path, busy_timeout_ms=busy_timeout_ms, read_only=True)
    try:
        rows = plan_status_sqlite(conn, vector_table)
    finally:
        conn.close()
    print_status(rows, str(path))


def print_status(rows: Sequence[VersionStatus], where: str) -> None:
    """The applied / pending / unfinished table of ``opm migrate --status`` (both backends)."""
    table = Table(title=f"Schema versions of {where}")
    for col in ("version", "description", "state"):
        table.add_column(col)
    for row in rows:
        if not row.is_pending:
            state = "applied"
        elif row.is_recorded:
            state = "recorded but unfinished (will be completed)"
        else:
            state = "pending"
        table.add_row(row.version, row.description, state)
    Console(width=120).print(table)
    pending = [r.version for r in rows if r.is_pending]
    typer.echo(f"pending: {', '.join(pending)}" if pending else "pending: none (up to date)")


def _has_legacy_vectors(path: Path, busy_timeout_ms: int) -> bool:
    conn = connect(path, busy_timeout_ms=busy_timeout_ms, read_only=True)
    try:
        meta = conn.execute("SELECT value FROM om_meta WHERE key = 'embed_model'").fetchone()
        if meta is not None:
            return False
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        vt = "vectors" if "vectors" in tables else "openmemory_vectors"
        return conn.execute(f"SELECT 1 FROM {vt} LIMIT 1").fetchone() is not None
    finally:
        conn.close()
