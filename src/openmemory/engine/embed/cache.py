"""A small LRU cache in front of an embedder's query embedding.

Agents ask the same questions again and again (the same tool prompt, a retried request), and a query embedding
is the largest single cost of a query (~3-4 ms with MiniLM on two cores). The vector of a text never changes
for a given model, so a bounded cache is always correct. Stored-memory embeddings bypass it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from openmemory.engine.embed.base import Embedder, Vectors

DEFAULT_ENTRIES = 2048


class QueryCache:
    """Wraps an embedder; ``embed_query`` is cached by text, everything else passes through."""

    def __init__(self, inner: Embedder, entries: int = DEFAULT_ENTRIES) -> None:
        self.inner = inner
        self._entries = entries
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()
        self._running: dict[str, Future[Vectors]] = {}  # started by prefetch, not yet in the cache
        self._worker: ThreadPoolExecutor | None = None

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
            running = self._running.get(text)
        if running is not None:
            return running.result()  # prefetched: wait for it (its error, if any, is raised here)
        return self._compute(text)

    def prefetch(self, text: str) -> None:
        """Start embedding ``text`` on a thread of its own unless it is cached or under way, so the caller can
        do work that does not need the vector meanwhile (the model releases the GIL); ``embed_query`` waits."""
        with self._lock:
            if text in self._cache or text in self._running:
                return
            if self._worker is None:
                self._worker = ThreadPoolExecutor(1, thread_name_prefix="om-query-embed")
            self._running[text] = self._worker.submit(self._compute, text)

    def close(self) -> None:
        """Stop the prefetch thread (it starts again on the next prefetch)."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.shutdown(wait=True)

    def _compute(self, text: str) -> Vectors:
        try:
            vector = self.inner.embed_query(text)
            vector.setflags(write=False)
            with self._lock:
                self._cache[text] = vector
                if len(self._cache) > self._entries:
                    self._cache.popitem(last=False)
            return vector
        finally:
            with self._lock:
                self._running.pop(text, None)
