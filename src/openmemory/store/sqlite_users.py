"""SQLiteStore's users rows and statistics: per-user summaries, the per-user stats read and the stats log.

Kept apart from ``sqlite.py`` because they serve one job, the bookkeeping about users beside their memories.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openmemory.models import UserRecord
from openmemory.store.base import UserStats

if TYPE_CHECKING:
    from openmemory.store.sqlite import SQLiteStore


def user_stats(store: SQLiteStore, user_id: str | None) -> UserStats:
    rows = store._query(
        "SELECT primary_sector, count(*), avg(salience), max(created_at) FROM memories "
        "WHERE user_id IS ? GROUP BY primary_sector",
        (user_id,),
    )
    per_sector = {str(s): int(n) for s, n, _, _ in rows}
    total = sum(per_sector.values())
    avg = sum(float(a or 0) * int(n) for _, n, a, _ in rows) / total if total else 0.0
    last = max((int(t) for *_, t in rows if t is not None), default=None)
    (n_way,) = store._query("SELECT count(*) FROM waypoints WHERE user_id IS ?", (user_id,))[0]
    return UserStats(total, per_sector, avg, int(n_way), last)


def ins_user(
    store: SQLiteStore, user_id: str, summary: str | None, reflection_count: int, created_at: int, updated_at: int
) -> None:
    store._write(
        [
            (
                "INSERT INTO users(user_id, summary, reflection_count, created_at, updated_at) VALUES (?,?,?,?,?) "
                "ON CONFLICT(user_id) DO UPDATE SET summary=excluded.summary, "
                "reflection_count=excluded.reflection_count, updated_at=excluded.updated_at",
                (user_id, summary, reflection_count, created_at, updated_at),
            )
        ]
    )


def get_user(store: SQLiteStore, user_id: str) -> UserRecord | None:
    rows = store._query(
        "SELECT user_id, summary, reflection_count, created_at, updated_at FROM users WHERE user_id = ?",
        (user_id,),
    )
    if not rows:
        return None
    u, s, r, c, up = rows[0]
    return UserRecord(u, s, int(r or 0), int(c or 0), int(up or 0))


def upd_user_summary(store: SQLiteStore, user_id: str, summary: str, updated_at: int) -> None:
    store._write(
        [
            (
                "INSERT INTO users(user_id, summary, reflection_count, created_at, updated_at) VALUES (?,?,1,?,?) "
                "ON CONFLICT(user_id) DO UPDATE SET summary=excluded.summary, "
                "reflection_count=coalesce(users.reflection_count, 0) + 1, updated_at=excluded.updated_at",
                (user_id, summary, updated_at, updated_at),
            )
        ]
    )


def log_stat(store: SQLiteStore, kind: str, count: int) -> None:
    store._write([("INSERT INTO stats(type, count, ts) VALUES (?, ?, ?)", (kind, count, store._clock()))])
