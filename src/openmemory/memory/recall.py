"""Query-time reinforcement, written in the background: a buffer of salience bumps flushed in batches.

Every query nudges its results' salience up. Written synchronously, that is one write transaction per query:
~0.5 ms of a query's ~5 at 100,000 memories on SQLite (benchmarks/query_phases.py; the write also empties the
readers' page caches), and under load (several server workers on one SQLite file) writers queue for the lock
and SQLite's busy handler sleeps in millisecond steps, which shows up as tail latency. With a flush interval
(the default, 50 ms) the bumps are coalesced and written once per interval by one thread; a memory hit twice
within an interval is bumped once. The process's own reads that show salience (``Memory.get``, ``list``,
export) and the writes that start from it (``update``, ``reinforce``) call ``settle`` first, so within one
process nothing is read stale or overwritten by a bump written later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from openmemory.errors import StoreError
from openmemory.store.base import Store

log = logging.getLogger("openmemory.recall")

Key = tuple[str | None, str]  # (owner, memory id)


class RecallWriter:
    """Writes (memory, new salience, seen at) updates now, or every ``interval_s`` when it is positive."""

    def __init__(self, store: Store, interval_s: float) -> None:
        self._store = store
        self._interval_s = interval_s
        self._pending: dict[Key, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # held by a flush from taking the buffer until its writes committed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, user_id: str | None, updates: list[tuple[str, float]], seen_ms: int) -> None:
        if self._interval_s <= 0:
            try:
                self._store.touch_memories([(m, s, seen_ms) for m, s in updates], user_id=user_id)
            except StoreError as exc:  # a full or read-only database must not fail the read that recalled them
                log.warning("query-time reinforcement not written: %s", exc)
            return
        with self._lock:
            for memory_id, salience in updates:
                self._pending[(user_id, memory_id)] = (salience, seen_ms)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="openmemory-recall", daemon=True)
                self._thread.start()

    def flush(self) -> int:
        """Write everything pending now; returns how many memories were updated."""
        with self._writing:
            with self._lock:
                pending, self._pending = self._pending, {}
            # one transaction per owner, each memory with its own last-seen time (a server's flush holds the hits
            # of a few hundred queries: one transaction per query time cost a write lock and a commit each)
            by_owner: dict[str | None, list[tuple[str, float, int]]] = {}
            for (owner, memory_id), (salience, seen_ms) in pending.items():
                by_owner.setdefault(owner, []).append((memory_id, salience, seen_ms))
            written = 0
            for owner, updates in by_owner.items():
                written += self._store.touch_memories(updates, user_id=owner)
            return written

    def settle(self) -> None:
        """Write what is buffered before a read that shows salience; a store that cannot be written (full,
        read-only) is logged, the read goes on."""
        if not self._pending and not self._writing.locked():  # unlocked reads: a bump recorded meanwhile is later
            return
        try:
            self.flush()
        except StoreError as exc:
            log.warning("query-time reinforcement not written: %s", exc)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.flush()

    def _run(self) -> None:
        guarded: Callable[[], int] = self.flush
        while not self._stop.wait(self._interval_s):
            try:
                guarded()
            except StoreError as exc:  # full, read-only or unreachable: these bumps are lost, reads go on
                log.warning("query-time reinforcement not written: %s", exc)
            except Exception:  # a background edge: log it, keep the server serving
                log.exception("writing query-time reinforcement failed")
