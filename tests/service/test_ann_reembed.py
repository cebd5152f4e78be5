"""Re-embedding rewrites vectors without touching updated_at: a persisted approximate index must not survive it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from openmemory.config import Settings
from openmemory.engine.embed.synthetic import SyntheticEmbedder, Vectors
from openmemory.memory import Memory

DIM = 128


class ReversedSynthetic(SyntheticEmbedder):
    """The synthetic embedder under the same name and dimension, with its coordinates in reverse order: another
    model's vectors for the same texts, as after an upgrade of the model behind one name."""

    def embed(self, texts: Sequence[str], *, sector: str | None = None) -> Vectors:
        return np.ascontiguousarray(super().embed(texts, sector=sector)[:, ::-1])

    def embed_query(self, text: str) -> Vectors:
        return np.ascontiguousarray(super().embed_query(text)[::-1])


def test_reembed_makes_a_saved_index_rebuild_instead_of_keeping_the_old_vectors(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    settings = Settings.load(embeddings="synthetic", vec_dim=DIM, ann_min_memories=300)
    words = ["boats", "nets", "gulls", "tides", "piers", "ropes", "sails", "crabs", "keels", "buoys"]
    texts = [f"the {a} and the {b} of harbour {c}" for a in words for b in words for c in words[:4]]
    with Memory(path, settings=settings) as m:
        memory_id = m.add_many(texts, user_id="u")[5].id
        m.query("boats", user_id="u")  # starts the owner's index build
        assert m.maintenance.store.maintenance_wait_for_indexes(120)
    assert list((tmp_path / "m.sqlite-ann").glob("*.npz"))
    other = ReversedSynthetic(DIM)
    with Memory(path, settings=settings.replace(ann_min_memories=10**9), embedder=other) as m:
        m.reembed()
    with Memory(path, settings=settings, embedder=other) as m:
        store = m.maintenance.store
        probe = store.get_vectors([memory_id], user_id="u")[memory_id][1]  # its re-embedded mean vector
        assert probe is not None
        best, cosine = store.search_vectors(probe, user_id="u", k=1)[0]  # exact while the index rebuilds
        assert (best, round(cosine, 4)) == (memory_id, 1.0)
        assert store.maintenance_wait_for_indexes(120)
        best, cosine = store.search_vectors(probe, user_id="u", k=1)[0]  # the rebuilt index
        assert (best, round(cosine, 4)) == (memory_id, 1.0)
