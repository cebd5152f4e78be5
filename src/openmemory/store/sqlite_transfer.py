"""SQLiteStore's reads and writes for export, import and backup (``opm export|import|backup|restore``).

Kept apart from ``sqlite.py`` because they serve one job: moving a whole store. Reads are owner-scoped except the
``maintenance_*`` ones; ``snapshot`` holds this thread's reader in one read transaction, so everything read inside
it comes from one consistent state of the file (WAL lets writers go on meanwhile). ``backup_to``/``restore_from``
use SQLite's online backup API, which copies a live database page by page in one step: a consistent snapshot on
the way out, one atomic write transaction on the way in.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from openmemory.errors import StoreError, StoreUnavailable
from openmemory.models import SectorVector, UserRecord
from openmemory.store.base import StoredMemory
from openmemory.store.codec import Vector, decode_vector, encode_vector
from openmemory.store.owner_cache import BUMP_SQL, GEN_TABLE, owner_key
from openmemory.store.records import MEMORY_COLUMNS

if TYPE_CHECKING:
    from openmemory.store.sqlite import SQLiteStore

SQLITE_MAGIC = b"SQLite format 3\x00"
_USER_TABLES = ("memories", "users", "temporal_facts")


def memory_ids(store: SQLiteStore, user_id: str | None) -> list[str]:
    return [str(r[0]) for r in store._query("SELECT id FROM memories WHERE user_id IS ? ORDER BY id", (user_id,))]


def get_vectors(
    store: SQLiteStore, memory_ids: Sequence[str], user_id: str | None
) -> dict[str, tuple[list[SectorVector], Vector | None]]:
    out: dict[str, tuple[list[SectorVector], Vector | None]] = {}
    ids = list(dict.fromkeys(memory_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for memory_id, blob in store._query(
            f"SELECT id, mean_vec FROM memories WHERE id IN ({marks}) AND +user_id IS ?", (*chunk, user_id)
        ):
            out[str(memory_id)] = ([], decode_vector(blob) if blob else None)
        for memory_id, sector, blob, dim in store._query(
            f"SELECT id, sector, v, dim FROM {store._vt} WHERE id IN ({marks}) AND +user_id IS ? ORDER BY id, sector",
            (*chunk, user_id),
        ):
            if str(memory_id) in out and blob is not None:
                out[str(memory_id)][0].append(SectorVector(str(memory_id), sector, decode_vector(blob), int(dim)))
    return out


def restore_memories(
    store: SQLiteStore, items: Sequence[StoredMemory], user_id: str | None, embed_model: str
) -> list[str]:
    """Insert the memories whose id is not taken yet, with their vectors and waypoints; the ids inserted."""
    for item in items:
        if item.memory.user_id != user_id:
            raise StoreError(f"memory {item.memory.memory_id} belongs to {item.memory.user_id!r}, not {user_id!r}")
    inserted: list[str] = []
    conn = store._conn
    with store._writing():
        for item in items:
            m, mean = item.memory, item.mean
            cur = conn.execute(
                f"INSERT OR IGNORE INTO memories ({MEMORY_COLUMNS}, mean_dim, mean_vec) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
            conn.executemany(
                f"INSERT OR REPLACE INTO {store._vt}(id, sector, user_id, project_id, v, dim) VALUES (?,?,?,?,?,?)",
                [(m.memory_id, v.sector, user_id, m.project_id, encode_vector(v.vector), v.dim) for v in item.vectors],
            )
            for w in item.waypoints:
                if conn.execute(
                    "SELECT 1 FROM waypoints WHERE src_id = ? AND +user_id IS ?", (w.src_id, user_id)
                ).fetchone() is None:  # fmt: skip
                    conn.execute(
                        "INSERT INTO waypoints(src_id, dst_id, user_id, project_id, weight, created_at, "
                        "updated_at) VALUES (?,?,?,?,?,?,?)",
                        (w.src_id, w.dst_id, user_id, m.project_id, w.weight, w.created_at_ms, w.updated_at_ms),
                    )
            conn.execute(
                "INSERT OR REPLACE INTO embed_logs(id, model, status, ts, err) VALUES (?, ?, 'completed', ?, NULL)",
                (m.memory_id, embed_model, m.created_at_ms),
            )
        if inserted:
            conn.execute(
                f"INSERT INTO {GEN_TABLE}(owner, gen) VALUES (?, 1) "
                f"ON CONFLICT(owner) DO UPDATE SET gen = {GEN_TABLE}.gen + 1",
                ("" if user_id is None else user_id,),
            )
    store._caches.forget(user_id)
    return inserted


def users(store: SQLiteStore) -> list[UserRecord]:
    rows = store._query("SELECT user_id, summary, reflection_count, created_at, updated_at FROM users ORDER BY user_id")
    return [UserRecord(u, s, int(r or 0), int(c or 0), int(up or 0)) for u, s, r, c, up in rows]


def is_empty(store: SQLiteStore) -> bool:
    """True when no table holds user data (memories, users rows, temporal facts)."""
    for table in _USER_TABLES:
        exists = store._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
        if exists and store._query(f"SELECT 1 FROM {table} LIMIT 1"):
            return False
    return True


def wipe(store: SQLiteStore) -> None:
    """Delete every user's data (memories, vectors, waypoints, users, embed logs, temporal facts) at once."""
    owners = [r[0] for r in store._query("SELECT DISTINCT user_id FROM memories")]
    tables = ("temporal_edges", "temporal_facts", "waypoints", store._vt, "embed_logs", "users", "memories")
    bumps = [(BUMP_SQL, (owner_key(o),)) for o in owners]  # other processes drop their caches of these owners
    store._write([*((f"DELETE FROM {t}", ()) for t in tables), *bumps])
    for owner in owners:
        store._caches.forget(owner)


