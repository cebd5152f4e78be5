"""What the HTTP embedders share: ``HttpJsonClient``, the one place httpx failures become EmbedderError, and
``HttpEmbedder``, the batch loop around one request per batch."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from openmemory.engine.embed.base import Vectors, l2_normalise
from openmemory.errors import EmbedderError, OutboundRefused
from openmemory.outbound import OutboundPolicy

# How much of an error response body to quote in a message.
_BODY_SNIPPET_CHARS = 300


class HttpJsonClient:
    """POSTs JSON bodies to an embedding server; every failure becomes an EmbedderError.

    ``secret`` (the API key) is scrubbed from any quoted response body, so it cannot reach a log line.
    The underlying ``httpx.Client`` pools connections and is safe to share across threads. Every request obeys
    ``policy`` (default: no private addresses; see openmemory/outbound.py).
    """

    def __init__(
        self,
        *,
        headers: dict[str, str],
        timeout_s: float,
        secret: str | None = None,
        transport: httpx.BaseTransport | None = None,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        self._secret = secret
        policy = policy or OutboundPolicy()
        if policy.timeout_s != timeout_s:
            policy = dataclasses.replace(policy, timeout_s=timeout_s)
        self._client = policy.client(headers=headers, timeout=timeout_s, transport=transport)

    def post(self, url: str, body: dict[str, Any]) -> httpx.Response:
        """The raw response, whatever its status; a timeout or connection failure raises EmbedderError."""
        try:
            return self._client.post(url, json=body)
        except httpx.TimeoutException:
            raise EmbedderError(
                f"embedding request to {url} timed out after {self._timeout_s:g} s "
                f"(raise OM_EMBED_TIMEOUT_MS if the server is only slow)"
            ) from None
        except httpx.HTTPError as exc:
            raise EmbedderError(f"embedding request to {url} failed: {type(exc).__name__}: {exc}") from None
        except OutboundRefused as exc:
            raise EmbedderError(f"embedding request to {url} refused: {exc}") from None

    def decode(self, url: str, response: httpx.Response) -> Any:
        """The JSON body of a 2xx response; EmbedderError naming the URL and status otherwise."""
        if not response.is_success:
            raise EmbedderError(
                f"embedding request to {url} failed with HTTP {response.status_code}: {self.detail(response)}"
            )
        try:
            return response.json()
        except ValueError:
            raise EmbedderError(
                f"embedding server {url} answered HTTP {response.status_code} with a body that is not "
                f"JSON: {self.detail(response)}"
            ) from None

    def post_json(self, url: str, body: dict[str, Any]) -> Any:
        """``decode(post(...))``."""
        return self.decode(url, self.post(url, body))

    def detail(self, response: httpx.Response) -> str:
        """The start of the response body, on one line, with the secret removed."""
        text = response.text
        if self._secret:
            text = text.replace(self._secret, "***")
        text = " ".join(text.split()) or "(empty body)"
        return text[:_BODY_SNIPPET_CHARS] + ("..." if len(text) > _BODY_SNIPPET_CHARS else "")

    def close(self) -> None:
        self._client.close()


class HttpEmbedder:
    """The loop both HTTP embedders share: batches of at most ``batch_size`` texts, one request each
    (``_embed_batch``, which each server's embedder writes), unit vectors out.

    ``dim`` is the configured value or is learnt from the first response (reading it first may make one small
    request); every later answer must have it.
    """

    batch_size = 64

    def __init__(self, *, client: HttpJsonClient, kind: str, model: str, dim: int | None, source: str) -> None:
        self._client = client
        self._kind = kind
        self._model = model
        self._source = source  # who answered, for messages
        self._dim = dim
        self._dim_lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"{self._kind}:{self._model}"

    @property
    def dim(self) -> int:
        if self._dim is None:
            with self._dim_lock:
                if self._dim is None:
                    self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def embed_words(self, words: Sequence[str]) -> Vectors:
        """Words go through ``embed`` (the server batches them anyway)."""
        return self.embed(words)

    def embed(self, texts: Sequence[str], *, sector: str | None = None) -> Vectors:
        """One unit vector per text, in input order; ``sector`` is ignored."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows: list[Any] = []
        for start in range(0, len(texts), self.batch_size):
            rows.extend(self._embed_batch(list(texts[start : start + self.batch_size])))
        return l2_normalise(self._check_dim(rows))

    def embed_query(self, text: str) -> Vectors:
        """The vector of one text, 1-D."""
        row: Vectors = self.embed([text])[0]
        return row

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def _embed_batch(self, batch: list[str]) -> Sequence[Any]:
        """One vector (a list of numbers) per text of the batch, in order, from the server."""
        raise NotImplementedError

    def _check_dim(self, rows: list[Any]) -> Vectors:
        try:
            matrix = np.asarray(rows, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise EmbedderError(f"unexpected embeddings from {self._source}: {exc}") from None
        if matrix.ndim != 2 or matrix.shape[1] == 0:
            raise EmbedderError(f"unexpected response from {self._source}: embeddings of shape {matrix.shape}")
        if self._dim is None:
            self._dim = int(matrix.shape[1])
        elif matrix.shape[1] != self._dim:
            raise EmbedderError(f"{self._source} returned {matrix.shape[1]}-dimension vectors, expected {self._dim}")
        return matrix
