"""A small LRU cache in front of an embedder's query embedding.

Agents ask the same questions again and again (the same tool prompt, a retried request), and a query embedding
is the largest single cost of a query (~3-4 ms with MiniLM on two cores). The vector of a text never changes
for a given model, so a bounded cache is always correct. Stored-memory embeddings bypass it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from openmemory.engine.embed.base import Embedder, Vectors

DEFAULT_ENTRIES = 2048


class QueryCache:
    """Wraps an embedder; ``embed_query`` is cached by text, everything else passes through."""

    def __init__(self, inner: Embedder, entries: int = DEFAULT_ENTRIES) -> None:
        self.inner = inner
        self._entries = entries
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def load(self) -> None:
        """Load the inner embedder's model now (a server does it at start-up) when it has a ``load``."""
        load = getattr(self.inner, "load", None)
        if callable(load):
            load()

    def embed(self, texts: Sequence[str], *, sector: str | None = None) -> Vectors:
        return self.inner.embed(texts, sector=sector)

    def embed_words(self, words: Sequence[str]) -> Vectors:
        return self.inner.embed_words(words)

    def embed_query(self, text: str) -> Vectors:
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vector = self.inner.embed_query(text)
        vector.setflags(write=False)
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self._entries:
                self._cache.popitem(last=False)
        return vector
