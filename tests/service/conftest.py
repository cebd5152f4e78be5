from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openmemory.config import Settings
from openmemory.memory import Memory


class Clock:
    """A settable clock in epoch milliseconds."""

    def __init__(self, now_ms: int = 1_795_000_000_000) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance_days(self, days: float) -> None:
        self.now_ms += int(days * 86_400_000)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mem(tmp_path: Path, clock: Clock) -> Iterator[Memory]:
    memory = Memory(tmp_path / "m.sqlite", settings=Settings.load(embeddings="synthetic"), clock=clock)
    yield memory
    memory.close()
