"""PostgresStore's maintenance reads and writes, the ones that cross users on purpose (``Memory.maintenance``).

Kept apart from ``postgres.py`` because they serve one job: decay, pruning, preloading, benchmarks and bulk
imports over the whole database, where every other method of the store is scoped to one owner.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from openmemory.models import MemoryRecord
from openmemory.store.audit import Audit
from openmemory.store.codec import Vector, encode_vector
from openmemory.store.postgres_rows import as_uuids
from openmemory.store.records import INSERT_COLUMNS, MEMORY_COLUMNS, memory_row, row_to_memory

if TYPE_CHECKING:
    from openmemory.store.postgres import PostgresStore
    from openmemory.store.postgres_vectors import Cursor


def user_ids(store: PostgresStore) -> list[str | None]:
    return [r[0] for r in store._rows(f"SELECT DISTINCT user_id FROM {store._m}")]


def iter_memories(store: PostgresStore, batch: int) -> Iterator[list[MemoryRecord]]:
    last: str | None = None
    while True:
        after = "" if last is None else "WHERE id > %s::uuid "
        rows = store._rows(
            f"SELECT {MEMORY_COLUMNS} FROM {store._m} {after}ORDER BY id LIMIT %s",
            (batch,) if last is None else (last, batch),
        )
        if not rows:
            return
        last = str(rows[-1][0])
        yield [row_to_memory(r) for r in rows]


def set_salience(store: PostgresStore, updates: Sequence[tuple[str, float]], now_ms: int) -> int:
    valid = set(as_uuids([u[0] for u in updates]))
    pairs = [(i, float(s)) for i, s in updates if i in valid]
    if not pairs:
        return 0
    with store._tx() as cur:
        cur.execute(
            f"UPDATE {store._m} AS m SET salience = u.s, updated_at = %s "
            "FROM unnest(%s::uuid[], %s::float8[]) AS u(id, s) WHERE m.id = u.id".encode(),
            (now_ms, [p[0] for p in pairs], [p[1] for p in pairs]),
        )
        return max(cur.rowcount, 0)


def preload(store: PostgresStore, dim: int, max_memories: int) -> list[tuple[str | None, int]]:
    rows = store._rows(
        f"SELECT user_id, count(*) FROM {store._m} GROUP BY user_id ORDER BY max(last_seen_at) DESC NULLS LAST"
    )
    owners: list[tuple[str | None, int]] = []
    loaded = 0
    for user_id, count in rows:
        if loaded + int(count) > max_memories:
            continue
        with store._tx() as cur:
            store._vec.preload(cur, user_id, dim)
        owners.append((user_id, int(count)))
        loaded += int(count)
    return owners


def prune_waypoints(store: PostgresStore, threshold: float) -> int:
    with store._tx() as cur:
        cur.execute(f"DELETE FROM {store._w} WHERE weight < %s AND src_id <> dst_id".encode(), (threshold,))
        return max(cur.rowcount, 0)


@contextlib.contextmanager
def bulk_load(store: PostgresStore) -> Iterator[Cursor]:
    """One transaction for ``postgres_copy``. When it commits, every owner's cached vectors are marked stale
    (other processes reload them) and the pgvector table is rebuilt from the loaded mean vectors."""
    with store._tx() as cur:
        yield cur
        for (user_id,) in cur.execute(f"SELECT DISTINCT user_id FROM {store._m}".encode()).fetchall():
            store._vec.bump(cur, user_id)
    reindex(store)


def reindex(store: PostgresStore) -> None:
    """Rebuild the pgvector table (and its HNSW index) from the stored mean vectors at the recorded dimension."""
    dim = store.read_meta("embed_dim")
    if dim is not None and dim.isdigit() and store._vec.extension_version is not None:
        with store._conn() as conn:
            store._vec.ensure_ann(conn, int(dim), rebuild=True)


def bulk_insert(store: PostgresStore, items: Sequence[tuple[MemoryRecord, Vector]], embed_model: str) -> int:
    with store._tx() as cur:
        with cur.copy(f"COPY {store._m} ({INSERT_COLUMNS}) FROM STDIN".encode()) as copy:
            for m, v in items:
                copy.write_row(memory_row(m, v))
        with cur.copy(f"COPY {store._v} (id, sector, user_id, project_id, v, dim) FROM STDIN".encode()) as copy:
            for m, v in items:
                copy.write_row(
                    (m.memory_id, m.primary_sector, m.user_id, m.project_id, encode_vector(v), int(v.shape[0]))
                )
        with cur.copy(f"COPY {store._e} (id, model, status, ts, err) FROM STDIN".encode()) as copy:
            for m, _ in items:
                copy.write_row((m.memory_id, embed_model, "completed", m.created_at_ms, None))
        for owner in {m.user_id for m, _ in items}:
            store._vec.bump(cur, owner)
    for owner in {m.user_id for m, _ in items}:
        store._vec.forget(owner)
    return len(items)


def stats(store: PostgresStore, since_ms: int) -> list[tuple[str, int, int]]:
    rows = store._rows(f"SELECT type, count, ts FROM {store._s} WHERE ts >= %s ORDER BY ts, id", (since_ms,))
    return [(str(t), int(c or 0), int(ts)) for t, c, ts in rows]


def audit(store: PostgresStore) -> Audit:
    """``store/audit.py``'s checks on the schema: invalid indexes, versions, half-written rows (ids compared as
    text: memory ids are UUIDs, waypoint and embed log ids text)."""

    def count(sql: str, args: Sequence[object] = ()) -> int:
        return int(store._rows(sql, args)[0][0])

    schema = store._names.schema
    invalid = count(
        "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT i.indisvalid",
        (schema,),
    )
    stamped = store._rows(f"SELECT version FROM {store._names.qualified('schema_version')}")
    versions = tuple(sorted(str(r[0]) for r in stamped))
    m, v, w, e = store._m, store._v, store._w, store._e
    rows = {
        "memories": count(f"SELECT count(*) FROM {m}"),
        "vectors": count(f"SELECT count(*) FROM {v}"),
        "waypoints": count(f"SELECT count(*) FROM {w}"),
        "users": count(f"SELECT count(*) FROM {store._u}"),
        "embed_logs": count(f"SELECT count(*) FROM {e}"),
    }
    problems = {
        "memories without vectors": count(
            f"SELECT count(*) FROM {m} x WHERE NOT EXISTS (SELECT 1 FROM {v} y WHERE y.id::text = x.id::text)"
        ),
        "vectors without their memory": count(
            f"SELECT count(*) FROM {v} y WHERE NOT EXISTS (SELECT 1 FROM {m} x WHERE x.id::text = y.id::text)"
        ),
        "vectors filed under another owner": count(
            f"SELECT count(*) FROM {v} y JOIN {m} x ON x.id::text = y.id::text "
            "WHERE y.user_id IS DISTINCT FROM x.user_id"
        ),
        "waypoints without their source memory": count(
            f"SELECT count(*) FROM {w} y WHERE NOT EXISTS (SELECT 1 FROM {m} x WHERE x.id::text = y.src_id::text)"
        ),
        "waypoints to a missing memory": count(
            f"SELECT count(*) FROM {w} y WHERE NOT EXISTS (SELECT 1 FROM {m} x WHERE x.id::text = y.dst_id::text)"
        ),
        "embed logs without their memory": count(
            f"SELECT count(*) FROM {e} y WHERE y.status = 'completed' "
            f"AND NOT EXISTS (SELECT 1 FROM {m} x WHERE x.id::text = y.id::text)"
        ),
    }
    return Audit("ok" if invalid == 0 else f"{invalid} invalid indexes", versions, rows, problems)
