"""PostgresStore's users rows and statistics: per-user summaries, the per-user stats read and the stats log.

Kept apart from ``postgres.py`` because they serve one job, the bookkeeping about users beside their memories.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openmemory.models import UserRecord
from openmemory.store.base import UserStats
from openmemory.store.postgres_vectors import owner_clause, owner_key

if TYPE_CHECKING:
    from openmemory.store.postgres import PostgresStore


def user_stats(store: PostgresStore, user_id: str | None) -> UserStats:
    owner, args = owner_clause("user_id", user_id)
    with store._tx() as cur:
        cur.execute(
            f"SELECT primary_sector, count(*), avg(salience), max(created_at) FROM {store._m} "
            f"WHERE {owner} GROUP BY primary_sector".encode(),
            args,
        )
        rows = cur.fetchall()
        cur.execute(f"SELECT count(*) FROM {store._w} WHERE user_id = %s".encode(), (owner_key(user_id),))
        n_way = cur.fetchone()
    per_sector = {str(s): int(n) for s, n, _, _ in rows}
    total = sum(per_sector.values())
    avg = sum(float(a or 0) * int(n) for _, n, a, _ in rows) / total if total else 0.0
    last = max((int(t) for *_, t in rows if t is not None), default=None)
    return UserStats(total, per_sector, avg, int(n_way[0]) if n_way else 0, last)


def ins_user(
    store: PostgresStore, user_id: str, summary: str | None, reflection_count: int, created_at: int, updated_at: int
) -> None:
    store._rows(
        f"INSERT INTO {store._u} (user_id, summary, reflection_count, created_at, updated_at) "
        "VALUES (%s,%s,%s,%s,%s) ON CONFLICT (user_id) DO UPDATE SET summary = excluded.summary, "
        "reflection_count = excluded.reflection_count, updated_at = excluded.updated_at RETURNING user_id",
        (user_id, summary, reflection_count, created_at, updated_at),
    )


def get_user(store: PostgresStore, user_id: str) -> UserRecord | None:
    rows = store._rows(
        f"SELECT user_id, summary, reflection_count, created_at, updated_at FROM {store._u} WHERE user_id = %s",
        (user_id,),
    )
    if not rows:
        return None
    u, s, r, c, up = rows[0]
    return UserRecord(u, s, int(r or 0), int(c or 0), int(up or 0))


def upd_user_summary(store: PostgresStore, user_id: str, summary: str, updated_at: int) -> None:
    store._rows(
        f"INSERT INTO {store._u} AS u (user_id, summary, reflection_count, created_at, updated_at) "
        "VALUES (%s,%s,1,%s,%s) ON CONFLICT (user_id) DO UPDATE SET summary = excluded.summary, "
        "reflection_count = coalesce(u.reflection_count, 0) + 1, updated_at = excluded.updated_at "
        "RETURNING user_id",
        (user_id, summary, updated_at, updated_at),
    )


def log_stat(store: PostgresStore, kind: str, count: int) -> None:
    store._rows(
        f"INSERT INTO {store._s} (type, count, ts) VALUES (%s, %s, %s) RETURNING id", (kind, count, store._clock())
    )
