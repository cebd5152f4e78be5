"""Per-key limits, so that one tenant cannot take the whole server: a cap on concurrent requests and a request rate.

Each caller (a tenant's key, the admin key, the local owner) has its own counters; another caller is never slowed
by them. Over a limit, a request is answered at once with 429 ``rate_limited`` and a ``Retry-After`` in seconds.

* Concurrency: at most ``OM_MAX_CONCURRENT_PER_KEY`` requests of one caller are being served at a time (on by
  default, 32: a runaway client cannot hold every worker thread). A request over the cap waits up to 10 s for a
  slot, holding no thread; when four times the cap are already waiting, or the wait runs out, it is refused.
* Rate: with ``OM_RATE_LIMIT_ENABLED=true`` (upstream's names and defaults: ``OM_RATE_LIMIT_MAX_REQUESTS`` 100 per
  ``OM_RATE_LIMIT_WINDOW_MS`` 60,000), a token bucket that holds ``max_requests`` and refills at that many per
  window. Unlike upstream's fixed window, a caller cannot send twice the limit across a window boundary.

Counters live in the process: with ``opm serve --workers N`` each worker counts on its own, so a caller may reach
N times the limits.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from openmemory.config import Settings
from openmemory.errors import RateLimited

Clock = Callable[[], float]

WAIT_S = 10.0  # how long a request over the concurrency cap waits for a slot before it is refused
WAITING_PER_SLOT = 4  # how many requests may wait, per slot of the cap


@dataclass
class _Bucket:
    tokens: float
    updated_s: float


class _Slots:
    """One key's requests in progress, and the requests waiting for one of them to finish (oldest first)."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.waiters: deque[asyncio.Future[None]] = deque()


class KeyLimiter:
    """Admits one caller's request (``admit``) or refuses it with RateLimited, and notes its end (``release``).

    Over the concurrency cap a request first waits, without holding a worker thread, up to ``wait_s`` for one of
    the key's requests to finish and hand its slot over; at most ``WAITING_PER_SLOT`` times the cap may wait, and
    the rest are refused at once. Call both methods from the server's event loop.
    """

    def __init__(
        self,
        *,
        max_concurrent: int = 0,
        max_requests: int = 0,
        window_s: float = 60.0,
        wait_s: float = WAIT_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self.max_concurrent = max_concurrent
        self.max_requests = max_requests
        self.window_s = window_s
        self.wait_s = wait_s
        self._clock = clock
        self._slots: dict[str, _Slots] = {}  # one per configured key that has been used: a bounded set
        self._buckets: dict[str, _Bucket] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyLimiter:
        return cls(
            max_concurrent=settings.max_concurrent_per_key,
            max_requests=settings.rate_limit_max_requests if settings.rate_limit_enabled else 0,
            window_s=settings.rate_limit_window_ms / 1000,
        )

    async def admit(self, key: str) -> None:
        """Count a request of ``key`` in (perhaps after a wait), or raise RateLimited with ``retry_after_s``."""
        if self.max_requests:
            self._take_token(key)
        slots = self._slots.setdefault(key, _Slots())
        if not self.max_concurrent or slots.in_flight < self.max_concurrent:
            slots.in_flight += 1
            return
        if len(slots.waiters) >= self.max_concurrent * WAITING_PER_SLOT:
            raise self._busy(slots)
        handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        slots.waiters.append(handed)
        admitted = False
        try:
            async with asyncio.timeout(self.wait_s):
                await asyncio.shield(handed)
            admitted = True
        except TimeoutError:
            pass
        finally:
            if not handed.done():
                handed.cancel()
                slots.waiters.remove(handed)
            elif not admitted and not handed.cancelled():
                self.release(key)  # a slot arrived just as the wait ended (timeout, client gone): pass it on
        if not admitted:
            raise self._busy(slots)

    def release(self, key: str) -> None:
        """The request is over: its slot goes to the oldest waiting request of the same key, if any."""
        slots = self._slots[key]
        while slots.waiters:
            waiter = slots.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        slots.in_flight -= 1

    def _busy(self, slots: _Slots) -> RateLimited:
        return RateLimited(
            f"this API key already has {slots.in_flight} requests in progress and {len(slots.waiters)} waiting, "
            f"the most one key may have (OM_MAX_CONCURRENT_PER_KEY={self.max_concurrent}); retry when some have "
            f"finished",
            retry_after_s=1,
        )

    def _take_token(self, key: str) -> None:
        now = self._clock()
        rate_per_s = self.max_requests / self.window_s
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.max_requests), now)
        bucket.tokens = min(float(self.max_requests), bucket.tokens + (now - bucket.updated_s) * rate_per_s)
        bucket.updated_s = now
        if bucket.tokens < 1:
            wait_s = max(1, math.ceil((1 - bucket.tokens) / rate_per_s))
            raise RateLimited(
                f"this API key sent more than {self.max_requests} requests in {self.window_s:g} s "
                f"(OM_RATE_LIMIT_MAX_REQUESTS per OM_RATE_LIMIT_WINDOW_MS); retry in {wait_s} s",
                retry_after_s=wait_s,
            )
        bucket.tokens -= 1
