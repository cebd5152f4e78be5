"""PostgresStore: upstream's PostgreSQL schema (``OM_PG_SCHEMA``/``OM_PG_TABLE``/``OM_VECTOR_TABLE``) plus ours.

Connections come from a ``psycopg_pool`` pool that checks each connection before lending it, so a server restart
costs the requests in flight at that moment (each fails with StoreUnavailable, its transaction rolled back by
the server) and nothing after. Every user action is one transaction; every value is bound; every identifier is
validated by Settings and quoted by psycopg. Owner scoping is ``user_id = %s``, or ``user_id IS NULL`` for the
system/default user (both indexable), except in waypoints, whose primary key makes user_id NOT NULL: there the
system user is stored as '' (see postgres_vectors.PG_SYSTEM_OWNER and docs/postgres.md).

Vector search is in ``postgres_vectors`` (pgvector or in-process matrices); lexical search uses PostgreSQL
full-text search over ``to_tsvector('english', content)`` with the GIN index of migration 2.0.0.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from openmemory.clock import Clock, now_ms
from openmemory.config import Settings
from openmemory.errors import SchemaOutdated
from openmemory.migrations.postgres import PgNames, migrate_postgres, plan_status_postgres
from openmemory.models import MemoryRecord, SectorVector, UserRecord, Waypoint
from openmemory.store import ann_threshold, postgres_maintenance, postgres_transfer, postgres_users
from openmemory.store.audit import Audit
from openmemory.store.base import MemoryFilter, StoredMemory, UserStats, check_owner
from openmemory.store.codec import Vector, encode_vector
from openmemory.store.filters import POSTGRES_FILTERS, filter_sql
from openmemory.store.postgres_connect import (
    build_conninfo,
    checkout,
    connect,
    describe,
    enable_pgvector,
    open_pool,
    unavailable,
)
from openmemory.store.postgres_rows import (
    as_uuids,
    waypoint_owner,
)
from openmemory.store.postgres_vectors import Cursor, PgVectors, owner_check, owner_clause, owner_key
from openmemory.store.records import (
    INSERT_COLUMNS,
    MEMORY_COLUMNS,
    insert_marks,
    memory_row,
    row_to_memory,
    update_assignments,
    update_values,
)
from openmemory.store.temporal_postgres import PostgresFactRunner
from openmemory.store.temporal_sql import SqlFactStore
from openmemory.store.timeline import around_sql, neighbour_offsets
from openmemory.store.vocabulary import Vocabulary

log = logging.getLogger("openmemory.store.postgres")

BATCH = 500


class PostgresStore:
    """Owner-scoped storage in one PostgreSQL schema."""

    def __init__(
        self, pool: ConnectionPool, names: PgNames, vectors: PgVectors, location: str, clock: Clock = now_ms
    ) -> None:
        self._pool = pool
        self._local = threading.local()
        self._clock = clock
        self._names = names
        self._vec = vectors
        self.location = location
        q = names.qualified
        self._m = q(names.memories)
        self._v = q(names.vectors)
        self._w = q("openmemory_waypoints")
        self._u = q("openmemory_users")
        self._s = q("stats")
        self._e = q("openmemory_embed_logs")
        self._meta = q("om_meta")
        self.facts = SqlFactStore(PostgresFactRunner(self._tx), q("temporal_facts"), q("temporal_edges"))

    @property
    def vector_mode(self) -> str:
        """``pgvector`` or ``bytea`` (see postgres_vectors)."""
        return self._vec.mode

    # -- opening ---------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock = now_ms) -> PostgresStore:
        """Connect, migrate (unless OM_AUTO_MIGRATE=false), pick the vector mode and open the pool.

        Raises StoreUnavailable (server unreachable, credentials refused, database missing without
        OM_PG_CREATE_DB), SchemaOutdated (pending migrations, auto-migrate off), MigrationError.
        """
        names = PgNames.from_settings(settings.pg_schema, settings.pg_table, settings.vector_table)
        conn_string = build_conninfo(settings)
        location = f"postgresql://{describe(conn_string)} schema {names.schema}"
        with connect(settings) as conn:
            try:
                pending = [s.version for s in plan_status_postgres(conn, names) if s.is_pending]
                if pending and not settings.auto_migrate:
                    raise SchemaOutdated(location, pending)
                if pending:
                    migrate_postgres(conn, names, say=lambda line: log.info("[MIGRATE] %s", line))
                extension = enable_pgvector(conn)
            except psycopg.OperationalError as exc:
                raise unavailable(conn_string, exc) from exc
        vectors = PgVectors(
            names,
            extension[1] if extension else None,
            exact_below=ann_threshold(settings),
            build_mem_cap_mb=settings.pg_index_build_memory_mb,
        )
        pool = open_pool(
            conn_string, extension[0] if extension else None, settings.pg_pool_max, settings.pg_pool_timeout_s
        )
        store = cls(pool, names, vectors, location, clock)
        try:
            store._prepare_vectors()
        except BaseException:
            pool.close()
            raise
        vectors.log_mode()
        return store

    def _prepare_vectors(self) -> None:
        with self._tx() as cur:
            self._vec.read_ann_dim(cur)
        dim = self.read_meta("embed_dim")
        if dim is not None and dim.isdigit() and self._vec.extension_version is not None:
            with self._conn() as conn:
                self._vec.ensure_ann(conn, int(dim))

    def close(self) -> None:
        self._pool.close()

    # -- plumbing ---------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        pinned: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if pinned is not None:
            yield pinned  # inside session(): its one connection and transaction
            return
        with self._checkout() as conn:
            yield conn

    def _checkout(self) -> contextlib.AbstractContextManager[psycopg.Connection[Any]]:
        return checkout(self._pool, self.location)

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Every store call of this thread inside the block shares one pooled connection and one transaction.

        A query makes about a dozen store calls (vector and lexical search, scores, waypoints, records); each
        used to check a connection out of the pool (a liveness round trip) and commit. Nested sessions join
        the outer one; an error rolls the whole block back.
        """
        if getattr(self._local, "conn", None) is not None:
            yield
            return
        with self._checkout() as conn:
            self._local.conn = conn
            self._vec.begin_session()
            try:
                yield
            finally:
                self._vec.end_session()
                self._local.conn = None

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Cursor]:
        """One transaction: committed when the block ends, rolled back when it raises (inside ``session``, part
        of the session's transaction)."""
        with self._conn() as conn, conn.cursor() as cur:
            yield cur

    def _rows(self, query: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._tx() as cur:
            cur.execute(query.encode(), args)
            return cur.fetchall()

    # -- meta -------------------------------------------------------------------------------------------------

    def read_meta(self, key: str) -> str | None:
        rows = self._rows(f"SELECT value FROM {self._meta} WHERE key = %s", (key,))
        return str(rows[0][0]) if rows else None

    def write_meta(self, key: str, value: str) -> None:
        """Record a store-level fact; ``embed_dim`` also (re)builds the pgvector table at that dimension."""
        self._rows(
            f"INSERT INTO {self._meta} (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value RETURNING key",
            (key, value),
        )
        if key == "embed_dim" and value.isdigit() and self._vec.extension_version is not None:
            with self._conn() as conn:
                self._vec.ensure_ann(conn, int(value))

    def vector_dims(self) -> dict[int, int]:
        """How many vector rows exist at each dimension (all users; used to spot legacy vectors)."""
        return {int(d): int(n) for d, n in self._rows(f"SELECT dim, count(*) FROM {self._v} GROUP BY dim")}

    # -- memories ---------------------------------------------------------------------------------------------

    def insert_memory(
        self,
        memory: MemoryRecord,
        vectors: Sequence[SectorVector],
        mean: Vector | None,
        waypoint: Waypoint | None,
        embed_model: str,
        *,
        user_id: str | None,
    ) -> None:
        check_owner(memory.user_id, user_id)
        if waypoint is not None:
            check_owner(waypoint.user_id, user_id)
        m = memory
        with self._tx() as cur:
            cur.execute(
                f"INSERT INTO {self._m} ({INSERT_COLUMNS}) VALUES ({insert_marks('%s')})".encode(),
                memory_row(m, mean),
            )
            self._write_vectors(cur, m, vectors)
            if waypoint is not None:
                self._write_waypoint(cur, waypoint, m.project_id)
            cur.execute(
                f"INSERT INTO {self._e} (id, model, status, ts, err) VALUES (%s, %s, 'completed', %s, NULL) "
                "ON CONFLICT (id) DO UPDATE SET model = excluded.model, status = excluded.status, ts = excluded.ts, "
                "err = NULL".encode(),
                (m.memory_id, embed_model, m.created_at_ms),
            )
            self._vec.write_mean(cur, m.memory_id, m.user_id, mean)
            gen = self._vec.bump(cur, m.user_id)
        self._vec.committed(m.user_id, gen, m.memory_id, mean, m.content, m.project_id)

    def _write_vectors(self, cur: Cursor, m: MemoryRecord, vectors: Sequence[SectorVector]) -> None:
        if not vectors:
            return
        cur.executemany(
            f"INSERT INTO {self._v} (id, sector, user_id, project_id, v, dim) VALUES (%s,%s,%s,%s,%s,%s) "
            "ON CONFLICT (id, sector) DO UPDATE SET user_id = excluded.user_id, project_id = excluded.project_id, "
            "v = excluded.v, dim = excluded.dim".encode(),
            [(m.memory_id, v.sector, m.user_id, m.project_id, encode_vector(v.vector), v.dim) for v in vectors],
        )

    def _write_waypoint(self, cur: Cursor, w: Waypoint, project_id: str | None) -> None:
        cur.execute(
            f"INSERT INTO {self._w} (src_id, dst_id, user_id, project_id, weight, created_at, updated_at) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (src_id, user_id) DO UPDATE SET dst_id = excluded.dst_id, "
            "project_id = excluded.project_id, weight = excluded.weight, created_at = excluded.created_at, "
            "updated_at = excluded.updated_at".encode(),
            (w.src_id, w.dst_id, owner_key(w.user_id), project_id, w.weight, w.created_at_ms, w.updated_at_ms),
        )

    def get_memory(self, memory_id: str, *, user_id: str | None) -> MemoryRecord | None:
        return self.get_memories([memory_id], user_id=user_id).get(memory_id)

    def get_memories(self, memory_ids: Sequence[str], *, user_id: str | None) -> dict[str, MemoryRecord]:
        ids = as_uuids(memory_ids)
        if not ids:
            return {}
        owner, args = owner_check("user_id", user_id)
        out: dict[str, MemoryRecord] = {}
        sectors: dict[str, list[str]] = {}
        with self._tx() as cur:
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                cur.execute(
                    f"SELECT {MEMORY_COLUMNS} FROM {self._m} WHERE id = ANY(%s::uuid[]) AND {owner}".encode(),
                    (chunk, *args),
                )
                for row in cur.fetchall():
                    out[str(row[0])] = row_to_memory(row)
                cur.execute(
                    f"SELECT id::text, sector FROM {self._v} WHERE id = ANY(%s::uuid[]) AND {owner}".encode(),
                    (chunk, *args),
                )
                for memory_id, sector in cur.fetchall():
                    sectors.setdefault(str(memory_id), []).append(str(sector))
        return {k: replace(v, sectors=tuple(sectors.get(k, (v.primary_sector,)))) for k, v in out.items()}

    def all_mem_by_user(
        self, *, user_id: str | None, limit: int, offset: int, where: MemoryFilter | None = None
    ) -> list[MemoryRecord]:
        """The user's memories, newest first, filtered before paging (upstream filtered after LIMIT)."""
        owner, args = owner_clause("user_id", user_id)
        extra, extra_args = filter_sql(where, POSTGRES_FILTERS)
        rows = self._rows(
            f"SELECT {MEMORY_COLUMNS} FROM {self._m} WHERE {owner}{extra} "
            "ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
            (*args, *extra_args, limit, offset),
        )
        return [row_to_memory(r) for r in rows]

    def count_memories(self, *, user_id: str | None, where: MemoryFilter | None = None) -> int:
        owner, args = owner_clause("user_id", user_id)
        extra, extra_args = filter_sql(where, POSTGRES_FILTERS)
        return int(self._rows(f"SELECT count(*) FROM {self._m} WHERE {owner}{extra}", (*args, *extra_args))[0][0])

    def find_by_simhash(self, simhash: str, *, user_id: str | None) -> MemoryRecord | None:
        owner, args = owner_clause("user_id", user_id)
        rows = self._rows(
            f"SELECT {MEMORY_COLUMNS} FROM {self._m} WHERE simhash = %s AND {owner} ORDER BY salience DESC LIMIT 1",
            (simhash, *args),
        )
        return row_to_memory(rows[0]) if rows else None

    def replace_memory(
        self, memory: MemoryRecord, vectors: Sequence[SectorVector] | None, mean: Vector | None, *, user_id: str | None
    ) -> None:
        check_owner(memory.user_id, user_id)
        m = memory
        if not as_uuids([m.memory_id]):
            return
        owner, args = owner_clause("user_id", m.user_id)
        with self._tx() as cur:
            cur.execute(
                f"UPDATE {self._m} SET {update_assignments('%s')} WHERE id=%s AND {owner}".encode(),
                (*update_values(m), m.memory_id, *args),
            )
            if cur.rowcount == 0:
                return
            if vectors is not None:
                cur.execute(f"DELETE FROM {self._v} WHERE id = %s AND {owner}".encode(), (m.memory_id, *args))
                self._write_vectors(cur, m, vectors)
            if mean is None:
                return
            cur.execute(
                f"UPDATE {self._m} SET mean_dim=%s, mean_vec=%s WHERE id=%s".encode(),
                (int(mean.shape[0]), encode_vector(mean), m.memory_id),
            )
            self._vec.write_mean(cur, m.memory_id, m.user_id, mean)
            gen = self._vec.bump(cur, m.user_id)
        self._vec.committed(m.user_id, gen, m.memory_id, mean, m.content, m.project_id)

    def touch_memory(self, memory_id: str, *, user_id: str | None, salience: float, last_seen_at_ms: int) -> bool:
        return self._touch([(memory_id, salience, last_seen_at_ms)], user_id, self._clock(), durable=True) > 0

    def touch_memories(self, updates: Sequence[tuple[str, float, int]], *, user_id: str | None) -> int:
        """Set salience and last-seen time of several of the user's memories in one transaction."""
        return self._touch(updates, user_id, None, durable=False)

    def _touch(
        self, updates: Sequence[tuple[str, float, int]], user_id: str | None, now_ms: int | None, *, durable: bool
    ) -> int:
        """``updated_at`` is ``now_ms``, or each memory's last-seen time when None."""
        valid = set(as_uuids([u[0] for u in updates]))
        rows = [(i, float(s), int(t)) for i, s, t in updates if i in valid]
        if not rows:
            return 0
        owner, args = owner_check("m.user_id", user_id)
        with self._tx() as cur:
            if not durable:
                # Query-time reinforcement is a nudge, not data: its commit does not wait for the WAL to reach
                # the disk (a crash may forget the last fraction of a second of nudges, never a memory).
                cur.execute("SELECT set_config('synchronous_commit', 'off', true)")
            cur.execute(
                f"UPDATE {self._m} AS m SET salience = u.s, last_seen_at = u.t, updated_at = COALESCE(%s::int8, u.t) "
                f"FROM unnest(%s::uuid[], %s::float8[], %s::int8[]) AS u(id, s, t) "
                f"WHERE m.id = u.id AND {owner}".encode(),
                (now_ms, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], *args),
            )
            return max(cur.rowcount, 0)

    def delete_memory(self, memory_id: str, *, user_id: str | None) -> bool:
        if not as_uuids([memory_id]):
            return False
        owner, args = owner_clause("user_id", user_id)
        with self._tx() as cur:
            cur.execute(f"DELETE FROM {self._m} WHERE id = %s AND {owner}".encode(), (memory_id, *args))
            deleted = cur.rowcount > 0
            cur.execute(f"DELETE FROM {self._v} WHERE id = %s AND {owner}".encode(), (memory_id, *args))
            cur.execute(
                f"DELETE FROM {self._w} WHERE (src_id = %s OR dst_id = %s) AND user_id = %s".encode(),
                (memory_id, memory_id, owner_key(user_id)),
            )
            cur.execute(
                f"DELETE FROM {self._e} WHERE id = %s AND NOT EXISTS (SELECT 1 FROM {self._m} WHERE id = %s)".encode(),
                (memory_id, memory_id),
            )
            gen = self._vec.bump(cur, user_id)
        self._vec.committed(user_id, gen, memory_id, None)
        return deleted

    def delete_user_memories(self, *, user_id: str | None) -> int:
        owner, args = owner_clause("user_id", user_id)
        with self._tx() as cur:
            cur.execute(
                f"DELETE FROM {self._e} WHERE id IN (SELECT id::text FROM {self._m} WHERE {owner})".encode(), args
            )
            cur.execute(f"DELETE FROM {self._m} WHERE {owner}".encode(), args)
            deleted = cur.rowcount
            cur.execute(f"DELETE FROM {self._v} WHERE {owner}".encode(), args)
            cur.execute(f"DELETE FROM {self._w} WHERE user_id = %s".encode(), (owner_key(user_id),))
            self._vec.bump(cur, user_id)
        self._vec.forget(user_id)
        return deleted

    def user_stats(self, *, user_id: str | None) -> UserStats:
        return postgres_users.user_stats(self, user_id)

    # -- search -----------------------------------------------------------------------------------------------

    def search_vectors(
        self, query: Vector, *, user_id: str | None, k: int, project_id: str | None = None
    ) -> list[tuple[str, float]]:
        """Top-k cosine matches among the user's memories (visible in ``project_id``, when given) whose mean
        vector has the query's dimension."""
        with self._tx() as cur:
            return self._vec.search(cur, query, user_id, k, project_id)

    def search_vectors_many(
        self, queries: Vector, *, user_id: str | None, k: int, project_id: str | None = None
    ) -> list[list[tuple[str, float]]]:
        """``search_vectors`` for each row of a (n, dim) matrix."""
        return [self.search_vectors(q, user_id=user_id, k=k, project_id=project_id) for q in queries]

    def vector_scores(self, query: Vector, memory_ids: Sequence[str], *, user_id: str | None) -> dict[str, float]:
        """Cosine of the query with each listed memory of the user that has a mean vector of its dimension."""
        ids = as_uuids(memory_ids)
        with self._tx() as cur:
            return self._vec.scores(cur, query, ids, user_id)

    def search_lexical(
        self,
        text: str | Sequence[str],
        *,
        user_id: str | None,
        k: int,
        project_id: str | None = None,
        expansion: Mapping[str, float] | None = None,
    ) -> list[tuple[str, float]]:
        """BM25 matches (higher is better) of ``text`` among the user's memories, with the user's own statistics.

        Served from an in-process per-user index, as on SQLite (PostgreSQL's ts_rank has no document
        frequencies, and computing to_tsvector per candidate cost ~15 ms a query); kept coherent with other
        processes by the same per-owner write counter as the vector cache.
        """
        query = text if isinstance(text, str) else " ".join(text)
        if k <= 0 or not query.strip():
            return []
        with self._tx() as cur:
            return self._vec.lexical(cur, query, user_id, k, project_id, expansion)

    def vocabulary(self, *, user_id: str | None) -> Vocabulary:
        """The words the user's memories hold (``store/vocabulary.py``), kept in step with their writes."""
        with self._tx() as cur:
            return self._vec.vocabulary(cur, user_id)

    # -- waypoints --------------------------------------------------------------------------------------------

    def memories_around(
        self, anchors: Sequence[tuple[str, int]], *, user_id: str | None, span: int
    ) -> list[tuple[str, str, int]]:
        """The owner's memories made just before and after each ``(memory_id, created_at_ms)`` anchor.

        Up to ``span`` on each side, as ``(anchor_id, memory_id, offset)``: offset -1 is the memory created just
        before the anchor, 1 the one just after (``store/timeline.py``).
        """
        valid = set(as_uuids([memory_id for memory_id, _ in anchors]))
        anchors = [(memory_id, created) for memory_id, created in anchors if memory_id in valid]
        if not anchors or span < 1:
            return []
        owner = owner_clause("user_id", user_id)
        sql, args = around_sql(anchors, span, table=self._m, mark="%s", owner=owner)
        return neighbour_offsets(self._rows(sql, args))

    def upsert_waypoint(self, waypoint: Waypoint, *, user_id: str | None) -> None:
        check_owner(waypoint.user_id, user_id)
        with self._tx() as cur:
            self._write_waypoint(cur, waypoint, None)

    def waypoints_from(self, memory_ids: Sequence[str], *, user_id: str | None) -> list[Waypoint]:
        if not memory_ids:
            return []
        rows = self._rows(
            f"SELECT src_id, dst_id, user_id, weight, created_at, updated_at FROM {self._w} "
            "WHERE src_id = ANY(%s) AND user_id = %s ORDER BY weight DESC",
            (list(memory_ids), owner_key(user_id)),
        )
        return [Waypoint(s, d, waypoint_owner(u), float(w), int(c or 0), int(up or 0)) for s, d, u, w, c, up in rows]

    # -- users and stats (store/postgres_users.py) -------------------------------------------------------------

    def ins_user(
        self, *, user_id: str, summary: str | None, reflection_count: int, created_at: int, updated_at: int
    ) -> None:
        """Insert a users row, or update its summary, count and updated_at when it exists."""
        postgres_users.ins_user(self, user_id, summary, reflection_count, created_at, updated_at)

    def get_user(self, *, user_id: str) -> UserRecord | None:
        return postgres_users.get_user(self, user_id)

    def upd_user_summary(self, *, user_id: str, summary: str, updated_at: int) -> None:
        """Set a user's summary (creating the row if needed) and count one more reflection."""
        postgres_users.upd_user_summary(self, user_id, summary, updated_at)

    def log_stat(self, kind: str, count: int = 1) -> None:
        postgres_users.log_stat(self, kind, count)

    # -- maintenance, crosses users on purpose (store/postgres_maintenance.py) ------------------------------------

    def maintenance_user_ids(self) -> list[str | None]:
        return postgres_maintenance.user_ids(self)

    def maintenance_iter_memories(self, batch: int = 1000) -> Iterator[list[MemoryRecord]]:
        return postgres_maintenance.iter_memories(self, batch)

    def maintenance_set_salience(self, updates: Sequence[tuple[str, float]], now_ms: int) -> int:
        return postgres_maintenance.set_salience(self, updates, now_ms)

    def maintenance_preload(self, dim: int, max_memories: int) -> list[tuple[str | None, int]]:
        """Load the in-process structures (lexicons; matrices in bytea mode) of the most recently active owners,
        up to ``max_memories`` memories in all."""
        return postgres_maintenance.preload(self, dim, max_memories)

    def maintenance_prune_waypoints(self, threshold: float) -> int:
        return postgres_maintenance.prune_waypoints(self, threshold)

    def _bulk_load(self) -> contextlib.AbstractContextManager[Cursor]:
        """One transaction for ``postgres_copy`` (this class's bulk loader, not part of the Store protocol)."""
        return postgres_maintenance.bulk_load(self)

    def maintenance_bulk_insert(self, items: Sequence[tuple[MemoryRecord, Vector]], embed_model: str) -> int:
        """Insert many new memories (one vector each, its mean) with COPY in one transaction.

        For benchmarks and imports: no waypoints, and the pgvector table is not touched (per-row HNSW inserts
        are slow); call ``maintenance_reindex`` after the last batch to rebuild it in one pass.
        """
        return postgres_maintenance.bulk_insert(self, items, embed_model)

    def maintenance_wait_for_indexes(self, timeout_s: float) -> bool:
        """Nothing builds in the background here: pgvector's index is built by ``maintenance_reindex``."""
        return True

    def maintenance_reindex(self) -> None:
        """Rebuild the pgvector table (and its HNSW index) from the stored mean vectors at the recorded dimension."""
        postgres_maintenance.reindex(self)

    def maintenance_stats(self, since_ms: int) -> list[tuple[str, int, int]]:
        return postgres_maintenance.stats(self, since_ms)

    # -- export, import, backup (store/postgres_transfer.py) ----------------------------------------------------

    def memory_ids(self, *, user_id: str | None) -> list[str]:
        """Every memory id of the user, sorted."""
        return postgres_transfer.memory_ids(self, user_id)

    def get_vectors(
        self, memory_ids: Sequence[str], *, user_id: str | None
    ) -> dict[str, tuple[list[SectorVector], Vector | None]]:
        """The sector vectors and mean vector of each listed memory of the user."""
        return postgres_transfer.get_vectors(self, memory_ids, user_id)

    def restore_memories(self, items: Sequence[StoredMemory], *, user_id: str | None, embed_model: str) -> list[str]:
        """Insert the user's memories whose ids are free, as given (ids, times, vectors, waypoints); returns
        the ids inserted. Never overwrites: a taken id is left out."""
        return postgres_transfer.restore_memories(self, items, user_id, embed_model)

    def maintenance_users(self) -> list[UserRecord]:
        return postgres_transfer.users(self)

    def maintenance_snapshot(self) -> contextlib.AbstractContextManager[None]:
        """Reads of this thread inside the block see one consistent state (one REPEATABLE READ transaction)."""
        return postgres_transfer.snapshot(self)

    def maintenance_transaction(self) -> contextlib.AbstractContextManager[None]:
        """Writes of this thread inside the block commit together, or not at all."""
        return self.session()

    def maintenance_is_empty(self) -> bool:
        return postgres_transfer.is_empty(self)

    def maintenance_wipe(self) -> None:
        postgres_transfer.wipe(self)

    def maintenance_audit(self) -> Audit:
        """Invalid indexes, schema versions and half-written rows of the schema (``store/audit.py``)."""
        return postgres_maintenance.audit(self)
