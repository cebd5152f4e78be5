"""Detect, plan, apply: the one versioned migration runner, for every dialect, and its ``schema_version`` bookkeeping.

Each version is one module (``v1_2_0`` ...) with ``VERSION``, ``DESCRIPTION`` and one ``plan_<dialect>`` function
that looks at the live schema and returns the statements still needed. The runner applies a version's statements
and its ``schema_version`` row in one transaction, so a crash leaves either the old version or the new one. A
version that ``schema_version`` calls applied but whose plan is not empty (upstream stamps versions it did not
finish) is repaired by running the remaining statements.

What differs between SQLite and PostgreSQL (how to inspect, name tables, open a version's transaction, record a
version, word a failure) is a ``Dialect`` (``migrations/sqlite.py``, ``migrations/postgres.py``), as alembic's
``DefaultImpl`` has one implementation per dialect; the steps and bookkeeping live here once.

Console lines match upstream's migrator (``[MIGRATE] ...``) so scripts that grep them keep working.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol

from openmemory.errors import MigrationError, OpenMemoryError, SchemaTooNew
from openmemory.migrations import v1_2_0, v1_2_1, v1_3_0, v2_0_0, v2_1_0, v2_3_0, v2_4_0
from openmemory.migrations.base import Names, Step
from openmemory.migrations.schema import SchemaInfo

MIGRATIONS: tuple[ModuleType, ...] = (v1_2_0, v1_2_1, v1_3_0, v2_0_0, v2_1_0, v2_3_0, v2_4_0)
LATEST = MIGRATIONS[-1].VERSION

Say = Callable[[str], None]
StepHook = Callable[[str, int, Step], None]


class Dialect(Protocol):
    """What one database backend supplies to the runner."""

    name: str  # selects each module's ``plan_<name>``
    location: str  # for messages: a file path, or a server and schema

    @property
    def driver_error(self) -> type[Exception]:
        """The driver's base error class; the runner turns it into ``failure(...)``."""
        ...

    def inspect(self) -> SchemaInfo: ...

    def names(self, schema: SchemaInfo) -> Names: ...

    def recorded_versions(self) -> list[str]:
        """Versions in ``schema_version``, any order (empty when the table does not exist)."""
        ...

    def prepare(self) -> list[str]:
        """Run what must exist before any version (PostgreSQL: the schema); return the statements run."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """One version's transaction (with its lock); commits on exit, rolls back on any exception."""
        ...

    def execute(self, sql: str) -> None: ...

    def scalar(self, query: str) -> object:
        """The first column of the first row of a query built from ``Names`` (None without a row)."""
        ...

    def record_version(self, version: str, applied_at_ms: int) -> None: ...

    def failure(self, head: str, exc: Exception) -> OpenMemoryError:
        """The error to raise for a driver error (a MigrationError, or e.g. StoreUnavailable for a lock)."""
        ...


def version_key(version: str) -> tuple[int, ...]:
    """Numeric sort key of a dotted version: ``1.10.0`` sorts after ``1.2.0`` (upstream compares strings)."""
    try:
        return tuple(int(part) for part in version.strip().split("."))
    except ValueError:
        raise MigrationError(f"schema_version holds {version!r}, which is not a dotted version") from None


@dataclass(frozen=True, slots=True)
class VersionStatus:
    version: str
    description: str
    is_recorded: bool
    pending_steps: int

    @property
    def is_pending(self) -> bool:
        return self.pending_steps > 0 or not self.is_recorded


@dataclass(frozen=True, slots=True)
class MigrationReport:
    current: str | None
    applied: tuple[str, ...]
    statements: tuple[str, ...]
    # vectors written by upstream's embedder are still there (no embedder recorded yet): `opm reembed` rebuilds them
    kept_upstream_vectors: bool = False


def _say_nothing(_: str) -> None:
    return None


def current_version(recorded: Sequence[str]) -> str | None:
    """The newest of the recorded versions, by number."""
    return max(recorded, key=version_key) if recorded else None


def live_steps(module: ModuleType, steps: list[Step], recorded: Collection[str]) -> list[Step]:
    """``steps`` of ``module`` without those a later, recorded version retired (its ``retires(version, step)``):
    work that a later version undid on purpose is not missing work of the earlier one."""
    later = [m for m in MIGRATIONS if m.VERSION in recorded and hasattr(m, "retires") and m is not module]
    return [s for s in steps if not any(m.retires(module.VERSION, s) for m in later)]


