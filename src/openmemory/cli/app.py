"""The ``opm`` command: parse, call the service, print. Errors become one ``error:`` line and exit code 1."""

from __future__ import annotations

import logging
from importlib import import_module

import typer

app = typer.Typer(
    name="opm",
    help="OpenMemory for Python: long-term, per-user memory for LLM agents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """OpenMemory for Python: long-term, per-user memory for LLM agents."""


for _name in ("migrate", "memories", "serve", "mcp", "copy", "bench", "maintenance", "imports", "facts", "transfer"):
    try:
        _module = import_module(f"openmemory.cli.{_name}")
    except ModuleNotFoundError as exc:  # a command module not written yet
        if exc.name != f"openmemory.cli.{_name}":
            raise
        continue
    _module.register(app)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
