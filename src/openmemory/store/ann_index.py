"""An approximate per-owner vector index for large owners: faiss inverted lists (IVF-Flat), scores exact.

Below ``OM_ANN_MIN_MEMORIES`` memories an owner is searched by the exact matrix of ``vector_index``; from there a
query scores every row, and at 100,000 rows that memory-bound scan is most of a query. ``OwnerAnn`` partitions
the owner's (L2-normalised, float32) mean vectors into about ``4 * sqrt(n)`` lists around k-means centroids; a
query ranks the centroids and scans only the nearest sixteenth of the lists, with exact inner products, so the scores
it returns are the true cosines and no re-scoring step is needed. Chosen over HNSW graphs (usearch, hnswlib,
faiss HNSW) by the side-by-side measurement in docs/benchmarks.md: comparable query time and recall at these
sizes, but a build one to two orders of magnitude faster, which is what a restart, a crash or another process's
write costs.

One index holds one owner's vectors at one dimension, never two owners'. It follows adds, updates and deletes in
place (faiss's hash-table direct map); it is persisted next to the database with the owner's write generation
(``om_gen``) and used after a restart only when that generation is still current. A stale file still lends its
trained centroids, so bringing it up to date costs one assignment pass, not a new k-means.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from openmemory.store.codec import Vector
from openmemory.store.project_codes import ProjectCodes

TRAIN_POINTS_PER_LIST = 32
KMEANS_ITERATIONS = 10
RETRAIN_GROWTH = 4.0  # retrain the centroids once the owner has grown this many times past the trained size
_NO_PROJECT = "\x00"

# One OpenMP thread: a server runs one query per thread and one worker per core (as with BLAS in api/app.py).
faiss.omp_set_num_threads(1)


def list_count(n: int) -> int:
    """About 4 * sqrt(n) inverted lists, a power of two, at least 8 (faiss's rule of thumb; 2 * sqrt(n) lists
    needed a quarter of them scanned for recall@10 0.98 on MiniLM vectors, 4 * sqrt(n) a sixteenth)."""
    return int(2 ** max(3, round(np.log2(max(1.0, 4.0 * np.sqrt(n))))))


def probe_count(lists: int) -> int:
    """Lists scanned per query: measured (docs/benchmarks.md) to keep recall@10 >= 0.98 on MiniLM vectors."""
    return min(lists, max(16, lists // 16))


class OwnerAnn:
    """One owner's mean vectors at one dimension in a faiss IVF-Flat index (inner product on unit vectors)."""

    def __init__(self, dim: int, centroids: Vector) -> None:
        self.dim = dim
        self.centroids = np.ascontiguousarray(centroids, dtype=np.float32)
        self._quantizer = faiss.IndexFlatIP(dim)
        self._quantizer.add(self.centroids)
        self._index = faiss.IndexIVFFlat(self._quantizer, dim, self.centroids.shape[0], faiss.METRIC_INNER_PRODUCT)
        self._index.is_trained = True
        self._index.set_direct_map_type(faiss.DirectMap.Hashtable)
        self._index.nprobe = probe_count(self.centroids.shape[0])
        self._ids: list[str | None] = []
        self._row_of: dict[str, int] = {}
        self._projects = ProjectCodes()
        self._project_names: list[str | None] = []
        self._alive = bytearray()  # 1 per key still in the index
        self.trained_for = 0
        self.dirty = True

    # -- building ---------------------------------------------------------------------------------------------

    @classmethod
    def train(cls, vectors: Vector) -> OwnerAnn:
        """An empty index whose centroids are trained (k-means) on a sample of ``vectors``."""
        n, dim = vectors.shape
        lists = list_count(n)
        sample = vectors
        if n > TRAIN_POINTS_PER_LIST * lists:
            pick = np.random.default_rng(0).choice(n, TRAIN_POINTS_PER_LIST * lists, replace=False)
            sample = vectors[np.sort(pick)]
        lists = min(lists, max(1, sample.shape[0]))
        kmeans = faiss.Kmeans(dim, lists, niter=KMEANS_ITERATIONS, spherical=True, seed=1, verbose=False)
        kmeans.cp.min_points_per_centroid = 1
        kmeans.train(np.ascontiguousarray(sample, dtype=np.float32))
        ann = cls(dim, kmeans.centroids)
        ann.trained_for = n
        return ann

    def fill(self, ids: list[str], vectors: Vector, projects: list[str | None]) -> None:
        """Add many rows at once (a fresh index)."""
        if not ids:
            return
        unit = _normalised(vectors)
        start = len(self._ids)
        self._index.add_with_ids(unit, np.arange(start, start + len(ids), dtype=np.int64))
        for offset, (memory_id, project_id) in enumerate(zip(ids, projects, strict=True)):
            row = start + offset
            self._ids.append(memory_id)
            self._alive.append(1)
            self._project_names.append(project_id)
            self._row_of[memory_id] = row
            self._projects.set(row, project_id)
        self.dirty = True

    def needs_retraining(self) -> bool:
        return len(self._row_of) > RETRAIN_GROWTH * max(self.trained_for, 1)

    # -- following writes -------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._row_of)

    def put(self, memory_id: str, vector: Vector, project_id: str | None = None) -> None:
        self.remove(memory_id)
        self.fill([memory_id], vector.reshape(1, -1), [project_id])

    def remove(self, memory_id: str) -> None:
        row = self._row_of.pop(memory_id, None)
        if row is not None:
            self._index.remove_ids(np.array([row], dtype=np.int64))
            self._ids[row] = None
            self._alive[row] = 0
            self._project_names[row] = None
            self.dirty = True

    # -- searching --------------------------------------------------------------------------------------------

    def search(self, query: Vector, k: int, project_id: str | None = None) -> list[tuple[str, float]]:
        return self.search_many(query.reshape(1, -1), k, project_id)[0]

    def search_many(self, queries: Vector, k: int, project_id: str | None = None) -> list[list[tuple[str, float]]]:
        """Top-k (memory_id, cosine) per query; with ``project_id`` the owner's other projects are excluded
        inside the scan (a selector), not filtered afterwards."""
        if not self._row_of or k <= 0:
            return [[] for _ in range(queries.shape[0])]
        k = min(k, len(self._row_of))
        q = np.ascontiguousarray(queries, dtype=np.float32)
        hidden = self._projects.hidden(project_id, len(self._ids))
        if hidden is None:
            scores, rows = self._index.search(q, k)
        else:
            visible = ~hidden
            bitmap = np.packbits(visible, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
            params = faiss.SearchParametersIVF(sel=selector, nprobe=self._index.nprobe)
            scores, rows = self._index.search(q, k, params=params)
            # A small project may have no rows in the lists nearest the query: scan every list for those queries
            # (the selector skips other projects' rows without scoring them).
            alive = np.frombuffer(self._alive, dtype=np.bool_)
            wanted = min(k, int(np.count_nonzero(visible & alive)))
            short = np.flatnonzero((rows >= 0).sum(axis=1) < wanted)
            if short.size:
                params = faiss.SearchParametersIVF(sel=selector, nprobe=self._index.nlist)
                scores[short], rows[short] = self._index.search(q[short], k, params=params)
        ids = self._ids
        return [
            [(str(ids[int(r)]), float(s)) for s, r in zip(srow, rrow, strict=True) if r >= 0 and ids[int(r)]]
            for srow, rrow in zip(scores, rows, strict=True)
        ]

    def scores_for(self, query: Vector, memory_ids: list[str]) -> dict[str, float]:
        """Exact cosine of the query with each listed memory that has a row here."""
        rows = [(m, self._row_of[m]) for m in memory_ids if m in self._row_of]
        if not rows:
            return {}
        vectors = self._index.reconstruct_batch(np.array([r for _, r in rows], dtype=np.int64))
        sims = vectors @ np.asarray(query, dtype=np.float32)
        return {m: float(s) for (m, _), s in zip(rows, sims, strict=True)}

    # -- persistence ------------------------------------------------------------------------------------------

    def save(self, path: Path, gen: int) -> None:
        """Write the index and its row map to ``path`` atomically (a temporary file, then a rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        ids = np.array([m or "" for m in self._ids], dtype=str)
        projects = np.array([_NO_PROJECT if p is None else p for p in self._project_names], dtype=str)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ann-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(
                    out, index=faiss.serialize_index(self._index), centroids=self.centroids, ids=ids,
                    projects=projects, gen=np.int64(gen), trained_for=np.int64(self.trained_for),
                )  # fmt: skip
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.dirty = False

    @classmethod
    def load(cls, path: Path, dim: int) -> tuple[int, Vector, OwnerAnn | None]:
        """(saved generation, centroids, index) from ``path``; raises OSError/ValueError for a bad file."""
        with np.load(path, allow_pickle=False) as data:
            gen = int(data["gen"])
            centroids = np.asarray(data["centroids"], dtype=np.float32)
            if centroids.shape[1] != dim:
                raise ValueError(f"{path}: centroids of dimension {centroids.shape[1]}, not {dim}")
            ann = cls(dim, centroids)
            ann._index = faiss.deserialize_index(np.asarray(data["index"]))  # owns its quantizer
            ann._index.nprobe = probe_count(centroids.shape[0])
            ann.trained_for = int(data["trained_for"])
            ids = [str(m) or None for m in data["ids"]]
            projects = [None if p == _NO_PROJECT else str(p) for p in data["projects"]]
        ann._ids = [m if m else None for m in ids]
        ann._alive = bytearray(1 if m else 0 for m in ann._ids)
        ann._project_names = projects
        for row, (memory_id, project_id) in enumerate(zip(ann._ids, projects, strict=True)):
            if memory_id is not None:
                ann._row_of[memory_id] = row
                ann._projects.set(row, project_id)
        ann.dirty = False
        return gen, centroids, ann

    @classmethod
    def from_centroids(cls, centroids: Vector, trained_for: int) -> OwnerAnn:
        ann = cls(int(centroids.shape[1]), centroids)
        ann.trained_for = trained_for
        return ann


def index_path(directory: Path, owner: str, dim: int) -> Path:
    """The file of one owner's index at one dimension (owner ids may hold any character: hashed)."""
    digest = hashlib.sha256(owner.encode()).hexdigest()[:32]
    return directory / f"{digest}-{dim}.npz"


def _normalised(vectors: Any) -> Vector:
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: Vector = np.ascontiguousarray(matrix / norms, dtype=np.float32)
    return out
