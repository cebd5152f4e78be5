"""OpenAIEmbedder: any server that speaks OpenAI's ``POST /embeddings`` (OpenAI, Azure-style proxies, vLLM,
LM Studio, LiteLLM ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import SecretStr

from openmemory.engine.embed.httpjson import HttpEmbedder, HttpJsonClient
from openmemory.errors import EmbedderError
from openmemory.outbound import OutboundPolicy

# OpenAI accepts up to 2048 inputs per request; smaller requests keep a slow or failed call cheap.
MAX_INPUTS_PER_REQUEST = 256


class OpenAIEmbedder(HttpEmbedder):
    """Embeddings from an OpenAI-compatible HTTP API.

    ``dimensions`` is sent to the server when given (models such as text-embedding-3-* shorten their
    vectors); otherwise the dimension is learnt from the first response, so reading ``dim`` first may
    make one small request. Errors (HTTP status, timeout, malformed body) raise EmbedderError naming the
    URL and status, never the key.
    """

    batch_size = MAX_INPUTS_PER_REQUEST

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: SecretStr | str | None = None,
        dimensions: int | None = None,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        policy: OutboundPolicy | None = None,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._url = base_url.rstrip("/") + "/embeddings"
        self._dimensions = dimensions
        client = HttpJsonClient(headers=headers, timeout_s=timeout_s, secret=key, transport=transport, policy=policy)
        super().__init__(client=client, kind="openai", model=model, dim=dimensions, source=f"{self._url} ({model})")

    def _embed_batch(self, batch: list[str]) -> Sequence[Any]:
        body: dict[str, Any] = {"input": batch, "model": self._model}
        if self._dimensions is not None:
            body["dimensions"] = self._dimensions
        payload = self._client.post_json(self._url, body)
        try:
            by_index = {int(item["index"]): item["embedding"] for item in payload["data"]}
            return [by_index[i] for i in range(len(batch))]
        except (KeyError, TypeError, ValueError) as exc:
            raise EmbedderError(
                f"unexpected response from {self._url}: expected data[].index/embedding for "
                f"{len(batch)} inputs ({type(exc).__name__}: {exc})"
            ) from None
