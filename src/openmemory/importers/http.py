"""Talking to a source service: bounded retries on 429 and transient 5xx, one clear error for anything else."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from openmemory.errors import SourceAuthError, SourceFormatError, SourceUnavailable
from openmemory.outbound import OutboundPolicy

RETRIES = 6
BACKOFF_S = 0.5  # doubled per attempt: 0.5, 1, 2, 4, 8, 16 s
MAX_WAIT_S = 60.0  # a longer Retry-After is cut to this
TRANSIENT = frozenset({408, 425, 429, 500, 502, 503, 504})
Sleep = Callable[[float], None]


class SourceClient:
    """JSON over HTTP to one service (``name`` is what messages call it, e.g. ``Mem0``).

    A 401 or 403 raises SourceAuthError at once. A 429 waits for its Retry-After (at most a minute), a transient
    5xx or network error backs off exponentially; after ``retries`` attempts SourceUnavailable names the request.
    Every request obeys ``policy`` (default: no private addresses, no redirects; see openmemory/outbound.py), and
    a refusal raises OutboundRefused at once.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        headers: Mapping[str, str],
        *,
        timeout_s: float = 60.0,
        retries: int = RETRIES,
        backoff_s: float = BACKOFF_S,
        sleep: Sleep = time.sleep,
        transport: httpx.BaseTransport | None = None,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        policy = policy or OutboundPolicy(timeout_s=timeout_s)
        self._http = policy.client(
            base_url=self.base_url, headers=dict(headers), timeout=timeout_s, transport=transport
        )
        self._retries = retries
        self._secrets = _credentials_in(headers)
        self._backoff_s = backoff_s
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> Any:
        return self.request("POST", path, params=params, body=body)

    def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Mapping[str, Any] | None = None
    ) -> Any:
        what = f"{method} {self.base_url}{path}"
        for attempt in range(self._retries + 1):
            try:
                response = self._http.request(method, path, params=params, json=body)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                wait = self._backoff_s * 2**attempt
            else:
                if response.status_code in (401, 403):
                    raise SourceAuthError(
                        f"{self.name} refused the API key (HTTP {response.status_code} from {what}); check --api-key"
                    )
                if response.is_success:
                    return _json_of(response, self.name, what, self._secrets)
                problem = f"HTTP {response.status_code}: {_scrubbed(response.text, self._secrets)[:200]}"
                if response.status_code not in TRANSIENT:
                    raise SourceUnavailable(f"{self.name} answered {problem} to {what}")
                wait = _retry_after(response) if response.status_code == 429 else None
                wait = self._backoff_s * 2**attempt if wait is None else wait
            if attempt < self._retries:
                self._sleep(min(wait, MAX_WAIT_S))
        raise SourceUnavailable(f"{self.name} still failing after {self._retries + 1} attempts at {what}: {problem}")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _json_of(response: httpx.Response, name: str, what: str, secrets: tuple[str, ...]) -> Any:
    try:
        return response.json()
    except ValueError:
        raise SourceFormatError(
            f"{name} answered {what} with something that is not JSON: {_scrubbed(response.text, secrets)[:120]!r}"
        ) from None


def _credentials_in(headers: Mapping[str, str]) -> tuple[str, ...]:
    """The secrets among request headers: an Authorization value (and its part after the scheme), and any
    header named like a key or token."""
    found: list[str] = []
    for name, value in headers.items():
        lowered = name.lower()
        if lowered == "authorization" or "key" in lowered or "token" in lowered:
            found += [value, value.partition(" ")[2].strip()]
    return tuple(sorted({s for s in found if len(s) >= 4}, key=len, reverse=True))


def _scrubbed(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` (a quoted answer) with every secret replaced by ``***``: a service may echo the key it refused."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
