"""Storage backends behind one owner-scoped ``Store`` protocol; ``open_store`` picks one from settings."""

from __future__ import annotations

from openmemory.config import Settings
from openmemory.store.base import MemoryFilter, Store, UserStats

__all__ = ["MemoryFilter", "Store", "UserStats", "open_store"]


def open_store(settings: Settings) -> Store:
    """Open (and, unless OM_AUTO_MIGRATE=false, migrate) the configured database."""
    if settings.metadata_backend == "postgres":
        from openmemory.store.postgres import PostgresStore

        store: Store = PostgresStore.open(settings)
        return store
    from openmemory.store.sqlite import SQLiteStore

    return SQLiteStore.open(
        settings.db_path,
        busy_timeout_ms=settings.busy_timeout_ms,
        vector_table=settings.vector_table,
        auto_migrate=settings.auto_migrate,
        ann_min_memories=settings.ann_min_memories,
    )
