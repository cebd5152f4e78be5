"""``opm serve``: run the REST API (upstream OpenMemory's routes) on uvicorn."""

from __future__ import annotations

import copy
import functools
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from openmemory.cli.console import handles_errors, load_settings
from openmemory.config import Settings

GRACEFUL_SHUTDOWN_S = 30
WORKER_HEALTHCHECK_S = 60


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
    check_bind(settings, settings.host)
    if KeyRing(settings).is_local:
        typer.secho(f"WARNING: {LOCAL_MODE_WARNING}", fg=typer.colors.YELLOW, err=True, bold=True)
    logging.getLogger("openmemory").setLevel(logging.INFO)
    typer.echo(f"OpenMemory serving {settings.db_path} on http://{settings.host}:{settings.port} (docs at /docs)")
    if workers > 1:
        _serve_workers(settings, workers)
        return
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=_log_config(),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, with our logger on its handler and credential-like query parameters redacted from the
    access log (a key sent as ``?api_key=...`` is refused, but its request line is still logged)."""
    from uvicorn.config import LOGGING_CONFIG

    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["openmemory"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    log_config.setdefault("filters", {})["redact_credentials"] = {"()": "openmemory.api.access_log.RedactCredentials"}
    for handler in log_config["handlers"].values():
        handler.setdefault("filters", []).append("redact_credentials")
    return log_config


def _serve_workers(settings: Settings, workers: int) -> None:
    """Several worker processes on one socket, each building its app from this very ``Settings`` object.

    uvicorn's ``run`` only takes an import string with ``workers > 1``, and a worker rebuilding its settings from
    the environment would lose every choice made here (command-line options, the server's reinforcement buffer).
    So the socket is bound here and the settings travel to each spawned worker with uvicorn's own (pickled)
    config: ``create_app(settings)`` as the app factory.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from openmemory.api import create_app
    from openmemory.api.balance import WorkerLoad

    # uvicorn configures logging again in each worker: our logger goes to its handler there too.
    log_config = _log_config()
    config = uvicorn.Config(
        functools.partial(create_app, settings, load=WorkerLoad(workers)),
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=log_config,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        # A worker imports the app (and unpickles these settings) before it answers the parent's first health
        # ping: several seconds on a busy machine, past uvicorn's 5 s, which would kill and restart it.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
    )
    sock = config.bind_socket()
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
