"""Keep-alive connections spread evenly over ``opm serve --workers N``'s processes.

The workers share one listening socket, and the kernel hands each new connection to whichever worker accepts
first; a worker woken with several connections waiting takes them all. A client that opens its pool of
keep-alive connections at once (``wrk -c16``, an agent framework's HTTP pool) can so leave up to 15 of 16 on one
worker, whose queue then sets the tail latency while the other worker idles (docs/benchmarks.md, target 5).

Each worker counts its requests in flight in a small array that ``opm serve`` shares with every worker it
spawns. A worker holding more than its share of them (more than the mean plus ``SLACK``) ends at most one
response per ``CLOSE_EVERY_S`` with ``Connection: close``: the client opens a new connection, which the kernel
gives to whichever worker accepts it first, as a rule one waiting in its event loop rather than a busy one.
Nothing is refused or delayed; a request on a closed connection is simply sent on the next one. The MCP path is
neither counted nor closed (a client may hold a stream open there).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("openmemory.api")

SLACK = 1  # requests in flight above the workers' mean before a worker hands a connection back
CLOSE_EVERY_S = 0.02  # at most one connection handed back per worker in this time: the others re-spread first


class WorkerLoad:
    """Requests in flight per worker process, in shared memory (one slot per worker, claimed by its pid)."""

    def __init__(self, workers: int) -> None:
        spawn = multiprocessing.get_context("spawn")
        self._workers = workers
        self._slots: Any = spawn.RawArray("q", 2 * workers)  # per slot: the worker's pid, its requests in flight
        self._claiming: Any = spawn.Lock()
        self._slot: int | None = None  # this process's slot, claimed on its first request
        self._closed_at = 0.0
        self._warned = False

    def __getstate__(self) -> dict[str, Any]:  # travels to the spawned workers with uvicorn's config
        return {"workers": self._workers, "slots": self._slots, "claiming": self._claiming}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._workers, self._slots, self._claiming = state["workers"], state["slots"], state["claiming"]
        self._slot, self._closed_at, self._warned = None, 0.0, False

    def enter(self) -> int | None:
        """Count a request in; returns this worker's slot (only this process writes its slot's count), or None
        when every slot is held by a living process (then nothing is counted or closed here)."""
        slot = self._slot if self._slot is not None else self._claim()
        if slot is not None:
            self._slots[2 * slot + 1] += 1
        return slot

    def leave(self, slot: int) -> None:
        self._slots[2 * slot + 1] -= 1

    def should_close(self, slot: int) -> bool:
        """Whether this worker holds more than its share of the requests in flight, and has not handed a
        connection back within ``CLOSE_EVERY_S``."""
        slots = self._slots
        counts = [slots[2 * i + 1] for i in range(self._workers) if slots[2 * i]]
        mine = slots[2 * slot + 1]
        if mine * len(counts) <= sum(counts) + SLACK * len(counts):
            return False
        now = time.monotonic()
        if now - self._closed_at < CLOSE_EVERY_S:
            return False
        self._closed_at = now
        return True

    def _claim(self) -> int | None:
        """The first free slot, or one a worker that has died left behind (uvicorn starts a new one)."""
        me = os.getpid()
        with self._claiming:
            for slot in range(self._workers):
                pid = self._slots[2 * slot]
                if pid in (0, me) or not _alive(pid):
                    self._slots[2 * slot], self._slots[2 * slot + 1] = me, 0
                    self._slot = slot
                    return slot
        if not self._warned:  # a balancing aid only: this worker serves on, uncounted
            self._warned = True
            log.warning("worker %d found no free load slot of %d; its connections are not spread", me, self._workers)
        return None


class BalanceMiddleware:
    """Counts each HTTP request in flight in the shared ``WorkerLoad``; on a worker over its share, adds
    ``Connection: close`` to a response now and then."""

    def __init__(self, app: ASGIApp, load: WorkerLoad, skip_prefix: str) -> None:
        self.app = app
        self.load = load
        self.skip_prefix = skip_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefix):
            await self.app(scope, receive, send)
            return
        load = self.load
        slot = load.enter()
        if slot is None:
            await self.app(scope, receive, send)
            return

        async def send_balanced(message: Message) -> None:
            if message["type"] == "http.response.start" and load.should_close(slot):
                message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, receive, send_balanced)
        finally:
            load.leave(slot)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True
