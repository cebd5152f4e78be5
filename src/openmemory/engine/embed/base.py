"""The Embedder protocol: text in, L2-normalised float32 vectors out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns text into unit-length float32 vectors of a fixed dimension.

    ``name`` is the stable model identifier recorded in the database next to the vectors (for example
    ``"minilm-l6-v2-int8"`` or ``"synthetic-256"``); a database built by one embedder must not be
    searched with another. ``embed`` returns an array of shape ``(len(texts), dim)``, ``(0, dim)`` for no
    texts. ``sector`` is a hint that only the synthetic embedder uses. Failures raise ``EmbedderError``.
    """

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str], *, sector: str | None = None) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...

    def embed_words(self, words: Sequence[str]) -> Vectors:
        """Vectors of single words or short phrases, to compare words with each other (the vocabulary
        expansion). A word's vector must not depend on the other words embedded with it: the word cache is
        shared by every owner of a process."""
        ...


def l2_normalise(vectors: npt.NDArray[np.floating[Any]]) -> Vectors:
    """Rows scaled to unit length, as float32; an all-zero row stays zero."""
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    np.maximum(norms, np.float32(1e-12), out=norms)
    result: Vectors = (matrix / norms).astype(np.float32, copy=False)
    return result
