"""``AsyncClient``: the ``Memory`` API over HTTP, for asyncio (httpx); the twin of ``Client``."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import httpx

from openmemory.client import calls
from openmemory.client.facts import AsyncClientFacts
from openmemory.models import AddResult, Hit, ImportResult, MemoryRecord, SourceMemory

T = TypeVar("T")


class AsyncClient:
    """``Client`` for asyncio: every method is a coroutine; use ``async with``."""

    def __init__(
        self,
        base_url: str = calls.DEFAULT_URL,
        api_key: str | None = None,
        *,
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=calls.headers_for(api_key), timeout=timeout_s, transport=transport
        )
        self.facts = AsyncClientFacts(self._run)
        """Temporal facts over /api/temporal/* (client/facts.py)."""

    async def _run(self, call: calls.Call[T]) -> T:
        try:
            response = await self._http.request(call.method, call.path, json=call.json, params=call.params)
        except httpx.TransportError as exc:
            raise calls.unreachable(self.base_url, exc) from exc
        return calls.result_of(call, response)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def health(self) -> dict[str, Any]:
        return await self._run(calls.health())

    async def add(
        self,
        content: str,
        *,
        user_id: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        project_id: str | None = None,
    ) -> AddResult:
        return await self._run(calls.add(content, user_id=user_id, tags=tags, metadata=metadata, project_id=project_id))

    async def import_many(
        self, items: Sequence[SourceMemory], *, user_id: str | None = None
    ) -> builtins.list[ImportResult]:
        """Store memories read from another service, keeping their times; see ``Memory.import_many``."""
        return await self._run(calls.import_many(items, user_id=user_id))

    async def query(
        self,
        query: str,
        *,
        user_id: str | None = None,
        k: int = 10,
        sector: str | None = None,
        min_salience: float | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        tags: Sequence[str] | None = None,
        project_id: str | None = None,
    ) -> builtins.list[Hit]:
        return await self._run(
            calls.query(
                query, user_id=user_id, k=k, sector=sector, min_salience=min_salience, start_ms=start_ms,
                end_ms=end_ms, tags=tags, project_id=project_id,
            )
        )  # fmt: skip

    async def get(self, memory_id: str, *, user_id: str | None = None, project_id: str | None = None) -> MemoryRecord:
        return await self._run(calls.get(memory_id, user_id=user_id, project_id=project_id))

    async def list(
        self,
        *,
        user_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
        sector: str | None = None,
        project_id: str | None = None,
    ) -> builtins.list[MemoryRecord]:
        return await self._run(
            calls.list_(user_id=user_id, limit=limit, offset=offset, sector=sector, project_id=project_id)
        )

    async def update(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        content: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> MemoryRecord:
        await self._run(calls.update(memory_id, user_id=user_id, content=content, tags=tags, metadata=metadata))
        return await self.get(memory_id, user_id=user_id)

    async def reinforce(self, memory_id: str, *, user_id: str | None = None, boost: float = 0.1) -> MemoryRecord:
        await self._run(calls.reinforce(memory_id, user_id=user_id, boost=boost))
        return await self.get(memory_id, user_id=user_id)

    async def delete(self, memory_id: str, *, user_id: str | None = None, project_id: str | None = None) -> None:
        await self._run(calls.delete(memory_id, user_id=user_id, project_id=project_id))

    async def delete_user(self, user_id: str) -> int:
        return await self._run(calls.delete_user(user_id))

    async def user_summary(self, user_id: str) -> str:
        return await self._run(calls.user_summary(user_id))

    async def refresh_summary(self, user_id: str) -> str:
        return await self._run(calls.refresh_summary(user_id))
