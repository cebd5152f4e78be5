"""The MCP server: upstream OpenMemory's tools and ``openmemory://config`` over the official ``mcp`` SDK (2.x).

Built on the SDK's low-level ``Server`` rather than ``MCPServer``, because upstream's contract differs from
MCPServer's in two places that clients notice: arguments that fail the tool's schema are a JSON-RPC
InvalidParams error (``Invalid arguments: ...``), and an unknown tool is MethodNotFound (``Tool not found: X``);
MCPServer reports both as tool results. An exception inside a tool is a result with ``isError: true``
(``Error: <message>``); nothing a tool raises stops the server.

Two transports: ``run_stdio`` (``opm mcp``) and ``http_session_manager`` (``POST /mcp`` on ``opm serve``,
stateless, JSON responses, mounted by ``openmemory.api.mcp_endpoint``). ``actor_of`` tells a request's
``Actor``: fixed for stdio, the authenticated caller for HTTP.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import anyio
import mcp.types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from openmemory.engine.sectors import DECAY_LAMBDA_PER_DAY, SECTOR_WEIGHT
from openmemory.errors import OpenMemoryError, TenantMismatch
from openmemory.mcp.arguments import input_schema
from openmemory.mcp.tools import TENANT_MISMATCH, TOOLS, Actor, Reply, ToolSpec
from openmemory.memory import Memory
from openmemory.models import SECTORS

log = logging.getLogger("openmemory.mcp")

SERVER_NAME = "openmemory-mcp"  # upstream's name, which clients show
CONFIG_URI = "openmemory://config"
ActorOf = Callable[[Any], Actor]  # the request context -> who its tool calls act for


def build_server(memory: Memory, actor_of: ActorOf, version: str) -> Server[Any]:
    """An MCP server whose tools act on ``memory`` for the actor ``actor_of(request context)`` names."""
    specs = {spec.name: spec for spec in TOOLS}
    tools = [types.Tool(name=s.name, description=s.description, input_schema=input_schema(s.arguments)) for s in TOOLS]

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        spec = specs.get(params.name)
        if spec is None:
            raise MCPError(types.METHOD_NOT_FOUND, f"Tool not found: {params.name}")
        try:
            args = spec.arguments.model_validate(params.arguments or {})
        except ValidationError as exc:
            raise MCPError(types.INVALID_PARAMS, f"Invalid arguments: {_describe(exc)}") from None
        reply = await anyio.to_thread.run_sync(_run, spec, memory, actor_of(ctx), args)
        content: list[types.ContentBlock] = [types.TextContent(type="text", text=text) for text in reply.texts]
        return types.CallToolResult(content=content, is_error=reply.is_error)

    async def list_resources(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
        config = types.Resource(
            uri=CONFIG_URI, name="openmemory-config", mime_type="application/json",
            description="Runtime configuration snapshot for the OpenMemory MCP server",
        )  # fmt: skip
        return types.ListResourcesResult(resources=[config])

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        if str(params.uri) != CONFIG_URI:
            raise MCPError(types.INVALID_PARAMS, f"Unknown resource: {params.uri}", {"uri": str(params.uri)})
        actor = actor_of(ctx)
        text = await anyio.to_thread.run_sync(_config, memory, actor, version)
        contents: list[types.TextResourceContents | types.BlobResourceContents] = [
            types.TextResourceContents(uri=CONFIG_URI, text=text, mime_type="application/json")
        ]
        return types.ReadResourceResult(contents=contents)

    return Server(
        SERVER_NAME,
        version=version,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )


def _run(spec: ToolSpec[Any], memory: Memory, actor: Actor, args: Any) -> Reply:
    """One tool call; every failure becomes an ``isError`` reply (this is the MCP surface's error edge)."""
    try:
        return spec.run(memory, actor, args)
    except TenantMismatch:
        return Reply((f"Error: {TENANT_MISMATCH}",), is_error=True)
    except OpenMemoryError as exc:
        return Reply((f"Error: {exc}",), is_error=True)
    except Exception:
        log.exception("MCP tool %s failed", spec.name)
        return Reply(("Error: internal error; the server log has the details",), is_error=True)


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "arguments"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def _config(memory: Memory, actor: Actor, version: str) -> str:
    """``openmemory://config``: upstream's shape; the stats are the actor's own (upstream counted everyone's)."""
    stats = memory.stats(user_id=actor.user(None))
    payload = {
        "mode": "standard",
        "sectors": {s: {"decay_lambda": DECAY_LAMBDA_PER_DAY[s], "weight": SECTOR_WEIGHT[s]} for s in SECTORS},
        "stats": [{"sector": s, "count": stats.per_sector.get(s, 0)} for s in SECTORS],
        "embeddings": {
            "provider": memory.settings.embeddings, "model": memory.embedder.name, "dim": memory.embedder.dim,
        },
        "server": {"name": SERVER_NAME, "version": version},
        "available_tools": [spec.name for spec in TOOLS],
    }  # fmt: skip
    return json.dumps(payload, indent=2)


def http_session_manager(server: Server[Any]) -> StreamableHTTPSessionManager:
    """Streamable HTTP as upstream serves it: stateless (no sessions to track or resume) with JSON responses."""
    return StreamableHTTPSessionManager(server, stateless=True, json_response=True)


async def run_stdio(memory: Memory, actor: Actor, version: str) -> None:
    """Serve MCP on stdin/stdout until the client closes stdin. Only JSON-RPC is written to stdout."""
    server = build_server(memory, lambda _ctx: actor, version)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
