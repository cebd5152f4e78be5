from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from openmemory.bench.dense import DenseRetriever
from openmemory.bench.locomo import Turn

_AXES = {"cat": [1.0, 0.0, 0.0], "dog": [0.0, 1.0, 0.0], "fish": [0.0, 0.0, 1.0]}


class _KeywordEmbedder:
    """Sums one fixed unit vector per known keyword, then normalises: cosine equals keyword overlap."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str], *, sector: str | None = None) -> npt.NDArray[np.float32]:
        self.calls.append(list(texts))
        rows = [sum((np.array(v) for k, v in _AXES.items() if k in t), np.full(3, 1e-3)) for t in texts]
        matrix = np.array(rows, dtype=np.float32).reshape(len(texts), 3)
        normalised: npt.NDArray[np.float32] = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
        return normalised


def _turns(*texts: str) -> list[Turn]:
    return [Turn(f"D1:{n}", text, "A", 1, "") for n, text in enumerate(texts, start=1)]


def test_turns_are_ranked_by_cosine_to_the_question() -> None:
    retriever = DenseRetriever(_KeywordEmbedder())
    retriever.index("c", _turns("A: my fish", "A: my cat and dog", "A: my cat"))

    assert retriever.search("c", "tell me about the cat", 3) == ["D1:3", "D1:2", "D1:1"]
    assert retriever.search("c", "tell me about the cat", 1) == ["D1:3"]


def test_turns_are_embedded_once_per_index_and_conversations_stay_apart() -> None:
    embedder = _KeywordEmbedder()
    retriever = DenseRetriever(embedder)
    retriever.index("a", _turns("A: cat"))
    retriever.index("b", [Turn("D2:1", "B: dog", "B", 2, "")])

    assert retriever.search("a", "dog", 5) == ["D1:1"]
    assert retriever.search("b", "dog", 5) == ["D2:1"]
    assert embedder.calls[:2] == [["A: cat"], ["B: dog"]]


def test_an_empty_conversation_answers_nothing() -> None:
    retriever = DenseRetriever(_KeywordEmbedder())
    retriever.index("empty", [])

    assert retriever.search("empty", "cat", 10) == []
