"""``opm mcp`` as an MCP client meets it: a real subprocess on stdio, driven by the official ``mcp`` client."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import anyio
import pytest

from mcp import MCPError
from tests.mcp.session import TOOL_NAMES, call, call_json, stdio_session


def test_stdio_server_lists_tools_stores_queries_and_stays_up_after_a_failing_call(tmp_path: Path) -> None:
    async def scenario(errlog: TextIO) -> None:
        async with stdio_session(tmp_path / "m.sqlite", errlog=errlog) as mcp:
            assert {t.name for t in (await mcp.list_tools()).tools} == TOOL_NAMES
            stored = await call_json(mcp, "openmemory_store_project", content="The API uses port 8080",
                                     project_id="alpha")  # fmt: skip
            assert stored["project_id"] == "alpha" and stored["user_id"] is None
            memory_id = stored["hsg"]["id"]
            texts, is_error = await call(mcp, "openmemory_query", query="which port does the API use")
            assert not is_error and f"id={memory_id}" in texts[0]
            # a failing tool is a result with isError, and the server keeps serving
            texts, is_error = await call(mcp, "openmemory_store", content="x", type="factual")
            assert is_error and texts[0].startswith("Error: Facts array is required")
            with pytest.raises(MCPError, match="Invalid arguments: k"):
                await mcp.call_tool("openmemory_query", {"query": "port", "k": 100})
            with pytest.raises(MCPError, match="Tool not found: openmemory_nope"):
                await mcp.call_tool("openmemory_nope", {})
            texts, is_error = await call(mcp, "openmemory_query", query="port", type="factual")
            assert not is_error and texts[0] == "No temporal facts matched the query."
            listed = await call_json(mcp, "openmemory_list")
            assert [item["id"] for item in listed["items"]] == [memory_id]

    with open(tmp_path / "err.log", "w") as errlog:  # the subprocess's stderr needs a real file
        anyio.run(scenario, errlog)
    assert "MCP on stdio" in (tmp_path / "err.log").read_text()  # logs went to stderr, not into the protocol


def test_stdio_user_option_pins_every_call_to_that_user(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"

    async def scenario() -> None:
        async with stdio_session(db, "--user", "alice") as mcp:
            stored = await call_json(mcp, "openmemory_store", content="alice prefers green tea")
            assert stored["user_id"] == "alice" and stored["project_id"] == "system_global"
            texts, is_error = await call(mcp, "openmemory_list", user_id="bob")
            assert is_error and "tenant_mismatch" in texts[0]
        async with stdio_session(db, OM_USER_ID="bob") as mcp:  # the environment names the user too
            assert (await call_json(mcp, "openmemory_list"))["items"] == []
            texts, _ = await call(mcp, "openmemory_get", id=stored["hsg"]["id"])
            assert texts == [f"Memory {stored['hsg']['id']} not found for user bob."]

    anyio.run(scenario)


def test_every_tool_and_argument_is_documented() -> None:
    from openmemory.mcp.tools import TOOLS

    text = (Path(__file__).parents[2] / "docs" / "mcp.md").read_text(encoding="utf-8")
    for spec in TOOLS:
        assert f"`{spec.name}`" in text, spec.name
        row = next(line for line in text.splitlines() if line.startswith(f"| `{spec.name}`"))
        for argument in spec.arguments.model_fields:
            assert f"`{argument}`" in row or argument in ("facts", "tags", "metadata", "type"), (spec.name, argument)
    assert "openmemory://config" in text
