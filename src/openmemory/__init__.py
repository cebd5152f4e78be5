"""OpenMemory for Python: long-term, per-user memory for LLM agents and apps."""

from openmemory.config import Settings
from openmemory.errors import (
    ConfigError,
    EmbedderError,
    EmbedderMismatch,
    InvalidInput,
    MigrationError,
    NotFound,
    OpenMemoryError,
    SchemaOutdated,
    SchemaTooNew,
    StoreError,
    StoreUnavailable,
    TenantMismatch,
    Unauthenticated,
    UnknownSector,
)
from openmemory.memory import Memory
from openmemory.models import SECTORS, AddResult, Hit, MemoryRecord, ScoreParts, UserRecord, Waypoint

__all__ = [
    "AddResult",
    "ConfigError",
    "EmbedderError",
    "EmbedderMismatch",
    "Hit",
    "InvalidInput",
    "Memory",
    "MemoryRecord",
    "MigrationError",
    "NotFound",
    "OpenMemoryError",
    "SECTORS",
    "SchemaOutdated",
    "SchemaTooNew",
    "ScoreParts",
    "Settings",
    "StoreError",
    "StoreUnavailable",
    "TenantMismatch",
    "Unauthenticated",
    "UnknownSector",
    "UserRecord",
    "Waypoint",
]
