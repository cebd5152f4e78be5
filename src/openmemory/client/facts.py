"""``Client.facts`` and ``AsyncClient.facts``: ``Memory.facts`` over ``/api/temporal/*``, same names and results.

Covers what the REST API serves: add, get, at, current, update, invalidate, timeline, subject, search, compare,
stats, volatile and decay (``range``, ``history``, ``changes``, ``change_frequency``, ``conflicts``, hard
``delete`` and edges are in-process only). With an API key, ``user_id`` may be omitted: the key's tenant.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Mapping
from typing import Any, Protocol, TypeVar

from openmemory.client import fact_calls as fc
from openmemory.client.calls import Call
from openmemory.client.fact_calls import When
from openmemory.errors import FactNotFound
from openmemory.models import Fact, FactComparison, FactStats, TimelineEntry, VolatileFact

T = TypeVar("T")


class _Run(Protocol):
    def __call__(self, call: Call[T], /) -> T: ...


class _AsyncRun(Protocol):
    def __call__(self, call: Call[T], /) -> Awaitable[T]: ...


class ClientFacts:
    """The temporal facts of the server's users (``Client.facts``)."""

    def __init__(self, run: _Run) -> None:
        self._run = run

    def add(
        self,
        subject: str,
        predicate: str,
        object: str,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        valid_from: When | None = None,
        confidence: float | None = 1.0,
        metadata: Mapping[str, Any] | None = None,
    ) -> Fact:
        fact_id = self._run(
            fc.add(
                subject,
                predicate,
                object,
                user_id=user_id,
                project_id=project_id,
                valid_from=valid_from,
                confidence=confidence,
                metadata=metadata,
            )
        )
        return self._run(fc.get(fact_id, user_id=user_id, project_id=None))

    def get(self, fact_id: str, *, user_id: str | None = None, project_id: str | None = None) -> Fact:
        return self._run(fc.get(fact_id, user_id=user_id, project_id=project_id))

    def at(
        self,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        subject: str | None = None,
        predicate: str | None = None,
        object: str | None = None,
        at: When | None = None,
        min_confidence: float = 0.1,
    ) -> builtins.list[Fact]:
        call = fc.at(
            user_id=user_id,
            project_id=project_id,
            subject=subject,
            predicate=predicate,
            obj=object,
            at=at,
            min_confidence=min_confidence,
        )
        return self._run(call)

    def current(
        self, subject: str, predicate: str, *, user_id: str | None = None, project_id: str | None = None
    ) -> Fact | None:
        try:
            return self._run(fc.current(subject, predicate, user_id=user_id, project_id=project_id))
        except FactNotFound:
            return None

    def update(
        self,
        fact_id: str,
        *,
        user_id: str | None = None,
        confidence: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Fact:
        self._run(fc.update(fact_id, user_id=user_id, confidence=confidence, metadata=metadata))
        return self._run(fc.get(fact_id, user_id=user_id, project_id=None))

    def invalidate(self, fact_id: str, *, user_id: str | None = None, valid_to: When | None = None) -> Fact:
        self._run(fc.invalidate(fact_id, user_id=user_id, valid_to=valid_to))
        return self._run(fc.get(fact_id, user_id=user_id, project_id=None))

    def timeline(
        self, subject: str, predicate: str | None = None, *, user_id: str | None = None, project_id: str | None = None
    ) -> builtins.list[TimelineEntry]:
        return self._run(fc.timeline(subject, predicate, user_id=user_id, project_id=project_id))

    def subject(
        self,
        subject: str,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        at: When | None = None,
        include_historical: bool = False,
    ) -> builtins.list[Fact]:
        call = fc.subject(subject, user_id=user_id, project_id=project_id, at=at, include_historical=include_historical)
        return self._run(call)

    def search(
        self,
        pattern: str,
        *,
        field: str = "subject",
        user_id: str | None = None,
        project_id: str | None = None,
        at: When | None = None,
    ) -> builtins.list[Fact]:
        return self._run(fc.search(pattern, field=field, user_id=user_id, project_id=project_id, at=at))

    def compare(
        self, subject: str, time1: When, time2: When, *, user_id: str | None = None, project_id: str | None = None
    ) -> FactComparison:
        return self._run(fc.compare(subject, time1, time2, user_id=user_id, project_id=project_id))

    def stats(self, *, user_id: str | None = None, project_id: str | None = None) -> FactStats:
        return self._run(fc.stats(user_id=user_id, project_id=project_id))

    def volatile(
        self,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        subject: str | None = None,
        limit: int = 10,
    ) -> builtins.list[VolatileFact]:
        return self._run(fc.volatile(user_id=user_id, project_id=project_id, subject=subject, limit=limit))

    def decay(self, *, user_id: str | None = None, rate: float = 0.01) -> int:
        return self._run(fc.decay(user_id=user_id, rate=rate))


class AsyncClientFacts:
    """``ClientFacts`` for asyncio (``AsyncClient.facts``): every method is a coroutine."""

    def __init__(self, run: _AsyncRun) -> None:
        self._run = run

    async def add(
        self,
        subject: str,
        predicate: str,
        object: str,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        valid_from: When | None = None,
        confidence: float | None = 1.0,
        metadata: Mapping[str, Any] | None = None,
    ) -> Fact:
        fact_id = await self._run(
            fc.add(
                subject,
                predicate,
                object,
                user_id=user_id,
                project_id=project_id,
                valid_from=valid_from,
                confidence=confidence,
                metadata=metadata,
            )
        )
        return await self._run(fc.get(fact_id, user_id=user_id, project_id=None))

    async def get(self, fact_id: str, *, user_id: str | None = None, project_id: str | None = None) -> Fact:
        return await self._run(fc.get(fact_id, user_id=user_id, project_id=project_id))

    async def at(
        self,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        subject: str | None = None,
        predicate: str | None = None,
        object: str | None = None,
        at: When | None = None,
        min_confidence: float = 0.1,
    ) -> builtins.list[Fact]:
        call = fc.at(
            user_id=user_id,
            project_id=project_id,
            subject=subject,
            predicate=predicate,
            obj=object,
            at=at,
            min_confidence=min_confidence,
        )
        return await self._run(call)

    async def current(
        self, subject: str, predicate: str, *, user_id: str | None = None, project_id: str | None = None
    ) -> Fact | None:
        try:
            return await self._run(fc.current(subject, predicate, user_id=user_id, project_id=project_id))
        except FactNotFound:
            return None

    async def update(
        self,
        fact_id: str,
        *,
        user_id: str | None = None,
        confidence: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Fact:
        await self._run(fc.update(fact_id, user_id=user_id, confidence=confidence, metadata=metadata))
        return await self._run(fc.get(fact_id, user_id=user_id, project_id=None))

    async def invalidate(self, fact_id: str, *, user_id: str | None = None, valid_to: When | None = None) -> Fact:
        await self._run(fc.invalidate(fact_id, user_id=user_id, valid_to=valid_to))
        return await self._run(fc.get(fact_id, user_id=user_id, project_id=None))

    async def timeline(
        self, subject: str, predicate: str | None = None, *, user_id: str | None = None, project_id: str | None = None
    ) -> builtins.list[TimelineEntry]:
        return await self._run(fc.timeline(subject, predicate, user_id=user_id, project_id=project_id))

    async def subject(
        self,
        subject: str,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        at: When | None = None,
        include_historical: bool = False,
    ) -> builtins.list[Fact]:
        call = fc.subject(subject, user_id=user_id, project_id=project_id, at=at, include_historical=include_historical)
        return await self._run(call)

    async def search(
        self,
        pattern: str,
        *,
        field: str = "subject",
        user_id: str | None = None,
        project_id: str | None = None,
        at: When | None = None,
    ) -> builtins.list[Fact]:
        return await self._run(fc.search(pattern, field=field, user_id=user_id, project_id=project_id, at=at))

    async def compare(
        self, subject: str, time1: When, time2: When, *, user_id: str | None = None, project_id: str | None = None
    ) -> FactComparison:
        return await self._run(fc.compare(subject, time1, time2, user_id=user_id, project_id=project_id))

    async def stats(self, *, user_id: str | None = None, project_id: str | None = None) -> FactStats:
        return await self._run(fc.stats(user_id=user_id, project_id=project_id))

    async def volatile(
        self,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        subject: str | None = None,
        limit: int = 10,
    ) -> builtins.list[VolatileFact]:
        return await self._run(fc.volatile(user_id=user_id, project_id=project_id, subject=subject, limit=limit))

    async def decay(self, *, user_id: str | None = None, rate: float = 0.01) -> int:
        return await self._run(fc.decay(user_id=user_id, rate=rate))
