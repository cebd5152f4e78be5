"""Generate docs/config.md from Settings and docs/cli.md from the commands' --help.

    python tools/docgen.py        # from the repository root: rewrite both files

``tests/test_docs.py`` fails when a file and its source disagree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import AliasChoices

from openmemory.config import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def render_config_md() -> str:
    lines = [
        "# Configuration",
        "",
        "Every setting is an environment variable (`OM_*`, upstream's names where upstream has one). A bad value",
        "stops start-up with the variable's name and the rejected value; an empty variable (`OM_EMBEDDINGS=`) counts",
        "as unset. Generated from `Settings` by `python tools/docgen.py`; do not edit by hand.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names = [str(c) for c in alias.choices] if isinstance(alias, AliasChoices) else []
        default = field.default
        shown = "(unset)" if default is None else f"`{default}`"
        lines.append(f"| {' / '.join(f'`{n}`' for n in names)} | {shown} | {field.description} |")
    return "\n".join(lines) + "\n"


def render_cli_md() -> str:
    """Every command's ``--help``, top to bottom of the command tree, at 100 columns without colour."""
    from typer.main import get_command
    from typer.testing import CliRunner

    from openmemory.cli.app import app

    runner = CliRunner()
    lines = ["# The `opm` command", "", "Generated from `--help` by `python tools/docgen.py`.", ""]
    for path in _command_paths(get_command(app), ()):
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100", "NO_COLOR": "1"}, color=False)
        text = re.sub(r"[ \t]+\n", "\n", result.output).strip()
        lines += [f"## `{' '.join(('opm', *path))}`", "", "```text", text, "```", ""]
    return "\n".join(lines)


def _command_paths(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """The path of ``command`` and of every visible command below it, in the order they were registered.

    (A typer group is a click-like command with a ``commands`` dict; typer vendors its own click.)
    """
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        if not sub.hidden:
            yield from _command_paths(sub, (*path, name))


def main() -> None:
    os.environ.setdefault("COLUMNS", "100")
    (DOCS / "config.md").write_text(render_config_md())
    (DOCS / "cli.md").write_text(render_cli_md())


if __name__ == "__main__":
    main()
