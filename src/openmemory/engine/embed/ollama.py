"""OllamaEmbedder: embeddings from a local Ollama server."""

from __future__ import annotations

from typing import Any

import httpx

from openmemory.engine.embed.httpjson import HttpEmbedder, HttpJsonClient
from openmemory.errors import EmbedderError
from openmemory.outbound import OutboundPolicy

MAX_INPUTS_PER_REQUEST = 64


class OllamaEmbedder(HttpEmbedder):
    """Embeddings from Ollama's ``POST /api/embed`` (batched).

    Servers older than Ollama 0.3 lack that route and answer 404; the embedder then falls back, for good,
    to upstream's ``POST /api/embeddings`` with one text per request. ``dim`` is the configured value or
    is learnt from the first response (reading it first may make one small request).
    """

    batch_size = MAX_INPUTS_PER_REQUEST

    def __init__(
        self,
        *,
        url: str,
        model: str,
        dim: int | None = None,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        policy: OutboundPolicy | None = None,
    ) -> None:
        base = url.rstrip("/")
        self._embed_url = base + "/api/embed"
        self._legacy_url = base + "/api/embeddings"
        self._is_legacy = False
        client = HttpJsonClient(headers={}, timeout_s=timeout_s, transport=transport, policy=policy)
        super().__init__(client=client, kind="ollama", model=model, dim=dim, source=f"Ollama model {model!r}")

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
