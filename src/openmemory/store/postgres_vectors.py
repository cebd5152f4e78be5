"""Mean-vector search on PostgreSQL: pgvector ANN when the extension is there, else per-user in-process matrices.

Two modes, chosen once at start-up and logged:

* ``pgvector``: each memory's mean vector is also kept in ``om_mean_vectors(memory_id, user_id, v vector(N))``
  with an HNSW cosine index, N being the embedder dimension the service records (``embed_dim``). The table is
  created, or rebuilt from ``memories.mean_vec`` when that dimension changes (``opm reembed``), by ``ensure_ann``.
  A search is filtered by owner; pgvector >= 0.8 iterative scans (``hnsw.iterative_scan = relaxed_order``) keep
  the HNSW walk going until ``k`` rows of that owner are found, so the filter costs no recall. For a small owner
  the planner prefers the ``user_id`` index and an exact sort, which is exact by construction (measured in
  docs/postgres.md).
* ``bytea``: no extension (or no right to create it). Mean vectors stay float32 bytea in ``memories.mean_vec``, as
  upstream stores them, and search is the same exact per-user matrix product as on SQLite (``vector_index``).

In both modes a query whose dimension is not N (vectors from upstream's embedder, before ``opm reembed``) uses the
in-process matrices. ``om_vector_gen`` holds a per-owner counter bumped in the same transaction as every write
that changes a mean vector; a process reloads its copy of a user's matrix when the counter moved.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import psycopg
from pgvector import Vector as PgVector
from pgvector.psycopg.vector import register_vector_info
from psycopg.types import TypeInfo

from openmemory.migrations.postgres import PgNames
from openmemory.models import SYSTEM_GLOBAL
from openmemory.store.codec import Vector, decode_vector
from openmemory.store.lexical_index import LexicalIndex, UserLexicon
from openmemory.store.vector_index import OwnerVectors, UserMatrix, VectorIndex
from openmemory.store.vocabulary import Vocabulary

log = logging.getLogger("openmemory.store.postgres")

ANN_TABLE = "om_mean_vectors"
BUILD_TABLE = "om_mean_vectors_build"  # a rebuild fills and indexes this, then renames it
HNSW_MAX_DIM = 2000  # pgvector's limit for an HNSW index on `vector`
EF_SEARCH_MIN = 40  # pgvector's default
EF_SEARCH_MAX = 1000  # pgvector's maximum
# The HNSW build's memory: a graph that fits builds many times faster (pgvector warns when it does not). Per row
# pgvector holds the vector (4 bytes a dimension) and its neighbour lists (~0.5 kB with the default m = 16).
BUILD_MEM_MIN_MB = 1024
BUILD_BYTES_PER_ROW = 600
COPY_CHUNK = 20_000  # mean vectors read and copied into the build table per round trip
# Owners below this many memories are sorted exactly (OM_ANN_MIN_MEMORIES's default on PostgreSQL): in a table
# shared by many owners, pgvector's iterative HNSW scan reads other owners' rows first and gives up after
# hnsw.max_scan_tuples (20,000) of them, so a small owner's search through the graph is slow and can come back short.
EXACT_BELOW = 20_000

Cursor = psycopg.Cursor[tuple[Any, ...]]

# The system/default user's key where a user_id column cannot be NULL (the waypoints primary key, om_vector_gen).
# Migration 1.2.0 wrote the same value into existing waypoints; validate.user_id never accepts an empty id, so it
# cannot collide with a real user.
PG_SYSTEM_OWNER = ""


def vector_param(vector: Vector) -> PgVector:
    """A float32 vector as a query parameter, sent in pgvector's binary form (the pool's connections register
    the dumper; every statement casts the parameter with ``::vector``)."""
    return PgVector(np.asarray(vector, dtype=np.float32))


def owner_key(user_id: str | None) -> str:
    """The key of an owner in tables whose user_id cannot be NULL (``om_vector_gen``, waypoints)."""
    return PG_SYSTEM_OWNER if user_id is None else user_id


def owner_clause(column: str, user_id: str | None) -> tuple[str, tuple[Any, ...]]:
    """An indexable owner predicate: ``col IS NULL`` for the system user, ``col = %s`` otherwise."""
    if user_id is None:
        return f"{column} IS NULL", ()
    return f"{column} = %s", (user_id,)


def owner_check(column: str, user_id: str | None) -> tuple[str, tuple[Any, ...]]:
    """An owner predicate the planner does not turn into an index scan, for reads by primary key: there the
    owner is only a check, and ANDing the owner's index into the plan (which it otherwise does) costs a scan
    of all the owner's index entries, growing with the owner."""
    return f"{column} IS NOT DISTINCT FROM %s", (user_id,)


