"""Request guards that run before routing: a body-size cap (413) and a well-formed URL path (400).

Upstream's server died on ``GET /memory/%E0%A4%A`` (reference §10.1 #14): here a path whose percent escapes are
malformed or do not decode as UTF-8 is answered with 400 before any route sees it.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openmemory.api.errors import error_response

_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def is_well_formed_path(raw_path: bytes) -> bool:
    """True when every ``%`` starts a two-digit hex escape and the decoded bytes are UTF-8."""
    if _BAD_ESCAPE.search(raw_path):
        return False
    try:
        unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class RequestGuard:
    """Answers malformed paths with 400 and bodies over ``max_body_bytes`` with 413, in the one error shape."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        if not is_well_formed_path(raw_path.split(b"?", 1)[0]):
            message = "the URL path has a malformed percent-escape or is not UTF-8"
            await error_response(400, "bad_request", message)(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await error_response(413, "payload_too_large", self._too_large())(scope, receive, send)
            return
        await self.app(scope, self._capped(receive), send)

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_body_bytes} bytes (OM_MAX_PAYLOAD_SIZE)"

    def _capped(self, receive: Receive) -> Receive:
        seen = 0

        async def capped_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise HTTPException(413, self._too_large())
            return message

        return capped_receive


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
