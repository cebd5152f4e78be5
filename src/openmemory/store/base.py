"""The Store protocol: the only door to stored user data.

Every method that reads or writes user data takes the owner (``user_id``; ``None`` is the system/default user,
a user like any other) as a required keyword-only argument, also where the record passed carries it: a record of
another owner is refused (``check_owner``). Methods that cross users are maintenance functions and say so in their
names (``maintenance_*``); ``read_meta``/``write_meta``/``vector_dims``/``log_stat`` hold store-level facts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from openmemory.errors import InvalidInput
from openmemory.models import MemoryRecord, SectorVector, UserRecord, Waypoint
from openmemory.store.audit import Audit
from openmemory.store.codec import Vector
from openmemory.store.temporal_base import FactStore
from openmemory.store.vocabulary import Vocabulary

# The om_meta key (or PostgreSQL meta row) of the vectors' epoch: ``opm reembed`` changes it, since it rewrites
# vectors without touching updated_at; an index persisted at another epoch is rebuilt, not caught up.
VECTOR_EPOCH_KEY = "vector_epoch"


@dataclass(frozen=True, slots=True)
class MemoryFilter:
    """Optional narrowing of list and search reads; every field is AND-ed.

    ``project_id`` keeps the rows visible in that project: its own, ``system_global`` ones and those with no
    project (reference §3.10); always within the owner's rows.
    """

    sector: str | None = None
    min_salience: float | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    tags: tuple[str, ...] = ()
    project_id: str | None = None


@dataclass(frozen=True, slots=True)
class UserStats:
    """Counts for one user: memories per sector, average salience, waypoints."""

    memories: int
    per_sector: dict[str, int]
    avg_salience: float
    waypoints: int
    last_created_at_ms: int | None


@dataclass(frozen=True, slots=True)
class StoredMemory:
    """A memory with what is stored beside it: its sector vectors, mean vector and outgoing waypoints."""

    memory: MemoryRecord
    vectors: tuple[SectorVector, ...] = ()
    mean: Vector | None = None
    waypoints: tuple[Waypoint, ...] = ()


class Store(Protocol):
    """Owner-scoped storage of memories, vectors, waypoints, users and stats."""

    location: str

    @property
    def facts(self) -> FactStore:
        """Temporal facts and edges (store/temporal_base.py)."""
        ...

    def close(self) -> None: ...
    def session(self) -> AbstractContextManager[None]:
        """Group this thread's store calls (one query's) on one connection where the backend pools them."""
        ...

    # the embedder record and other store-level facts
    def read_meta(self, key: str) -> str | None: ...
    def write_meta(self, key: str, value: str) -> None: ...
    def vector_dims(self) -> dict[int, int]: ...

    # memories
    def insert_memory(
        self,
        memory: MemoryRecord,
        vectors: Sequence[SectorVector],
        mean: Vector | None,
        waypoint: Waypoint | None,
        embed_model: str,
        *,
        user_id: str | None,
    ) -> None: ...
    def get_memory(self, memory_id: str, *, user_id: str | None) -> MemoryRecord | None: ...
    def get_memories(self, memory_ids: Sequence[str], *, user_id: str | None) -> dict[str, MemoryRecord]: ...
    def all_mem_by_user(
        self, *, user_id: str | None, limit: int, offset: int, where: MemoryFilter | None = None
    ) -> list[MemoryRecord]: ...
    def count_memories(self, *, user_id: str | None, where: MemoryFilter | None = None) -> int: ...
    def find_by_simhash(self, simhash: str, *, user_id: str | None) -> MemoryRecord | None: ...
    def replace_memory(
        self, memory: MemoryRecord, vectors: Sequence[SectorVector] | None, mean: Vector | None, *, user_id: str | None
    ) -> None: ...
    def touch_memory(self, memory_id: str, *, user_id: str | None, salience: float, last_seen_at_ms: int) -> bool: ...
    # (memory id, salience, last seen at) of several of the user's memories, in one transaction
    def touch_memories(self, updates: Sequence[tuple[str, float, int]], *, user_id: str | None) -> int: ...
    def delete_memory(self, memory_id: str, *, user_id: str | None) -> bool: ...
    def delete_user_memories(self, *, user_id: str | None) -> int: ...
    def user_stats(self, *, user_id: str | None) -> UserStats: ...

    # search
    # ``project_id`` (optional) keeps the rows visible in that project out of the owner's (see MemoryFilter)
    def search_vectors(
        self, query: Vector, *, user_id: str | None, k: int, project_id: str | None = None
    ) -> list[tuple[str, float]]: ...
    def search_vectors_many(
        self, queries: Vector, *, user_id: str | None, k: int, project_id: str | None = None
    ) -> list[list[tuple[str, float]]]: ...
    def vector_scores(self, query: Vector, memory_ids: Sequence[str], *, user_id: str | None) -> dict[str, float]: ...
    def search_lexical(
        self,
        text: str,
        *,
        user_id: str | None,
        k: int,
        project_id: str | None = None,
        expansion: Mapping[str, float] | None = None,
    ) -> list[tuple[str, float]]:
        """BM25 over the owner's memories; ``expansion`` adds stems with a weight each (the text's own weigh 1)."""
        ...

    def vocabulary(self, *, user_id: str | None) -> Vocabulary:
        """The words the owner's memories hold (their own only), in step with the owner's writes."""
        ...

    def memories_around(
        self, anchors: Sequence[tuple[str, int]], *, user_id: str | None, span: int
    ) -> list[tuple[str, str, int]]: ...

    # the memory graph
    def upsert_waypoint(self, waypoint: Waypoint, *, user_id: str | None) -> None: ...
    def waypoints_from(self, memory_ids: Sequence[str], *, user_id: str | None) -> list[Waypoint]: ...

    # users (the seed's query methods, by its names; the users table keys on a text id, so no None here)
    def ins_user(
        self, *, user_id: str, summary: str | None, reflection_count: int, created_at: int, updated_at: int
    ) -> None: ...
    def get_user(self, *, user_id: str) -> UserRecord | None: ...
    def upd_user_summary(self, *, user_id: str, summary: str, updated_at: int) -> None: ...

    # upstream's stats table (one row per event, no owner column)
    def log_stat(self, kind: str, count: int = 1) -> None: ...

    # maintenance: these cross users on purpose and are never reachable from a tenant's request
    def maintenance_user_ids(self) -> list[str | None]: ...
    def maintenance_iter_memories(self, batch: int = 1000) -> Iterator[list[MemoryRecord]]: ...
    def maintenance_set_salience(self, updates: Sequence[tuple[str, float]], now_ms: int) -> int: ...
    def maintenance_prune_waypoints(self, threshold: float) -> int: ...
    def maintenance_bulk_insert(self, items: Sequence[tuple[MemoryRecord, Vector]], embed_model: str) -> int: ...
    def maintenance_reindex(self) -> None: ...
    def maintenance_preload(self, dim: int, max_memories: int) -> list[tuple[str | None, int]]:
        """Load the search structures of the most recently active owners, up to ``max_memories`` memories in
        all; returns the owners loaded, each with its number of memories."""
        ...

    def maintenance_wait_for_indexes(self, timeout_s: float) -> bool:
        """Wait until the approximate indexes being built in the background are in use (benchmarks, tests);
        False when ``timeout_s`` passed first."""
        ...

    def maintenance_stats(self, since_ms: int) -> list[tuple[str, int, int]]: ...

    # export, import, backup (store/*_transfer.py)
    def memory_ids(self, *, user_id: str | None) -> list[str]: ...
    def get_vectors(
        self, memory_ids: Sequence[str], *, user_id: str | None
    ) -> dict[str, tuple[list[SectorVector], Vector | None]]: ...
    def restore_memories(
        self, items: Sequence[StoredMemory], *, user_id: str | None, embed_model: str
    ) -> list[str]: ...
    def maintenance_users(self) -> list[UserRecord]: ...
    def maintenance_snapshot(self) -> AbstractContextManager[None]: ...
    def maintenance_is_empty(self) -> bool: ...
    def maintenance_wipe(self) -> None: ...
    def maintenance_audit(self) -> Audit:
        """Integrity and half-written rows of the whole database (``store/audit.py``)."""
        ...


@runtime_checkable
class FileBackups(Protocol):
    """A store in one file (SQLite): backups and restores go through the database's own online backup."""

    def maintenance_backup(self, target: Path) -> None: ...
    def maintenance_restore(self, source: Path) -> None: ...


@runtime_checkable
class TransactionalRestore(Protocol):
    """A server store (PostgreSQL): a restore wipes and refills it inside one transaction."""

    def maintenance_transaction(self) -> AbstractContextManager[None]: ...


def check_owner(found: str | None, user_id: str | None) -> None:
    """Refuse a record whose owner is not the ``user_id`` the caller named (a write never changes owners)."""
    if found != user_id:
        raise InvalidInput(f"record belongs to {found!r}, not to user_id {user_id!r}", field="user_id")
