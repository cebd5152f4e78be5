"""What a handler is given: the app's Memory, the authenticated Caller and the project scope (FastAPI dependencies)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Header, Request

from openmemory.api.auth import Caller, KeyRing, presented_key
from openmemory.api.ratelimit import KeyLimiter
from openmemory.errors import InvalidInput
from openmemory.memory import Memory

MAX_PROJECT_CHARS = 256


async def _memory(request: Request) -> Memory:
    memory: Memory = request.app.state.memory
    return memory


async def _caller(request: Request) -> AsyncIterator[Caller]:
    """The authenticated caller, admitted by its per-key limits (429 otherwise) for the length of the request."""
    keyring: KeyRing = request.app.state.keyring
    caller = keyring.caller_for(presented_key(request))
    request.state.meter_key = caller.meter_key
    limiter: KeyLimiter = request.app.state.limiter
    await limiter.admit(caller.meter_key)
    try:
        yield caller
    finally:
        limiter.release(caller.meter_key)


T = TypeVar("T")


async def run_query_thread(request: Request, work: Callable[[], T]) -> T:
    """Run a query's engine work in a worker thread, at most OM_SERVE_QUERY_THREADS at once in this process;
    the others wait in arrival order (anyio's limiter is first come, first served)."""
    state = request.app.state
    limiter: anyio.CapacityLimiter | None = getattr(state, "query_limiter", None)
    if limiter is None:  # made on first use, inside the server's event loop
        limiter = state.query_limiter = anyio.CapacityLimiter(state.query_threads)
    return await anyio.to_thread.run_sync(work, limiter=limiter)


MemoryDep = Annotated[Memory, Depends(_memory)]
CallerDep = Annotated[Caller, Depends(_caller)]


ProjectHeader = Annotated[
    str | None,
    Header(
        alias="x-project-id",
        max_length=MAX_PROJECT_CHARS,
        description="Project scope (upstream 1.3.0): writes go to this project, reads see it, `system_global` "
        "and unscoped memories. Same as a `project_id` field or query parameter.",
    ),
]


def project_scope(header: str | None, *named: str | None) -> str | None:
    """The project a request is scoped to: the ``x-project-id`` header and any ``project_id`` it names must
    agree (an empty value counts as absent). Raises InvalidInput when they differ."""
    given = {p for p in (header, *named) if p}
    if len(given) > 1:
        raise InvalidInput(f"the request names several projects ({', '.join(sorted(given))}); name one")
    return given.pop() if given else None
