"""Official ``mcp`` client sessions for the MCP tests: stdio against a real ``opm mcp`` subprocess, streamable HTTP
against a real server, and small helpers that read a tool result the way a client would."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TextIO

import httpx2
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from mcp import ClientSession, StdioServerParameters

TOOL_NAMES = {
    "openmemory_query", "openmemory_store", "openmemory_store_project", "openmemory_reinforce",
    "openmemory_delete", "openmemory_list", "openmemory_get",
}  # fmt: skip


def opm_command() -> str:
    """The ``opm`` script of the running interpreter's environment."""
    return str(Path(sys.executable).parent / "opm")


@asynccontextmanager
async def stdio_session(db: Path, *args: str, errlog: TextIO | None = None, **env: str) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=opm_command(),
        args=["mcp", *args],
        env={"OM_DB_PATH": str(db), "OM_EMBEDDINGS": "synthetic", **env},
    )
    async with (
        stdio_client(params, errlog=errlog or sys.stderr) as (read, write),
        ClientSession(read, write, read_timeout_seconds=60) as session,
    ):
        await session.initialize()
        yield session


@asynccontextmanager
async def http_session(url: str, key: str | None) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write, read_timeout_seconds=60) as session,
    ):
        await session.initialize()
        yield session


async def call(session: ClientSession, name: str, **arguments: Any) -> tuple[list[str], bool]:
    """A tool's text blocks and its isError flag."""
    result = await session.call_tool(name, arguments)
    texts = [block.text for block in result.content if getattr(block, "type", None) == "text"]  # type: ignore[union-attr]
    return texts, bool(result.is_error)


async def call_json(session: ClientSession, name: str, **arguments: Any) -> Any:
    """The JSON block (the last text block) of a tool that succeeded."""
    texts, is_error = await call(session, name, **arguments)
    assert not is_error, texts
    return json.loads(texts[-1])
