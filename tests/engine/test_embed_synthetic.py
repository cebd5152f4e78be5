from __future__ import annotations

import hashlib

import numpy as np
import pytest

from openmemory.engine.embed import Embedder
from openmemory.engine.embed.synthetic import SyntheticEmbedder
from openmemory.errors import UnknownSector
from openmemory.models import SECTORS

# sha256 of the float32 vector bytes that upstream's JS gen_syn_emb (embed.ts) produces for these inputs,
# computed by running upstream's code in node 20. The Python port matched it bit for bit on 309 random
# mixed Latin/CJK texts across dims 8..1536 and all sectors.
GOLDEN = [
    ("Yesterday I went to the park at 4:00 PM and saw a dog.", "episodic", 256,
     "581f59753f42f40bc86fe14ea6ec347a2ccd1b0448b6551d6030b75886f10c6d"),
    ("I prefer dark mode in my editor", "semantic", 256,
     "1eb2d00c69bcd075c97cbd365c5ca347a96010ded9ed530f58110dec2dea4050"),
    ("部署流程：第一步安装依赖，然后运行测试。", "procedural", 384,
     "16852e92e511050d467f7b664e8c25b4ee1b261ff31084c7821d834cdda13644"),
    ("The capital of France is Paris.", "reflective", 100,
     "84f747bfd7936dba54298e75da0e25f5aaf156b227529f98ff16945991f8f342"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "sector", "dim", "sha256"), GOLDEN)
def test_synthetic_vectors_match_upstream_js_bit_for_bit(text: str, sector: str, dim: int, sha256: str) -> None:
    vector = SyntheticEmbedder(dim).embed([text], sector=sector)[0]
    assert hashlib.sha256(vector.astype("<f4").tobytes()).hexdigest() == sha256


def test_text_without_tokens_gets_the_uniform_vector() -> None:
    vector = SyntheticEmbedder(256).embed_query("?!")
    np.testing.assert_array_equal(vector, np.full(256, 0.0625, dtype=np.float32))


def test_embed_is_deterministic_across_instances_and_batches() -> None:
    texts = ["alpha beta gamma", "the user prefers dark mode", "我喜欢普洱茶"]
    first = SyntheticEmbedder(128).embed(texts)
    second = np.stack([SyntheticEmbedder(128).embed_query(t) for t in texts])
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("dim", [8, 100, 256, 768])
def test_rows_are_unit_length_float32_of_the_configured_dim(dim: int) -> None:
    embedder = SyntheticEmbedder(dim)
    vectors = embedder.embed(["one two three", "a much longer sentence about memory engines and retrieval"])
    assert vectors.shape == (2, dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.dim == dim
    assert embedder.name == f"synthetic-{dim}"


def test_empty_input_gives_zero_rows() -> None:
    assert SyntheticEmbedder(64).embed([]).shape == (0, 64)


def test_each_sector_gives_a_different_vector() -> None:
    embedder = SyntheticEmbedder(256)
    vectors = [embedder.embed(["I went hiking yesterday"], sector=s)[0] for s in SECTORS]
    for i in range(len(vectors)):
        for j in range(i + 1, len(vectors)):
            assert not np.allclose(vectors[i], vectors[j])


def test_no_sector_means_semantic() -> None:
    embedder = SyntheticEmbedder(256)
    np.testing.assert_array_equal(embedder.embed(["dark mode"])[0], embedder.embed(["dark mode"], sector="semantic")[0])


def test_unknown_sector_is_rejected() -> None:
    with pytest.raises(UnknownSector):
        SyntheticEmbedder(256).embed(["x"], sector="nonsense")


def test_texts_sharing_words_are_closer_than_unrelated_ones() -> None:
    embedder: Embedder = SyntheticEmbedder(256)
    a, b, c = embedder.embed(
        [
            "the user prefers dark mode in the editor",
            "user likes the dark theme in their editor",
            "quarterly revenue grew in the asian markets",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.2