def plan(module: ModuleType, dialect: Dialect, schema: SchemaInfo, recorded: Collection[str]) -> list[Step]:
    """The statements ``module`` still needs on ``schema`` in ``dialect`` (empty = in effect), leaving out the
    ones a recorded later version retired."""
    steps: list[Step] = getattr(module, f"plan_{dialect.name}")(schema, dialect.names(schema))
    return live_steps(module, steps, recorded)


def plan_status(dialect: Dialect) -> list[VersionStatus]:
    """Applied/pending state of every known version, judged on the live schema (read-only).

    A later version's plan is computed against the schema as it is now, so its step count is an estimate
    until the earlier versions have run; whether it is pending is exact.
    """
    schema = dialect.inspect()
    recorded = set(dialect.recorded_versions())
    return [
        VersionStatus(m.VERSION, m.DESCRIPTION, m.VERSION in recorded, len(plan(m, dialect, schema, recorded)))
        for m in MIGRATIONS
    ]


def migrate(
    dialect: Dialect,
    *,
    say: Say = _say_nothing,
    on_step: StepHook | None = None,
    now_ms: Callable[[], int] | None = None,
) -> MigrationReport:
    """Apply every pending version, one transaction per version.

    Raises SchemaTooNew for a database newer than this tool, MigrationError when a step fails (that version is
    rolled back, earlier ones stay), or what the dialect makes of a driver error (e.g. a lock held too long).
    """
    clock = now_ms or (lambda: int(time.time() * 1000))
    say("Checking for pending migrations...")
    current = current_version(dialect.recorded_versions())
    say(f"Current database version: {current or 'none'}")
    if current is not None and version_key(current) > version_key(LATEST):
        raise SchemaTooNew(dialect.location, current, LATEST)
    statements: list[str] = []
    try:
        statements += dialect.prepare()
    except dialect.driver_error as exc:
        raise dialect.failure("preparing the database failed", exc) from exc
    applied = [m.VERSION for m in MIGRATIONS if _apply_one(dialect, m, say, on_step, clock, statements)]
    if not applied:
        say("No pending migrations: the database is up to date")
    say("All migrations completed")
    kept = bool(applied) and _has_upstream_vectors(dialect)
    return MigrationReport(current, tuple(applied), tuple(statements), kept)


def _has_upstream_vectors(dialect: Dialect) -> bool:
    """Vectors exist but no embedder is recorded: they were written by upstream's (or are about to be claimed)."""
    schema = dialect.inspect()
    names = dialect.names(schema)
    if not schema.has_table(names.bare_vectors):
        return False
    if dialect.scalar(f"SELECT value FROM {names.om_meta} WHERE key = 'embed_model'") is not None:
        return False
    return dialect.scalar(f"SELECT 1 FROM {names.vectors} LIMIT 1") is not None


def _apply_one(
    dialect: Dialect,
    module: ModuleType,
    say: Say,
    on_step: StepHook | None,
    clock: Callable[[], int],
    statements: list[str],
) -> bool:
    version: str = module.VERSION
    ran = False
    try:
        with dialect.transaction():
            # inspected inside the version's transaction (and lock): another process may have just migrated
            recorded = dialect.recorded_versions()
            steps = plan(module, dialect, dialect.inspect(), recorded)
            if not steps and version in recorded:
                return False
            say(f"Running migration: {version} - {module.DESCRIPTION}")
            if not steps:
                say(f"Migration {version} already in effect, recording it")
            for index, step in enumerate(steps):
                if step.verify_same_rows is not None:
                    _verify_same_rows(dialect, *step.verify_same_rows)
                dialect.execute(step.sql)
                statements.append(step.sql)
                if on_step is not None:
                    on_step(version, index, step)
            dialect.record_version(version, clock())
            ran = True
    except dialect.driver_error as exc:
        error = dialect.failure(f"migration {version} failed and was rolled back", exc)
        if isinstance(error, MigrationError):
            say(f"ERROR: {exc}")
        raise error from exc
    if ran:
        say(f"Migration {version} completed successfully")
    return ran


def _verify_same_rows(dialect: Dialect, source: str, copy: str) -> None:
    n_source, n_copy = (dialect.scalar(f"SELECT count(*) FROM {table}") for table in (source, copy))
    if n_source != n_copy:
        raise MigrationError(f"copy of {source} has {n_copy} rows but the original has {n_source}; nothing was dropped")
