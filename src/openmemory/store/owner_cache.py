"""The per-user search structures of one SQLite store process, kept coherent with the database.

Vector matrices and BM25 lexicons are built from a user's rows on first use and updated in place by this
process's own writes. Other processes (a second ``opm serve`` worker, a CLI command) may write the same file, so
every write that changes a user's vectors or content also bumps that user's generation in ``om_gen``; a read
compares it with the generation its structures were built at and rebuilds them when another writer moved it.
Salience and last-seen updates do not bump it, so query-time reinforcement never invalidates a cache. The check
is repeated at most every 50 ms per user, so another process's write reaches searches within that time.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from openmemory.store.ann_builds import AnnBuilds
from openmemory.store.ann_index import OwnerAnn, index_path
from openmemory.store.base import VECTOR_EPOCH_KEY
from openmemory.store.codec import Vector
from openmemory.store.lexical_index import LexicalIndex, UserLexicon
from openmemory.store.vector_index import OwnerVectors, UserMatrix, VectorIndex
from openmemory.store.vocabulary import Vocabulary

log = logging.getLogger("openmemory.store")

GEN_TABLE = "om_gen"
# Owners with at least this many vectors at a dimension get an approximate index (OM_ANN_MIN_MEMORIES's default on
# SQLite): where an int8 graph's walk (with float32 re-scoring) costs less CPU than the exact scan, at recall@10
# 0.9997 (docs/benchmarks.md, "int8 graph": 10,000 rows 0.20 against 0.72 ms, 5,000 rows 0.15 against 0.17 ms).
ANN_MIN_MEMORIES = 5_000
# How long a generation check stays good: another process's write shows up in searches within this time.
RECHECK_S = 0.05
# A loaded index this many rows behind the database is caught up on the query that loads it; further behind,
# the exact matrix serves and the background build catches it up.
SYNC_CATCH_UP = 5_000
CATCH_UP_CHUNK = 10_000  # rows read and added to the graph at once (measured: 500-row pieces cost 1.5x the CPU)
LOAD_CHUNK = 10_000  # rows read at a time when loading an exact matrix
SWAP_TRIES = 50  # a built index is swapped in when no write is half-applied; after this many tries, at next load
Hit = tuple[str, float]


def owner_key(user_id: str | None) -> str:
    """The ``om_gen`` key of an owner: the system user (None) is '' (validation never accepts '' as an id)."""
    return "" if user_id is None else user_id


BUMP_SQL = (
    f"INSERT INTO {GEN_TABLE}(owner, gen) VALUES (?, 1) "
    f"ON CONFLICT(owner) DO UPDATE SET gen = {GEN_TABLE}.gen + 1 RETURNING gen"
)


class OwnerCaches:
    """Vector matrices and lexicons per user, each tagged with the generation it reflects."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        ann_dir: Path | None = None,
        ann_min_memories: int = ANN_MIN_MEMORIES,
    ) -> None:
        """``connect`` gives the calling thread's read connection (the background build has its own)."""
        self._lock = threading.Lock()
        self._connect = connect
        self._ann_dir = ann_dir
        self._ann_min = max(1, ann_min_memories)
        self._stale: dict[tuple[str | None, int], OwnerAnn] = {}  # set aside, to be caught up by stamps
        self.builds = AnnBuilds(self._build)
        self._vectors = VectorIndex()
        self._lexicons = LexicalIndex()
        self._seen: dict[str | None, int] = {}
        self._checked: dict[str | None, float] = {}

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()
            self._lexicons.clear()
            self._seen.clear()
            self._checked.clear()

    def search_vectors(
        self, conn: sqlite3.Connection, user_id: str | None, query: Vector, k: int, project_id: str | None = None
    ) -> list[Hit]:
        private = self._ensure_matrix(conn, user_id, int(query.shape[0]))
        if private is not None:
            return private.search(query, k, project_id)
        return self._vectors.search(user_id, query, k, project_id) or []

    def search_vectors_many(
        self, conn: sqlite3.Connection, user_id: str | None, queries: Vector, k: int, project_id: str | None = None
    ) -> list[list[Hit]]:
        private = self._ensure_matrix(conn, user_id, int(queries.shape[1]))
        if private is not None:
            return private.search_many(queries, k, project_id)
        return self._vectors.search_many(user_id, queries, k, project_id)

    def vector_scores(
        self, conn: sqlite3.Connection, user_id: str | None, query: Vector, memory_ids: list[str]
    ) -> dict[str, float]:
        private = self._ensure_matrix(conn, user_id, int(query.shape[0]))
        if private is not None:
            return private.scores_for(query, memory_ids)
        return self._vectors.scores_for(user_id, query, memory_ids)

    def search_lexical(
        self,
        conn: sqlite3.Connection,
        user_id: str | None,
        text: str,
        k: int,
        project_id: str | None = None,
        expansion: Mapping[str, float] | None = None,
    ) -> list[Hit]:
        private = self._ensure_lexicon(conn, user_id)
        if private is not None:
            return private.search(text, k, project_id, expansion)
        return self._lexicons.search(user_id, text, k, project_id, expansion)

    def vocabulary(self, conn: sqlite3.Connection, user_id: str | None) -> Vocabulary:
        private = self._ensure_lexicon(conn, user_id)
        if private is not None:
            return private.vocabulary
        return self._lexicons.vocabulary(user_id) or Vocabulary()  # dropped by a write meanwhile: nothing yet

    def preload(self, conn: sqlite3.Connection, user_id: str | None, dim: int) -> None:
        """Load the owner's vector and lexical structures now (server start-up) instead of on first use."""
        self._ensure_matrix(conn, user_id, dim)
        self._ensure_lexicon(conn, user_id)

    def _ensure_lexicon(self, conn: sqlite3.Connection, user_id: str | None) -> UserLexicon | None:
        """As ``_ensure_matrix``, for the owner's BM25 lexicon."""
        self._current(conn, user_id)
        if self._lexicons.get(user_id) is not None:
            return None
        snap_gen, lexicon = self._load_lexicon(conn, user_id)
        with self._lock:
            if not self._adopt(user_id, snap_gen):
                return lexicon  # loaded while a writer moved on: use it once, uncached
            self._lexicons.install(user_id, lexicon)
        return None

    def _ensure_matrix(self, conn: sqlite3.Connection, user_id: str | None, dim: int) -> OwnerVectors | None:
        """Make the user's cached matrix at ``dim`` current; returns a private, uncached matrix instead in the
        rare case that a writer moved on while it was loading (the next read rebuilds the cache).

        An exact matrix that grew past the approximate-index threshold is reloaded as an approximate index."""
        self._current(conn, user_id)
        cached = self._vectors.get(user_id, dim)
        if cached is not None:
            if isinstance(cached, UserMatrix) and len(cached) >= self._ann_min:
                self.builds.request(user_id, dim)  # grew past the threshold: serves exactly until built
            return None
        snap_gen, matrix = self._load_matrix(conn, user_id, dim)
        with self._lock:
            if self._adopt(user_id, snap_gen):
                self._vectors.install(user_id, dim, matrix)
                return None
        return matrix

    def committed(self, user_id: str | None, new_gen: int, apply: Callable[[VectorIndex, LexicalIndex], None]) -> None:
        """After our own write moved the user to ``new_gen``: update the structures in place if they were
        current, else forget them (they rebuild on the next read)."""
        with self._lock:
            if self._seen.get(user_id) == new_gen - 1:
                apply(self._vectors, self._lexicons)
                self._seen[user_id] = new_gen
            else:
                self._drop(user_id)

    def forget(self, user_id: str | None) -> None:
        with self._lock:
            self._drop(user_id)

    # -- internals ----------------------------------------------------------------------------------------------

    def _current(self, conn: sqlite3.Connection, user_id: str | None) -> int | None:
        now = time.monotonic()
        if now - self._checked.get(user_id, -1.0) < RECHECK_S:
            return None  # checked a moment ago (one query asks several times)
        gen = _read_gen(conn, user_id)
        self._checked[user_id] = now
        with self._lock:
            seen = self._seen.get(user_id)
            if seen is not None and seen != gen:
                self._drop(user_id)
        return gen

    def _adopt(self, user_id: str | None, snap_gen: int) -> bool:
        """Whether structures loaded at ``snap_gen`` may be cached (caller holds the lock)."""
        seen = self._seen.get(user_id)
        if seen is None or seen < snap_gen:
            self._drop(user_id)
            self._seen[user_id] = snap_gen
            return True
        return seen == snap_gen

    def _drop(self, user_id: str | None) -> None:
        """Forget the owner's structures (caller holds the lock); approximate indexes are set aside with the
        generation they reflect, to be caught up rather than rebuilt on the next load."""
        seen = self._seen.get(user_id)
        if seen is not None:
            for (owner, dim), index in self._vectors.items():
                if owner == user_id and isinstance(index, OwnerAnn):
                    self._stale[(owner, dim)] = index
        self._checked.pop(user_id, None)
        self._vectors.drop_user(user_id)
        self._lexicons.drop_user(user_id)
        self._seen.pop(user_id, None)

    def _load_matrix(self, conn: sqlite3.Connection, user_id: str | None, dim: int) -> tuple[int, OwnerVectors]:
        """The owner's vectors at ``dim``: an exact matrix, or past the threshold an approximate index. That is
        one this process set aside or the persisted one, brought up to date by comparing each memory's
        ``updated_at`` with the one it holds. Without a usable one (none, another embedding model or vector
        epoch, or too many writes to catch up now) the exact matrix serves while one is built in the background."""
        where = "WHERE user_id IS ? AND mean_dim = ? AND mean_vec IS NOT NULL"
        with _snapshot(conn):
            gen = _read_gen(conn, user_id)
            (count,) = conn.execute(f"SELECT count(*) FROM memories {where}", (user_id, dim)).fetchone()
            stamp = _read_stamp(conn)
        if count >= self._ann_min:
            base = self._usable_base(user_id, dim, stamp)
            if base is not None:
                caught = self._catch_up(conn, base, user_id, dim, most=SYNC_CATCH_UP)
                if caught is not None:
                    if self._ann_dir is not None and base.dirty:
                        _save_quietly(base, index_path(self._ann_dir, owner_key(user_id), dim), caught)
                    return caught, base
                with self._lock:  # too far behind to catch up on a query: the background build starts from it
                    self._stale[(user_id, dim)] = base
        ids: list[str] = []
        projects: list[str | None] = []
        vectors = np.empty((count, dim), dtype=np.float32)  # filled in place: no list of every row's blob
        with _snapshot(conn):
            gen = _read_gen(conn, user_id)
            cursor = conn.execute(f"SELECT id, mean_vec, project_id FROM memories {where}", (user_id, dim))
            while rows := cursor.fetchmany(LOAD_CHUNK):
                if len(ids) + len(rows) > vectors.shape[0]:  # rows added since the count
                    vectors = np.concatenate([vectors, np.empty((len(rows), dim), dtype=np.float32)])
                block = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim)
                vectors[len(ids) : len(ids) + len(rows)] = block
                ids += [r[0] for r in rows]
                projects += [r[2] for r in rows]
        matrix = UserMatrix(dim)
        matrix.fill(ids, vectors[: len(ids)], projects)
        if len(ids) >= self._ann_min:
            self.builds.request(user_id, dim)
        return gen, matrix

    def _usable_base(self, user_id: str | None, dim: int, stamp: tuple[str, str]) -> OwnerAnn | None:
        """The index this process set aside for the owner, else the persisted one, if it holds vectors of the
        database's current embedding model and epoch (else None: it has to be built anew)."""
        with self._lock:
            kept = self._stale.pop((user_id, dim), None)
        ann = kept
        if ann is None and self._ann_dir is not None:
            ann = _read_saved(index_path(self._ann_dir, owner_key(user_id), dim))
        if ann is None or (ann.model, ann.epoch) != stamp or ann.dim != dim:
            return None
        return ann

    def _build(self, user_id: str | None, dim: int, stop: threading.Event) -> None:
        """Build (or catch up) the owner's approximate index off the query path, then swap it in for the exact
        matrix serving meanwhile (``AnnBuilds`` runs this on its thread, with its own read connection)."""
        conn = self._connect()
        with _snapshot(conn):
            stamp = _read_stamp(conn)
        ann = self._usable_base(user_id, dim, stamp)
        if ann is None:
            ann = OwnerAnn(dim)
            ann.model, ann.epoch = stamp
        gen = self._catch_up(conn, ann, user_id, dim, stop=stop)
        if gen is None or len(ann) < self._ann_min:
            return  # stopped, or the owner shrank below the threshold meanwhile
        with _snapshot(conn):
            moved = _read_stamp(conn) != stamp
        if moved:  # re-embedded meanwhile: start again from the new vectors (the queue would refuse a request
            self._build(user_id, dim, stop)  # for the build that is running: this one)
            return
        if self._ann_dir is not None:
            _save_quietly(ann, index_path(self._ann_dir, owner_key(user_id), dim), gen)
        for _ in range(SWAP_TRIES):
            if stop.is_set():
                return
            if _read_gen(conn, user_id) != gen:
                caught = self._catch_up(conn, ann, user_id, dim, stop=stop)
                if caught is None:
                    return
                gen = caught
            with self._lock:
                seen = self._seen.get(user_id)
                if seen is None or seen == gen:  # our structures reflect the index's generation: swap
                    self._seen[user_id] = gen
                    self._vectors.replace(user_id, dim, ann)
                    return
            time.sleep(RECHECK_S / 5)  # a write of ours is between its commit and ``committed``
        with self._lock:  # kept busy by writers: the next load catches it up
            self._stale[(user_id, dim)] = ann

    def _catch_up(
        self,
        conn: sqlite3.Connection,
        ann: OwnerAnn,
        user_id: str | None,
        dim: int,
        *,
        most: int | None = None,
        stop: threading.Event | None = None,
    ) -> int | None:
        """Apply to ``ann`` the writes it missed: rows whose updated_at differs or that it lacks are re-read
        and put, memories that are gone are removed; returns the generation it now reflects. None, changing
        nothing, when more than ``most`` rows differ; None, part done, when ``stop`` was set."""
        with _snapshot(conn):
            gen = _read_gen(conn, user_id)
            current = conn.execute(
                "SELECT id, updated_at FROM memories WHERE user_id IS ? AND mean_dim = ? AND mean_vec IS NOT NULL",
                (user_id, dim),
            ).fetchall()
        changed = [memory_id for memory_id, stamp in current if ann.stamp(memory_id) != int(stamp or 0)]
        if most is not None and len(changed) > most:
            return None
        present = {memory_id for memory_id, _ in current}
        for memory_id in ann.memory_ids():
            if memory_id not in present:
                ann.remove(memory_id)
        # Rows read after the snapshot may be newer than it; a write after it moved the generation, so the
        # caller's next comparison catches up again. Large chunks: the graph adds a batch faster than pieces.
        for start in range(0, len(changed), CATCH_UP_CHUNK):
            if stop is not None and stop.is_set():
                return None
            chunk = changed[start : start + CATCH_UP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT id, mean_vec, project_id, updated_at FROM memories WHERE id IN ({marks}) "
                "AND +user_id IS ? AND mean_dim = ? AND mean_vec IS NOT NULL",
                (*chunk, user_id, dim),
            ).fetchall()
            if rows:
                vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim)
                ann.fill([r[0] for r in rows], vectors, [r[2] for r in rows], [int(r[3] or 0) for r in rows])
        return gen

    def close(self) -> None:
        """Stop the background build (it gives up at its next chunk) and persist the changed indexes."""
        self.builds.close()
        self.save_indexes()

    def save_indexes(self) -> None:
        """Persist the approximate indexes changed since they were loaded or saved (at close)."""
        if self._ann_dir is None:
            return
        with self._lock:
            for (user_id, dim), index in self._vectors.items():
                gen = self._seen.get(user_id)
                if isinstance(index, OwnerAnn) and index.dirty and gen is not None:
                    _save_quietly(index, index_path(self._ann_dir, owner_key(user_id), dim), gen)

    def _load_lexicon(self, conn: sqlite3.Connection, user_id: str | None) -> tuple[int, UserLexicon]:
        lexicon = UserLexicon()
        with _snapshot(conn):
            gen = _read_gen(conn, user_id)
            rows = conn.execute(
                "SELECT id, content, project_id FROM memories WHERE user_id IS ?", (user_id,)
            ).fetchall()
        for memory_id, content, project_id in rows:
            lexicon.put(memory_id, content, project_id)
        return gen, lexicon


