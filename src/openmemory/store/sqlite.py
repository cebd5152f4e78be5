"""SQLiteStore: the embedded default, one file, upstream's v1.2 schema plus our additions (migrations/v2_0_0).

One writer connection under a lock (SQLite allows one writer at a time anyway) and one read-only connection per
thread, so reads never wait for each other; WAL mode lets them read while a write is in progress, here or in
another process. Vector search uses the per-user matrices of ``vector_index``; lexical
search uses the per-user BM25 index of ``lexical_index`` (statistics from the owner's memories only).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from openmemory.clock import Clock, now_ms
from openmemory.errors import SchemaOutdated, StoreError, StoreUnavailable
from openmemory.migrations.schema import inspect_sqlite
from openmemory.migrations.sqlite import plan_status_sqlite, resolve_vector_table
from openmemory.migrations.sqlite_file import (
    check_database_file,
    connect,
    locked_error,
    migrate_connection,
)
from openmemory.models import MemoryRecord, SectorVector, UserRecord, Waypoint
from openmemory.store import sqlite_maintenance, sqlite_transfer, sqlite_users
from openmemory.store.audit import Audit, audit_sqlite_file
from openmemory.store.base import MemoryFilter, StoredMemory, UserStats, check_owner
from openmemory.store.codec import Vector, encode_vector
from openmemory.store.filters import SQLITE_FILTERS, filter_sql
from openmemory.store.lexical_index import LexicalIndex
from openmemory.store.owner_cache import ANN_MIN_MEMORIES, BUMP_SQL, OwnerCaches, owner_key
from openmemory.store.records import (
    INSERT_COLUMNS,
    MEMORY_COLUMNS,
    insert_marks,
    memory_row,
    row_to_memory,
    update_assignments,
    update_values,
)
from openmemory.store.sqlite_tx import translate, write_transaction
from openmemory.store.temporal_sql import SqlFactStore
from openmemory.store.temporal_sqlite import SQLiteFactRunner
from openmemory.store.timeline import around_sql, neighbour_offsets
from openmemory.store.vector_index import VectorIndex
from openmemory.store.vocabulary import Vocabulary

# In reads by id, ``+user_id`` keeps the planner on the primary key: the owner test is a filter, and the
# user_id index (which would scan the owner's every row) is not used for them.


class SQLiteStore:
    """Owner-scoped storage in one SQLite file."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        vector_table: str,
        busy_timeout_ms: int,
        ann_min_memories: int = ANN_MIN_MEMORIES,
        clock: Clock = now_ms,
    ) -> None:
        self._conn = conn  # the writer
        self._clock = clock
        self._path = path
        self._vt = vector_table
        self._busy_ms = busy_timeout_ms
        self._lock = threading.RLock()  # serialises writes on the writer connection
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        # approximate indexes of large owners persist beside the file, as its -wal and -shm do
        self._caches = OwnerCaches(self._reader, path.with_name(path.name + "-ann"), ann_min_memories)
        self.location = str(path)
        self.facts = SqlFactStore(
            SQLiteFactRunner(conn, self._lock, self._query, self._wrap), "temporal_facts", "temporal_edges"
        )

    # -- opening ---------------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        busy_timeout_ms: int = 5000,
        vector_table: str | None = None,
        auto_migrate: bool = True,
        say: Any = None,
        ann_min_memories: int = ANN_MIN_MEMORIES,
        clock: Clock = now_ms,
    ) -> SQLiteStore:
        """Open (creating when missing) a database file, migrating it first unless ``auto_migrate`` is off.

        Raises StoreUnavailable for a file that is not SQLite, read-only or locked, and SchemaOutdated when
        migrations are pending and automatic migration is off.
        """
        db_path = Path(path)
        check_database_file(db_path, must_exist=False, needs_write=True)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(db_path, busy_timeout_ms=busy_timeout_ms)
        try:
            status = plan_status_sqlite(conn, vector_table)
            pending = [s.version for s in status if s.is_pending]
            if pending and not auto_migrate:
                raise SchemaOutdated(str(db_path), pending)
            if pending:
                migrate_connection(
                    conn,
                    db_path,
                    busy_timeout_ms=busy_timeout_ms,
                    vector_table=vector_table,
                    make_backup=True,
                    say=say or (lambda _: None),
                )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            table = resolve_vector_table(inspect_sqlite(conn), vector_table)
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise locked_error(db_path, busy_timeout_ms) from exc
            raise StoreUnavailable(f"cannot open database {db_path}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        return cls(conn, db_path, table, busy_timeout_ms, ann_min_memories, clock)

    def close(self) -> None:
        self._caches.close()
        with self._readers_lock:
            for reader in self._readers:
                with contextlib.suppress(sqlite3.Error):
                    reader.close()
            self._readers.clear()
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA optimize")
            self._conn.close()

    def session(self) -> contextlib.AbstractContextManager[None]:
        """Nothing to group on SQLite: each thread already has its own read connection."""
        return contextlib.nullcontext()

    # -- plumbing ---------------------------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        """This thread's read-only connection (opened on first use)."""
        reader: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = sqlite3.connect(
                self._path, timeout=self._busy_ms / 1000, isolation_level=None, check_same_thread=False
            )
            reader.execute(f"PRAGMA busy_timeout = {int(self._busy_ms)}")
            reader.execute("PRAGMA query_only = ON")
            self._local.reader = reader
            with self._readers_lock:
                self._readers.append(reader)
        return reader

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._reader().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._wrap(exc) from exc

    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        """Run statements in one IMMEDIATE transaction; return each statement's rowcount."""
        counts, _ = self._write_owned(statements, None, bump=False)
        return counts

    def _write_owned(
        self, statements: Sequence[tuple[str, Sequence[Any]]], user_id: str | None, *, bump: bool = True
    ) -> tuple[list[int], int]:
        """Like ``_write``; with ``bump``, also moves the owner's generation (their vectors or content changed)
        in the same transaction and returns the new generation."""
        with write_transaction(self._conn, self._lock, self._wrap) as conn:
            counts = [conn.execute(sql, args).rowcount for sql, args in statements]
            gen = int(conn.execute(BUMP_SQL, (owner_key(user_id),)).fetchone()[0]) if bump else 0
        return counts, gen

    def _writing(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """The writer connection inside one IMMEDIATE transaction (store/sqlite_tx.py)."""
        return write_transaction(self._conn, self._lock, self._wrap)

    def _wrap(self, exc: sqlite3.Error) -> StoreError:
        return translate(exc, self._path, self._busy_ms)

    # -- meta -------------------------------------------------------------------------------------------------

    def read_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM om_meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def write_meta(self, key: str, value: str) -> None:
        self._write([("INSERT OR REPLACE INTO om_meta(key, value) VALUES (?, ?)", (key, value))])

    def vector_dims(self) -> dict[int, int]:
        """How many vector rows exist at each dimension (all users; used to spot legacy vectors)."""
        rows = self._query(f"SELECT dim, count(*) FROM {self._vt} GROUP BY dim")
        return {int(d): int(n) for d, n in rows}

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
        statements: list[tuple[str, Sequence[Any]]] = [
            (
                f"INSERT INTO memories ({INSERT_COLUMNS}) VALUES ({insert_marks('?')})",
                memory_row(m, mean),
            ),
        ]
        statements += self._vector_rows(m, vectors)
        if waypoint is not None:
            statements += self._waypoint_rows(waypoint, m.project_id)
        statements.append(
            (
                "INSERT OR REPLACE INTO embed_logs(id, model, status, ts, err) VALUES (?, ?, 'completed', ?, NULL)",
                (m.memory_id, embed_model, m.created_at_ms),
            ),
        )
        _, gen = self._write_owned(statements, m.user_id)
        self._caches.committed(m.user_id, gen, _upsert(m, mean))

    def _vector_rows(self, m: MemoryRecord, vectors: Sequence[SectorVector]) -> list[tuple[str, Sequence[Any]]]:
        return [
            (
                f"INSERT OR REPLACE INTO {self._vt}(id, sector, user_id, project_id, v, dim) VALUES (?,?,?,?,?,?)",
                (m.memory_id, v.sector, m.user_id, m.project_id, encode_vector(v.vector), v.dim),
            )
            for v in vectors
        ]

    @staticmethod
    def _waypoint_rows(w: Waypoint, project_id: str | None) -> list[tuple[str, Sequence[Any]]]:
        # NULL user_id rows are not unique in SQLite's (src_id, user_id) key, so replace by hand.
        return [
            ("DELETE FROM waypoints WHERE src_id = ? AND +user_id IS ?", (w.src_id, w.user_id)),
            (
                "INSERT INTO waypoints(src_id, dst_id, user_id, project_id, weight, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?)",
                (w.src_id, w.dst_id, w.user_id, project_id, w.weight, w.created_at_ms, w.updated_at_ms),
            ),
        ]

    def get_memory(self, memory_id: str, *, user_id: str | None) -> MemoryRecord | None:
        found = self.get_memories([memory_id], user_id=user_id)
        return found.get(memory_id)

    def get_memories(self, memory_ids: Sequence[str], *, user_id: str | None) -> dict[str, MemoryRecord]:
        out: dict[str, MemoryRecord] = {}
        ids = list(dict.fromkeys(memory_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            # A memory's sectors: those of its vector rows, read from their (id, sector) key alone. The rows are
            # keyed by the memory's id, and the memory is the owner's; checking each vector row's own user_id too
            # read every 1.6 kB vector row: 0.4 of the 0.7 ms that loading a query's 30 memories took at 100k.
            rows = self._query(
                f"SELECT {MEMORY_COLUMNS}, (SELECT group_concat(v.sector) FROM {self._vt} v WHERE v.id = memories.id) "
                f"FROM memories WHERE id IN ({marks}) AND +user_id IS ?",
                (*chunk, user_id),
            )
            for row in rows:
                sectors = tuple(row[-1].split(",")) if row[-1] else (row[6],)  # row[6] = primary_sector
                out[row[0]] = row_to_memory(row[:-1], sectors)
        return out

    def all_mem_by_user(
        self, *, user_id: str | None, limit: int, offset: int, where: MemoryFilter | None = None
    ) -> list[MemoryRecord]:
        """The user's memories, newest first, filtered before paging (upstream filtered after LIMIT)."""
        extra, args = filter_sql(where, SQLITE_FILTERS)
        rows = self._query(
            f"SELECT {MEMORY_COLUMNS} FROM memories WHERE user_id IS ?{extra} "
            "ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            (user_id, *args, limit, offset),
        )
        return [row_to_memory(r) for r in rows]

    def count_memories(self, *, user_id: str | None, where: MemoryFilter | None = None) -> int:
        extra, args = filter_sql(where, SQLITE_FILTERS)
        rows = self._query(f"SELECT count(*) FROM memories WHERE user_id IS ?{extra}", (user_id, *args))
        return int(rows[0][0])

    def find_by_simhash(self, simhash: str, *, user_id: str | None) -> MemoryRecord | None:
        rows = self._query(
            f"SELECT {MEMORY_COLUMNS} FROM memories WHERE simhash = ? AND +user_id IS ? ORDER BY salience DESC LIMIT 1",
            (simhash, user_id),
        )
        return row_to_memory(rows[0]) if rows else None

    def replace_memory(
        self, memory: MemoryRecord, vectors: Sequence[SectorVector] | None, mean: Vector | None, *, user_id: str | None
    ) -> None:
        check_owner(memory.user_id, user_id)
        m = memory
        statements: list[tuple[str, Sequence[Any]]] = [
            (
                f"UPDATE memories SET {update_assignments('?')} WHERE id=? AND +user_id IS ?",
                (*update_values(m), m.memory_id, m.user_id),
            ),
        ]
        if vectors is not None:
            statements.append((f"DELETE FROM {self._vt} WHERE id = ? AND +user_id IS ?", (m.memory_id, m.user_id)))
            statements += self._vector_rows(m, vectors)
        if mean is not None:
            statements.append(
                (
                    "UPDATE memories SET mean_dim=?, mean_vec=? WHERE id=? AND +user_id IS ?",
                    (int(mean.shape[0]), encode_vector(mean), m.memory_id, m.user_id),
                ),
            )
        if mean is None and vectors is None:
            self._write(statements)  # content and vectors unchanged: nothing cached moves
            return
        _, gen = self._write_owned(statements, m.user_id)
        self._caches.committed(m.user_id, gen, _upsert(m, mean))

    def touch_memory(self, memory_id: str, *, user_id: str | None, salience: float, last_seen_at_ms: int) -> bool:
        (n,) = self._write(
            [
                (
                    "UPDATE memories SET salience=?, last_seen_at=?, updated_at=? WHERE id=? AND +user_id IS ?",
                    (salience, last_seen_at_ms, self._clock(), memory_id, user_id),
                )
            ]
        )
        return n > 0

    def touch_memories(self, updates: Sequence[tuple[str, float, int]], *, user_id: str | None) -> int:
        """Set salience and last-seen time of several of the user's memories in one transaction."""
        if not updates:
            return 0
        rows = [(salience, seen_ms, seen_ms, memory_id, user_id) for memory_id, salience, seen_ms in updates]
        with write_transaction(self._conn, self._lock, self._wrap) as conn:  # one prepared statement for all
            cursor = conn.executemany(
                "UPDATE memories SET salience=?, last_seen_at=?, updated_at=? WHERE id=? AND +user_id IS ?", rows
            )
            return int(cursor.rowcount)

    def delete_memory(self, memory_id: str, *, user_id: str | None) -> bool:
        counts, gen = self._write_owned(
            [
                ("DELETE FROM memories WHERE id = ? AND +user_id IS ?", (memory_id, user_id)),
                (f"DELETE FROM {self._vt} WHERE id = ? AND +user_id IS ?", (memory_id, user_id)),
                (
                    "DELETE FROM waypoints WHERE (src_id = ? OR dst_id = ?) AND +user_id IS ?",
                    (memory_id, memory_id, user_id),
                ),
                (
                    "DELETE FROM embed_logs WHERE id = ? AND NOT EXISTS (SELECT 1 FROM memories WHERE id = ?)",
                    (memory_id, memory_id),
                ),
            ],
            user_id,
        )
        self._caches.committed(user_id, gen, _remove(user_id, memory_id))
        return counts[0] > 0

    def delete_user_memories(self, *, user_id: str | None) -> int:
        counts, _ = self._write_owned(
            [
                ("DELETE FROM embed_logs WHERE id IN (SELECT id FROM memories WHERE user_id IS ?)", (user_id,)),
                ("DELETE FROM memories WHERE user_id IS ?", (user_id,)),
                (f"DELETE FROM {self._vt} WHERE user_id IS ?", (user_id,)),
                ("DELETE FROM waypoints WHERE user_id IS ?", (user_id,)),
            ],
            user_id,
        )
        self._caches.forget(user_id)
        return counts[1]

    def user_stats(self, *, user_id: str | None) -> UserStats:
        return sqlite_users.user_stats(self, user_id)

    # -- search -----------------------------------------------------------------------------------------------

    def search_vectors(
        self, query: Vector, *, user_id: str | None, k: int, project_id: str | None = None
    ) -> list[tuple[str, float]]:
        """Top-k cosine matches among the user's memories (visible in ``project_id``, when given) whose mean
        vector has the query's dimension."""
        return self._caches.search_vectors(self._reader(), user_id, query, k, project_id)

    def search_vectors_many(
        self, queries: Vector, *, user_id: str | None, k: int, project_id: str | None = None
    ) -> list[list[tuple[str, float]]]:
        """``search_vectors`` for each row of a (n, dim) matrix, in one pass over the user's vectors."""
        return self._caches.search_vectors_many(self._reader(), user_id, queries, k, project_id)

    def vector_scores(self, query: Vector, memory_ids: Sequence[str], *, user_id: str | None) -> dict[str, float]:
        """Cosine of the query with each listed memory of the user that has a mean vector of its dimension."""
        return self._caches.vector_scores(self._reader(), user_id, query, list(memory_ids))

    def search_lexical(
        self,
        text: str,
        *,
        user_id: str | None,
        k: int,
        project_id: str | None = None,
        expansion: Mapping[str, float] | None = None,
    ) -> list[tuple[str, float]]:
        """BM25 matches (higher is better) of ``text`` among the user's memories (visible in ``project_id``, when
        given), with the user's own statistics; ``expansion`` adds weighted terms (stems)."""
        return self._caches.search_lexical(self._reader(), user_id, text, k, project_id, expansion)

    def vocabulary(self, *, user_id: str | None) -> Vocabulary:
        """The words the user's memories hold (``store/vocabulary.py``), kept in step with their writes."""
        return self._caches.vocabulary(self._reader(), user_id)

    def memories_around(
        self, anchors: Sequence[tuple[str, int]], *, user_id: str | None, span: int
    ) -> list[tuple[str, str, int]]:
        """The owner's memories made just before and after each ``(memory_id, created_at_ms)`` anchor.

        Up to ``span`` on each side, as ``(anchor_id, memory_id, offset)``: offset -1 is the memory created just
        before the anchor, 1 the one just after (``store/timeline.py``).
        """
        if not anchors or span < 1:
            return []
        sql, args = around_sql(anchors, span, table="memories", mark="?", owner=("user_id IS ?", (user_id,)))
        return neighbour_offsets(self._query(sql, args))

    # -- waypoints --------------------------------------------------------------------------------------------

    def upsert_waypoint(self, waypoint: Waypoint, *, user_id: str | None) -> None:
        check_owner(waypoint.user_id, user_id)
        self._write(self._waypoint_rows(waypoint, None))

    def waypoints_from(self, memory_ids: Sequence[str], *, user_id: str | None) -> list[Waypoint]:
        if not memory_ids:
            return []
        marks = ",".join("?" * len(memory_ids))
        rows = self._query(
            f"SELECT src_id, dst_id, user_id, weight, created_at, updated_at FROM waypoints "
            f"WHERE src_id IN ({marks}) AND +user_id IS ? ORDER BY weight DESC",
            (*memory_ids, user_id),
        )
        return [Waypoint(s, d, u, float(w), int(c or 0), int(up or 0)) for s, d, u, w, c, up in rows]

    # -- users and stats (store/sqlite_users.py) ---------------------------------------------------------------

    def ins_user(
        self, *, user_id: str, summary: str | None, reflection_count: int, created_at: int, updated_at: int
    ) -> None:
        """Insert a users row, or update its summary, count and updated_at when it exists."""
        sqlite_users.ins_user(self, user_id, summary, reflection_count, created_at, updated_at)

    def get_user(self, *, user_id: str) -> UserRecord | None:
        return sqlite_users.get_user(self, user_id)

    def upd_user_summary(self, *, user_id: str, summary: str, updated_at: int) -> None:
        """Set a user's summary (creating the row if needed) and count one more reflection."""
        sqlite_users.upd_user_summary(self, user_id, summary, updated_at)

    def log_stat(self, kind: str, count: int = 1) -> None:
        sqlite_users.log_stat(self, kind, count)

    # -- maintenance, crosses users on purpose (store/sqlite_maintenance.py) --------------------------------------

    def maintenance_user_ids(self) -> list[str | None]:
        return sqlite_maintenance.user_ids(self)

    def maintenance_iter_memories(self, batch: int = 1000) -> Iterator[list[MemoryRecord]]:
        return sqlite_maintenance.iter_memories(self, batch)

    def maintenance_set_salience(self, updates: Sequence[tuple[str, float]], now_ms: int) -> int:
        return sqlite_maintenance.set_salience(self, updates, now_ms)

    def maintenance_bulk_insert(self, items: Sequence[tuple[MemoryRecord, Vector]], embed_model: str) -> int:
        """Insert many new memories (one vector each, its mean) in one transaction; for benchmarks and imports.

        No waypoints are made; the owners' cached indexes are dropped and reload on their next query.
        """
        return sqlite_maintenance.bulk_insert(self, items, embed_model)

    def maintenance_reindex(self) -> None:
        """Rebuild derived search structures after a bulk insert (nothing to do: SQLite's load lazily)."""

    def maintenance_preload(self, dim: int, max_memories: int) -> list[tuple[str | None, int]]:
        """Load the search structures of the most recently active owners, up to ``max_memories`` in all."""
        return sqlite_maintenance.preload(self, dim, max_memories)

    def maintenance_wait_for_indexes(self, timeout_s: float) -> bool:
        """Wait for the background build of large owners' approximate indexes (``store/ann_builds.py``)."""
        return self._caches.builds.wait_idle(timeout_s)

    def maintenance_prune_waypoints(self, threshold: float) -> int:
        return sqlite_maintenance.prune_waypoints(self, threshold)

    def maintenance_stats(self, since_ms: int) -> list[tuple[str, int, int]]:
        return sqlite_maintenance.stats(self, since_ms)

    # -- export, import, backup (store/sqlite_transfer.py) ------------------------------------------------------

    def memory_ids(self, *, user_id: str | None) -> list[str]:
        """Every memory id of the user, sorted."""
        return sqlite_transfer.memory_ids(self, user_id)

    def get_vectors(
        self, memory_ids: Sequence[str], *, user_id: str | None
    ) -> dict[str, tuple[list[SectorVector], Vector | None]]:
        """The sector vectors and mean vector of each listed memory of the user."""
        return sqlite_transfer.get_vectors(self, memory_ids, user_id)

    def restore_memories(self, items: Sequence[StoredMemory], *, user_id: str | None, embed_model: str) -> list[str]:
        """Insert the user's memories whose ids are free, as given (ids, times, vectors, waypoints); returns
        the ids inserted. Never overwrites: a taken id is left out."""
        return sqlite_transfer.restore_memories(self, items, user_id, embed_model)

    def maintenance_users(self) -> list[UserRecord]:
        return sqlite_transfer.users(self)

    def maintenance_snapshot(self) -> contextlib.AbstractContextManager[None]:
        """Reads of this thread inside the block see one consistent state of the database."""
        return sqlite_transfer.snapshot(self)

    def maintenance_is_empty(self) -> bool:
        return sqlite_transfer.is_empty(self)

    def maintenance_wipe(self) -> None:
        sqlite_transfer.wipe(self)

    def maintenance_backup(self, target: Path) -> None:
        sqlite_transfer.backup_to(self, target)

    def maintenance_restore(self, source: Path) -> None:
        sqlite_transfer.restore_from(self, source)

    def maintenance_audit(self) -> Audit:
        """SQLite's integrity check, schema versions and half-written rows of the file (``store/audit.py``)."""
        return audit_sqlite_file(self._path)


def _upsert(m: MemoryRecord, mean: Vector | None) -> Callable[[VectorIndex, LexicalIndex], None]:
    """The in-place cache update for a stored or rewritten memory."""

    def apply(vectors: VectorIndex, lexicons: LexicalIndex) -> None:
        vectors.remove(m.user_id, m.memory_id)
        if mean is not None:
            vectors.put(m.user_id, m.memory_id, mean, m.project_id, m.updated_at_ms)
        lexicons.put(m.user_id, m.memory_id, m.content, m.project_id)

    return apply


def _remove(user_id: str | None, memory_id: str) -> Callable[[VectorIndex, LexicalIndex], None]:
    def apply(vectors: VectorIndex, lexicons: LexicalIndex) -> None:
        vectors.remove(user_id, memory_id)
        lexicons.remove(user_id, memory_id)

    return apply
