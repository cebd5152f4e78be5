"""``Client``: the ``Memory`` API over HTTP, synchronous (httpx)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import httpx

from openmemory.client import calls
from openmemory.client.facts import ClientFacts
from openmemory.models import AddResult, Hit, ImportResult, MemoryRecord, SourceMemory

T = TypeVar("T")


class Client:
    """Talks to ``opm serve``; same method names and results as ``Memory``, same errors.

        >>> with Client(url, api_key=key) as om:  # url of opm serve, e.g. "http://127.0.0.1:8080"
        ...     added = om.add("I moved to Lisbon in March")
        ...     [h.memory.content for h in om.query("where do I live?")]
        ['I moved to Lisbon in March']

    With an API key, ``user_id`` may be omitted: the server uses the key's tenant.
    """

    def __init__(
        self,
        base_url: str = calls.DEFAULT_URL,
        api_key: str | None = None,
        *,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, headers=calls.headers_for(api_key), timeout=timeout_s, transport=transport
        )
        self.facts = ClientFacts(self._run)
        """Temporal facts over /api/temporal/* (client/facts.py)."""

    def _run(self, call: calls.Call[T]) -> T:
        try:
            response = self._http.request(call.method, call.path, json=call.json, params=call.params)
        except httpx.TransportError as exc:
            raise calls.unreachable(self.base_url, exc) from exc
        return calls.result_of(call, response)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def health(self) -> dict[str, Any]:
        return self._run(calls.health())

    def add(
        self,
        content: str,
        *,
        user_id: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        project_id: str | None = None,
    ) -> AddResult:
        return self._run(calls.add(content, user_id=user_id, tags=tags, metadata=metadata, project_id=project_id))

    def import_many(self, items: Sequence[SourceMemory], *, user_id: str | None = None) -> builtins.list[ImportResult]:
        """Store memories read from another service, keeping their times; see ``Memory.import_many``."""
        return self._run(calls.import_many(items, user_id=user_id))

    def query(
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
        return self._run(
            calls.query(
                query, user_id=user_id, k=k, sector=sector, min_salience=min_salience, start_ms=start_ms,
                end_ms=end_ms, tags=tags, project_id=project_id,
            )
        )  # fmt: skip

    def get(self, memory_id: str, *, user_id: str | None = None, project_id: str | None = None) -> MemoryRecord:
        return self._run(calls.get(memory_id, user_id=user_id, project_id=project_id))

    def list(
        self,
        *,
        user_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
        sector: str | None = None,
        project_id: str | None = None,
    ) -> builtins.list[MemoryRecord]:
        return self._run(calls.list_(user_id=user_id, limit=limit, offset=offset, sector=sector, project_id=project_id))

    def update(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        content: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> MemoryRecord:
        self._run(calls.update(memory_id, user_id=user_id, content=content, tags=tags, metadata=metadata))
        return self.get(memory_id, user_id=user_id)

    def reinforce(self, memory_id: str, *, user_id: str | None = None, boost: float = 0.1) -> MemoryRecord:
        self._run(calls.reinforce(memory_id, user_id=user_id, boost=boost))
        return self.get(memory_id, user_id=user_id)

    def delete(self, memory_id: str, *, user_id: str | None = None, project_id: str | None = None) -> None:
        self._run(calls.delete(memory_id, user_id=user_id, project_id=project_id))

    def delete_user(self, user_id: str) -> int:
        return self._run(calls.delete_user(user_id))

    def user_summary(self, user_id: str) -> str:
        return self._run(calls.user_summary(user_id))

    def refresh_summary(self, user_id: str) -> str:
        return self._run(calls.refresh_summary(user_id))
