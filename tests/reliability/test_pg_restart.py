"""A PostgreSQL restart under load: a clear 503 for requests in flight, a pool that heals, no acknowledged write lost.

The server is private to this module (tests/reliability/pg_server.py): the shared ones must never be stopped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from openmemory import Memory, StoreUnavailable
from openmemory.cli.app import app
from openmemory.config import Settings
from tests.live import live_server
from tests.reliability.pg_drill import Tally, Writers, audit, restart_round
from tests.reliability.pg_server import SCRIPT, PrivatePostgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PrivatePostgres.is_available(), reason=f"no {SCRIPT} to start a private PostgreSQL"),
]


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres.started()
    try:
        yield pg
    finally:
        pg.remove()


def pg_settings(pg: PrivatePostgres, schema: str) -> Settings:
    return Settings.load(metadata_backend="postgres", pg_url=pg.url, pg_schema=schema, embeddings="synthetic")


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_restart_fails_writes_in_flight_with_503_and_loses_no_acknowledged_write(
    private_pg: PrivatePostgres, mode: str
) -> None:
    schema = f"faults_{uuid.uuid4().hex[:10]}"
    tally = Tally()
    with live_server(pg_settings(private_pg, schema)) as base_url, Writers(base_url, 3, tally) as writers:
        writers.wait_for_acks(10)
        restart_round(private_pg, mode, f'"{schema}".openmemory_memories', writers, down_s=0.5)
        acked_before_audit = tally.acks
    assert tally.other_errors == []  # never a 500, another code, a transport error or a hang
    assert tally.unavailable >= 1  # the writes held in the database when it went down
    assert tally.acks >= acked_before_audit >= 15  # and writes were acknowledged again, same server, no restart
    result = audit(private_pg.url, schema, tally)
    assert result.lost == [] and result.phantom == [] and result.half_written == 0


def test_the_python_api_and_the_cli_name_the_unreachable_server(private_pg: PrivatePostgres) -> None:
    settings = pg_settings(private_pg, f"faults_{uuid.uuid4().hex[:10]}")
    memory = Memory(settings=settings)
    try:
        memory.add("kept across the restart", user_id="alice")
        private_pg.stop("immediate")
        try:
            with pytest.raises(StoreUnavailable, match="PostgreSQL"):
                memory.add("written while the server is down", user_id="alice")
            env = {"OM_METADATA_BACKEND": "postgres", "OM_PG_URL": private_pg.url, "OM_EMBEDDINGS": "synthetic"}
            result = CliRunner().invoke(app, ["list", "--user", "alice"], env=env)
            assert result.exit_code == 1
            assert result.stderr.startswith("error: cannot reach PostgreSQL") and "Traceback" not in result.output
        finally:
            private_pg.start()
        assert [m.content for m in memory.list(user_id="alice")] == ["kept across the restart"]
    finally:
        memory.close()
