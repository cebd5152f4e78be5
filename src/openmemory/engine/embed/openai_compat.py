"""OpenAIEmbedder: any server that speaks OpenAI's ``POST /embeddings`` (OpenAI, Azure-style proxies, vLLM,
LM Studio, LiteLLM ...)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np
from pydantic import SecretStr

from openmemory.engine.embed.base import Vectors, l2_normalise
from openmemory.engine.embed.httpjson import HttpJsonClient
from openmemory.errors import EmbedderError

# OpenAI accepts up to 2048 inputs per request; smaller requests keep a slow or failed call cheap.
MAX_INPUTS_PER_REQUEST = 256


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible HTTP API.

    ``dimensions`` is sent to the server when given (models such as text-embedding-3-* shorten their
    vectors); otherwise the dimension is learnt from the first response, so reading ``dim`` first may
    make one small request. Errors (HTTP status, timeout, malformed body) raise EmbedderError naming the
    URL and status, never the key.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: SecretStr | str | None = None,
        dimensions: int | None = None,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._url = base_url.rstrip("/") + "/embeddings"
        self._model = model
        self._dimensions = dimensions
        self._client = HttpJsonClient(headers=headers, timeout_s=timeout_s, secret=key, transport=transport)
        self._dim = dimensions
        self._dim_lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"openai:{self._model}"

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
        parts = [
            self._request(list(texts[start : start + MAX_INPUTS_PER_REQUEST]))
            for start in range(0, len(texts), MAX_INPUTS_PER_REQUEST)
        ]
        return l2_normalise(np.concatenate(parts))

    def embed_query(self, text: str) -> Vectors:
        """The vector of one text, 1-D."""
        row: Vectors = self.embed([text])[0]
        return row

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def _request(self, batch: list[str]) -> Vectors:
        body: dict[str, Any] = {"input": batch, "model": self._model}
        if self._dimensions is not None:
            body["dimensions"] = self._dimensions
        payload = self._client.post_json(self._url, body)
        try:
            items = payload["data"]
            by_index = {int(item["index"]): item["embedding"] for item in items}
            rows = [by_index[i] for i in range(len(batch))]
            matrix = np.asarray(rows, dtype=np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise EmbedderError(
                f"unexpected response from {self._url}: expected data[].index/embedding for "
                f"{len(batch)} inputs ({type(exc).__name__}: {exc})"
            ) from None
        return self._check_dim(matrix)

    def _check_dim(self, matrix: Vectors) -> Vectors:
        if matrix.ndim != 2 or matrix.shape[1] == 0:
            raise EmbedderError(f"unexpected response from {self._url}: embeddings of shape {matrix.shape}")
        if self._dim is None:
            self._dim = int(matrix.shape[1])
        elif matrix.shape[1] != self._dim:
            raise EmbedderError(
                f"{self._url} returned {matrix.shape[1]}-dimension vectors for model {self._model!r}, "
                f"expected {self._dim}"
            )
        return matrix
