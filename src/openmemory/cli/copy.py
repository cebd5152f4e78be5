"""``opm copy``: move a database between backends, keeping ids, owners, vectors and timestamps.

    opm copy --from sqlite:data/openmemory.sqlite --to postgresql://user@host/db

The target schema (OM_PG_SCHEMA, default ``public``) must hold no memories yet; it is created and migrated first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openmemory.cli.console import fail, handles_errors, load_settings
from openmemory.upgrade import copy_to_postgres

SQLITE_PREFIX = "sqlite:"
PG_PREFIXES = ("postgresql://", "postgres://")


def register(app: typer.Typer) -> None:
    app.command("copy")(copy)


@handles_errors
def copy(
    source: Annotated[str, typer.Option("--from", help="Source database: sqlite:PATH.", show_default=False)],
    target: Annotated[
        str | None,
        typer.Option("--to", help="Target PostgreSQL URL (default: OM_PG_URL / OM_PG_* settings).", show_default=False),
    ] = None,
    create_db: Annotated[
        bool, typer.Option("--create-db", help="Create the target database when it does not exist.")
    ] = False,
) -> None:
    """Copy every memory, vector, waypoint, user and stat of a SQLite database into an empty PostgreSQL schema."""
    if not source.startswith(SQLITE_PREFIX) or not source[len(SQLITE_PREFIX) :]:
        raise fail(f"--from must be sqlite:PATH, got {source!r}", 2)
    if target is not None and not target.startswith(PG_PREFIXES):
        raise fail(f"--to must be a postgresql:// URL, got {target!r}", 2)
    path = Path(source[len(SQLITE_PREFIX) :])
    settings = load_settings(
        metadata_backend="postgres", pg_url=target, pg_create_db=True if create_db else None, db_path=path
    )
    report = copy_to_postgres(path, settings, say=lambda line: typer.echo(f"[COPY] {line}"))
    total = sum(report.rows.values())
    typer.echo(f"[SUCCESS] Copied {report.rows.get('memories', 0)} memories ({total} rows) from {path}")
