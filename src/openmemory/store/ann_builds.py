"""Approximate-index builds off the query path: one background thread per store, one build at a time.

An HNSW graph of 100,000 vectors takes tens of seconds of CPU to build, so an owner past the threshold is served
by the exact matrix while this thread builds the graph; the owner cache then swaps it in (``owner_cache``). The
thread starts on the first request and lowers its own scheduling priority, so on a small machine the queries
being served keep the cores first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator

log = logging.getLogger("openmemory.store")

BUILD_NICENESS = 10  # added to the build thread's own priority (Linux; threads it starts inherit it)
Key = tuple[str | None, int]  # (owner, dimension)


class AnnBuilds:
    """A queue of (owner, dimension) builds run by ``build(owner, dim, stop)`` on one daemon thread."""

    def __init__(self, build: Callable[[str | None, int, threading.Event], None]) -> None:
        self._build = build
        self._cond = threading.Condition()
        self._queue: deque[Key] = deque()
        self._running: Key | None = None
        self._held = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def request(self, user_id: str | None, dim: int) -> None:
        """Queue a build of the owner's index at ``dim`` unless one is already queued or running."""
        key = (user_id, dim)
        with self._cond:
            if self._stop.is_set() or key == self._running or key in self._queue:
                return
            self._queue.append(key)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="openmemory-ann-build", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def is_pending(self, user_id: str | None, dim: int) -> bool:
        with self._cond:
            return (user_id, dim) == self._running or (user_id, dim) in self._queue

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no build is queued or running; False when ``timeout_s`` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and self._running is None, timeout=timeout_s)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Start no new build inside the block (tests and benchmarks: to watch the exact scan serve)."""
        with self._cond:
            self._held += 1
        try:
            yield
        finally:
            with self._cond:
                self._held -= 1
                self._cond.notify_all()

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop: a build in progress gives up at its next step (it polls ``stop``); queued ones are dropped."""
        with self._cond:
            self._stop.set()
            self._queue.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def _run(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # not Linux, or not allowed: build at normal priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BUILD_NICENESS)
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stop.is_set() or (self._queue and not self._held))
                if self._stop.is_set():
                    return
                self._running = self._queue.popleft()
            user_id, dim = self._running
            try:
                self._build(user_id, dim, self._stop)
            except Exception:  # a failed build leaves the exact scan serving; the next request retries
                log.exception("building the vector index of an owner at dimension %d failed", dim)
            finally:
                with self._cond:
                    self._running = None
                    self._cond.notify_all()
