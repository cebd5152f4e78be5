"""Live servers shared by the API tests: one with two tenant keys and an admin key, one in local mode."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from openmemory.memory import Memory
from tests.live import ADMIN_KEY, KEYS, keyed_settings, live_server, local_settings


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Memory]]:
    db = tmp_path_factory.mktemp("keyed") / "m.sqlite"
    settings = keyed_settings(db)
    memory = Memory(db, settings=settings)
    with live_server(settings, memory) as url:
        yield url, memory
    memory.close()


@pytest.fixture(scope="module")
def base_url(keyed: tuple[str, Memory]) -> str:
    return keyed[0]


def _client(base_url: str, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def alice(base_url: str) -> Iterator[httpx.Client]:
    with _client(base_url, KEYS["alice"]) as client:
        yield client


@pytest.fixture(scope="module")
def bob(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers={"x-api-key": KEYS["bob"]}, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def admin(base_url: str) -> Iterator[httpx.Client]:
    with _client(base_url, ADMIN_KEY) as client:
        yield client


@pytest.fixture(scope="module")
def anonymous(base_url: str) -> Iterator[httpx.Client]:
    with _client(base_url, None) as client:
        yield client


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    db = tmp_path_factory.mktemp("local") / "m.sqlite"
    with live_server(local_settings(db)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client
