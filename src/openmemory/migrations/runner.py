"""Detect, plan, apply: the versioned migration runner and its ``schema_version`` bookkeeping.

Each version is one module (``v1_2_0`` ...) with ``VERSION``, ``DESCRIPTION`` and one ``plan_<dialect>`` function
that looks at the live schema and returns the statements still needed. The runner applies a version's statements
and its ``schema_version`` row in one transaction, so a crash leaves either the old version or the new one. A
version that ``schema_version`` calls applied but whose plan is not empty (upstream stamps versions it did not
finish) is repaired by running the remaining statements.

Console lines match upstream's migrator (``[MIGRATE] ...``) so scripts that grep them keep working.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from types import ModuleType

from openmemory.errors import MigrationError, SchemaTooNew
from openmemory.migrations import v1_2_0, v1_2_1, v1_3_0, v2_0_0, v2_1_0, v2_3_0
from openmemory.migrations.base import Names, Step
from openmemory.migrations.schema import SchemaInfo, inspect_sqlite

MIGRATIONS: tuple[ModuleType, ...] = (v1_2_0, v1_2_1, v1_3_0, v2_0_0, v2_1_0, v2_3_0)
LATEST = MIGRATIONS[-1].VERSION

Say = Callable[[str], None]
StepHook = Callable[[str, int, Step], None]


def version_key(version: str) -> tuple[int, ...]:
    """Numeric sort key of a dotted version: ``1.10.0`` sorts after ``1.2.0`` (upstream compares strings)."""
    try:
        return tuple(int(part) for part in version.strip().split("."))
    except ValueError:
        raise MigrationError(f"schema_version holds {version!r}, which is not a dotted version") from None


def live_steps(module: ModuleType, steps: list[Step], recorded: Collection[str]) -> list[Step]:
    """``steps`` of ``module`` without those a later, recorded version retired (its ``retires(version, step)``):
    work that a later version undid on purpose is not missing work of the earlier one."""
    later = [m for m in MIGRATIONS if m.VERSION in recorded and hasattr(m, "retires") and m is not module]
    return [s for s in steps if not any(m.retires(module.VERSION, s) for m in later)]


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


def _say_nothing(_: str) -> None:
    return None


def recorded_versions_sqlite(conn: sqlite3.Connection) -> list[str]:
    """Versions in ``schema_version``, oldest first by number (empty when the table does not exist)."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'").fetchone()
    if not exists:
        return []
    rows = [r[0] for r in conn.execute("SELECT version FROM schema_version").fetchall() if r[0]]
    return sorted(rows, key=version_key)


def current_version(recorded: Sequence[str]) -> str | None:
    return recorded[-1] if recorded else None


def resolve_vector_table(schema: SchemaInfo, configured: str | None) -> str:
    """The vector table a SQLite file uses: the configured name, else ``vectors`` (v1.2) if present, else
    ``openmemory_vectors`` (upstream's later default)."""
    if configured:
        return configured
    if schema.has_table("vectors"):
        return "vectors"
    return "openmemory_vectors"


def plan_status_sqlite(conn: sqlite3.Connection, vector_table: str | None = None) -> list[VersionStatus]:
    """Applied/pending state of every known version, judged on the live schema (read-only).

    A later version's plan is computed against the schema as it is now, so its step count is an estimate
    until the earlier versions have run; whether it is pending is exact.
    """
    schema = inspect_sqlite(conn)
    names = Names.sqlite(resolve_vector_table(schema, vector_table))
    recorded = set(recorded_versions_sqlite(conn))
    out = []
    for module in MIGRATIONS:
        steps = module.plan_sqlite(schema, names)
        out.append(VersionStatus(module.VERSION, module.DESCRIPTION, module.VERSION in recorded, len(steps)))
    return out


def migrate_sqlite(
    conn: sqlite3.Connection,
    *,
    location: str,
    vector_table: str | None = None,
    say: Say = _say_nothing,
    on_step: StepHook | None = None,
    now_ms: Callable[[], int] | None = None,
) -> MigrationReport:
    """Apply every pending version to an open SQLite connection, one transaction per version.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Raises SchemaTooNew for a database newer
    than this tool, MigrationError when a step fails (that version is rolled back, earlier ones stay).
    """
    clock = now_ms or (lambda: int(time.time() * 1000))
    say("Checking for pending migrations...")
    recorded = recorded_versions_sqlite(conn)
    current = current_version(recorded)
    say(f"Current database version: {current or 'none'}")
    if current is not None and version_key(current) > version_key(LATEST):
        raise SchemaTooNew(location, current, LATEST)
    applied: list[str] = []
    statements: list[str] = []
    for module in MIGRATIONS:
        ran = _apply_one_sqlite(conn, module, vector_table, set(recorded), say, on_step, clock, statements)
        if ran:
            applied.append(module.VERSION)
    if not applied:
        say("No pending migrations: the database is up to date")
    say("All migrations completed")
    return MigrationReport(current, tuple(applied), tuple(statements))


def _apply_one_sqlite(
    conn: sqlite3.Connection,
    module: ModuleType,
    vector_table: str | None,
    recorded: set[str],
    say: Say,
    on_step: StepHook | None,
    clock: Callable[[], int],
    statements: list[str],
) -> bool:
    version: str = module.VERSION
    conn.execute("BEGIN IMMEDIATE")
    try:
        schema = inspect_sqlite(conn)
        names = Names.sqlite(resolve_vector_table(schema, vector_table))
        steps: list[Step] = module.plan_sqlite(schema, names)
        if not steps and version in recorded:
            conn.execute("ROLLBACK")
            return False
        say(f"Running migration: {version} - {module.DESCRIPTION}")
        if not steps:
            say(f"Migration {version} already in effect, recording it")
        for index, step in enumerate(steps):
            if step.verify_same_rows is not None:
                _verify_same_rows(conn, *step.verify_same_rows)
            conn.execute(step.sql)
            statements.append(step.sql)
            if on_step is not None:
                on_step(version, index, step)
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version TEXT PRIMARY KEY, applied_at INTEGER)")
        conn.execute("INSERT OR IGNORE INTO schema_version(version, applied_at) VALUES (?, ?)", (version, clock()))
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK")
        say(f"ERROR: {exc}")
        raise MigrationError(f"migration {version} failed and was rolled back: {exc}") from exc
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    say(f"Migration {version} completed successfully")
    return True


def _verify_same_rows(conn: sqlite3.Connection, source: str, copy: str) -> None:
    (n_source,) = conn.execute(f"SELECT count(*) FROM {source}").fetchone()  # names come from Names, not input
    (n_copy,) = conn.execute(f"SELECT count(*) FROM {copy}").fetchone()
    if n_source != n_copy:
        raise MigrationError(f"copy of {source} has {n_copy} rows but the original has {n_source}; nothing was dropped")
