"""The docs stay honest: generated pages match their sources, and every command and setting is documented."""

from __future__ import annotations

from pathlib import Path

from typer.main import get_command

from openmemory.cli.app import app
from openmemory.config import Settings
from tools.docgen import render_cli_md, render_config_md

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_config_page_is_generated_from_settings() -> None:
    assert (DOCS / "config.md").read_text() == render_config_md(), "run: python tools/docgen.py"


def test_cli_page_is_generated_from_the_commands_help() -> None:
    assert (DOCS / "cli.md").read_text() == render_cli_md(), "run: python tools/docgen.py"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "config.md").read_text()
    for field in Settings.model_fields.values():
        assert field.description, f"setting without a description: {field}"
        assert str(field.validation_alias.choices[0]) in text  # type: ignore[union-attr]


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    group = get_command(app)
    names = list(group.commands)  # type: ignore[attr-defined]
    assert {"migrate", "serve", "add", "query", "bench"} <= set(names)
    for name in names:
        assert f"## `opm {name}" in text, f"docs/cli.md lacks `opm {name}`: run python tools/docgen.py"


def test_readme_first_screen_has_the_install_run_and_test_commands() -> None:
    head = "\n".join((DOCS.parent / "README.md").read_text().splitlines()[:25])
    assert "pip install -e . && .venv/bin/opm serve" in head
    assert "bash .ci/run" in head
    assert "pytest" in (DOCS.parent / ".ci" / "run").read_text()
