"""Dense-only baseline of the LoCoMo benchmark: cosine similarity between question and turn embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from openmemory.bench.locomo import Turn


class TextEmbedder(Protocol):
    """The part of `openmemory.engine.embed.Embedder` used here: one L2-normalised row per text."""

    def embed(self, texts: Sequence[str]) -> npt.NDArray[Any]: ...


class DenseRetriever:
    """A `Retriever` that ranks a conversation's turns by cosine similarity to the question."""

    def __init__(self, embedder: TextEmbedder) -> None:
        self.embedder = embedder
        self._indexes: dict[str, tuple[npt.NDArray[np.float32], list[str]]] = {}

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        """Embed every turn's text; replaces any earlier index of `conversation_id`."""
        vectors = np.asarray(self.embedder.embed([turn.text for turn in turns]), dtype=np.float32)
        self._indexes[conversation_id] = (vectors, [turn.dia_id for turn in turns])

    def search(self, conversation_id: str, question: str, k: int) -> list[str]:
        """Return the `k` dia_ids whose turns are nearest to `question`, best first, ties by turn order."""
        vectors, dia_ids = self._indexes[conversation_id]
        if not dia_ids:
            return []
        query = np.asarray(self.embedder.embed([question]), dtype=np.float32)[0]
        # Rows are L2-normalised by the embedder, so the dot product is the cosine.
        order = np.argsort(-(vectors @ query), kind="stable")[:k]
        return [dia_ids[int(position)] for position in order]
