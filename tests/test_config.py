"""Settings are validated wherever they are built; empty variables are unset; a missing extra is one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from openmemory import Memory, Settings
from openmemory.errors import ConfigError
from openmemory.memory import settings_for
from tests.store.pg import PG_URL, needs_pg, throwaway_schema

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_a_postgres_url_target_gives_validated_settings() -> None:
    settings = settings_for("postgresql://user:secret@db.example/om", Settings.load())
    assert settings.metadata_backend == "postgres"
    assert isinstance(settings.pg_url, SecretStr)  # was a bare str, and Memory(...) crashed on get_secret_value
    assert "secret" not in repr(settings)


def test_a_path_target_gives_sqlite_settings(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "m.sqlite", Settings.load(metadata_backend="postgres"))
    assert (settings.metadata_backend, settings.db_path) == ("sqlite", tmp_path / "m.sqlite")


def test_a_copy_with_a_bad_value_is_refused_naming_the_variable() -> None:
    base = Settings.load()
    with pytest.raises(ConfigError, match="OM_PG_SCHEMA"):
        base.replace(pg_schema="bad schema; drop")
    with pytest.raises(ConfigError, match="OM_PORT"):
        base.model_copy(update={"port": "not a port"})


def test_a_copy_keeps_what_was_set_and_does_not_reread_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OM_PORT", "9001")
    base = Settings.load()
    monkeypatch.setenv("OM_PORT", "9002")
    copy = base.replace(recall_flush_ms=50)
    assert (copy.port, copy.recall_flush_ms) == (9001, 50)
    assert {"port", "recall_flush_ms"} <= copy.model_fields_set


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OM_EMBEDDINGS", "OM_PORT", "OM_PG_SCHEMA", "OM_VECTOR_TABLE", "OM_API_KEY"):
        monkeypatch.setenv(name, "")
    settings = Settings.load()
    assert (settings.embeddings, settings.port, settings.pg_schema) == ("minilm", 8080, "public")
    assert settings.vector_table is None and settings.api_key is None


@needs_pg
def test_memory_opens_a_postgresql_url(tmp_path: Path) -> None:
    assert PG_URL is not None
    with throwaway_schema(PG_URL, "omcfg") as schema:
        settings = Settings.load(embeddings="synthetic", pg_schema=schema)
        with Memory(PG_URL, settings=settings) as mem:
            mem.add("the boiler was serviced in May", user_id="u")
            assert mem.count(user_id="u") == 1


def _without_psycopg(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a Python where importing psycopg fails, as without the `postgres` extra."""
    prelude = "import sys; sys.modules['psycopg'] = None; sys.modules['psycopg_pool'] = None\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        env={**os.environ, "PYTHONPATH": SRC, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "code",
    [
        "from openmemory import Memory\nMemory('postgresql://u@127.0.0.1:1/x')",
        "from openmemory.cli.app import app\napp(['migrate'])",
        "from openmemory.cli.app import app\napp(['stats'])",
    ],
    ids=["Memory", "opm migrate", "opm stats"],
)
def test_postgres_without_the_extra_says_how_to_install_it(code: str) -> None:
    result = _without_psycopg(code, OM_METADATA_BACKEND="postgres", OM_EMBEDDINGS="synthetic")
    assert result.returncode != 0
    assert "pip install 'openmemory-py[postgres]'" in result.stderr
    if "cli" in code:
        assert result.stderr.strip().count("\n") == 0  # one line, no traceback
        assert result.returncode == 1
    else:
        assert result.stderr.strip().splitlines()[-1].startswith("openmemory.errors.ConfigError: ")
