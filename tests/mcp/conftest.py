"""A real server (uvicorn on loopback) with two tenant keys and an admin key, shared by a module's HTTP tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openmemory.memory import Memory
from tests.live import keyed_settings, live_server


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("mcp") / "m.sqlite"
    settings = keyed_settings(db)
    memory = Memory(db, settings=settings)
    with live_server(settings, memory) as url:
        yield url
    memory.close()
