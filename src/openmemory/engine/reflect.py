"""Reflection: finding clusters of near-identical memories and describing each as one reflective memory.

Upstream's ``reflect.ts`` (reference §3.14), as pure functions; the service fetches rows, stores the reflection
and marks the sources. Fixes to upstream:

* clustering runs over **one user's** memories (upstream mixed every tenant's and stored the result with no
  owner); ``find_clusters`` refuses rows of more than one user;
* ``meta["consolidated"]`` is honoured (upstream read ``metadata``, which rows do not have, so the same clusters
  were re-reflected on every run), and it excludes members as well as seeds, as do reflective memories and earlier
  reflections (``meta["type"] == "auto_reflect"``).

The service should store a reflection with ``metadata={"sector": "reflective", ...}`` so that ``classify`` makes
it reflective; its content alone ("2 episodic pattern: ...") often classifies as something else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openmemory.errors import InvalidInput
from openmemory.models import MemoryRecord

SIMILARITY_THRESHOLD = 0.8
MIN_CLUSTER_SIZE = 2
REFLECTION_TAGS: tuple[str, ...] = ("reflect:auto",)
REFLECTION_TYPE = "auto_reflect"
SOURCE_SALIENCE_FACTOR = 1.1  # upstream multiplies each source's salience by this after reflecting
_MEMBER_PREVIEW_CHARS = 60
_CONTENT_CHARS = 200
_HALF_DAY_MS = 43_200_000


@dataclass(frozen=True, slots=True)
class Cluster:
    """Memories of one sector whose words overlap almost completely; the first member seeded the cluster."""

    sector: str
    members: tuple[MemoryRecord, ...]

    @property
    def memory_ids(self) -> tuple[str, ...]:
        return tuple(m.memory_id for m in self.members)

    @property
    def size(self) -> int:
        return len(self.members)


def word_jaccard(a: str, b: str) -> float:
    """Jaccard similarity of the lower-cased whitespace-separated words of two texts; 0 if either has none."""
    s1, s2 = set(a.lower().split()), set(b.lower().split())
    if not s1 or not s2:
        return 0.0
    return len(s1 & s2) / len(s1 | s2)


def is_reflectable(memory: MemoryRecord) -> bool:
    """Whether a memory may join a cluster: not reflective, not already consolidated, not a reflection."""
    return (
        memory.primary_sector != "reflective"
        and not memory.meta.get("consolidated")
        and memory.meta.get("type") != REFLECTION_TYPE
    )


def find_clusters(
    memories: Sequence[MemoryRecord],
    *,
    threshold: float = SIMILARITY_THRESHOLD,
    min_size: int = MIN_CLUSTER_SIZE,
) -> list[Cluster]:
    """Greedy clusters of same-sector memories with word Jaccard similarity above ``threshold`` to the seed.

    Memories are taken as seeds in the order given (upstream: newest first); each memory joins at most one
    cluster. Only clusters of at least ``min_size`` memories are returned.

    Raises ``InvalidInput`` when the memories belong to more than one user.
    """
    owners = {m.user_id for m in memories}
    if len(owners) > 1:
        raise InvalidInput(f"reflection runs over one user's memories, got {len(owners)} users", field="user_id")
    candidates = [m for m in memories if is_reflectable(m)]
    used: set[str] = set()
    clusters: list[Cluster] = []
    for seed in candidates:
        if seed.memory_id in used:
            continue
        used.add(seed.memory_id)
        members = [seed]
        for other in candidates:
            if other.memory_id in used or other.primary_sector != seed.primary_sector:
                continue
            if word_jaccard(seed.content, other.content) > threshold:
                members.append(other)
                used.add(other.memory_id)
        if len(members) >= min_size:
            clusters.append(Cluster(sector=seed.primary_sector, members=tuple(members)))
    return clusters


def reflection_content(cluster: Cluster) -> str:
    """The text of a cluster's reflection: ``"<n> <sector> pattern: <previews>"``, previews cut to 200 chars."""
    joined = "; ".join(m.content[:_MEMBER_PREVIEW_CHARS] for m in cluster.members)
    return f"{cluster.size} {cluster.sector} pattern: {joined[:_CONTENT_CHARS]}"


def reflection_meta(cluster: Cluster, now_ms: int) -> dict[str, Any]:
    """Upstream's metadata for a reflection, plus ``sector`` so ``classify`` files it as reflective."""
    return {
        "type": REFLECTION_TYPE,
        "sources": list(cluster.memory_ids),
        "freq": cluster.size,
        "at": datetime.fromtimestamp(now_ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "sector": "reflective",
    }


def cluster_salience(cluster: Cluster, now_ms: int) -> float:
    """A starting salience for the reflection: bigger, fresher and emotional clusters matter more.

    ``min(1, 0.6·n/10 + 0.3·mean(e^(−age/12h)) + 0.1·[any member has an emotional sector])``; upstream computed
    this and only logged it.
    """
    recency = sum(math.exp(-max(0, now_ms - m.created_at_ms) / _HALF_DAY_MS) for m in cluster.members)
    emotional = any("emotional" in m.sectors or m.primary_sector == "emotional" for m in cluster.members)
    return min(1.0, 0.6 * cluster.size / 10 + 0.3 * recency / cluster.size + 0.1 * emotional)


def consolidated_source_salience(salience: float) -> float:
    """A source memory's salience after it has been reflected on: ``min(1, 1.1·salience)``."""
    return min(1.0, max(0.0, salience * SOURCE_SALIENCE_FACTOR))
