"""`opm migrate` with OM_METADATA_BACKEND=postgres: upstream's console lines, status, dry-run, clear failures."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from openmemory.cli.app import app
from tests.migrations.test_postgres_migrations import TABLE, snapshot
from tests.store.pg import ENABLE_HINT, PG_URL, restore_dump, throwaway_schema

pytestmark = pytest.mark.postgres
runner = CliRunner()


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    if PG_URL is None:
        pytest.skip(ENABLE_HINT.format(var="OM_TEST_PG_URL", port=5433))
    with throwaway_schema(PG_URL, "omcli") as schema:
        restore_dump(PG_URL, "v1.1.1-postgres.sql", schema, TABLE)
        yield {"OM_METADATA_BACKEND": "postgres", "OM_PG_URL": PG_URL, "OM_PG_SCHEMA": schema, "OM_PG_TABLE": TABLE}


def test_migrate_prints_the_seed_lines_and_success(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["migrate"], env=env)
    assert result.exit_code == 0, result.output
    for line in (
        "OpenMemory Database Migration Tool",
        "[MIGRATE] Checking for pending migrations...",
        "[MIGRATE] Current database version: none",
        "[MIGRATE] Running migration: 1.2.0 - Multi-user tenant support",
        "[MIGRATE] Migration 2.1.0 completed successfully",
        "[MIGRATE] Vectors from upstream's embedder were kept; run `opm reembed` to rebuild them for search",
        "[SUCCESS] Migration completed",
    ):
        assert line in result.output
    again = runner.invoke(app, ["migrate"], env=env)
    assert "[MIGRATE] No pending migrations: the database is up to date" in again.output


def test_status_and_dry_run_change_nothing(env: dict[str, str]) -> None:
    assert PG_URL is not None
    before = snapshot(PG_URL, env["OM_PG_SCHEMA"])
    status = runner.invoke(app, ["migrate", "--status"], env=env)
    assert status.exit_code == 0 and "pending: 1.2.0, 1.2.1, 1.3.0, 2.0.0, 2.1.0, 2.3.0, 2.4.0" in status.output
    dry = runner.invoke(app, ["migrate", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "-- SQL that `opm migrate` would run (nothing was changed):" in dry.output
    assert f'ALTER TABLE "{env["OM_PG_SCHEMA"]}"."openmemory_waypoints" ADD CONSTRAINT' in dry.output
    assert snapshot(PG_URL, env["OM_PG_SCHEMA"]) == before


def test_unreachable_or_missing_database_exits_1_with_one_error_line(env: dict[str, str]) -> None:
    missing = {**env, "OM_PG_URL": PG_URL.rsplit("/", 1)[0] + f"/om_nope_{uuid.uuid4().hex[:6]}"}  # type: ignore[union-attr]
    result = runner.invoke(app, ["migrate"], env=missing)
    assert result.exit_code == 1
    assert "error: PostgreSQL database" in result.output and "OM_PG_CREATE_DB=true" in result.output