@contextlib.contextmanager
def snapshot(store: SQLiteStore) -> Iterator[None]:
    """Run this thread's reads inside one read transaction (nested calls share the outer one)."""
    reader = store._reader()
    if reader.in_transaction:
        yield
        return
    reader.execute("BEGIN")
    reader.execute("SELECT 1 FROM memories LIMIT 1").fetchall()  # the snapshot starts at the first read
    try:
        yield
    finally:
        reader.execute("COMMIT")


def backup_to(store: SQLiteStore, target: Path) -> None:
    """Write a consistent copy of the live database to ``target`` (a new file) with the online backup API."""
    dest = sqlite3.connect(target)
    try:
        store._reader().backup(dest)
    except sqlite3.Error as exc:
        raise StoreError(f"backup of {store.location} to {target} failed: {exc}") from exc
    finally:
        dest.close()


def restore_from(store: SQLiteStore, source: Path) -> None:
    """Replace the whole database with the SQLite file ``source``, in one atomic write transaction.

    Every owner's cache generation ends above both its old and its restored value, so other processes
    (a running ``opm serve``) rebuild their search caches instead of serving the old contents.
    """
    with source.open("rb") as f:
        if f.read(16) != SQLITE_MAGIC:
            raise StoreError(f"{source} is not a SQLite database")
    before = dict(store._query(f"SELECT owner, gen FROM {GEN_TABLE}"))
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        with store._lock:
            src.backup(store._conn)
            after = dict(store._conn.execute(f"SELECT owner, gen FROM {GEN_TABLE}").fetchall())
            owners = {*before, *after}
            gens = [(o, max(int(before.get(o, 0)), int(after.get(o, 0))) + 1) for o in owners]
            store._conn.executemany(f"INSERT OR REPLACE INTO {GEN_TABLE}(owner, gen) VALUES (?, ?)", gens)
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"restore of {store.location} from {source} failed, nothing was changed: {exc}") from exc
    finally:
        src.close()
    for owner in owners:
        store._caches.forget(None if owner == "" else str(owner))
