"""Generate docs/config.md from Settings and docs/cli.md from the commands' --help.

    python tools/docgen.py        # from the repository root: rewrite both files

``tests/test_docs.py`` fails when a file and its source disagree.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import AliasChoices

from openmemory.config import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"
FACT_COMMANDS = (
    *("add", "get", "current", "subject", "timeline", "history", "search", "compare", "invalidate"),
    *("delete", "stats", "volatile", "decay"),
)


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
    from typer.testing import CliRunner

    from openmemory.cli.app import app

    runner = CliRunner()
    commands = ["", "migrate", "serve", "mcp", "add", "query", "list", "get", "delete", "users", "stats", "reembed"]
    commands += ["bench", "bench locomo", "bench latency"]
    commands += ["facts"] + [f"facts {c}" for c in FACT_COMMANDS]
    extra = [
        c for c in ("copy", "export", "import", "backup", "restore") if runner.invoke(app, [c, "--help"]).exit_code == 0
    ]
    lines = ["# The `opm` command", "", "Generated from `--help` by `python tools/docgen.py`.", ""]
    for command in commands + extra:
        result = runner.invoke(app, [*command.split(), "--help"], env={"COLUMNS": "100", "NO_COLOR": "1"}, color=False)
        text = re.sub(r"[ \t]+\n", "\n", result.output).strip()
        lines += [f"## `opm {command}`".replace("`opm `", "`opm`"), "", "```text", text, "```", ""]
    return "\n".join(lines)


def main() -> None:
    os.environ.setdefault("COLUMNS", "100")
    (DOCS / "config.md").write_text(render_config_md())
    (DOCS / "cli.md").write_text(render_cli_md())


if __name__ == "__main__":
    main()
