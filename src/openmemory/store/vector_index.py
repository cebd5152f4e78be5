"""An in-process, per-user matrix of mean vectors for exact cosine search without scanning SQL per query.

One ``UserMatrix`` per (user, dimension) holds L2-normalised float32 rows in a growable array; a query is one
matrix-vector product over that user's rows only, so another user's vectors can never rank. Rows are added and
removed in place as the store writes; the store drops the whole cache when another process changed the file.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from openmemory.store.ann_index import OwnerAnn
from openmemory.store.codec import Vector
from openmemory.store.project_codes import ProjectCodes

_MIN_CAPACITY = 64
_QUERY_BLOCK = 256


class UserMatrix:
    """The mean vectors of one user's memories at one dimension."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._rows = np.zeros((_MIN_CAPACITY, dim), dtype=np.float32)
        self._ids: list[str | None] = []
        self._row_of: dict[str, int] = {}
        self._free: list[int] = []
        self._projects = ProjectCodes()

    def __len__(self) -> int:
        return len(self._row_of)

    def put(self, memory_id: str, vector: Vector, project_id: str | None = None, stamp: int = 0) -> None:
        """Add or replace a row (``stamp``, the memory's updated_at, is for the approximate index)."""
        norm = float(np.linalg.norm(vector))
        row_vec = vector / norm if norm > 0 else vector
        row = self._row_of.get(memory_id)
        if row is None:
            row = self._free.pop() if self._free else self._append_slot()
            self._row_of[memory_id] = row
            self._ids[row] = memory_id
        self._rows[row] = row_vec
        self._projects.set(row, project_id)

    def fill(self, ids: list[str], vectors: Vector, projects: list[str | None]) -> None:
        """Load many new rows into an empty matrix at once (a million rows, not a million puts); a writable
        float32 ``vectors`` becomes the matrix itself."""
        if self._row_of:
            for memory_id, vector, project_id in zip(ids, vectors, projects, strict=True):
                self.put(memory_id, vector, project_id)
            return
        given = np.asarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        if len(ids) >= _MIN_CAPACITY and given.flags.c_contiguous and given.flags.writeable:
            matrix = given  # taken over, not copied (a million rows are 1.5 GB): normalised in place
        else:
            matrix = np.zeros((max(len(ids), _MIN_CAPACITY), self.dim), dtype=np.float32)
            matrix[: len(ids)] = given
        # each row's norm exactly as ``put`` computes it (one dot product per row), so scores match bit for bit
        norms = np.sqrt(np.array([row.dot(row) for row in matrix[: len(ids)]], dtype=np.float32))
        norms[norms == 0] = 1.0
        matrix[: len(ids)] /= norms[:, None]
        self._rows = matrix
        self._ids = list(ids)
        self._row_of = {memory_id: row for row, memory_id in enumerate(ids)}
        for row, project_id in enumerate(projects):
            if project_id is not None:
                self._projects.set(row, project_id)

    def remove(self, memory_id: str) -> None:
        row = self._row_of.pop(memory_id, None)
        if row is not None:
            self._ids[row] = None
            self._rows[row] = 0.0
            self._free.append(row)

    def search(self, query: Vector, k: int, project_id: str | None = None) -> list[tuple[str, float]]:
        return self.search_many(query.reshape(1, -1), k, project_id)[0]

    def search_many(self, queries: Vector, k: int, project_id: str | None = None) -> list[list[tuple[str, float]]]:
        """Top-k for each row of ``queries``: one matrix product per block of queries (bounded memory).

        With ``project_id``, rows of the owner's other projects are masked out before ranking.
        """
        n = len(self._ids)
        if n == 0 or not self._row_of:
            return [[] for _ in range(queries.shape[0])]
        k = min(k, len(self._row_of))
        hidden = self._projects.hidden(project_id, n)
        out: list[list[tuple[str, float]]] = []
        for start in range(0, queries.shape[0], _QUERY_BLOCK):
            scores = (self._rows[:n] @ queries[start : start + _QUERY_BLOCK].astype(np.float32).T).T
            if self._free:
                scores[:, self._free] = -np.inf
            if hidden is not None:
                scores[:, hidden] = -np.inf
            out.extend(self._top(row_scores, k, n) for row_scores in scores)
        return out

    def _top(self, scores: Vector, k: int, n: int) -> list[tuple[str, float]]:
        top = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
        top = top[np.argsort(-scores[top])]
        ids = self._ids
        ranked = zip(top.tolist(), scores[top].tolist(), strict=True)  # Python ints and floats: no numpy scalars
        return [(str(ids[r]), s) for r, s in ranked if ids[r] is not None and s > -math.inf]

    def scores_for(self, query: Vector, memory_ids: list[str]) -> dict[str, float]:
        """Cosine of the query with each listed memory that has a row here."""
        rows = [(m, self._row_of[m]) for m in memory_ids if m in self._row_of]
        if not rows:
            return {}
        sims = self._rows[[r for _, r in rows]] @ query.astype(np.float32)
        return {m: s for (m, _), s in zip(rows, sims.tolist(), strict=True)}

    def _append_slot(self) -> int:
        row = len(self._ids)
        if row >= self._rows.shape[0]:
            grown = np.zeros((self._rows.shape[0] * 2, self.dim), dtype=np.float32)
            grown[:row] = self._rows[:row]
            self._rows = grown
        self._ids.append(None)
        return row


