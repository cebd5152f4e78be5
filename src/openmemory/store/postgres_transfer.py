"""PostgresStore's reads and writes for export, import and backup (``opm export|import|backup|restore``).

Kept apart from ``postgres.py`` because they serve one job: moving a whole store. ``snapshot`` is the store's
``session`` (one pooled connection for every store call of this thread, one transaction) set to REPEATABLE READ
READ ONLY, for a consistent export of a live database (PostgreSQL backups go through the export); a restore runs
inside a plain ``session``, so it either lands whole or leaves the target as it was.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from openmemory.errors import StoreError
from openmemory.models import SectorVector, UserRecord
from openmemory.store.base import StoredMemory
from openmemory.store.codec import Vector, decode_vector, encode_vector
from openmemory.store.postgres_rows import as_uuids
from openmemory.store.postgres_vectors import ANN_TABLE, owner_clause, owner_key
from openmemory.store.records import MEMORY_COLUMNS

if TYPE_CHECKING:
    from openmemory.store.postgres import PostgresStore

BATCH = 500


def memory_ids(store: PostgresStore, user_id: str | None) -> list[str]:
    owner, args = owner_clause("user_id", user_id)
    return [str(r[0]) for r in store._rows(f"SELECT id::text FROM {store._m} WHERE {owner} ORDER BY id::text", args)]


def get_vectors(
    store: PostgresStore, memory_ids: Sequence[str], user_id: str | None
) -> dict[str, tuple[list[SectorVector], Vector | None]]:
    ids = as_uuids(memory_ids)
    owner, args = owner_clause("user_id", user_id)
    out: dict[str, tuple[list[SectorVector], Vector | None]] = {}
    with store._tx() as cur:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            cur.execute(
                f"SELECT id::text, mean_vec FROM {store._m} WHERE id = ANY(%s::uuid[]) AND {owner}".encode(),
                (chunk, *args),
            )
            for memory_id, blob in cur.fetchall():
                out[memory_id] = ([], decode_vector(bytes(blob)) if blob else None)
            cur.execute(
                f"SELECT id::text, sector, v, dim FROM {store._v} WHERE id = ANY(%s::uuid[]) AND {owner} "
                "ORDER BY id, sector".encode(),
                (chunk, *args),
            )
            for memory_id, sector, blob, dim in cur.fetchall():
                if memory_id in out and blob is not None:
                    out[memory_id][0].append(SectorVector(memory_id, sector, decode_vector(bytes(blob)), int(dim)))
    return out


def restore_memories(
    store: PostgresStore, items: Sequence[StoredMemory], user_id: str | None, embed_model: str
) -> list[str]:
    """Insert the memories whose id is free (and a UUID, as memories.id is), with vectors and waypoints."""
    for item in items:
        if item.memory.user_id != user_id:
            raise StoreError(f"memory {item.memory.memory_id} belongs to {item.memory.user_id!r}, not {user_id!r}")
    valid = set(as_uuids([i.memory.memory_id for i in items]))
    inserted: list[str] = []
    with store._tx() as cur:
        for item in items:
            m, mean = item.memory, item.mean
            if m.memory_id not in valid:
                continue
            cur.execute(
                f"INSERT INTO {store._m} ({MEMORY_COLUMNS}, mean_dim, mean_vec) VALUES "
                "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (id) DO NOTHING".encode(),
                (
                    m.memory_id, m.user_id, m.project_id, m.segment, m.content, m.simhash, m.primary_sector,
                    json.dumps(list(m.tags)), json.dumps(m.meta), m.created_at_ms, m.updated_at_ms,
                    m.last_seen_at_ms, m.salience, m.decay_lambda, m.version, m.feedback_score,
                    None if mean is None else int(mean.shape[0]), None if mean is None else encode_vector(mean),
                ),
            )  # fmt: skip
            if cur.rowcount != 1:
                continue
            inserted.append(m.memory_id)
            if item.vectors:
                cur.executemany(
                    f"INSERT INTO {store._v} (id, sector, user_id, project_id, v, dim) VALUES (%s,%s,%s,%s,%s,%s) "
                    "ON CONFLICT (id, sector) DO NOTHING".encode(),
                    [
                        (m.memory_id, v.sector, user_id, m.project_id, encode_vector(v.vector), v.dim)
                        for v in item.vectors
                    ],
                )
            for w in item.waypoints:
                cur.execute(
                    f"INSERT INTO {store._w} (src_id, dst_id, user_id, project_id, weight, created_at, updated_at) "
                    "VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (src_id, user_id) DO NOTHING".encode(),
                    (w.src_id, w.dst_id, owner_key(user_id), m.project_id, w.weight, w.created_at_ms, w.updated_at_ms),
                )
            cur.execute(
                f"INSERT INTO {store._e} (id, model, status, ts, err) VALUES (%s, %s, 'completed', %s, NULL) "
                "ON CONFLICT (id) DO UPDATE SET model = excluded.model, status = excluded.status, ts = excluded.ts, "
                "err = NULL".encode(),
                (m.memory_id, embed_model, m.created_at_ms),
            )
            store._vec.write_mean(cur, m.memory_id, user_id, mean)
        if inserted:
            store._vec.bump(cur, user_id)
    store._vec.forget(user_id)
    return inserted


def users(store: PostgresStore) -> list[UserRecord]:
    rows = store._rows(
        f"SELECT user_id, summary, reflection_count, created_at, updated_at FROM {store._u} ORDER BY user_id"
    )
    return [UserRecord(u, s, int(r or 0), int(c or 0), int(up or 0)) for u, s, r, c, up in rows]


def is_empty(store: PostgresStore) -> bool:
    """True when no table holds user data (memories, users rows, temporal facts)."""
    facts = store._names.qualified("temporal_facts")
    return all(not store._rows(f"SELECT 1 FROM {table} LIMIT 1") for table in (store._m, store._u, facts))


@contextlib.contextmanager
def snapshot(store: PostgresStore) -> Iterator[None]:
    """Every store call of this thread inside the block reads one REPEATABLE READ, READ ONLY transaction.

    A ``session`` whose transaction is set to a snapshot before its first statement; nested blocks join it.
    """
    if getattr(store._local, "conn", None) is not None:
        yield
        return
    with store.session():
        store._local.conn.execute(b"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def wipe(store: PostgresStore) -> None:
    """Delete every user's data (memories, vectors, waypoints, users, embed logs, temporal facts) for a restore."""
    q = store._names.qualified
    with store._tx() as cur:
        owners = [r[0] for r in cur.execute(f"SELECT DISTINCT user_id FROM {store._m}".encode()).fetchall()]
        for table in (q("temporal_edges"), q("temporal_facts"), store._w, store._v, store._e, store._u, store._m):
            cur.execute(f"DELETE FROM {table}".encode())
        if store._vec.ann_dim is not None:
            cur.execute(f"DELETE FROM {q(ANN_TABLE)}".encode())
        for owner in owners:
            store._vec.bump(cur, owner)
    for owner in owners:
        store._vec.forget(owner)
