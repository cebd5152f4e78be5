"""CPU time to read 100 rows' vectors back from an owner's HNSW graph (the exact re-scoring of a shortlist).

    python benchmarks/ann_readback.py

``OwnerAnn._vectors`` (store/ann_index.py) against usearch's public ``Index.get`` + ``np.vstack``, which it used
before, on a 5,000-row graph of random 384-dimensional vectors; checks both return the same matrix.
"""

from __future__ import annotations

import time

import numpy as np

from openmemory.store.ann_index import OwnerAnn

ROUNDS = 2000


def main() -> None:
    rng = np.random.default_rng(3)
    ann = OwnerAnn(384)
    for i, vector in enumerate(rng.random((5000, 384), dtype=np.float32)):
        ann.put(f"m{i}", vector)
    rows = rng.choice(5000, 100, replace=False).tolist()

    def public() -> np.ndarray:
        return np.vstack(ann._index.get(np.asarray(rows, dtype=np.uint64), dtype=np.float32))

    assert np.array_equal(public(), ann._vectors(rows))
    for label, read in (("OwnerAnn._vectors", lambda: ann._vectors(rows)), ("Index.get + vstack", public)):
        started = time.process_time()
        for _ in range(ROUNDS):
            read()
        print(f"{label}: {(time.process_time() - started) / ROUNDS * 1000:.3f} ms CPU per 100 rows")


if __name__ == "__main__":
    main()
