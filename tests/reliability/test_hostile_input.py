"""Hostile input on every surface: each gets a 4xx (or an MCP error result) with a clear message, nothing is
stored half, and query syntax of SQL, FTS5 or LIKE in a text field is only text.

Schemathesis over ``/openapi.json`` lives in tests/api/test_api_schemathesis.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openmemory.errors import InvalidInput
from openmemory.memory import Memory
from openmemory.models import SourceMemory
from tests.live import KEYS, keyed_settings, live_server
from tests.store.pg import PG_SERVERS, pg_settings, throwaway_schema

# SQL, FTS5 and LIKE syntax: stored and searched, each must be nothing but its own characters.
NASTY = [
    "'; DROP TABLE memories; --",
    '" OR 1=1 --',
    "a' OR 'a'='a",
    "NEAR(alpha beta, 2)",
    "alpha* OR beta AND NOT gamma",
    "content:alpha ^beta -gamma",
    '"unbalanced quote',
    "{alpha beta} : ( )",
    "%",
    "_",
    "100%_done \\ escape",
    "$1 ?1 :name @p",
]


@pytest.fixture(params=["sqlite", *PG_SERVERS])
def memory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Memory]:
    if request.param == "sqlite":
        mem = Memory(tmp_path / "m.sqlite", settings=keyed_settings(tmp_path / "m.sqlite"))
        yield mem
        mem.close()
        return
    with throwaway_schema(request.param, "omt_hostile") as schema:
        mem = Memory(settings=pg_settings(request.param, schema, embeddings="synthetic"))
        try:
            yield mem
        finally:
            mem.close()


def _import(mem: Memory, **fields: Any) -> None:
    item = {"source": "mem0", "source_id": "s1", "user_id": "alice", "content": "ok", "created_at_ms": 1,
            "updated_at_ms": 1, "tags": (), "meta": {}, **fields}  # fmt: skip
    mem.import_many([SourceMemory(**item)], user_id="alice")


# Every text field a caller controls, each given one NUL character.
NUL_CALLS: dict[str, Callable[[Memory], object]] = {
    "content": lambda m: m.add("before\x00after", user_id="alice"),
    "tag": lambda m: m.add("ok", user_id="alice", tags=["t\x00"]),
    "metadata value": lambda m: m.add("ok", user_id="alice", metadata={"k": ["deep", {"x": "v\x00"}]}),
    "metadata key": lambda m: m.add("ok", user_id="alice", metadata={"k\x00": 1}),
    "user_id": lambda m: m.add("ok", user_id="ali\x00ce"),
    "project_id": lambda m: m.add("ok", user_id="alice", project_id="p\x00"),
    "update content": lambda m: m.update(m.add("ok", user_id="alice").memory_id, user_id="alice", content="x\x00"),
    "query": lambda m: m.query("where\x00", user_id="alice"),
    "memory id": lambda m: m.get("id\x00", user_id="alice"),
    "fact subject": lambda m: m.facts.add("s\x00", "p", "o", user_id="alice"),
    "fact object": lambda m: m.facts.add("s", "p", "o\x00", user_id="alice"),
    "fact metadata": lambda m: m.facts.add("s", "p", "o", user_id="alice", metadata={"m": "\x00"}),
    "fact search": lambda m: m.facts.search("\x00", user_id="alice"),
    "import source_id": lambda m: _import(m, source_id="s\x00"),
    "import content": lambda m: _import(m, content="c\x00"),
}


@pytest.mark.parametrize("field", list(NUL_CALLS))
def test_a_nul_character_is_invalid_input_on_every_backend(memory: Memory, field: str) -> None:
    # PostgreSQL cannot store NUL in text or jsonb: before, the same add was a StoreError there and stored on SQLite.
    with pytest.raises(InvalidInput, match="NUL character"):
        NUL_CALLS[field](memory)
    stored = [r.content for r in memory.list(user_id="alice", limit=10)]
    assert all("\x00" not in text for text in stored)
    assert len(stored) <= 1  # at most the "ok" an update test wrote first


def test_sql_fts_and_like_syntax_is_only_text(memory: Memory) -> None:
    # a distinct word each, so that no two notes are near-duplicates once punctuation is set aside
    notes = {text: f"note{i} {text}" for i, text in enumerate(NASTY)}
    ids = {text: memory.add(note, user_id="alice", tags=[text], metadata={text: text}).memory_id
           for text, note in notes.items()}  # fmt: skip
    memory.add("bob's private note about alpha beta gamma", user_id="bob")
    for text, memory_id in ids.items():
        record = memory.get(memory_id, user_id="alice")
        assert (record.content, record.tags, record.meta) == (notes[text], (text,), {text: text})
        hits = memory.query(text, user_id="alice", k=50)
        assert {h.memory.user_id for h in hits} == {"alice"}
        assert {h.memory.memory_id for h in hits} <= set(ids.values())
        assert memory.query(text, user_id="carol", k=50) == []
    assert memory.count(user_id="alice") == len(NASTY)
    # LIKE wildcards match themselves: "%" finds only the fact that has one, "_" only the one with "_".
    memory.facts.add("100%", "is", "done", user_id="alice")
    memory.facts.add("a_b", "is", "snake", user_id="alice")
    memory.facts.add("plain", "is", "text", user_id="alice")
    assert [f.subject for f in memory.facts.search("%", user_id="alice")] == ["100%"]
    assert [f.subject for f in memory.facts.search("_", user_id="alice")] == ["a_b"]
    assert memory.facts.search("%", user_id="bob") == []


# ---- the REST surface on a real server ----


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("hostile") / "m.sqlite"
    with live_server(keyed_settings(db, max_payload_size=64_000)) as url:
        yield url


@pytest.fixture(scope="module")
def alice(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers={"x-api-key": KEYS["alice"]}, timeout=30) as client:
        yield client


def _json(raw: str | bytes) -> dict[str, Any]:
    return {"content": raw, "headers": {"content-type": "application/json"}}


DEEP = "[" * 5000 + "]" * 5000
# (method, path, request options, status, err code, words the message must hold)
REST_CASES: list[tuple[str, str, dict[str, Any], int, str, str]] = [
    ("POST", "/memory/add", {"json": {"content": "x" * 70_000}}, 413, "payload_too_large", "OM_MAX_PAYLOAD_SIZE"),
    ("POST", "/memory/add", _json('{"content": "x", "metadata": {"a": ' + DEEP + "}}"), 400, "invalid_json", "deeply"),
    ("POST", "/memory/add", _json(b'{"content": "caf\xe9"}'), 400, "invalid_json", "not valid UTF-8"),
    ("POST", "/memory/add", {"json": {"content": "a\x00b"}}, 400, "invalid_input", "NUL character"),
    ("POST", "/memory/add", {"json": {"content": "ok", "tags": ["\x00"]}}, 400, "invalid_input", "NUL"),
    ("POST", "/memory/add", {"json": {"content": "ok", "metadata": {"\x00": 1}}}, 400, "invalid_input", "NUL"),
    ("POST", "/memory/add", {"json": {"content": "ok", "user_id": "alice\x00"}}, 403, "tenant_mismatch", "alice"),
    ("POST", "/memory/query", {"json": {"query": "x", "k": 10**30}}, 400, "invalid_input", "k:"),
    ("POST", "/memory/query", {"json": {"query": "x", "k": -1}}, 400, "invalid_input", "k:"),
    ("POST", "/memory/query", {"json": {"query": "\x00"}}, 400, "invalid_input", "NUL"),
    ("GET", "/memory/all?l=99999999999999999999999", {}, 400, "invalid_input", "l:"),
    ("GET", "/memory/all?u=-5", {}, 400, "invalid_input", "u:"),
    ("GET", "/memory/%00", {}, 400, "invalid_input", "NUL"),
    ("GET", "/memory/%E0%A4%A", {}, 400, "bad_request", "percent-escape"),
    ("GET", "/memory/%", {}, 400, "bad_request", "percent-escape"),
    ("GET", "/api/temporal/volatile?limit=100000", {}, 400, "invalid_input", "limit"),
    ("GET", "/api/temporal/search?pattern=%00", {}, 400, "invalid_input", "NUL"),
]


@pytest.mark.parametrize(("method", "path", "options", "status", "code", "words"), REST_CASES,
                         ids=[f"{c[0]} {c[1][:40]} {c[4]}" for c in REST_CASES])  # fmt: skip
def test_hostile_requests_get_a_4xx_with_a_clear_message(
    alice: httpx.Client, method: str, path: str, options: dict[str, Any], status: int, code: str, words: str
) -> None:
    response = alice.request(method, path, **options)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["err"] == code and words in body["message"], body


def test_query_syntax_in_a_request_never_widens_it(alice: httpx.Client, server: str) -> None:
    with httpx.Client(base_url=server, headers={"x-api-key": KEYS["bob"]}) as bob:
        assert bob.post("/memory/add", json={"content": "bob keeps a secret about pears"}).status_code == 200
    for text in NASTY:
        response = alice.post("/memory/query", json={"query": text, "k": 200})
        assert response.status_code == 200, response.text
        assert all("pears" not in m["content"] for m in response.json()["matches"])
        listed = alice.get("/memory/all", params={"sector": text})
        assert listed.status_code == 400 and listed.json()["err"] == "unknown_sector"


# ---- POST /mcp and the MCP tools' arguments ----

MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


def _rpc(name: str, arguments: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


MCP_BODIES: list[tuple[str, bytes]] = [
    ("not json", b"{not json"),
    ("invalid utf-8", b'{"jsonrpc": "2.0", "id": 1, "method": "\xff"}'),
    ("deep json", ('{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": ' + DEEP + "}").encode()),
    ("empty batch", b"[]"),
    ("no method", b'{"jsonrpc": "2.0", "id": 1}'),
    ("wrong version", b'{"jsonrpc": "1.0", "id": 1, "method": "tools/list"}'),
    ("unknown method", b'{"jsonrpc": "2.0", "id": 1, "method": "drop/everything"}'),
    ("unknown tool", json.dumps(_rpc("openmemory_nope", {})).encode()),
    ("arguments not an object", json.dumps(_rpc("openmemory_query", [1, 2])).encode()),
    ("huge k", json.dumps(_rpc("openmemory_query", {"query": "x", "k": 10**40})).encode()),
    ("k as text", json.dumps(_rpc("openmemory_query", {"query": "x", "k": "all"})).encode()),
    ("NUL in query", json.dumps(_rpc("openmemory_query", {"query": "x\x00"})).encode()),
    ("NUL in content", json.dumps(_rpc("openmemory_store", {"content": "a\x00b", "tags": ["t"]})).encode()),
    ("NUL in a tag", json.dumps(_rpc("openmemory_store", {"content": "ok", "tags": ["\x00"]})).encode()),
    ("NUL in an id", json.dumps(_rpc("openmemory_get", {"id": "\x00"})).encode()),
    ("foreign user", json.dumps(_rpc("openmemory_store", {"content": "ok", "user_id": "bob"})).encode()),
    ("huge limit", json.dumps(_rpc("openmemory_list", {"limit": 10**12})).encode()),
    ("boost out of range", json.dumps(_rpc("openmemory_reinforce", {"id": "x", "boost": 1e308})).encode()),
]


@pytest.mark.parametrize(("case", "raw"), MCP_BODIES, ids=[c for c, _ in MCP_BODIES])
def test_hostile_mcp_requests_get_an_error_never_a_crash(alice: httpx.Client, case: str, raw: bytes) -> None:
    response = alice.post("/mcp", content=raw, headers=MCP_HEADERS)
    assert response.status_code < 500, response.text
    body = response.json()
    if "result" in body:  # a tool ran and refused the arguments: an error result with a sentence
        assert body["result"]["isError"] is True, body
        assert body["result"]["content"][0]["text"].strip()
    else:
        assert body["error"]["message"].strip(), body
    assert alice.get("/memory/all").json()["items"] == [] or all(
        "\x00" not in m["content"] for m in alice.get("/memory/all").json()["items"]
    )
    assert alice.get("/health").status_code == 200
