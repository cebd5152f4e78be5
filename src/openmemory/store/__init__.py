"""Storage backends behind one owner-scoped ``Store`` protocol; ``open_store`` picks one from settings."""

from __future__ import annotations

from openmemory.clock import Clock, now_ms
from openmemory.config import Settings
from openmemory.errors import ConfigError
from openmemory.store.base import VECTOR_EPOCH_KEY, MemoryFilter, Store, UserStats

__all__ = ["VECTOR_EPOCH_KEY", "MemoryFilter", "Store", "UserStats", "ann_threshold", "open_store", "require_postgres"]

POSTGRES_EXTRA = "pip install 'openmemory-py[postgres]'"


def require_postgres() -> None:
    """Raise ConfigError, naming the install command, when the `postgres` extra (psycopg, psycopg-pool,
    pgvector) is not installed."""
    try:
        import pgvector  # noqa: F401
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"OM_METADATA_BACKEND=postgres needs the PostgreSQL driver, which is not installed: {POSTGRES_EXTRA}"
        ) from None


def open_store(settings: Settings, *, clock: Clock = now_ms) -> Store:
    """Open (and, unless OM_AUTO_MIGRATE=false, migrate) the configured database; ``clock`` stamps its writes."""
    if settings.metadata_backend == "postgres":
        require_postgres()
        from openmemory.store.postgres import PostgresStore

        store: Store = PostgresStore.open(settings, clock=clock)
        return store
    from openmemory.store.sqlite import SQLiteStore

    return SQLiteStore.open(
        settings.db_path,
        busy_timeout_ms=settings.busy_timeout_ms,
        vector_table=settings.vector_table,
        auto_migrate=settings.auto_migrate,
        ann_min_memories=ann_threshold(settings),
        clock=clock,
    )


def ann_threshold(settings: Settings) -> int:
    """The owner size from which vector searches go through an approximate index: OM_ANN_MIN_MEMORIES, else the
    backend's default (SQLite's int8 graphs pay from 5,000 memories; PostgreSQL sorts exactly below 20,000)."""
    if settings.ann_min_memories is not None:
        return settings.ann_min_memories
    if settings.metadata_backend == "postgres":
        from openmemory.store.postgres_vectors import EXACT_BELOW

        return EXACT_BELOW
    from openmemory.store.owner_cache import ANN_MIN_MEMORIES

    return ANN_MIN_MEMORIES
