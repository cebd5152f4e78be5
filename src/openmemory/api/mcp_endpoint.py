"""``POST /mcp``: the MCP tools over streamable HTTP, behind the same API keys as the REST routes.

Each request is authenticated here exactly as a REST request is (``KeyRing.caller_for``: a missing or unknown key
is a 401 in the API's error shape, before any MCP parsing), and the caller rides along in the ASGI scope to the
tools, which act for its tenant (``Actor``). The transport is stateless with JSON responses, as upstream's is, so
any number of clients and workers can share it. GET and DELETE, which a stateful session would use, are 405
with upstream's JSON-RPC body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from openmemory.api.auth import Caller, KeyRing, presented_key
from openmemory.api.errors import error_response, rate_limited_response
from openmemory.api.ratelimit import KeyLimiter
from openmemory.api.routes.health import package_version
from openmemory.errors import RateLimited, Unauthenticated
from openmemory.mcp.server import build_server, http_session_manager
from openmemory.mcp.tools import Actor
from openmemory.memory import Memory

PATH = "/mcp"
_CALLER = "openmemory_caller"
NOT_ALLOWED = {
    "jsonrpc": "2.0",
    "error": {"code": -32600, "message": "Method not supported. Use POST  /mcp with JSON payload."},
    "id": None,
}


def actor_of_request(ctx: Any) -> Actor:
    """The Actor of an HTTP tool call: the caller this endpoint authenticated. Fails closed without one."""
    request = getattr(ctx, "request", None)
    state = request.scope.get("state", {}) if request is not None else {}
    caller = state.get(_CALLER)
    if not isinstance(caller, Caller):
        raise Unauthenticated("MCP request without an authenticated caller")
    return Actor(tenant=None if caller.can_name_any_user else caller.tenant)


class McpEndpoint:
    """The ASGI app served at ``/mcp``; the session manager is the app's (``app.state.mcp``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method != "POST":
            await JSONResponse(NOT_ALLOWED, status_code=405, headers={"Allow": "POST"})(scope, receive, send)
            return
        keyring: KeyRing = request.app.state.keyring
        try:
            caller = keyring.caller_for(presented_key(request))
        except Unauthenticated as exc:
            await error_response(401, exc.code, str(exc))(scope, receive, send)
            return
        request.state.meter_key = caller.meter_key
        scope.setdefault("state", {})[_CALLER] = caller
        manager = getattr(request.app.state, "mcp", None)
        if manager is None:  # the app is not started (no lifespan): nothing can serve it
            await Response(status_code=503)(scope, receive, send)
            return
        limiter: KeyLimiter = request.app.state.limiter
        try:
            await limiter.admit(caller.meter_key)
        except RateLimited as exc:
            await rate_limited_response(exc)(scope, receive, send)
            return
        try:
            await manager.handle_request(scope, receive, send)
        finally:
            limiter.release(caller.meter_key)


@asynccontextmanager
async def serving_mcp(app: Any, memory: Memory) -> AsyncIterator[None]:
    """Run the app's MCP session manager for the app's lifetime (inside its lifespan)."""
    manager = http_session_manager(build_server(memory, actor_of_request, package_version()))
    async with manager.run():
        app.state.mcp = manager
        try:
            yield
        finally:
            app.state.mcp = None