class PgVectors:
    """The vector side of one PostgresStore (see the module docstring for the two modes)."""

    def __init__(
        self,
        names: PgNames,
        extension_version: tuple[int, ...] | None,
        *,
        exact_below: int = EXACT_BELOW,
        build_mem_cap_mb: int = 4096,
    ) -> None:
        self._names = names
        self._memories = names.qualified(names.memories)
        self._ann = names.qualified(ANN_TABLE)
        self._gen = names.qualified("om_vector_gen")
        self.extension_version = extension_version
        self.ann_dim: int | None = None
        self._index = VectorIndex()
        self._lexicons = LexicalIndex()
        self._seen_gen: dict[str | None, int] = {}
        self._lock = threading.Lock()
        self._exact_below = exact_below  # owners with fewer mean vectors are searched exactly, not through HNSW
        self._build_mem_cap_mb = build_mem_cap_mb
        self._sizes: dict[str | None, tuple[int, int]] = {}  # owner -> (counter, mean vectors) when not in a lexicon
        self._session = threading.local()  # .gens: the owners' counters read in this thread's store session

    @property
    def mode(self) -> str:
        return "pgvector" if self.extension_version is not None else "bytea"

    @property
    def has_iterative_scan(self) -> bool:
        return self.extension_version is not None and self.extension_version >= (0, 8)

    def log_mode(self) -> None:
        if self.extension_version is None:
            log.info("[DB] Vector mode: bytea (no pgvector extension; exact per-user search in process)")
            return
        version = ".".join(map(str, self.extension_version))
        log.info("[DB] Vector mode: pgvector %s (HNSW cosine, iterative scans: %s)", version, self.has_iterative_scan)

    # -- the pgvector table -------------------------------------------------------------------------------------

    def read_ann_dim(self, cur: Cursor) -> int | None:
        """The dimension of ``om_mean_vectors.v`` (None when the table does not exist or in bytea mode)."""
        if self.extension_version is None:
            return None
        cur.execute(
            "SELECT a.atttypmod FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) AND a.attname = 'v'",
            (self._ann,),
        )
        row = cur.fetchone()
        self.ann_dim = int(row[0]) if row and row[0] and int(row[0]) > 0 else None
        return self.ann_dim

    def ensure_ann(self, conn: psycopg.Connection[tuple[Any, ...]], dim: int, *, rebuild: bool = False) -> None:
        """Create ``om_mean_vectors`` at ``dim`` (rebuilding it when it has another, or when asked), filled
        from memories.mean_vec, without blocking searches meanwhile.

        The new table and its indexes are built under another name while the old table keeps serving; writes
        that land during the build are caught up per owner (their ``om_vector_gen`` moved) in a short final
        transaction that holds off writers, then the new table takes the old one's name. A session advisory
        lock keeps two processes from building at once.
        """
        if self.extension_version is None:
            return
        lock_key = f"openmemory-ann:{self._names.schema}"
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (lock_key,))
        conn.commit()  # the lock is the session's; each step below is its own transaction
        try:
            with conn.transaction(), conn.cursor() as cur:
                if self.read_ann_dim(cur) == dim and not rebuild:
                    return
            started = self._build(conn, dim)
            count = self._swap(conn, dim, started)
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (lock_key,))
            conn.commit()
        log.info("[DB] pgvector table %s ready at %d dimensions (%d vectors)", ANN_TABLE, dim, count)

    def _build(self, conn: psycopg.Connection[tuple[Any, ...]], dim: int) -> dict[str, int]:
        """Fill and index the build table from one snapshot; the owners' counters as of that snapshot."""
        build = self._names.qualified(BUILD_TABLE)
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute(f"SELECT owner, gen FROM {self._gen}".encode())
            started = {str(o): int(g) for o, g in cur.fetchall()}
            cur.execute(f"DROP TABLE IF EXISTS {build}".encode())
            cur.execute(
                f"CREATE TABLE {build} (memory_id UUID PRIMARY KEY REFERENCES {self._memories}(id) "
                f"ON DELETE CASCADE, user_id TEXT, v vector({int(dim)}) NOT NULL)".encode()
            )
            self._binary_vectors(cur)
            rows = self._copy_means(cur, build, dim, None)
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(f"CREATE INDEX {BUILD_TABLE}_user_idx ON {build} (user_id)".encode())
            if dim <= HNSW_MAX_DIM:
                # SET LOCAL lasts only for this transaction; pgvector takes memory as the graph grows, up to this.
                memory = f"{self._build_mem_mb(rows, dim)}MB"
                cur.execute("SELECT set_config('maintenance_work_mem', %s, true)", (memory,))
                cur.execute(f"CREATE INDEX {BUILD_TABLE}_hnsw_idx ON {build} USING hnsw (v vector_cosine_ops)".encode())
            else:
                log.warning("[DB] %d-dimensional vectors are above pgvector's HNSW limit; search is exact", dim)
        return started

    def _build_mem_mb(self, rows: int, dim: int) -> int:
        """maintenance_work_mem for an HNSW build of ``rows`` vectors: enough for the graph to fit (estimated),
        at least 1 GB, at most OM_PG_INDEX_BUILD_MEMORY_MB."""
        need = rows * (4 * dim + BUILD_BYTES_PER_ROW) * 5 // 4 // 2**20
        return max(min(BUILD_MEM_MIN_MB, self._build_mem_cap_mb), min(need, self._build_mem_cap_mb))

    def _swap(self, conn: psycopg.Connection[tuple[Any, ...]], dim: int, started: dict[str, int]) -> int:
        """Catch up the owners written during the build, then put the build table in the live one's place."""
        build = self._names.qualified(BUILD_TABLE)
        with conn.transaction(), conn.cursor() as cur:
            # These modes let searches (reads) through but hold off every write, taken in the writers' own order
            # (memories, the live table, the counters) so neither side waits on the other. Only the final DROP
            # (its foreign key) briefly excludes readers of the memories table.
            cur.execute(f"LOCK TABLE {self._memories} IN SHARE ROW EXCLUSIVE MODE".encode())
            cur.execute("SELECT to_regclass(%s)", (self._ann,))
            live = cur.fetchone()
            if live is not None and live[0] is not None:
                cur.execute(f"LOCK TABLE {self._ann} IN EXCLUSIVE MODE".encode())
            cur.execute(f"LOCK TABLE {self._gen} IN EXCLUSIVE MODE".encode())
            cur.execute(f"SELECT owner, gen FROM {self._gen}".encode())
            moved = [o for o, g in cur.fetchall() if started.get(str(o)) != int(g)]
            if moved:
                self._binary_vectors(cur)
            for owner in moved:
                user_id = None if owner == PG_SYSTEM_OWNER else str(owner)
                clause, args = owner_clause("user_id", user_id)
                cur.execute(f"DELETE FROM {build} WHERE {clause}".encode(), args)
                self._copy_means(cur, build, dim, (user_id,))
            cur.execute(f"DROP TABLE IF EXISTS {self._ann}".encode())
            cur.execute(f"ALTER TABLE {build} RENAME TO {ANN_TABLE}".encode())
            for suffix in ("user_idx", "hnsw_idx", "pkey"):
                old = self._names.qualified(f"{BUILD_TABLE}_{suffix}")
                cur.execute(f"ALTER INDEX IF EXISTS {old} RENAME TO {ANN_TABLE}_{suffix}".encode())
            cur.execute(f"SELECT count(*) FROM {self._ann}".encode())
            row = cur.fetchone()
            self.ann_dim = dim
        return int(row[0]) if row else 0

    @staticmethod
    def _binary_vectors(cur: Cursor) -> None:
        """Teach this cursor (only) pgvector's binary form, which a binary COPY needs the type's oid for."""
        info = TypeInfo.fetch(cur.connection, "vector")
        if info is None:
            raise psycopg.ProgrammingError("the vector type of pgvector is not on the search_path")
        register_vector_info(cast(Any, cur), info)

    def _copy_means(self, cur: Cursor, table: str, dim: int, owner: tuple[str | None] | None) -> int:
        """COPY the mean vectors at ``dim`` (of one owner, or everyone's) from memories into ``table``; how many.

        Read in chunks in id order and copied in pgvector's binary form, so a million rows neither sit in this
        process at once nor go through a text form of every float; ``cur`` went through ``_binary_vectors``.
        """
        where, args = "", cast(tuple[Any, ...], ())
        if owner is not None:
            clause, args = owner_clause("user_id", owner[0])
            where = f" AND {clause}"
        copied, after = 0, None
        while True:
            page, page_args = ("", ()) if after is None else (" AND id > %s", (after,))
            cur.execute(
                f"SELECT id, user_id, mean_vec FROM {self._memories} WHERE mean_dim = %s AND mean_vec IS NOT NULL"
                f"{where}{page} ORDER BY id LIMIT %s".encode(),
                (dim, *args, *page_args, COPY_CHUNK),
            )
            rows = cur.fetchall()
            if not rows:
                return copied
            with cur.copy(f"COPY {table} (memory_id, user_id, v) FROM STDIN WITH (FORMAT BINARY)".encode()) as copy:
                copy.set_types(["uuid", "text", "vector"])
                for memory_id, user_id, blob in rows:
                    copy.write_row((memory_id, user_id, PgVector(decode_vector(bytes(blob)))))
            copied += len(rows)
            after = rows[-1][0]

    # -- keeping in step with writes -------------------------------------------------------------------------

    def write_mean(self, cur: Cursor, memory_id: str, user_id: str | None, mean: Vector | None) -> None:
        """Record a memory's new mean vector (None: it has none) inside the caller's transaction."""
        if self.ann_dim is not None:
            if mean is not None and int(mean.shape[0]) == self.ann_dim:
                cur.execute(
                    f"INSERT INTO {self._ann} (memory_id, user_id, v) VALUES (%s, %s, %s::vector) "
                    f"ON CONFLICT (memory_id) DO UPDATE SET v = excluded.v, user_id = excluded.user_id".encode(),
                    (memory_id, user_id, vector_param(mean)),
                )
            else:
                cur.execute(f"DELETE FROM {self._ann} WHERE memory_id = %s".encode(), (memory_id,))

    def bump(self, cur: Cursor, user_id: str | None) -> int:
        """Count one more vector-changing write of ``user_id`` in the caller's transaction; the new count."""
        cur.execute(
            f"INSERT INTO {self._gen} (owner, gen) VALUES (%s, 1) "
            f"ON CONFLICT (owner) DO UPDATE SET gen = {self._gen}.gen + 1 RETURNING gen".encode(),
            (owner_key(user_id),),
        )
        row = cur.fetchone()
        gen = int(row[0]) if row else 0
        memo: dict[str | None, int] | None = getattr(self._session, "gens", None)
        if memo is not None:
            memo.pop(user_id, None)  # written in this session: read it again
        return gen

    def committed(
        self,
        user_id: str | None,
        gen: int,
        memory_id: str,
        mean: Vector | None,
        content: str | None = None,
        project_id: str | None = None,
    ) -> None:
        """After commit: update the cached matrix and lexicon in place if they were current, else forget them.

        ``content`` is the memory's (new) text; with neither ``mean`` nor ``content`` the memory was deleted.
        """
        with self._lock:
            if self._seen_gen.get(user_id) == gen - 1:
                self._seen_gen[user_id] = gen
                self._index.remove(user_id, memory_id)
                if mean is not None:
                    self._index.put(user_id, memory_id, mean, project_id)
                if content is not None:
                    self._lexicons.put(user_id, memory_id, content, project_id)
                elif mean is None:
                    self._lexicons.remove(user_id, memory_id)
            else:
                self._forget(user_id)

    def forget(self, user_id: str | None) -> None:
        with self._lock:
            self._forget(user_id)

    def _forget(self, user_id: str | None) -> None:
        self._seen_gen.pop(user_id, None)
        self._sizes.pop(user_id, None)
        self._index.drop_user(user_id)
        self._lexicons.drop_user(user_id)

    # -- search --------------------------------------------------------------------------------------------------

    def search(
        self, cur: Cursor, query: Vector, user_id: str | None, k: int, project_id: str | None = None
    ) -> list[tuple[str, float]]:
        """The owner's ``k`` nearest mean vectors. An owner below OM_ANN_MIN_MEMORIES is ranked exactly (its rows
        by the user_id index, then a top-k sort: ~1 ms for a thousand rows however large the table); a larger one
        through the HNSW index, whose iterative scan walks on until ``k`` of the owner's rows are found. Through
        the index a small owner among many would cost a walk over most of the graph, and pgvector stops an
        iterative scan after hnsw.max_scan_tuples (20,000) rows, so it could come back short."""
        dim = int(query.shape[0])
        if k <= 0:
            return []
        if self.ann_dim != dim:
            return self._matrix(cur, user_id, dim).search(query, k, project_id)
        exact = self.owner_size(cur, user_id) < self._exact_below
        if not exact:
            ef = str(max(EF_SEARCH_MIN, min(EF_SEARCH_MAX, k)))
            if self.has_iterative_scan:
                cur.execute(
                    "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                    "set_config('hnsw.ef_search', %s, true)",
                    (ef,),
                )
            else:
                cur.execute("SELECT set_config('hnsw.ef_search', %s, true)", (ef,))
        owner, args = owner_clause("a.user_id", user_id)
        scope, scope_args = "", cast(tuple[str, ...], ())
        if project_id is not None:
            # the project is the memory's: join its row (an iterative scan keeps walking until k rows pass)
            scope = (
                f" AND EXISTS (SELECT 1 FROM {self._memories} m WHERE m.id = a.memory_id "
                "AND (m.project_id IS NULL OR m.project_id IN (%s, %s)))"
            )
            scope_args = (SYSTEM_GLOBAL, project_id)
        # `+ 0` hides the distance from the HNSW index: the planner takes the user_id index and sorts
        distance = "(a.v <=> %s::vector) + 0" if exact else "a.v <=> %s::vector"
        cur.execute(
            f"SELECT a.memory_id::text, {distance} AS d FROM {self._ann} a WHERE {owner}{scope} "
            "ORDER BY d LIMIT %s".encode(),
            (vector_param(query), *args, *scope_args, k),
        )
        # relaxed_order may return rows slightly out of order: sort them here
        hits = [(str(m), 1.0 - float(d)) for m, d in cur.fetchall() if d is not None and not math.isnan(float(d))]
        return sorted(hits, key=lambda h: -h[1])

    def owner_size(self, cur: Cursor, user_id: str | None) -> int:
        """How many memories the owner has, counted up to OM_ANN_MIN_MEMORIES (all the search needs to know):
        their lexicon's size when it is loaded, else counted once per write counter value; the cap keeps that
        count cheap for an owner of millions whose every add searches for neighbours."""
        gen = self._current_gen(cur, user_id)
        lexicon = self._lexicons.get(user_id)
        if lexicon is not None:
            return len(lexicon)
        known = self._sizes.get(user_id)
        if known is not None and known[0] == gen:
            return known[1]
        owner, args = owner_clause("user_id", user_id)
        cur.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {self._ann} WHERE {owner} LIMIT %s) AS owned".encode(),
            (*args, self._exact_below),
        )
        row = cur.fetchone()
        size = int(row[0]) if row else 0
        with self._lock:
            self._sizes[user_id] = (gen, size)
        return size

    def scores(self, cur: Cursor, query: Vector, memory_ids: Sequence[str], user_id: str | None) -> dict[str, float]:
        dim = int(query.shape[0])
        if not memory_ids:
            return {}
        if self.ann_dim != dim:
            return self._matrix(cur, user_id, dim).scores_for(query, list(memory_ids))
        owner, args = owner_check("user_id", user_id)
        cur.execute(
            f"SELECT memory_id::text, v <=> %s::vector FROM {self._ann} "
            f"WHERE memory_id = ANY(%s::uuid[]) AND {owner}".encode(),
            (vector_param(query), list(memory_ids), *args),
        )
        return {str(m): 1.0 - float(d) for m, d in cur.fetchall() if d is not None and not math.isnan(float(d))}

    def lexical(
        self,
        cur: Cursor,
        text: str,
        user_id: str | None,
        k: int,
        project_id: str | None = None,
        expansion: Mapping[str, float] | None = None,
    ) -> list[tuple[str, float]]:
        """BM25 top-k over the user's memories, from a per-user in-process index (as on SQLite), so the
        statistics are the user's own and the ranking matches the SQLite backend's."""
        private = self._ensure_lexicon(cur, user_id)
        if private is not None:
            return private.search(text, k, project_id, expansion)
        return self._lexicons.search(user_id, text, k, project_id, expansion)

    def vocabulary(self, cur: Cursor, user_id: str | None) -> Vocabulary:
        """The words of the user's lexicon, loading it when missing."""
        private = self._ensure_lexicon(cur, user_id)
        if private is not None:
            return private.vocabulary
        return self._lexicons.vocabulary(user_id) or Vocabulary()

    def preload(self, cur: Cursor, user_id: str | None, dim: int) -> None:
        """Load the owner's in-process structures now (server start-up): the lexicon, and the matrix when
        searches at ``dim`` are answered in process."""
        self._ensure_lexicon(cur, user_id)
        if self.ann_dim != dim:
            self._matrix(cur, user_id, dim)

    def _ensure_lexicon(self, cur: Cursor, user_id: str | None) -> UserLexicon | None:
        """Load the owner's lexicon when missing; a private copy when a newer counter was seen meanwhile."""
        gen = self._current_gen(cur, user_id)
        if self._lexicons.get(user_id) is not None:
            return None
        owner, args = owner_clause("user_id", user_id)
        cur.execute(f"SELECT id::text, content, project_id FROM {self._memories} WHERE {owner}".encode(), args)
        lexicon = UserLexicon()
        for memory_id, content, row_project in cur.fetchall():
            lexicon.put(str(memory_id), content, row_project)
        with self._lock:
            if self._seen_gen.get(user_id) != gen:
                return lexicon  # a newer counter was seen meanwhile: use this copy once
            self._lexicons.install(user_id, lexicon)
        return None

    def _current_gen(self, cur: Cursor, user_id: str | None) -> int:
        """The owner's write counter; forgets their cached structures when another writer moved it. Inside a
        store session it is read once (a query's vector search, BM25 and vocabulary all ask)."""
        memo: dict[str | None, int] | None = getattr(self._session, "gens", None)
        if memo is not None and user_id in memo:
            return memo[user_id]
        cur.execute(f"SELECT gen FROM {self._gen} WHERE owner = %s".encode(), (owner_key(user_id),))
        row = cur.fetchone()
        gen = int(row[0]) if row else 0
        with self._lock:
            if self._seen_gen.get(user_id) != gen:
                self._forget(user_id)
                self._seen_gen[user_id] = gen
        if memo is not None:
            memo[user_id] = gen
        return gen

    def begin_session(self) -> None:
        """This thread's store calls share one transaction until ``end_session``: read counters once."""
        self._session.gens = {}

    def end_session(self) -> None:
        self._session.gens = None

    def _matrix(self, cur: Cursor, user_id: str | None, dim: int) -> OwnerVectors:
        gen = self._current_gen(cur, user_id)
        with self._lock:
            matrix = self._index.get(user_id, dim)
        if matrix is not None:
            return matrix
        owner, args = owner_clause("user_id", user_id)
        cur.execute(
            f"SELECT id::text, mean_vec, project_id FROM {self._memories} "
            f"WHERE {owner} AND mean_dim = %s AND mean_vec IS NOT NULL".encode(),
            (*args, dim),
        )
        matrix = UserMatrix(dim)
        for memory_id, blob, project_id in cur.fetchall():
            vector = decode_vector(bytes(blob))
            if vector.shape[0] == dim:
                matrix.put(str(memory_id), vector, project_id)
        with self._lock:
            if self._seen_gen.get(user_id) != gen:
                return matrix  # another thread saw a newer counter meanwhile: use this copy once, do not keep it
            return self._index.install(user_id, dim, matrix)
