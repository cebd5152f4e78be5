"""Copy a SQLite database into an empty PostgreSQL schema, keeping ids, owners, vectors and timestamps.

Every row of every table OpenMemory owns goes over with COPY in one PostgreSQL transaction, so a failure leaves
the target as empty as it was. Vectors travel as the same float32 little-endian bytes. The system/default
user's waypoints become PG_SYSTEM_OWNER rows (and, since SQLite lets several NULL-owner rows share a ``src_id``
while PostgreSQL's key does not, only the newest edge of such a source is kept, which is what upstream's
one-edge-per-source rule meant). Row counts are compared before the commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openmemory.config import Settings
from openmemory.errors import SchemaOutdated, StoreError
from openmemory.migrations.schema import inspect_sqlite
from openmemory.migrations.sqlite import plan_status_sqlite, resolve_vector_table
from openmemory.migrations.sqlite_file import check_database_file, connect
from openmemory.store.postgres import PostgresStore
from openmemory.store.postgres_vectors import PG_SYSTEM_OWNER

Say = Callable[[str], None]

_MEMORY_COLUMNS = (
    "id, user_id, project_id, segment, content, simhash, primary_sector, tags, meta, created_at, updated_at, "
    "last_seen_at, salience, decay_lambda, version, mean_dim, mean_vec, compressed_vec, feedback_score"
)


@dataclass(frozen=True, slots=True)
class CopyReport:
    """How many rows of each table were copied."""

    rows: dict[str, int]


def _tables(vector_table: str, store: PostgresStore) -> list[tuple[str, str, str, str]]:
    """(label, SQLite SELECT, PostgreSQL table, PostgreSQL columns) of every table copied, parents first."""
    names = store._names
    q = names.qualified
    return [
        ("memories", f"SELECT {_MEMORY_COLUMNS} FROM memories", q(names.memories), _MEMORY_COLUMNS),
        (
            "vectors",
            f"SELECT id, sector, user_id, project_id, v, dim FROM {vector_table}",
            q(names.vectors),
            "id, sector, user_id, project_id, v, dim",
        ),
        (
            "waypoints",
            "SELECT src_id, dst_id, user_id, project_id, weight, created_at, updated_at FROM waypoints "
            "ORDER BY coalesce(updated_at, 0) DESC",
            q("openmemory_waypoints"),
            "src_id, dst_id, user_id, project_id, weight, created_at, updated_at",
        ),
        (
            "embed_logs",
            "SELECT id, model, status, ts, err FROM embed_logs",
            q("openmemory_embed_logs"),
            "id, model, status, ts, err",
        ),
        (
            "users",
            "SELECT user_id, summary, reflection_count, created_at, updated_at FROM users",
            q("openmemory_users"),
            "user_id, summary, reflection_count, created_at, updated_at",
        ),
        ("stats", "SELECT type, count, ts FROM stats ORDER BY id", q("stats"), "type, count, ts"),
        ("om_meta", "SELECT key, value FROM om_meta", q("om_meta"), "key, value"),
        (
            "temporal_facts",
            "SELECT id, user_id, project_id, subject, predicate, object, valid_from, valid_to, confidence, "
            "last_updated, metadata FROM temporal_facts",
            q("temporal_facts"),
            "id, user_id, project_id, subject, predicate, object, valid_from, valid_to, confidence, last_updated, "
            "metadata",
        ),
        (
            "temporal_edges",
            "SELECT id, user_id, source_id, target_id, relation_type, valid_from, valid_to, weight, metadata "
            "FROM temporal_edges",
            q("temporal_edges"),
            "id, user_id, source_id, target_id, relation_type, valid_from, valid_to, weight, metadata",
        ),
    ]


def copy_sqlite_to_postgres(source: Path, settings: Settings, *, say: Say) -> CopyReport:
    """Copy the SQLite file ``source`` into the PostgreSQL schema ``settings`` names, which must be empty.

    Raises SchemaOutdated when the source needs ``opm migrate`` first, StoreError when the target already holds
    memories or a row does not fit (e.g. a memory id that is not a UUID), StoreUnavailable when PostgreSQL
    cannot be reached.
    """
    check_database_file(source, must_exist=True, needs_write=False)
    src = connect(source, busy_timeout_ms=settings.busy_timeout_ms, read_only=True)
    try:
        pending = [s.version for s in plan_status_sqlite(src, settings.vector_table) if s.is_pending]
        if pending:
            raise SchemaOutdated(str(source), pending)
        vector_table = resolve_vector_table(inspect_sqlite(src), settings.vector_table)
        store = PostgresStore.open(settings)
        try:
            report = _copy(src, vector_table, store, say)
        finally:
            store.close()
    finally:
        src.close()
    return report


# This module is PostgresStore's bulk loader: it uses the store's private ``_names`` and ``_bulk_load``, which
# stay outside the Store protocol (no raw connection is handed out publicly).
def _copy(src: sqlite3.Connection, vector_table: str, store: PostgresStore, say: Say) -> CopyReport:
    memories = store._names.qualified(store._names.memories)
    counts: dict[str, int] = {}
    with store._bulk_load() as cur:
        existing = cur.execute(f"SELECT count(*) FROM {memories}".encode()).fetchone()
        if existing and existing[0]:
            raise StoreError(
                f"{store.location} already holds {existing[0]} memories; copy into an empty schema (set "
                f"OM_PG_SCHEMA to a new name) so that ids cannot collide"
            )
        for label, select, table, columns in _tables(vector_table, store):
            rows = _source_rows(src, label, select)
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN".encode()) as copy:
                for row in rows:
                    copy.write_row(row)
            counts[label] = len(rows)
            say(f"Copied {len(rows)} {label} rows")
        found = cur.execute(f"SELECT count(*) FROM {memories}".encode()).fetchone()
        if found is None or int(found[0]) != counts["memories"]:
            raise StoreError(f"copied {counts['memories']} memories but the target holds {found}; rolled back")
    return CopyReport(counts)


def _source_rows(src: sqlite3.Connection, label: str, select: str) -> list[tuple[Any, ...]]:
    table = select.split(" FROM ", 1)[1].split()[0]
    if src.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is None:
        return []
    rows = src.execute(select).fetchall()
    if label != "waypoints":
        return rows
    kept: dict[tuple[str, str], tuple[Any, ...]] = {}
    for src_id, dst_id, user_id, project_id, weight, created, updated in rows:  # newest first
        owner = PG_SYSTEM_OWNER if user_id is None else user_id
        kept.setdefault((src_id, owner), (src_id, dst_id, owner, project_id, weight, created, updated))
    return list(kept.values())
