"""HttpJsonClient: the one place the HTTP embedders turn httpx failures into EmbedderError."""

from __future__ import annotations

from typing import Any

import httpx

from openmemory.errors import EmbedderError

# How much of an error response body to quote in a message.
_BODY_SNIPPET_CHARS = 300


class HttpJsonClient:
    """POSTs JSON bodies to an embedding server; every failure becomes an EmbedderError.

    ``secret`` (the API key) is scrubbed from any quoted response body, so it cannot reach a log line.
    The underlying ``httpx.Client`` pools connections and is safe to share across threads.
    """

    def __init__(
        self,
        *,
        headers: dict[str, str],
        timeout_s: float,
        secret: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        self._secret = secret
        self._client = httpx.Client(headers=headers, timeout=timeout_s, transport=transport)

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
