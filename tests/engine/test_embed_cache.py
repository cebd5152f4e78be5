"""The query-embedding cache: a question embedded ahead (prefetch) gives the same vector, once, and its errors."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from openmemory.engine.embed.base import Vectors
from openmemory.engine.embed.cache import QueryCache
from openmemory.engine.embed.synthetic import SyntheticEmbedder
from openmemory.errors import EmbedderError


class Counting(SyntheticEmbedder):
    """The synthetic embedder, counting its query embeddings, optionally held until released or failing."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__(dim=32)
        self.calls = 0
        self.release = threading.Event()
        self.release.set()
        self.fail = fail

    def embed_query(self, text: str) -> Vectors:
        self.release.wait(10)
        self.calls += 1
        if self.fail:
            raise EmbedderError("the model is gone")
        return super().embed_query(text)


def test_a_prefetched_question_is_embedded_once_and_gives_the_same_vector() -> None:
    inner = Counting()
    inner.release.clear()  # the prefetch is still running when the vector is asked for
    cache = QueryCache(inner)
    cache.prefetch("where is the key?")
    cache.prefetch("where is the key?")  # already under way: not started twice
    inner.release.set()
    got = cache.embed_query("where is the key?")
    assert np.array_equal(got, SyntheticEmbedder(dim=32).embed_query("where is the key?"))
    assert np.array_equal(cache.embed_query("where is the key?"), got)
    cache.prefetch("where is the key?")  # cached: nothing to do
    assert inner.calls == 1
    cache.close()


def test_a_prefetch_that_fails_raises_where_the_vector_is_asked_for_and_is_not_cached() -> None:
    inner = Counting(fail=True)
    cache = QueryCache(inner)
    cache.prefetch("q")
    with pytest.raises(EmbedderError, match="the model is gone"):
        cache.embed_query("q")
    inner.fail = False
    assert cache.embed_query("q").shape == (32,)  # the failure was not kept
    cache.close()
