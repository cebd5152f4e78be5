"""OllamaEmbedder: embeddings from a local Ollama server."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from openmemory.engine.embed.base import Vectors, l2_normalise
from openmemory.engine.embed.httpjson import HttpJsonClient
from openmemory.errors import EmbedderError

MAX_INPUTS_PER_REQUEST = 64


class OllamaEmbedder:
    """Embeddings from Ollama's ``POST /api/embed`` (batched).

    Servers older than Ollama 0.3 lack that route and answer 404; the embedder then falls back, for good,
    to upstream's ``POST /api/embeddings`` with one text per request. ``dim`` is the configured value or
    is learnt from the first response (reading it first may make one small request).
    """

    def __init__(
        self,
        *,
        url: str,
        model: str,
        dim: int | None = None,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base = url.rstrip("/")
        self._embed_url = base + "/api/embed"
        self._legacy_url = base + "/api/embeddings"
        self._model = model
        self._client = HttpJsonClient(headers={}, timeout_s=timeout_s, transport=transport)
        self._is_legacy = False
        self._dim = dim
        self._dim_lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"ollama:{self._model}"

    @property
    def dim(self) -> int:
        if self._dim is None:
            with self._dim_lock:
                if self._dim is None:
                    self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def embed(self, texts: Sequence[str], *, sector: str | None = None) -> Vectors:
        """One unit vector per text, in input order; ``sector`` is ignored."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows: list[Any] = []
        for start in range(0, len(texts), MAX_INPUTS_PER_REQUEST):
            rows.extend(self._embed_batch(list(texts[start : start + MAX_INPUTS_PER_REQUEST])))
        return l2_normalise(self._check_dim(rows))

    def embed_query(self, text: str) -> Vectors:
        """The vector of one text, 1-D."""
        row: Vectors = self.embed([text])[0]
        return row

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def _embed_batch(self, batch: list[str]) -> list[Any]:
        if not self._is_legacy:
            response = self._client.post(self._embed_url, {"model": self._model, "input": batch})
            if response.status_code != httpx.codes.NOT_FOUND:
                payload = self._client.decode(self._embed_url, response)
                return self._field(payload, "embeddings", self._embed_url, len(batch))
            # 404 means either "no /api/embed on this server" or "model not pulled"; the legacy route
            # tells the two apart, and its error quotes the first answer too.
            first_detail = self._client.detail(response)
            try:
                rows = [self._embed_legacy(text) for text in batch]
            except EmbedderError as exc:
                raise EmbedderError(f"{exc} (and {self._embed_url} answered HTTP 404: {first_detail})") from None
            self._is_legacy = True
            return rows
        return [self._embed_legacy(text) for text in batch]

    def _embed_legacy(self, text: str) -> list[Any]:
        payload = self._client.post_json(self._legacy_url, {"model": self._model, "prompt": text})
        return self._field(payload, "embedding", self._legacy_url, None)

    def _field(self, payload: Any, field: str, url: str, count: int | None) -> list[Any]:
        value = payload.get(field) if isinstance(payload, dict) else None
        if not isinstance(value, list) or (count is not None and len(value) != count):
            expected = f"{count} vectors" if count is not None else "a vector"
            raise EmbedderError(f"unexpected response from {url}: expected {field!r} holding {expected}")
        return value

    def _check_dim(self, rows: list[Any]) -> Vectors:
        try:
            matrix = np.asarray(rows, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise EmbedderError(f"unexpected embeddings from Ollama model {self._model!r}: {exc}") from None
        if matrix.ndim != 2 or matrix.shape[1] == 0:
            raise EmbedderError(f"Ollama model {self._model!r} returned embeddings of shape {matrix.shape}")
        if self._dim is None:
            self._dim = int(matrix.shape[1])
        elif matrix.shape[1] != self._dim:
            raise EmbedderError(
                f"Ollama model {self._model!r} returned {matrix.shape[1]}-dimension vectors, expected {self._dim}"
            )
        return matrix
