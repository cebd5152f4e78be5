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
from openmemory.models import SECTORS, AddResult, Hit, MemoryRecord, ScoreParts, UserRecord, Waypoint

__all__ = [
    "SECTORS",
    "AddResult",
    "ConfigError",
    "EmbedderError",
    "EmbedderMismatch",
    "Hit",
    "InvalidInput",
    "MemoryRecord",
    "MigrationError",
    "NotFound",
    "OpenMemoryError",
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
