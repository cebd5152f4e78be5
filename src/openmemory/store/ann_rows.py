"""The float32 rows beside an int8 graph: what its candidates are re-scored with, by graph key.

An int8 graph (``ann_index``) cannot give its vectors back exactly, so ``AnnRows`` keeps them in float32, key
``i`` at row ``i``. The rows saved with the graph are memory-mapped from their own ``.npy`` file: every process
that loads the index shares one copy in the page cache, the kernel may drop pages no query touches, and loading
reads nothing up front. Rows added since are kept in memory until the next save.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from openmemory.store.codec import Vector


class AnnRows:
    """Float32 rows 0..n-1: a read-only saved part (a memory map, or empty), then the rows added since."""

    def __init__(self, dim: int, saved: Any = None) -> None:
        self.dim = dim
        self._saved: Any = saved if saved is not None else np.zeros((0, dim), dtype=np.float32)
        self._added: Any = np.zeros((0, dim), dtype=np.float32)  # room grows by doubling; len(self) - saved used
        self._n = int(self._saved.shape[0])

    def __len__(self) -> int:
        return self._n

    def append(self, rows: Vector) -> None:
        start = self._n - self._saved.shape[0]
        end = start + rows.shape[0]
        if end > self._added.shape[0]:
            grown = np.zeros((max(end, 2 * self._added.shape[0], 1024), self.dim), dtype=np.float32)
            grown[:start] = self._added[:start]
            self._added = grown
        self._added[start:end] = rows
        self._n += rows.shape[0]

    def take(self, keys: list[int]) -> Any:
        """The rows of ``keys``, in order, as one float32 array."""
        saved = self._saved.shape[0]
        at = np.asarray(keys, dtype=np.int64)
        if not saved:
            return self._added[at]
        if at.size and int(at.max()) < saved:
            return np.asarray(self._saved[at])
        out = np.empty((at.size, self.dim), dtype=np.float32)
        old = at < saved
        out[old] = self._saved[at[old]]
        out[~old] = self._added[at[~old] - saved]
        return out

    def save(self, path: Path) -> None:
        """Write all rows to ``path`` (a ``.npy`` file) atomically, a part at a time (no copy of them all)."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ann-rows-", suffix=".npy")
        os.close(fd)
        try:
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(self._n, self.dim))
            saved = self._saved.shape[0]
            out[:saved] = self._saved
            out[saved:] = self._added[: self._n - saved]
            out.flush()
            del out
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path, rows: int, dim: int) -> AnnRows:
        """The rows saved at ``path``, memory-mapped; ValueError unless they are ``rows`` x ``dim`` float32."""
        if rows == 0:
            return cls(dim)
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
        if mapped.dtype != np.float32 or mapped.shape != (rows, dim):
            raise ValueError(f"{path}: {mapped.dtype} rows of shape {mapped.shape}, expected ({rows}, {dim}) float32")
        return cls(dim, mapped.view(np.ndarray))  # a plain view of the map: np.memmap indexes in Python
