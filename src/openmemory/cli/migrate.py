"""``opm migrate``: upgrade a database in place, show its status, or print the SQL a run would execute."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openmemory.cli.console import handles_errors, load_settings
from openmemory.upgrade import VersionStatus, migrate_database, schema_status

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
    With OM_METADATA_BACKEND=postgres it migrates the OM_PG_SCHEMA schema; a dry run there
    executes every statement in a transaction that is rolled back (no backup file is written).
    """
    settings = load_settings(db_path=db)
    if status:
        found = schema_status(settings)
        print_status(found.versions, found.location)
        return
    report = migrate_database(
        settings,
        dry_run_only=dry_run_,
        backup=backup,
        say=_say,
        on_start=lambda: typer.echo(f"{BANNER}\n"),
        on_backup=lambda copy: _say(f"Backup written to {copy}"),
    )
    if dry_run_:
        typer.echo("\n-- SQL that `opm migrate` would run (nothing was changed):")
        for sql in report.statements:
            typer.echo(f"{sql};")
        return
    if report.kept_upstream_vectors:
        _say("Vectors from upstream's embedder were kept; run `opm reembed` to rebuild them for search")
    typer.echo("\n[SUCCESS] Migration completed")


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
