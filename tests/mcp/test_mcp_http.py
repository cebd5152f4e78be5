"""``POST /mcp`` on a real server, driven by the official ``mcp`` client: tools act for the API key's tenant."""

from __future__ import annotations

import json
import re

import anyio
import httpx
import pytest

from mcp import MCPError
from tests.live import ADMIN_KEY, KEYS
from tests.mcp.session import TOOL_NAMES, call, call_json, http_session


def test_tools_store_query_list_get_reinforce_and_delete_for_the_tenant(server_url: str) -> None:
    async def scenario() -> None:
        async with http_session(server_url, KEYS["alice"]) as mcp:
            tools = {t.name: t for t in (await mcp.list_tools()).tools}
            assert set(tools) == TOOL_NAMES
            query_args = tools["openmemory_query"].input_schema["properties"]
            assert query_args["type"]["enum"] == ["contextual", "factual", "unified"]
            assert query_args["k"]["maximum"] == 32 and query_args["k"]["default"] == 8

            shared = await call_json(mcp, "openmemory_store", content="Deploys go out on Tuesdays", tags=["ops"])
            assert shared["user_id"] == "alice" and shared["project_id"] == "system_global"
            alpha = await call_json(mcp, "openmemory_store_project", content="Alpha deploys with Helm",
                                    project_id="alpha")  # fmt: skip
            beta = await call_json(mcp, "openmemory_store_project", content="Beta deploys with Nomad",
                                   project_id="beta")  # fmt: skip

            texts, is_error = await call(mcp, "openmemory_query", query="how do deploys work", project_id="alpha")
            assert not is_error and texts[0].startswith("1. [")
            found = {m["id"] for m in json.loads(texts[1])["contextual"]}
            assert found == {shared["hsg"]["id"], alpha["hsg"]["id"]}  # beta's stays in beta

            listed = await call_json(mcp, "openmemory_list", project_id="beta")
            assert {i["id"] for i in listed["items"]} == {shared["hsg"]["id"], beta["hsg"]["id"]}
            assert (await call(mcp, "openmemory_list"))[0][0].count("user=alice") == 3

            memory_id = alpha["hsg"]["id"]
            got = await call_json(mcp, "openmemory_get", id=memory_id, include_vectors=True)
            assert got["content"] == "Alpha deploys with Helm" and got["project_id"] == "alpha" and got["sectors"]
            texts, _ = await call(mcp, "openmemory_reinforce", id=memory_id, boost=0.5)
            assert texts == [f"Reinforced memory {memory_id} by 0.5"]
            assert (await call_json(mcp, "openmemory_get", id=memory_id))["salience"] > got["salience"]

            texts, is_error = await call(mcp, "openmemory_delete", id=memory_id, project_id="beta")
            assert is_error and texts == [f"Memory {memory_id} not found or could not be deleted."]
            deleted = await call(mcp, "openmemory_delete", id=memory_id)
            assert deleted == ([f"Memory {memory_id} successfully deleted."], False)
            gone = await call(mcp, "openmemory_get", id=memory_id)
            assert gone == ([f"Memory {memory_id} not found for user alice."], False)

    anyio.run(scenario)


def test_another_tenant_neither_sees_nor_names_the_tenants_memories(server_url: str) -> None:
    async def scenario() -> None:
        async with http_session(server_url, KEYS["alice"]) as alice:
            stored = await call_json(alice, "openmemory_store", content="alice's locker code is 4411")
            texts, is_error = await call(alice, "openmemory_list", user_id="bob")
            assert is_error and texts == [
                "Error: tenant_mismatch: user_id does not match authenticated tenant; omit user_id or pass the "
                "tenant identifier"
            ]
        async with http_session(server_url, KEYS["bob"]) as bob:
            texts, _ = await call(bob, "openmemory_query", query="locker code")
            assert texts[0] == "No contextual memories matched the query."
            texts, _ = await call(bob, "openmemory_get", id=stored["hsg"]["id"], user_id="bob")
            assert texts == [f"Memory {stored['hsg']['id']} not found for user bob."]
            texts, is_error = await call(bob, "openmemory_reinforce", id=stored["hsg"]["id"])
            assert is_error and "not found" in texts[0]
            texts, is_error = await call(bob, "openmemory_store", content="hijack", user_id="alice")
            assert is_error and "tenant_mismatch" in texts[0]
        async with http_session(server_url, ADMIN_KEY) as admin:  # the admin names any user
            listed = await call_json(admin, "openmemory_list", user_id="alice")
            assert stored["hsg"]["id"] in {i["id"] for i in listed["items"]}

    anyio.run(scenario)


