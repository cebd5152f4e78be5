"""SQLiteStore's maintenance reads and writes, the ones that cross users on purpose (``Memory.maintenance``).

Kept apart from ``sqlite.py`` because they serve one job: decay, pruning, preloading, benchmarks and bulk
imports over the whole file, where every other method of the store is scoped to one owner.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from openmemory.models import MemoryRecord
from openmemory.store.codec import Vector
from openmemory.store.owner_cache import BUMP_SQL, owner_key
from openmemory.store.records import INSERT_COLUMNS, MEMORY_COLUMNS, insert_marks, memory_row, row_to_memory

if TYPE_CHECKING:
    from openmemory.store.sqlite import SQLiteStore


def user_ids(store: SQLiteStore) -> list[str | None]:
    return [r[0] for r in store._query("SELECT DISTINCT user_id FROM memories")]


def iter_memories(store: SQLiteStore, batch: int) -> Iterator[list[MemoryRecord]]:
    last = ""
    while True:
        rows = store._query(f"SELECT {MEMORY_COLUMNS} FROM memories WHERE id > ? ORDER BY id LIMIT ?", (last, batch))
        if not rows:
            return
        last = rows[-1][0]
        yield [row_to_memory(r) for r in rows]


def set_salience(store: SQLiteStore, updates: Sequence[tuple[str, float]], now_ms: int) -> int:
    if not updates:
        return 0
    counts = store._write(
        [
            ("UPDATE memories SET salience = ?, updated_at = ? WHERE id = ?", (s, now_ms, memory_id))
            for memory_id, s in updates
        ]
    )
    return sum(counts)


def bulk_insert(store: SQLiteStore, items: Sequence[tuple[MemoryRecord, Vector]], embed_model: str) -> int:
    rows = [memory_row(m, v) for m, v in items]
    conn = store._conn
    with store._lock:
        with store._writing():
            conn.executemany(
                f"INSERT INTO memories ({INSERT_COLUMNS}) VALUES ({insert_marks('?')})",
                rows,
            )
            conn.executemany(
                f"INSERT INTO {store._vt}(id, sector, user_id, project_id, v, dim) VALUES (?,?,?,?,?,?)",
                [(r[0], r[6], r[1], r[2], r[17], r[16]) for r in rows],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO embed_logs(id, model, status, ts, err) VALUES (?, ?, 'completed', ?, NULL)",
                [(r[0], embed_model, r[9]) for r in rows],
            )
        for owner in {m.user_id for m, _ in items}:
            conn.execute(BUMP_SQL, (owner_key(owner),)).fetchone()
            store._caches.forget(owner)
    return len(rows)


def preload(store: SQLiteStore, dim: int, max_memories: int) -> list[tuple[str | None, int]]:
    rows = store._query(
        "SELECT user_id, count(*) FROM memories GROUP BY user_id ORDER BY max(last_seen_at) DESC, user_id"
    )
    owners: list[tuple[str | None, int]] = []
    loaded = 0
    for user_id, count in rows:
        if loaded + int(count) > max_memories:
            continue
        store._caches.preload(store._reader(), user_id, dim)
        owners.append((user_id, int(count)))
        loaded += int(count)
    return owners


def prune_waypoints(store: SQLiteStore, threshold: float) -> int:
    (n,) = store._write([("DELETE FROM waypoints WHERE weight < ? AND src_id <> dst_id", (threshold,))])
    return n


def stats(store: SQLiteStore, since_ms: int) -> list[tuple[str, int, int]]:
    rows = store._query("SELECT type, count, ts FROM stats WHERE ts >= ? ORDER BY ts", (since_ms,))
    return [(str(t), int(c or 0), int(ts)) for t, c, ts in rows]
