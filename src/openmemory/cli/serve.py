"""``opm serve``: run the REST API (upstream OpenMemory's routes) on uvicorn."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from openmemory.cli.console import handles_errors, load_settings

GRACEFUL_SHUTDOWN_S = 30
SERVER_RECALL_FLUSH_MS = 50


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


@handles_errors
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (default: OM_HOST, 127.0.0.1).", show_default=False)
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port (default: OM_PORT, 8080).", show_default=False)
    ] = None,
    db: Annotated[
        Path | None, typer.Option("--db", help="SQLite database file (default: OM_DB_PATH).", show_default=False)
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, max=64, help="Worker processes (one per core serves the most queries per second)."
        ),
    ] = 1,
) -> None:
    """Serve the OpenMemory REST API; docs at /docs, schema at /openapi.json.

    Without an API key (OM_API_KEY, OM_API_KEYS or OM_ADMIN_KEY) the server runs in local single-user mode and
    refuses to bind anything but a loopback address. On SIGTERM or Ctrl-C it finishes in-flight requests, stops
    the background jobs and closes the database.
    """
    import uvicorn

    from openmemory.api import create_app
    from openmemory.api.app import LOCAL_MODE_WARNING
    from openmemory.api.auth import KeyRing, check_bind

    settings = load_settings(host=host, port=port, db_path=db)
    if "recall_flush_ms" not in settings.model_fields_set:
        # A server coalesces query-time reinforcement (see openmemory/recall.py) unless told otherwise.
        settings = settings.model_copy(update={"recall_flush_ms": SERVER_RECALL_FLUSH_MS})
    check_bind(settings, settings.host)
    if KeyRing(settings).is_local:
        typer.secho(f"WARNING: {LOCAL_MODE_WARNING}", fg=typer.colors.YELLOW, err=True, bold=True)
    logging.getLogger("openmemory").setLevel(logging.INFO)
    typer.echo(f"OpenMemory serving {settings.db_path} on http://{settings.host}:{settings.port} (docs at /docs)")
    if workers > 1:
        # Each worker process builds its own app from the environment; pass the command-line choices on to it.
        os.environ.update(
            {"OM_HOST": settings.host, "OM_PORT": str(settings.port), "OM_DB_PATH": str(settings.db_path)}
        )
        uvicorn.run(
            "openmemory.api.app:app_from_environment",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_level="info",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        return
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
