"""Per-caller request counters for ``/dashboard/stats``: totals, errors and requests per second, in process.

Each caller (tenant, admin, local owner) sees only its own counters. Counts live in the app's state and are lost
on restart, as upstream's are.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

WINDOW_S = 3600


@dataclass
class _Counts:
    total: int = 0
    errors: int = 0
    per_second: dict[int, int] = field(default_factory=dict)


class RequestMeter:
    """Counts requests per caller; ``snapshot`` gives upstream's ``requests`` and ``qps`` objects."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: defaultdict[str, _Counts] = defaultdict(_Counts)
        self.started_s = time.time()

    def record(self, key: str, status: int, now_s: float | None = None) -> None:
        second = int(now_s if now_s is not None else time.time())
        with self._lock:
            counts = self._counts[key]
            counts.total += 1
            counts.errors += status >= 400
            counts.per_second[second] = counts.per_second.get(second, 0) + 1
            if len(counts.per_second) > WINDOW_S:
                for old in [s for s in counts.per_second if s <= second - WINDOW_S]:
                    del counts.per_second[old]

    def snapshot(self, key: str, now_s: float | None = None) -> dict[str, Any]:
        now = now_s if now_s is not None else time.time()
        with self._lock:
            counts = self._counts.get(key, _Counts())
            last_hour = sum(n for s, n in counts.per_second.items() if s > now - WINDOW_S)
            peak = max(counts.per_second.values(), default=0)
        uptime = max(1.0, now - self.started_s)
        rate = 100.0 * counts.errors / counts.total if counts.total else 0.0
        return {
            "requests": {
                "total": counts.total,
                "errors": counts.errors,
                "errorRate": f"{rate:.1f}",
                "lastHour": last_hour,
            },
            "qps": {"peak": peak, "average": round(counts.total / uptime, 3), "cacheHitRate": 0},
        }


class MeterMiddleware:
    """Records each authenticated request's status under the caller that the auth dependency identified."""

    def __init__(self, app: ASGIApp, meter: RequestMeter) -> None:
        self.app = app
        self.meter = meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            key = scope.get("state", {}).get("meter_key")
            if key is not None:
                self.meter.record(key, status)