def test_bad_arguments_are_protocol_errors_and_the_config_resource_is_per_tenant(server_url: str) -> None:
    async def scenario() -> None:
        async with http_session(server_url, KEYS["bob"]) as mcp:
            with pytest.raises(MCPError, match="Invalid arguments: query"):
                await mcp.call_tool("openmemory_query", {"query": ""})
            with pytest.raises(MCPError, match="Invalid arguments: boost"):
                await mcp.call_tool("openmemory_reinforce", {"id": "x", "boost": 5})
            with pytest.raises(MCPError, match="Tool not found: nope"):
                await mcp.call_tool("nope", {})
            resources = (await mcp.list_resources()).resources
            assert [str(r.uri) for r in resources] == ["openmemory://config"]
            config = json.loads((await mcp.read_resource("openmemory://config")).contents[0].text)  # type: ignore[union-attr]
            assert set(config["available_tools"]) == TOOL_NAMES
            assert config["embeddings"]["dim"] > 0

    anyio.run(scenario)


def test_mcp_needs_an_api_key_when_keys_are_configured(server_url: str) -> None:
    init = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"accept": "application/json, text/event-stream"}
    for extra in ({}, {"x-api-key": "wrong-key"}):
        response = httpx.post(f"{server_url}/mcp", json=init, headers={**headers, **extra})
        assert response.status_code == 401 and response.json()["err"] == "unauthorized"
    response = httpx.get(f"{server_url}/mcp", headers={"x-api-key": KEYS["alice"]})
    assert response.status_code == 405 and response.json()["error"]["code"] == -32600


def test_facts_are_stored_and_queried_per_tenant_and_project(server_url: str) -> None:
    async def scenario() -> None:
        async with http_session(server_url, KEYS["alice"]) as mcp:
            old = {"subject": "alice", "predicate": "lives_in", "object": "Porto", "valid_from": "2020-01-01T00:00:00Z"}
            new = {"subject": "alice", "predicate": "lives_in", "object": "Lisbon",
                   "valid_from": "2024-03-01T00:00:00Z", "confidence": 0.9}  # fmt: skip
            stored = await call_json(mcp, "openmemory_store_project", content="Alice moved from Porto to Lisbon",
                                     project_id="home", type="both", facts=[old, new])  # fmt: skip
            assert [f["object"] for f in stored["temporal"]] == ["Porto", "Lisbon"]
            assert stored["temporal"][0]["valid_from"] == "2020-01-01T00:00:00.000Z" and stored["hsg"]["id"]

            now = await call_json(mcp, "openmemory_query", query="where does alice live", type="factual",
                                  fact_pattern={"subject": "alice", "predicate": "lives_in"})  # fmt: skip
            assert [(f["object"], f["valid_to"]) for f in now["factual"]] == [("Lisbon", None)]
            texts, _ = await call(mcp, "openmemory_query", query="where", type="factual",
                                  fact_pattern={"subject": "alice"}, at="2021-06-01T00:00:00Z")  # fmt: skip
            assert texts[0].startswith("1. [fact] confidence=1") and texts[0].endswith("alice lives_in Porto")
            assert json.loads(texts[1])["factual"][0]["valid_to"] == "2024-02-29T23:59:59.999Z"  # closed, kept

            texts, _ = await call(mcp, "openmemory_query", query="Lisbon", type="unified",
                                  fact_pattern={"subject": "alice"})  # fmt: skip
            assert re.match(
                r"Found \d+ contextual memories and 1 temporal facts\.\n\n=== Contextual Memories", texts[0]
            )
            assert "=== Temporal Facts ===\n1. [fact] confidence=0.9\nalice lives_in Lisbon" in texts[0]
            assert stored["hsg"]["id"] in {m["id"] for m in json.loads(texts[1])["contextual"]}
            other = await call_json(mcp, "openmemory_query", query="x", type="factual", project_id="work",
                                    fact_pattern={"subject": "alice"})  # fmt: skip
            assert other["factual"] == []  # the home project's facts stay in it

            texts, is_error = await call(mcp, "openmemory_store", content="x", type="factual", facts=[new])
            assert is_error and texts[0].startswith("Error: fact ")  # the same fact again: a conflict, said so
        async with http_session(server_url, KEYS["bob"]) as bob:
            texts, _ = await call(bob, "openmemory_query", query="alice", type="unified", fact_pattern={})
            assert texts[0] == "No results found in either system."

    anyio.run(scenario)
