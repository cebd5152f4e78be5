"""``opm reembed``: rebuild every vector with the configured embedder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openmemory.cli.console import handles_errors, load_settings
from openmemory.cli.progress import progress_bar
from openmemory.memory import Memory


def register(app: typer.Typer) -> None:
    app.command("reembed")(reembed)


@handles_errors
def reembed(
    db: Annotated[
        Path | None, typer.Option("--db", help="SQLite database file (default: OM_DB_PATH).", show_default=False)
    ] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, max=1024, help="Memories embedded per batch.")] = 64,
) -> None:
    """Re-embed every memory of every user with the configured embedder (OM_EMBEDDINGS) and record it.

    Needed after changing the embedder, and on databases migrated from upstream OpenMemory, whose vectors
    came from upstream's synthetic embedder (until then those memories are found by lexical search only).
    """
    settings = load_settings(db_path=db)
    with Memory(settings=settings, check_embedder=False) as mem, progress_bar("re-embedding") as advance:
        n = mem.reembed(batch=batch, progress=advance)
        typer.echo(f"re-embedded {n} memories with {mem.embedder.name} ({mem.embedder.dim} dimensions)")
