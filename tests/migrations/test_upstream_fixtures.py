"""`opm migrate` upgrades every upstream fixture on its backend, and Memory opens and queries the result.

PostgreSQL dumps go into a custom OM_PG_SCHEMA with a custom OM_PG_TABLE, and into `public` with upstream's
default names (a database of their own, so nothing else lives there).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openmemory import Memory, Settings
from openmemory.cli.app import app
from tests.conftest import UPSTREAM_FILES
from tests.store.pg import PG15_URL, PG_URL, needs_pg, needs_pg15, restore_dump, throwaway_database, throwaway_schema

DUMPS = ("v1.1.1-postgres.sql", "v1.2.0-native-postgres.sql", "v1.2.2-native-postgres.sql")
runner = CliRunner()


def _opm_migrate(env: dict[str, str], *args: str) -> str:
    result = runner.invoke(app, ["migrate", *args], env=env)
    assert result.exit_code == 0, result.output
    assert "[SUCCESS] Migration completed" in result.output
    return result.output


def _answers(settings: Settings) -> None:
    """Opens without migrating (opm migrate did it all) and finds a memory by its own words, for its owner."""
    with Memory(settings=settings.replace(auto_migrate=False)) as mem:
        owners = mem.users()
        assert sum(mem.count(user_id=u) for u in owners) in (70, 79)
        owner = "alice" if "alice" in owners else None
        first = mem.list(user_id=owner, limit=1)[0]
        hits = mem.query(" ".join(first.content.split()[:6]), user_id=owner, k=5)
        assert first.id in [h.memory.id for h in hits]


@pytest.mark.parametrize("name", UPSTREAM_FILES)
def test_sqlite_fixture(upstream_copy: Callable[[str], Path], name: str) -> None:
    path = upstream_copy(name)
    _opm_migrate({"OM_METADATA_BACKEND": "sqlite"}, "--db", str(path), "--no-backup")
    _answers(Settings.load(db_path=path, embeddings="synthetic"))


def _pg_env(url: str, schema: str, table: str) -> dict[str, str]:
    return {"OM_METADATA_BACKEND": "postgres", "OM_PG_URL": url, "OM_PG_SCHEMA": schema, "OM_PG_TABLE": table}


def _pg_settings(env: dict[str, str]) -> Settings:
    return Settings.load(
        metadata_backend="postgres",
        pg_url=env["OM_PG_URL"],
        pg_schema=env["OM_PG_SCHEMA"],
        pg_table=env["OM_PG_TABLE"],
        embeddings="synthetic",
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "server", [pytest.param(PG_URL, id="pgvector", marks=needs_pg), pytest.param(PG15_URL, id="pg15", marks=needs_pg15)]
)
@pytest.mark.parametrize("dump", DUMPS)
def test_postgres_fixture_in_a_custom_schema_and_table(server: str, dump: str) -> None:
    with throwaway_schema(server, "omfix") as schema:
        restore_dump(server, dump, schema, "legacy_mem")
        env = _pg_env(server, schema, "legacy_mem")
        _opm_migrate(env)
        _answers(_pg_settings(env))


@pytest.mark.postgres
@needs_pg
@pytest.mark.parametrize("dump", DUMPS)
def test_postgres_fixture_in_public_with_upstreams_names(dump: str) -> None:
    assert PG_URL is not None
    with throwaway_database(PG_URL) as url:
        restore_dump(url, dump, "public", "openmemory_memories")
        env = _pg_env(url, "public", "openmemory_memories")
        _opm_migrate(env)
        _answers(_pg_settings(env))
