"""An approximate per-owner vector index for large owners: a usearch HNSW graph with exact scores.

Below ``OM_ANN_MIN_MEMORIES`` memories an owner is searched by the exact matrix of ``vector_index``; a query then
scores every row, and at 100,000 rows that memory-bound scan is most of a query. ``OwnerAnn`` keeps the owner's
L2-normalised mean vectors in an HNSW graph (usearch, inner product) whose nodes hold them as int8, and beside it
the same vectors in float32, one row per graph key; a query walks the int8 graph instead of scoring every row, then
re-scores a pool of at least ``RESCORE_POOL`` candidates from the float32 rows, so the cosines it returns are those
of the exact scan. Chosen by the side-by-side
measurement in docs/benchmarks.md: on MiniLM vectors with question-style queries the graph keeps recall@10
>= 0.98 at about a millisecond, where inverted lists (faiss IVF) had to scan half their lists to get there.

One index holds one owner's vectors at one dimension, never two owners'. It follows adds, updates and deletes in
place, and it remembers each memory's ``updated_at`` so an index that missed writes (another process's, or
those after its last save before a crash) is brought up to date by comparing that column, not rebuilt. It is
persisted next to the database (one file per owner and dimension, written atomically, naming a second file that
holds the float32 rows: ``ann_rows``) with the owner's write generation (``om_gen``) and the embedding model.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np

# onnxruntime (the default embedder) must be loaded before usearch: the other order segfaults inside
# onnxruntime's import (usearch 2.26 with onnxruntime 1.2x on x86-64 Linux); this order is tested.
with contextlib.suppress(ImportError):
    import onnxruntime  # type: ignore[import-untyped]  # noqa: F401
from usearch.compiled import ScalarKind
from usearch.index import Index

from openmemory.store.ann_rows import AnnRows
from openmemory.store.codec import Vector
from openmemory.store.project_codes import ProjectCodes

# 32 links a node: the 1,000,000-row benchmark graph reached recall@10 0.99 at a third less search CPU than with
# 16 (docs/benchmarks.md, "connectivity"), for ~1.4x the build CPU and ~7% more memory.
CONNECTIVITY = 32
# Expansion 128 when adding: with int8 nodes a 1,000,000-row graph builds in 421 CPU s (float32 nodes at 64: 899 s)
# and reaches recall@10 0.996 at search expansion 1,024 where 64 reached 0.989 (docs/benchmarks.md, "int8 graph").
# The search expansion grows with the graph (search_expansion()).
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128  # the least search expansion (every graph below ~30,000 rows)
EXPANSION_REFERENCE = 100_000  # rows at which the expansion is EXPANSION_AT_REFERENCE
EXPANSION_AT_REFERENCE = 256
EXPANSION_GROWTH = 0.6  # the expansion grows as (rows / EXPANSION_REFERENCE) ** EXPANSION_GROWTH
EXPANSION_STEP = 64  # rounded up to a multiple of this, so a growing graph changes it rarely
# The graph's nodes hold int8 vectors: the walk costs ~3.5x less CPU and the build ~4x less than with float32, and
# re-scoring a pool of RESCORE_POOL candidates from the float32 rows keeps recall@10 at float32's (docs/benchmarks.md,
# "int8 graph"). Graphs saved with float32 nodes (before issue 15's fifth round) are read back and used as they are.
STORAGE = "i8"
RESCORE_POOL = 50  # an int8 graph is asked for at least this many candidates, re-scored exactly
ROWS_SUFFIX = ".rows.npy"  # the float32 rows' file: "<index file's stem>.<token>.rows.npy", named by the index file
PROJECT_OVERSAMPLE = 8  # a project-scoped search asks the graph for this many times k, then filters
_NO_PROJECT = "\x00"


class OwnerAnn:
    """One owner's mean vectors at one dimension in an HNSW graph, keyed by row number."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._index: Any = Index(  # usearch's stubs are partial (Matches|BatchMatches, dtype kinds)
            ndim=dim, metric="ip", dtype=STORAGE, connectivity=CONNECTIVITY, expansion_add=EXPANSION_ADD,
            expansion_search=EXPANSION_SEARCH,
        )  # fmt: skip
        self._ids: list[str | None] = []
        self._row_of: dict[str, int] = {}
        self._stamps: dict[str, int] = {}
        self._projects = ProjectCodes()
        self._project_names: list[str | None] = []
        self._alive = bytearray()  # 1 per key still in the graph
        # float32 rows by graph key (the int8 graph cannot give them back); None for a graph of float32 nodes
        self._rows: AnnRows | None = AnnRows(dim)
        self.model = ""  # the embedding model of the vectors (a file of another model is not reused)
        self.epoch = ""  # the database's vector epoch: ``opm reembed`` moves it (a file of another is not reused)
        self.dirty = True

    def __len__(self) -> int:
        return len(self._row_of)

    def stamp(self, memory_id: str) -> int | None:
        """The ``updated_at`` this index holds for a memory (None: not in the index)."""
        return self._stamps.get(memory_id)

    def memory_ids(self) -> list[str]:
        return list(self._row_of)

    # -- writes -----------------------------------------------------------------------------------------------

    def fill(
        self, ids: list[str], vectors: Vector, projects: list[str | None], stamps: list[int], threads: int = 0
    ) -> None:
        """Add many new rows at once (``threads`` 0: all cores)."""
        for memory_id in ids:
            self.remove(memory_id)
        if not ids:
            return
        start = len(self._ids)
        keys = np.arange(start, start + len(ids), dtype=np.uint64)
        rows = _normalised(vectors)
        if self._rows is not None:
            self._rows.append(rows)
        self._index.add(keys, rows, threads=threads)
        for offset, (memory_id, project_id, stamp) in enumerate(zip(ids, projects, stamps, strict=True)):
            row = start + offset
            self._ids.append(memory_id)
            self._alive.append(1)
            self._project_names.append(project_id)
            self._row_of[memory_id] = row
            self._stamps[memory_id] = stamp
            self._projects.set(row, project_id)
        self.dirty = True

    def put(self, memory_id: str, vector: Vector, project_id: str | None = None, stamp: int = 0) -> None:
        self.fill([memory_id], vector.reshape(1, -1), [project_id], [stamp], threads=1)

    def remove(self, memory_id: str) -> None:
        row = self._row_of.pop(memory_id, None)
        if row is not None:
            self._index.remove(row)
            self._stamps.pop(memory_id, None)
            self._ids[row] = None
            self._alive[row] = 0
            self._project_names[row] = None
            self.dirty = True

    # -- searching --------------------------------------------------------------------------------------------

    def search(self, query: Vector, k: int, project_id: str | None = None) -> list[tuple[str, float]]:
        return self.search_many(query.reshape(1, -1), k, project_id)[0]

    def search_many(self, queries: Vector, k: int, project_id: str | None = None) -> list[list[tuple[str, float]]]:
        """Top-k (memory_id, cosine) per query, re-scored in float32; with ``project_id`` the owner's other
        projects are filtered out of an oversampled shortlist, or scanned exactly when that leaves too few."""
        if not self._row_of or k <= 0:
            return [[] for _ in range(queries.shape[0])]
        q = np.ascontiguousarray(queries, dtype=np.float32)
        hidden = self._projects.hidden(project_id, len(self._ids))
        ask = min(len(self._row_of), k if hidden is None else k * PROJECT_OVERSAMPLE)
        if self._rows is not None:  # int8 nodes: a pool wide enough for float32 re-scoring to settle the top k
            ask = min(len(self._row_of), max(ask, RESCORE_POOL))
        expansion = search_expansion(len(self._ids), int(self._index.connectivity))
        if self._index.expansion_search != expansion:  # the graph grew past a step (usearch searches max(it, ask))
            self._index.expansion_search = expansion
        found = self._index.search(q, ask, threads=1)
        if hasattr(found, "counts"):  # BatchMatches: padded rows, each with its count
            keys, counts = found.keys.reshape(q.shape[0], -1), np.asarray(found.counts).reshape(-1)
        else:  # one query: Matches
            keys, counts = np.asarray(found.keys).reshape(1, -1), np.array([len(found.keys)])
        visible = None
        if hidden is not None:
            visible = np.flatnonzero(~hidden & np.frombuffer(self._alive, dtype=np.bool_))
        out = []
        for i, row in enumerate(keys):
            rows = [r for r in row[: int(counts[i])].tolist() if self._ids[r] is not None]
            if hidden is not None:
                rows = [r for r in rows if not hidden[r]]
                if len(rows) < min(k, len(visible) if visible is not None else 0):
                    rows = visible.tolist() if visible is not None else rows  # few: score them all
            out.append(self._rescored(rows, q[i], k))
        return out

    def scores_for(self, query: Vector, memory_ids: list[str]) -> dict[str, float]:
        """Cosine of the query with each listed memory that has a row here."""
        rows = [(m, self._row_of[m]) for m in memory_ids if m in self._row_of]
        if not rows:
            return {}
        sims = self._vectors([r for _, r in rows]) @ np.asarray(query, dtype=np.float32)
        return {m: s for (m, _), s in zip(rows, sims.tolist(), strict=True)}

    def _rescored(self, rows: list[int], query: Vector, k: int) -> list[tuple[str, float]]:
        if not rows:
            return []
        sims = self._vectors(rows) @ query
        order = np.argsort(-sims, kind="stable")[:k]
        ids = self._ids
        return [(str(ids[rows[j]]), s) for j, s in zip(order.tolist(), sims[order].tolist(), strict=True)]

    def _vectors(self, rows: list[int]) -> Any:
        if self._rows is not None:
            return self._rows.take(rows)
        keys = np.asarray(rows, dtype=np.uint64)  # a graph of float32 nodes: read them back from it
        compiled = getattr(self._index, "_compiled", None)
        if compiled is not None:
            # usearch's Index.get views and stacks each row in Python (~3 us a row; a query reads 100-200 rows):
            # its compiled core hands the same rows over as one tuple of float32 arrays
            got = compiled.get_many(keys, ScalarKind.F32)
            if all(v is not None for v in got):
                return np.concatenate(got).view(np.float32).reshape(len(rows), -1)
        got = self._index.get(keys, dtype=np.float32)
        return np.vstack(got) if isinstance(got, tuple) else np.asarray(got, dtype=np.float32).reshape(len(rows), -1)

    # -- persistence ------------------------------------------------------------------------------------------

    def save(self, path: Path, gen: int) -> None:
        """Write the graph, its row map and stamps to ``path`` atomically (a temporary file, then a rename), and
        the float32 rows to a file of their own that ``path`` names (written first; older ones are removed)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        ids = np.array([m or "" for m in self._ids], dtype=str)
        projects = np.array([_NO_PROJECT if p is None else p for p in self._project_names], dtype=str)
        stamps = np.array([self._stamps.get(m, 0) if m else 0 for m in self._ids], dtype=np.int64)
        rows_path = path.with_name(f"{path.stem}.{uuid.uuid4().hex[:12]}{ROWS_SUFFIX}")
        rows: dict[str, Any] = {}
        if self._rows is not None:
            self._rows.save(rows_path)
            rows["rows_file"] = np.array(rows_path.name)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ann-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(
                    out, graph=np.frombuffer(bytes(self._index.save()), dtype=np.uint8), ids=ids, projects=projects,
                    stamps=stamps, gen=np.int64(gen), model=np.array(self.model), epoch=np.array(self.epoch),
                    dim=np.int64(self.dim), **rows,
                )  # fmt: skip
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            rows_path.unlink(missing_ok=True)
            raise
        for old in path.parent.glob(f"{path.stem}.*{ROWS_SUFFIX}"):  # a process that maps one keeps reading it
            if old != rows_path:
                old.unlink(missing_ok=True)
        if self._rows is not None:  # from now on read from the file too: the built rows' memory goes back
            self._rows = AnnRows.load(rows_path, len(self._rows), self.dim)
        self.dirty = False

    @classmethod
    def load(cls, path: Path) -> tuple[int, OwnerAnn]:
        """(saved generation, index) from ``path``; raises OSError, ValueError, KeyError or
        zipfile.BadZipFile for a bad file (a cut-short one among them)."""
        with path.open("rb") as file, np.load(file, allow_pickle=False) as data:
            ann = cls(int(data["dim"]))
            graph = np.ascontiguousarray(data["graph"], dtype=np.uint8)  # read once, handed over as a buffer
            restored: Any = Index.restore(graph.data)  # (not via bytes and bytearray: two more copies at 1M rows)
            del graph
            ann._index = restored
            if ann._index is None:
                raise ValueError(f"{path}: not a usearch index")
            gen, model = int(data["gen"]), str(data["model"])
            epoch = str(data["epoch"]) if "epoch" in data.files else ""  # files saved before epochs: none
            ids = [str(m) or None for m in data["ids"]]
            projects = [None if p == _NO_PROJECT else str(p) for p in data["projects"]]
            stamps = [int(s) for s in data["stamps"]]
            if "rows_file" in data.files:
                ann._rows = AnnRows.load(path.parent / Path(str(data["rows_file"])).name, len(ids), ann.dim)
            elif ann._index.dtype == ScalarKind.F32:  # saved with float32 nodes: the graph gives them back
                ann._rows = None
            else:
                raise ValueError(f"{path}: a graph of {ann._index.dtype} nodes without its float32 rows")
        ann._ids = ids
        ann._project_names = projects
        ann._alive = bytearray(1 if m else 0 for m in ids)
        for row, (memory_id, project_id, stamp) in enumerate(zip(ids, projects, stamps, strict=True)):
            if memory_id is not None:
                ann._row_of[memory_id] = row
                ann._stamps[memory_id] = stamp
                ann._projects.set(row, project_id)
        ann.model = model
        ann.epoch = epoch
        ann.dirty = False
        return gen, ann


def search_expansion(n: int, connectivity: int = CONNECTIVITY) -> int:
    """The search expansion of a graph of ``n`` rows: ``EXPANSION_AT_REFERENCE`` at ``EXPANSION_REFERENCE`` rows,
    growing as a power of the size, never below ``EXPANSION_SEARCH``, rounded up to ``EXPANSION_STEP``. A fixed
    expansion loses recall as the graph grows; measured on the benchmark's vectors (docs/benchmarks.md) recall@10
    of a 10-result search needs about 256 at 100,000 rows and 1,024 at 1,000,000 to stay >= 0.98 with
    ``CONNECTIVITY`` links a node. A graph saved with fewer links (16 before issue 15's third round) needs
    proportionally more, so its schedule is scaled by ``CONNECTIVITY / connectivity``. usearch searches with at
    least as many candidates as results asked for, so a large ``k`` widens it further."""
    scale = CONNECTIVITY / max(connectivity, 1)
    grown = scale * EXPANSION_AT_REFERENCE * (max(n, 1) / EXPANSION_REFERENCE) ** EXPANSION_GROWTH
    floor = scale * EXPANSION_SEARCH
    return int(-(-max(floor, grown) // EXPANSION_STEP) * EXPANSION_STEP)


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
