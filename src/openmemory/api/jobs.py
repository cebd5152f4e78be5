"""The server's background jobs: decay, waypoint pruning, summary refresh and reflection, each on a timer thread.

Intervals come from settings (``OM_DECAY_INTERVAL_MINUTES``, ``OM_PRUNE_INTERVAL_MINUTES``,
``OM_USER_SUMMARY_INTERVAL``; 0 switches a job off). ``stop`` wakes every thread and waits for a running job to
finish, so shutdown never closes the database under a job.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from openmemory.clock import now_ms
from openmemory.config import Settings
from openmemory.memory import Memory

log = logging.getLogger("openmemory.jobs")


class Jobs:
    """Timer threads running the maintenance functions over one Memory."""

    def __init__(self, memory: Memory, intervals_min: dict[str, float]) -> None:
        self._memory = memory
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._intervals_min = intervals_min
        self._lock_file: IO[str] | None = None

    @classmethod
    def from_settings(cls, memory: Memory, s: Settings) -> Jobs:
        return cls(
            memory,
            {
                "decay": s.decay_interval_minutes,
                "prune": s.prune_interval_minutes,
                "summary": s.user_summary_interval,
                "reflect": s.reflect_interval if s.auto_reflect else 0.0,
            },
        )

    def _task(self, name: str) -> Callable[[], int]:
        tasks: dict[str, Callable[[], int]] = {
            "decay": lambda: self._memory.maintenance.run_decay(now_ms()),
            "prune": lambda: self._memory.maintenance.prune_waypoints(),
            "summary": lambda: self._memory.maintenance.refresh_summaries(),
            "reflect": lambda: self._memory.maintenance.run_reflection(now_ms()),
        }
        return tasks[name]

    def start(self) -> None:
        if not self._claim():
            log.info("background jobs run in another process serving %s", self._memory.location)
            return
        for name, minutes in self._intervals_min.items():
            if minutes > 0:
                thread = threading.Thread(
                    target=self._loop, args=(name, minutes * 60.0), name=f"openmemory-{name}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
                log.info("%s job every %g min", name, minutes)

    def _loop(self, name: str, interval_s: float) -> None:
        task = self._task(name)
        while not self._stop.wait(interval_s):
            started = time.perf_counter()
            try:
                n = task()
            except Exception:  # a job edge: log and try again next period
                log.exception("%s job failed", name)
                continue
            log.info("%s job: %d rows in %.1f ms", name, n, (time.perf_counter() - started) * 1000)

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)
        self._threads.clear()
        if self._lock_file is not None:
            self._lock_file.close()  # closing releases the lock
            self._lock_file = None

    def _claim(self) -> bool:
        """Whether this process runs the jobs: the first of several workers on one database takes a lock file,
        so a multi-worker ``opm serve`` decays and summarises once, not once per worker."""
        digest = hashlib.sha256(self._memory.location.encode()).hexdigest()[:16]
        path = Path(tempfile.gettempdir()) / f"openmemory-jobs-{digest}.lock"
        handle = path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_file = handle
        return True
