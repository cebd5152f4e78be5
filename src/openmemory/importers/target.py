"""Where imported memories go: this machine's store (through Memory) or a running server (through Client)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from openmemory.client import Client
from openmemory.memory import Memory
from openmemory.models import ImportResult, MemoryRecord, SourceMemory

LIST_PAGE = 1000


class Target(Protocol):
    """Stores SourceMemory batches for one user at a time, and lists what a user holds from a source."""

    location: str

    def import_many(self, items: Sequence[SourceMemory], *, user_id: str | None) -> list[ImportResult]: ...

    def memories(self, *, user_id: str | None) -> Iterator[MemoryRecord]: ...


class LocalTarget:
    """The local store (SQLite file or PostgreSQL), written through ``Memory``."""

    def __init__(self, memory: Memory) -> None:
        self._memory = memory
        self.location = memory.location

    def import_many(self, items: Sequence[SourceMemory], *, user_id: str | None) -> list[ImportResult]:
        return self._memory.import_many(items, user_id=user_id)

    def memories(self, *, user_id: str | None) -> Iterator[MemoryRecord]:
        yield from _pages(lambda offset: self._memory.list(user_id=user_id, limit=LIST_PAGE, offset=offset))


class RemoteTarget:
    """A running OpenMemory server, written through the HTTP ``Client`` (an admin key writes any user)."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self.location = client.base_url

    def import_many(self, items: Sequence[SourceMemory], *, user_id: str | None) -> list[ImportResult]:
        return self._client.import_many(items, user_id=user_id)

    def memories(self, *, user_id: str | None) -> Iterator[MemoryRecord]:
        yield from _pages(lambda offset: self._client.list(user_id=user_id, limit=LIST_PAGE, offset=offset))


def _pages(page: Callable[[int], list[MemoryRecord]]) -> Iterator[MemoryRecord]:
    offset = 0
    while True:
        rows = page(offset)
        yield from rows
        if len(rows) < LIST_PAGE:
            return
        offset += len(rows)


def content_hash(text: str) -> str:
    """The sha256 of a memory's text, which ``--verify`` compares between source and target."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
