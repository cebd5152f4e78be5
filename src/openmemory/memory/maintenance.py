"""Periodic maintenance over every user's memories: decay, waypoint pruning, summary refresh, reflection.

These jobs cross users on purpose (they are what the server's background jobs run), so they use the store's
``maintenance_*`` methods. ``Memory.maintenance`` is their only door: a surface never holds the store itself.
Each run logs one ``stats`` row (``decay``, ``prune``, ``summary``, ``reflect``) with how many rows it touched,
which ``/dashboard/maintenance`` reports. For example ``memory.maintenance.run_decay(now_ms)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from openmemory.engine.decay import current_salience, plan_decay
from openmemory.engine.reflect import (
    REFLECTION_TAGS,
    consolidated_source_salience,
    find_clusters,
    reflection_content,
    reflection_meta,
)
from openmemory.models import MemoryRecord, StatRow
from openmemory.store import Store
from openmemory.store.codec import Vector

if TYPE_CHECKING:
    from openmemory.memory.service import Memory

PRUNE_BELOW_WEIGHT = 0.05
REFLECT_RECENT = 100
REFLECT_MIN_MEMORIES = 20


class Maintenance:
    """The cross-user jobs over one ``Memory``'s database; reached as ``Memory.maintenance``."""

    def __init__(self, memory: Memory, store: Store) -> None:
        self._memory = memory
        self._store = store

    @property
    def store(self) -> Store:
        """The store itself, for the service's own cross-user tools (``transfer/``: export, backup, restore);
        surfaces never use it (tests/test_layers.py keeps them off the store package)."""
        return self._store

    def run_decay(self, now_ms: int) -> int:
        """Write every memory's salience decayed to ``now_ms``; returns how many rows changed.

        Decay is anchored (see ``engine.decay``), so running twice with the same clock changes nothing the second
        time.
        """
        changed = 0
        for batch in self._store.maintenance_iter_memories():
            changed += self._store.maintenance_set_salience(plan_decay(batch, now_ms), now_ms)
        self._store.log_stat("decay", changed)
        return changed

    def prune_waypoints(self, threshold: float = PRUNE_BELOW_WEIGHT) -> int:
        """Delete waypoints weaker than ``threshold`` (self-links are kept); returns how many were deleted."""
        pruned = self._store.maintenance_prune_waypoints(threshold)
        self._store.log_stat("prune", pruned)
        return pruned

    def refresh_summaries(self) -> int:
        """Rebuild the stored summary of every named user; returns how many summaries were written.

        The system/default user (``None``) has no ``users`` row; its summary is computed on read.
        """
        refreshed = 0
        for user_id in self._store.maintenance_user_ids():
            if user_id is not None:
                self._memory.refresh_summary(user_id)
                refreshed += 1
        self._store.log_stat("summary", refreshed)
        return refreshed

    def log(self, since_ms: int) -> list[StatRow]:
        """Every ``stats`` row written since ``since_ms`` (job runs and consolidations of all users), oldest first."""
        return [StatRow(kind, count, ts_ms) for kind, count, ts_ms in self._store.maintenance_stats(since_ms)]

    def run_reflection(self, now_ms: int, *, min_memories: int = REFLECT_MIN_MEMORIES) -> int:
        """Consolidate each user's near-identical recent memories into one reflective memory; returns how many.

        Per user, never across users (upstream clustered all users' newest memories together and stored the
        result as "anonymous"). Each user's 100 newest memories are clustered (same sector, word Jaccard > 0.8, at
        least two); each cluster becomes a reflective memory of that user, and its sources are marked consolidated
        and boosted so they are not reflected on again. Users with fewer than ``min_memories`` are skipped.
        """
        created = 0
        for user_id in self._store.maintenance_user_ids():
            recent = self._store.all_mem_by_user(user_id=user_id, limit=REFLECT_RECENT, offset=0)
            if len(recent) < min_memories:
                continue
            for cluster in find_clusters(recent):
                self._memory.add(
                    reflection_content(cluster),
                    user_id=user_id,
                    tags=REFLECTION_TAGS,
                    metadata=reflection_meta(cluster, now_ms),
                )
                for source in cluster.members:
                    self._memory.update(
                        source.memory_id, user_id=user_id, metadata={**source.meta, "consolidated": True}
                    )
                    self._store.touch_memory(
                        source.memory_id,
                        user_id=user_id,
                        salience=consolidated_source_salience(current_salience(source, now_ms)),
                        last_seen_at_ms=source.last_seen_at_ms,
                    )
                created += 1
        self._store.log_stat("reflect", created)
        return created

    def bulk_insert(self, items: Sequence[tuple[MemoryRecord, Vector]]) -> int:
        """Insert many new memories (one vector each) with this database's embedder name; call ``reindex`` after
        the last batch. For benchmarks and imports: no waypoints, no dedup."""
        return self._store.maintenance_bulk_insert(items, self._memory.embedder.name)

    def wait_for_indexes(self, timeout_s: float) -> bool:
        """Wait until the approximate indexes being built in the background serve (benchmarks); False when
        ``timeout_s`` passed first. Queries never need this: the exact scan answers until then."""
        return self._store.maintenance_wait_for_indexes(timeout_s)

    def warm_words(self, user_id: str | None, timeout_s: float) -> bool:
        """Have the owner's words embedded for the vocabulary expansion (OM_WORD_EXPANSION) and wait for it
        (benchmarks: an owner just loaded is asked at once); False when ``timeout_s`` passed first. Queries never
        need this: until an owner's words are all embedded, their queries are answered without the expansion."""
        expander = self._memory._expander
        if expander is None:
            return True
        expander.prefetch(self._store.vocabulary(user_id=user_id))
        return expander.wait_idle(timeout_s)

    def reindex(self) -> None:
        """Rebuild derived search structures after bulk inserts (the pgvector table on PostgreSQL)."""
        self._store.maintenance_reindex()
