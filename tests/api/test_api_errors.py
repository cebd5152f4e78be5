"""One JSON error shape, ``{"err": code, "message": sentence}``, for every failure the API can answer with."""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi.testclient import TestClient

from openmemory.api import create_app
from openmemory.config import Settings
from openmemory.memory import Memory


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["err"] == code
    assert isinstance(body["message"], str) and body["message"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no/such/route", 404, "not_found"),
        ("PUT", "/memory/add", 405, "method_not_allowed"),
        ("GET", "/memory/%E0%A4%A", 400, "bad_request"),
        ("GET", "/users/%ZZ/summary", 400, "bad_request"),
        ("DELETE", "/memory/%C3%28", 400, "bad_request"),
        ("GET", "/memory/does-not-exist", 404, "not_found"),
        ("GET", "/memory/" + "x" * 300, 400, "invalid_input"),
        ("GET", "/memory/all?l=0", 400, "invalid_input"),
        ("GET", "/memory/all?l=abc", 400, "invalid_input"),
        ("GET", "/memory/all?sector=nope", 400, "unknown_sector"),
    ],
)
def test_routing_and_parameter_errors(alice: httpx.Client, method: str, path: str, status: int, code: str) -> None:
    _assert_error(alice.request(method, path), status, code)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid_input"),
        ({"content": ""}, "invalid_input"),
        ({"content": "   "}, "invalid_input"),
        ({"content": "x" * 200_001}, "invalid_input"),
        ({"content": "ok", "tags": ["t"] * 65}, "invalid_input"),
        ({"content": "ok", "tags": ["t" * 257]}, "invalid_input"),
        ({"content": 5}, "invalid_input"),
        ([1, 2], "invalid_input"),
    ],
)
def test_add_validation_errors(alice: httpx.Client, body: object, code: str) -> None:
    _assert_error(alice.post("/memory/add", json=body), 400, code)


@pytest.mark.parametrize("k", [0, 201, "many", 1.5])
def test_query_k_must_be_1_to_200(alice: httpx.Client, k: object) -> None:
    _assert_error(alice.post("/memory/query", json={"query": "x", "k": k}), 400, "invalid_input")


@pytest.mark.parametrize("raw", [b"{bad json", b"\xff\xfe\x00", b'{"content": "unterminated'])
def test_malformed_json_is_400(alice: httpx.Client, raw: bytes) -> None:
    response = alice.post("/memory/add", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["err"] in ("invalid_json", "bad_request")


def test_declared_oversized_body_is_413(alice: httpx.Client) -> None:
    _assert_error(alice.post("/memory/add", json={"content": "a" * 1_000_001}), 413, "payload_too_large")


def test_streamed_oversized_body_is_413(alice: httpx.Client) -> None:
    def chunks() -> object:
        for _ in range(20):
            yield b"a" * 100_000

    response = alice.post("/memory/add", content=chunks(), headers={"content-type": "application/json"})  # type: ignore[arg-type]
    _assert_error(response, 413, "payload_too_large")


def test_missing_and_wrong_keys_are_401(anonymous: httpx.Client) -> None:
    _assert_error(anonymous.get("/memory/all"), 401, "unauthorized")
    _assert_error(anonymous.get("/memory/all", headers={"x-api-key": "wrong"}), 401, "unauthorized")
    _assert_error(anonymous.get("/memory/all", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
    assert anonymous.get("/memory/all").headers["www-authenticate"] == "Bearer"


def test_foreign_user_id_is_403(alice: httpx.Client) -> None:
    _assert_error(alice.post("/memory/add", json={"content": "x", "user_id": "bob"}), 403, "tenant_mismatch")


def test_raw_malformed_request_line_never_kills_the_server(base_url: str, alice: httpx.Client) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /memory/%E0%A4%A HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\nConnection: close\r\n\r\n")
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400")
    assert alice.get("/health").status_code == 200


def test_unexpected_exception_is_500_in_the_same_shape(tmp_path: object) -> None:
    settings = Settings.load(embeddings="synthetic")
    memory = Memory(f"{tmp_path}/m.sqlite", settings=settings)
    app = create_app(settings, memory)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaput")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    memory.close()
    assert response.status_code == 500
    assert response.json() == {"err": "internal", "message": "internal server error; the server log has the details"}
