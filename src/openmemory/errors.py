"""Every error OpenMemory raises on purpose.

OpenMemoryError
├── InvalidInput (also ValueError)      bad content, k, sector, tags, ids ...
│   └── UnknownSector
├── NotFound                            unknown id, or another user's id (never confirms it exists)
│   └── FactNotFound                    the same for a temporal fact or edge
├── Conflict                            the write collides with a row the user already has
├── Unauthenticated                     missing or wrong API key
├── TenantMismatch                      user_id is not the caller's tenant
├── EmbedderError                       the embedding model failed or is misconfigured
│   └── EmbedderMismatch                database built with another model / dimension
├── StoreError                          the database refused or failed
│   ├── StoreUnavailable                cannot open / connect / locked too long / connection lost mid-request
│   ├── StoreFull                       the disk (or the database's size limit) is full: writes refused
│   ├── StoreReadOnly                   the database file or server accepts no writes: reads still work
│   └── SchemaOutdated                  database needs `opm migrate` and auto-migrate is off
├── MigrationError                      a migration step failed (nothing was changed by that step)
│   └── SchemaTooNew                    database written by a newer version of this tool
├── ConfigError                         an OM_* variable has a bad value
├── OutboundRefused                     an outbound request went to a private address, redirected or ran over
├── RateLimited                         one API key sent more than its share (OM_RATE_LIMIT_PER_MIN ...)
└── SourceError                         another service we import from failed
    ├── SourceFormatError               its answer or export file is not in the expected shape
    ├── SourceAuthError                 it refused the API key
    └── SourceUnavailable               it kept failing (429 / 5xx / network) after bounded retries
"""

from __future__ import annotations


class OpenMemoryError(Exception):
    """Base of every error raised on purpose by OpenMemory."""

    code = "internal"


class InvalidInput(OpenMemoryError, ValueError):
    """The caller passed a value OpenMemory cannot accept."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownSector(InvalidInput):
    """A sector name that is not one of the five sectors."""

    code = "unknown_sector"

    def __init__(self, sector: str) -> None:
        from openmemory.models import SECTORS

        super().__init__(f"unknown sector {sector!r}: expected one of {', '.join(SECTORS)}", field="sector")
        self.sector = sector


class NotFound(OpenMemoryError):
    """No memory with this id belongs to this user."""

    code = "not_found"

    def __init__(self, memory_id: str) -> None:
        super().__init__(f"memory {memory_id!r} not found")
        self.memory_id = memory_id


class FactNotFound(NotFound):
    """No temporal fact (or edge) with this id belongs to this user."""

    code = "fact_not_found"  # upstream's error code for a temporal fact it cannot find

    def __init__(self, fact_id: str, kind: str = "fact") -> None:
        OpenMemoryError.__init__(self, f"{kind} {fact_id!r} not found")
        self.memory_id = fact_id
        self.fact_id = fact_id


class Conflict(OpenMemoryError):
    """The write would duplicate a row the user already has (e.g. an identical temporal fact)."""

    code = "conflict"


class Unauthenticated(OpenMemoryError):
    """The request carries no API key, or a key that is not configured."""

    code = "unauthorized"


class TenantMismatch(OpenMemoryError):
    """The request names a user_id that is not the caller's tenant."""

    code = "tenant_mismatch"

    def __init__(self, user_id: str | None) -> None:
        super().__init__(f"user_id {user_id!r} does not belong to this API key's tenant")
        self.user_id = user_id


class EmbedderError(OpenMemoryError):
    """The embedding model could not produce vectors."""

    code = "embedder_error"


class EmbedderMismatch(EmbedderError):
    """The database was built with another embedding model or dimension."""

    code = "embedder_mismatch"

    def __init__(self, stored_model: str, stored_dim: int, model: str, dim: int) -> None:
        super().__init__(
            f"this database was built with embedder {stored_model!r} ({stored_dim} dimensions) but the "
            f"configured embedder is {model!r} ({dim} dimensions); set OM_EMBEDDINGS to match, or run "
            f"`opm reembed` to rebuild every vector with the configured embedder"
        )
        self.stored_model = stored_model
        self.stored_dim = stored_dim
        self.model = model
        self.dim = dim


class StoreError(OpenMemoryError):
    """The database failed or refused an operation."""

    code = "store_error"


class StoreUnavailable(StoreError):
    """The database cannot be opened, reached, or is locked for too long."""

    code = "store_unavailable"


class StoreFull(StoreError):
    """The database could not grow: its disk or its size limit is full. The failed write left nothing behind."""

    code = "storage_full"

    def __init__(self, location: str) -> None:
        super().__init__(
            f"database {location} is full (no space left on its disk, or its size limit is reached); the write was "
            f"rolled back and nothing of it was stored; reads still work; free some space and retry"
        )
        self.location = location


class StoreReadOnly(StoreError):
    """The database accepts no writes (a read-only file, mount or server); reads still work."""

    code = "read_only"

    def __init__(self, location: str, reason: str) -> None:
        super().__init__(
            f"database {location} is read-only ({reason}); the write was refused and nothing of it was stored; "
            f"reads still work"
        )
        self.location = location
        self.reason = reason


class SchemaOutdated(StoreError):
    """The database needs migrations and automatic migration is switched off."""

    code = "schema_outdated"

    def __init__(self, location: str, pending: list[str]) -> None:
        super().__init__(
            f"database {location} needs migrations {', '.join(pending)}; run `opm migrate` "
            f"(automatic migration is off: OM_AUTO_MIGRATE=false)"
        )
        self.location = location
        self.pending = pending


class MigrationError(OpenMemoryError):
    """A migration step failed; the step's transaction was rolled back."""

    code = "migration_error"


class SchemaTooNew(MigrationError):
    """The database was written by a newer version than this tool knows."""

    code = "schema_too_new"

    def __init__(self, location: str, found: str, latest: str) -> None:
        super().__init__(
            f"database {location} is at schema version {found}, newer than {latest}, the latest this "
            f"version of OpenMemory knows; upgrade openmemory-py before opening it"
        )
        self.location = location
        self.found = found
        self.latest = latest


class ConfigError(OpenMemoryError):
    """An OM_* setting has a value OpenMemory cannot use."""

    code = "config_error"


class OutboundRefused(OpenMemoryError):
    """An outbound HTTP request (embedder, importer) was refused: a private, loopback or link-local address not
    in OM_OUTBOUND_ALLOW, a redirect, or a response over its size or time cap."""

    code = "outbound_refused"


class RateLimited(OpenMemoryError):
    """One API key is over its request rate or its concurrent-request cap; ``retry_after_s`` says when to retry."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SourceError(OpenMemoryError):
    """A service we import from (Mem0, Zep, Supermemory) or its export failed."""

    code = "source_error"


class SourceFormatError(SourceError):
    """An import source is not in the format its importer expects."""

    code = "source_format"


class SourceAuthError(SourceError):
    """The source service refused the API key."""

    code = "source_auth"


class SourceUnavailable(SourceError):
    """The source service kept failing after bounded retries."""

    code = "source_unavailable"
