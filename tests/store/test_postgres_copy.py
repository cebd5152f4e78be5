"""`opm copy --from sqlite:PATH --to postgresql://...`: ids, owners, vectors and timestamps survive the move."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from openmemory.cli.copy import register
from openmemory.config import Settings
from openmemory.memory import Memory
from tests.store.pg import PG_SERVERS, pg_settings, table_rows, throwaway_schema

pytestmark = pytest.mark.postgres

app = typer.Typer()


@app.callback()
def _root() -> None:
    """opm (only the copy command)."""


register(app)
runner = CliRunner()


def _sqlite_memory(path: Path) -> Memory:
    return Memory(settings=Settings.load(db_path=path, embeddings="synthetic"))


@pytest.mark.parametrize("server", PG_SERVERS)
def test_copy_keeps_ids_owners_vectors_and_timestamps(server: str, tmp_path: Path) -> None:
    path = tmp_path / "source.sqlite"
    with _sqlite_memory(path) as mem:
        for user in ("alice", "bob", None):
            mem.add_many([f"{user} moved to Lisbon in March", f"{user} drinks coffee daily", f"{user} codes"],
                         user_id=user, tags=["t"])  # fmt: skip
        mem.reinforce(mem.list(user_id="alice")[0].memory_id, user_id="alice")
        before = {u: mem.list(user_id=u, limit=100) for u in ("alice", "bob", None)}
        hits_before = [(h.memory.memory_id, round(h.parts.similarity, 5)) for h in
                       mem.query("Lisbon", user_id="alice", reinforce=False)]  # fmt: skip
    with throwaway_schema(server, "omcopy") as schema:
        result = runner.invoke(app, ["copy", "--from", f"sqlite:{path}", "--to", server], env={"OM_PG_SCHEMA": schema})
        assert result.exit_code == 0, result.output
        assert "[SUCCESS] Copied 9 memories" in result.output
        settings = pg_settings(server, schema, embeddings="synthetic")
        with Memory(settings=settings) as mem:
            for user, records in before.items():
                assert mem.list(user_id=user, limit=100) == records
            hits_after = [(h.memory.memory_id, round(h.parts.similarity, 5)) for h in
                          mem.query("Lisbon", user_id="alice", reinforce=False)]  # fmt: skip
        assert hits_after == hits_before
        again = runner.invoke(app, ["copy", "--from", f"sqlite:{path}", "--to", server], env={"OM_PG_SCHEMA": schema})
        assert again.exit_code == 1 and "already holds 9 memories" in again.output


def test_copy_refuses_a_source_that_is_not_sqlite(tmp_path: Path) -> None:
    result = runner.invoke(app, ["copy", "--from", str(tmp_path / "x"), "--to", "postgresql://x/y"])
    assert result.exit_code == 2 and "sqlite:PATH" in result.output


def test_copy_of_a_migrated_upstream_file_keeps_its_temporal_facts(upstream_copy, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = PG_SERVERS[0].values[0]
    if server is None:
        pytest.skip("OM_TEST_PG_URL is not set")
    path = upstream_copy("v1.3.0-native.sqlite")
    _sqlite_memory(path).close()  # migrates it
    with throwaway_schema(server, "omcopy") as schema:
        result = runner.invoke(app, ["copy", "--from", f"sqlite:{path}", "--to", server], env={"OM_PG_SCHEMA": schema})
        assert result.exit_code == 0, result.output
        assert "Copied 16 temporal_facts rows" in result.output
        facts = table_rows(server, f'SELECT count(*), count(user_id) FROM "{schema}".temporal_facts')
        assert facts == [(16, 0)]