def _read_saved(path: Path) -> OwnerAnn | None:
    """A persisted index (to be caught up by its stamps); None when missing or unreadable."""
    if not path.exists():
        return None
    try:
        return OwnerAnn.load(path)[1]
    except (OSError, ValueError, KeyError, RuntimeError, zipfile.BadZipFile) as exc:
        log.warning("ignoring unreadable vector index %s (%s); rebuilding it", path, exc)
        return None


def _save_quietly(ann: OwnerAnn, path: Path, gen: int) -> None:
    """Persist; a failure (disk full, read-only directory) only costs a rebuild after the next restart."""
    try:
        ann.save(path, gen)
    except OSError as exc:
        log.warning("could not save vector index %s: %s", path, exc)


def _read_stamp(conn: sqlite3.Connection) -> tuple[str, str]:
    """(embedding model, vector epoch) of the database: an index of other ones holds other vectors."""
    rows = dict(
        conn.execute("SELECT key, value FROM om_meta WHERE key IN ('embed_model', ?)", (VECTOR_EPOCH_KEY,)).fetchall()
    )
    return str(rows.get("embed_model", "")), str(rows.get(VECTOR_EPOCH_KEY, ""))


def _read_gen(conn: sqlite3.Connection, user_id: str | None) -> int:
    row = conn.execute(f"SELECT gen FROM {GEN_TABLE} WHERE owner = ?", (owner_key(user_id),)).fetchone()
    return int(row[0]) if row else 0


class _snapshot:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN")

    def __exit__(self, *exc: object) -> None:
        self._conn.execute("COMMIT")
