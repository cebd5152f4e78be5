"""A local store with the synthetic embedder, and the fake services on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openmemory.config import Settings
from openmemory.memory import Memory
from tests.importers.services import Services, serve


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Memory]:
    with Memory(settings=Settings.load(embeddings="synthetic", db_path=tmp_path / "target.sqlite")) as mem:
        yield mem


@pytest.fixture
def services() -> Services:
    return Services.sample()


@pytest.fixture
def service_url(services: Services) -> Iterator[str]:
    with serve(services) as url:
        yield url