OwnerVectors = UserMatrix | OwnerAnn  # exact below the threshold, approximate past it


class VectorIndex:
    """The per-user matrices of one store, loaded lazily and kept in step with the store's writes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[tuple[str | None, int], OwnerVectors] = {}

    def clear(self) -> None:
        with self._lock:
            self._users.clear()

    def get(self, user_id: str | None, dim: int) -> OwnerVectors | None:
        return self._users.get((user_id, dim))  # a dict read is atomic; no need to queue behind a search

    def install(self, user_id: str | None, dim: int, matrix: OwnerVectors) -> OwnerVectors:
        with self._lock:
            return self._users.setdefault((user_id, dim), matrix)

    def replace(self, user_id: str | None, dim: int, matrix: OwnerVectors) -> None:
        with self._lock:
            self._users[(user_id, dim)] = matrix

    def put(
        self, user_id: str | None, memory_id: str, vector: Vector, project_id: str | None = None, stamp: int = 0
    ) -> None:
        with self._lock:
            matrix = self._users.get((user_id, int(vector.shape[0])))
            if matrix is not None:
                matrix.put(memory_id, vector, project_id, stamp)

    def remove(self, user_id: str | None, memory_id: str) -> None:
        with self._lock:
            for (owner, _), matrix in self._users.items():
                if owner == user_id:
                    matrix.remove(memory_id)

    def items(self) -> list[tuple[tuple[str | None, int], OwnerVectors]]:
        with self._lock:
            return list(self._users.items())

    def drop_owner_dim(self, user_id: str | None, dim: int) -> None:
        with self._lock:
            self._users.pop((user_id, dim), None)

    def drop_user(self, user_id: str | None) -> None:
        with self._lock:
            for key in [key for key in self._users if key[0] == user_id]:
                del self._users[key]

    def search(
        self, user_id: str | None, query: Vector, k: int, project_id: str | None = None
    ) -> list[tuple[str, float]] | None:
        """Top-k (memory_id, cosine) of one user's rows, or None when that user's matrix is not loaded.

        Searches take turns: BLAS called from many threads at once, each with its own thread pool, thrashes
        (measured in-process with 16 threads: 297 queries/s in turns, 35 side by side).
        """
        matrix = self._users.get((user_id, int(query.shape[0])))
        if matrix is None:
            return None
        with self._lock:
            return matrix.search(query, k, project_id)

    def search_many(
        self, user_id: str | None, queries: Vector, k: int, project_id: str | None = None
    ) -> list[list[tuple[str, float]]]:
        matrix = self._users.get((user_id, int(queries.shape[1])))
        if matrix is None:
            return [[] for _ in range(queries.shape[0])]
        with self._lock:
            return matrix.search_many(queries, k, project_id)

    def scores_for(self, user_id: str | None, query: Vector, memory_ids: list[str]) -> dict[str, float]:
        matrix = self._users.get((user_id, int(query.shape[0])))
        if matrix is None:
            return {}
        with self._lock:
            return matrix.scores_for(query, memory_ids)
