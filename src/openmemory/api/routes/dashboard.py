"""``/dashboard/*``: the caller's own statistics, activity, most salient memories and maintenance runs.

Upstream's dashboard read every tenant's rows (reference §10.1 #3); here each figure is the caller's own. The admin
key (and the local owner) may pass ``user_id`` to look at another user.
"""

from __future__ import annotations

import os
import resource
import time
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from openmemory.api.context import CallerDep, MemoryDep
from openmemory.api.meter import RequestMeter
from openmemory.api.overview import newest_memories, overview_of
from openmemory.api.routes.memory import UserIdQuery

router = APIRouter(prefix="/dashboard", tags=["dashboard"])

JOB_TYPES = ("decay", "prune", "summary")
HOUR_MS = 3_600_000


@router.get("/stats")
def stats(request: Request, memory: MemoryDep, caller: CallerDep, user_id: UserIdQuery = None) -> dict[str, Any]:
    o = overview_of(memory, caller.owner(user_id))
    saliences = [m.salience for m in o.scanned]
    meter: RequestMeter = request.app.state.meter
    uptime_s = int(time.time() - meter.started_s)
    s = memory.settings
    return {
        "totalMemories": o.total,
        "recentMemories": o.recent(memory.facts.now_ms()),
        "sectorCounts": o.per_sector,
        "avgSalience": f"{o.avg_salience:.3f}",
        "decayStats": {
            "total": o.total,
            "avgLambda": f"{o.avg_lambda():.3f}",
            "minSalience": f"{min(saliences, default=0.0):.3f}",
            "maxSalience": f"{max(saliences, default=0.0):.3f}",
        },
        **meter.snapshot(caller.meter_key),
        "system": {
            "memoryUsage": _rss_mb(),
            "heapUsed": _rss_mb(),
            "heapTotal": 1024,
            "uptime": {"seconds": uptime_s, "days": uptime_s // 86400, "hours": uptime_s // 3600 % 24},
        },
        "config": {
            "port": s.port,
            "vecDim": memory.embedder.dim,
            "cacheSegments": 0,
            "maxActive": 0,
            "decayInterval": s.decay_interval_minutes,
            "embedProvider": s.embeddings,
        },
    }


@router.get("/activity")
def activity(
    memory: MemoryDep,
    caller: CallerDep,
    user_id: UserIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    """The caller's newest memories (by creation; upstream ordered by update)."""
    records = newest_memories(memory, caller.owner(user_id), limit)
    return {
        "activities": [
            {
                "id": m.memory_id,
                "type": "memory_updated" if m.updated_at_ms > m.created_at_ms else "memory_created",
                "sector": m.primary_sector,
                "content": m.content[:100] + ("..." if len(m.content) > 100 else ""),
                "salience": m.salience,
                "timestamp": m.updated_at_ms,
            }
            for m in records
        ]
    }


@router.get("/top-memories")
def top_memories(
    memory: MemoryDep,
    caller: CallerDep,
    user_id: UserIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> dict[str, Any]:
    """The caller's most salient memories (among their newest 10,000)."""
    scanned = overview_of(memory, caller.owner(user_id)).scanned
    top = sorted(scanned, key=lambda m: m.salience, reverse=True)[:limit]
    return {
        "memories": [
            {"id": m.memory_id, "content": m.content, "sector": m.primary_sector, "salience": m.salience,
             "lastSeen": m.last_seen_at_ms}
            for m in top
        ]
    }  # fmt: skip


@router.get("/maintenance")
def maintenance(
    memory: MemoryDep, caller: CallerDep, hours: Annotated[int, Query(ge=1, le=24 * 366)] = 24
) -> dict[str, Any]:
    """Background job runs per hour. Row counts cross tenants, so only the admin and local owner see them."""
    rows = memory.maintenance.log(memory.facts.now_ms() - hours * HOUR_MS)
    sees_counts = caller.can_name_any_user
    hourly: defaultdict[int, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        if sees_counts or row.type in JOB_TYPES:  # a tenant sees that a server job ran, not what it touched
            hourly[row.ts_ms // HOUR_MS][row.type] += row.count if sees_counts else 1
    operations = [
        {
            "hour": time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(hour * HOUR_MS / 1000)),
            "decay": counts["decay"], "reflection": counts["reflect"], "consolidation": counts["consolidate"],
            "prune": counts["prune"], "summary": counts["summary"],
        }
        for hour, counts in sorted(hourly.items())
    ]  # fmt: skip
    cycles = sum(1 for row in rows if row.type == "decay")
    consolidations = sum(counts["consolidate"] for counts in hourly.values())
    return {
        "operations": operations,
        "totals": {
            "cycles": cycles,
            "reflections": sum(counts["reflect"] for counts in hourly.values()),
            "consolidations": consolidations,
            "efficiency": round(100.0 * consolidations / cycles, 1) if cycles else 0.0,
        },
    }


def _rss_mb() -> float:
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss_kb / 1024, 1) if os.name == "posix" else 0.0
