"""``opm mcp``: serve upstream OpenMemory's MCP tools on stdin/stdout for a local client (Claude Desktop, Cursor...)."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from openmemory.cli.console import handles_errors, load_settings


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp)


@handles_errors
def mcp(
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            "-u",
            help="The user every tool acts for (default: OM_USER_ID, else the system user).",
            show_default=False,
        ),
    ] = None,
    db: Annotated[
        Path | None, typer.Option("--db", help="SQLite database file (default: OM_DB_PATH).", show_default=False)
    ] = None,
) -> None:
    """Serve the MCP tools (openmemory_query, openmemory_store, ...) over stdio.

    With a user (--user or OM_USER_ID) every tool acts for that user and a call naming another user_id is
    refused; without one, a call may name any user_id and omitting it means the system user. Only JSON-RPC is
    written to stdout; logs go to stderr. See docs/mcp.md for client configuration.
    """
    import anyio

    from openmemory.api.routes.health import package_version
    from openmemory.mcp.server import run_stdio
    from openmemory.mcp.tools import Actor
    from openmemory.memory import Memory

    settings = load_settings(db_path=db, user_id=user)
    logging.getLogger("openmemory").setLevel(logging.INFO)
    with contextlib.redirect_stdout(sys.stderr):  # nothing but JSON-RPC may reach stdout
        memory = Memory(settings=settings)
    user_id = settings.user_id or None
    logging.getLogger("openmemory.mcp").info(
        "MCP on stdio for %s (%s database)", user_id or "any user (default: the system user)",
        settings.metadata_backend,
    )  # fmt: skip
    try:
        anyio.run(run_stdio, memory, Actor(tenant=user_id), package_version())
    except KeyboardInterrupt:
        pass
    finally:
        memory.close()
