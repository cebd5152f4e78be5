"""Per-user aggregates for the dashboard and ``/sectors``: built from the user's own memories only.

The counts come from ``Memory.stats`` and are exact. Figures the service does not aggregate (per-sector average
salience, the salience range, the last day's additions, the most salient memories) are computed over the user's
newest ``SCAN_LIMIT`` memories, which keeps a dashboard request bounded for very large users.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openmemory.memory import Memory
from openmemory.models import SECTORS, MemoryRecord

SCAN_LIMIT = 10_000
PAGE = 1000
DAY_MS = 86_400_000


def newest_memories(
    memory: Memory,
    user_id: str | None,
    limit: int,
    offset: int = 0,
    sector: str | None = None,
    project_id: str | None = None,
) -> list[MemoryRecord]:
    """Up to ``limit`` of the user's memories (of one sector, visible in one project, if given), newest first,
    read in pages."""
    out: list[MemoryRecord] = []
    while len(out) < limit:
        size = min(PAGE, limit - len(out))
        page = memory.list(user_id=user_id, limit=size, offset=offset + len(out), sector=sector, project_id=project_id)
        out.extend(page)
        if len(page) < size:
            break
    return out


@dataclass
class Overview:
    total: int
    per_sector: dict[str, int]
    avg_salience: float
    waypoints: int
    scanned: list[MemoryRecord] = field(default_factory=list)

    def recent(self, now_ms: int) -> int:
        return sum(1 for m in self.scanned if m.created_at_ms >= now_ms - DAY_MS)

    def sector_salience(self) -> dict[str, float]:
        sums: dict[str, list[float]] = {s: [] for s in SECTORS}
        for m in self.scanned:
            sums.setdefault(m.primary_sector, []).append(m.salience)
        return {s: (sum(v) / len(v) if v else 0.0) for s, v in sums.items()}

    def avg_lambda(self) -> float:
        if not self.scanned:
            return 0.0
        return sum(m.decay_lambda for m in self.scanned) / len(self.scanned)


def overview_of(memory: Memory, user_id: str | None, *, scan: bool = True) -> Overview:
    stats = memory.stats(user_id=user_id)
    scanned = newest_memories(memory, user_id, SCAN_LIMIT) if scan and stats.memories else []
    return Overview(stats.memories, dict(stats.per_sector), stats.avg_salience, stats.waypoints, scanned)
