from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from openmemory.engine.embed.minilm import MODEL_SHA256, MiniLMEmbedder, default_model_path
from openmemory.errors import EmbedderError

# Loading takes about 0.3 s, so these tests run the real model in the default run.


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    embedder = MiniLMEmbedder()
    embedder.load()
    return embedder


def test_paraphrases_rank_above_unrelated_sentences(minilm: MiniLMEmbedder) -> None:
    query = minilm.embed_query("What editor theme does the user like?")
    docs = minilm.embed(
        [
            "The user prefers a dark colour scheme in their code editor.",
            "The train to Berlin leaves at nine in the morning.",
            "Bake the bread for forty minutes at 220 degrees.",
            "Quarterly revenue grew by eight percent.",
        ]
    )
    scores = docs @ query
    assert int(np.argmax(scores)) == 0
    assert scores[0] > scores[1:].max() + 0.2


def test_known_sentence_pair_similarity_is_close_to_the_float32_model(minilm: MiniLMEmbedder) -> None:
    # sentence-transformers' float32 all-MiniLM-L6-v2 gives 0.755 for this pair; int8 stays close.
    a, b = minilm.embed(["A man is eating food.", "A man is eating a piece of bread."])
    assert float(a @ b) == pytest.approx(0.755, abs=0.03)


def test_rows_are_unit_float32_keep_input_order_and_do_not_depend_on_the_batch(minilm: MiniLMEmbedder) -> None:
    texts = [f"sentence number {i} " + "word " * (i % 7) for i in range(45)]
    vectors = MiniLMEmbedder(threads=3).embed(texts)
    assert vectors.shape == (45, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Activations are quantised over the whole input: padded batches would move a text's vector with its
    # neighbours. Each text runs alone, so a memory embedded in a batch equals the same text asked alone.
    singles = np.stack([minilm.embed_query(texts[i]) for i in (0, 13, 44)])
    np.testing.assert_allclose(singles, vectors[[0, 13, 44]], atol=1e-6)


def test_the_model_file_ships_inside_the_package() -> None:
    path = default_model_path()
    assert path.is_file()
    assert "openmemory" in path.parts


def test_empty_input_and_identity(minilm: MiniLMEmbedder) -> None:
    assert minilm.embed([]).shape == (0, 384)
    assert minilm.embed_query("hello").shape == (384,)
    assert minilm.name == "minilm-l6-v2-int8"
    assert minilm.dim == 384


def test_long_text_is_truncated_not_rejected(minilm: MiniLMEmbedder) -> None:
    vector = minilm.embed_query("memory " * 5000)
    assert np.isfinite(vector).all()


def test_concurrent_first_use_loads_once_and_agrees() -> None:
    embedder = MiniLMEmbedder()
    results: list[np.ndarray] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        barrier.wait()
        results.append(embedder.embed_query("threads share one session"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    for r in results[1:]:
        np.testing.assert_allclose(r, results[0], atol=1e-6)


def test_tampered_model_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model.onnx"
    shutil.copyfile(default_model_path(), copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    embedder = MiniLMEmbedder(copy)
    with pytest.raises(EmbedderError, match=f"sha256 .* expected {MODEL_SHA256}"):
        embedder.embed(["x"])


def test_missing_model_file_is_an_embedder_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="cannot read the MiniLM model"):
        MiniLMEmbedder(tmp_path / "absent.onnx").load()


def _resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_a_batch_of_long_texts_does_not_leave_the_process_holding_its_peak_memory() -> None:
    embedder = MiniLMEmbedder(threads=2)
    embedder.embed(["warm up"])
    before = _resident_mb()
    embedder.embed([" ".join(["memory"] * 400)] * 64)  # 64 x 256 tokens (padded batches peaked at ~1.3 GB)
    assert _resident_mb() - before < 300


def test_a_words_vector_does_not_depend_on_the_words_embedded_with_it(minilm: MiniLMEmbedder) -> None:
    # The expansion's word cache is shared by every owner: another user's words in the same call must not move
    # this user's word vectors (int8 activations quantised over a padded batch would).
    mine = ["painting", "pottery", "volunteer"]
    alone = minilm.embed_words(mine)
    crowded = minilm.embed_words(["supercalifragilistic", *mine, "x" * 40, "extraordinarily long phrase here"])
    np.testing.assert_array_equal(alone, crowded[1:4])
    assert float(alone[0] @ alone[1]) > float(alone[0] @ alone[2])  # painting is nearer pottery than volunteer
