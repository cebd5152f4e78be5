"""OpenAI-compatible and Ollama embedders against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from openmemory.engine.embed.ollama import OllamaEmbedder
from openmemory.engine.embed.openai_compat import OpenAIEmbedder
from openmemory.errors import EmbedderError
from openmemory.outbound import OutboundPolicy

# A route answers (status, JSON body) for a decoded request body and the request headers.
Route = Callable[[Any, dict[str, str]], tuple[int, Any]]
SECRET = "sk-test-secret-123"
LOOPBACK = OutboundPolicy(allow=("127.0.0.1",))  # the fake servers are local: allowed explicitly


@dataclass
class FakeServer:
    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, Any, dict[str, str]]] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"null")
            headers = {k.lower(): v for k, v in self.headers.items()}
            fake.requests.append((self.path, body, headers))
            route = fake.routes.get(self.path)
            status, payload = route(body, headers) if route else (404, {"error": "404 page not found"})
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _vector(text: str, dim: int = 4) -> list[float]:
    # Deterministic and distinct per text; deliberately not unit length.
    seed = sum(map(ord, text)) + len(text)
    return [float((seed * (i + 3)) % 17 + 1) for i in range(dim)]


def _openai_route(body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    if headers.get("authorization") != f"Bearer {SECRET}":
        return 401, {"error": {"message": f"Incorrect API key provided: {headers.get('authorization')}"}}
    dim = body.get("dimensions", 4)
    data = [{"object": "embedding", "index": i, "embedding": _vector(t, dim)} for i, t in enumerate(body["input"])]
    return 200, {"object": "list", "data": list(reversed(data)), "model": body["model"]}


def _openai(server: FakeServer, **kwargs: Any) -> OpenAIEmbedder:
    options: dict[str, Any] = {
        "base_url": server.url + "/v1", "model": "text-embedding-3-small", "api_key": SECRET, "policy": LOOPBACK
    }  # fmt: skip
    options.update(kwargs)
    return OpenAIEmbedder(**options)


def _unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / np.linalg.norm(a)


def test_openai_maps_results_by_index_and_normalises(server: FakeServer) -> None:
    server.routes["/v1/embeddings"] = _openai_route
    embedder = _openai(server)
    try:
        vectors = embedder.embed(["first", "second text", "third"])
        assert vectors.shape == (3, 4)
        for row, text in zip(vectors, ["first", "second text", "third"], strict=True):
            np.testing.assert_allclose(row, _unit(_vector(text)), rtol=1e-6)
        assert embedder.dim == 4
        assert embedder.name == "openai:text-embedding-3-small"
        _, body, headers = server.requests[0]
        assert body == {"input": ["first", "second text", "third"], "model": "text-embedding-3-small"}
        assert headers["authorization"] == f"Bearer {SECRET}"
    finally:
        embedder.close()


def test_openai_sends_configured_dimensions_and_knows_dim_without_a_call(server: FakeServer) -> None:
    server.routes["/v1/embeddings"] = _openai_route
    embedder = _openai(server, dimensions=6)
    try:
        assert embedder.dim == 6
        assert server.requests == []
        assert embedder.embed_query("hello").shape == (6,)
        assert server.requests[0][1]["dimensions"] == 6
    finally:
        embedder.close()


def test_openai_splits_large_inputs_into_several_requests(server: FakeServer) -> None:
    server.routes["/v1/embeddings"] = _openai_route
    embedder = _openai(server)
    texts = [f"text {i}" for i in range(600)]
    try:
        vectors = embedder.embed(texts)
        assert len(server.requests) == 3
        np.testing.assert_allclose(vectors[599], _unit(_vector("text 599")), rtol=1e-6)
    finally:
        embedder.close()


def test_openai_dim_is_discovered_by_one_probe(server: FakeServer) -> None:
    server.routes["/v1/embeddings"] = _openai_route
    embedder = _openai(server)
    try:
        assert embedder.dim == 4
        assert len(server.requests) == 1
        assert embedder.embed([]).shape == (0, 4)
        assert len(server.requests) == 1
    finally:
        embedder.close()


def test_openai_server_error_names_status_and_url(server: FakeServer) -> None:
    server.routes["/v1/embeddings"] = lambda body, headers: (500, {"error": "boom"})
    embedder = _openai(server)
    try:
        with pytest.raises(EmbedderError, match=r"HTTP 500") as info:
            embedder.embed(["x"])
        assert f"{server.url}/v1/embeddings" in str(info.value)
    finally:
        embedder.close()


def test_openai_error_message_never_contains_the_key(server: FakeServer) -> None:
    server.routes["/v1/embeddings"] = _openai_route
    embedder = _openai(server, api_key="sk-wrong-key-456")
    try:
        with pytest.raises(EmbedderError, match="HTTP 401") as info:
            embedder.embed(["x"])
        assert "sk-wrong-key-456" not in str(info.value)
    finally:
        embedder.close()


def test_openai_malformed_body_is_an_embedder_error(server: FakeServer) -> None:
    server.routes["/v1/embeddings"] = lambda body, headers: (200, {"data": [{"index": 5, "embedding": [1.0]}]})
    embedder = _openai(server)
    try:
        with pytest.raises(EmbedderError, match="unexpected response"):
            embedder.embed(["x"])
    finally:
        embedder.close()


def test_openai_timeout_is_an_embedder_error(server: FakeServer) -> None:
    def slow(body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        time.sleep(0.5)
        return _openai_route(body, headers)

    server.routes["/v1/embeddings"] = slow
    embedder = _openai(server, timeout_s=0.1)
    try:
        with pytest.raises(EmbedderError, match=r"timed out after 0\.1 s"):
            embedder.embed(["x"])
    finally:
        embedder.close()


def test_unreachable_server_is_an_embedder_error() -> None:
    embedder = OpenAIEmbedder(base_url="http://127.0.0.1:9/v1", model="m", timeout_s=1, policy=LOOPBACK)
    try:
        with pytest.raises(EmbedderError, match=r"127\.0\.0\.1:9"):
            embedder.embed(["x"])
    finally:
        embedder.close()


def _ollama_embed(body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    return 200, {"model": body["model"], "embeddings": [_vector(t, 5) for t in body["input"]]}


def _ollama_legacy(body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    if body["model"] != "nomic-embed-text":
        return 404, {"error": f'model "{body["model"]}" not found, try pulling it first'}
    return 200, {"embedding": _vector(body["prompt"], 5)}


def test_ollama_batches_through_api_embed(server: FakeServer) -> None:
    server.routes["/api/embed"] = _ollama_embed
    embedder = OllamaEmbedder(url=server.url, model="nomic-embed-text", policy=LOOPBACK)
    try:
        vectors = embedder.embed(["a", "bb", "ccc"])
        assert vectors.shape == (3, 5)
        np.testing.assert_allclose(vectors[1], _unit(_vector("bb", 5)), rtol=1e-6)
        assert [path for path, _, _ in server.requests] == ["/api/embed"]
        assert server.requests[0][1] == {"model": "nomic-embed-text", "input": ["a", "bb", "ccc"]}
        assert embedder.name == "ollama:nomic-embed-text"
        assert embedder.dim == 5
    finally:
        embedder.close()


def test_ollama_falls_back_to_legacy_route_on_404_and_remembers(server: FakeServer) -> None:
    server.routes["/api/embeddings"] = _ollama_legacy
    embedder = OllamaEmbedder(url=server.url, model="nomic-embed-text", policy=LOOPBACK)
    try:
        vectors = embedder.embed(["a", "bb"])
        np.testing.assert_allclose(vectors[0], _unit(_vector("a", 5)), rtol=1e-6)
        embedder.embed(["ccc"])
        paths = [path for path, _, _ in server.requests]
        assert paths == ["/api/embed", "/api/embeddings", "/api/embeddings", "/api/embeddings"]
    finally:
        embedder.close()


def test_ollama_missing_model_reports_both_answers(server: FakeServer) -> None:
    server.routes["/api/embed"] = lambda body, headers: (404, {"error": "model not found, try pulling it first"})
    server.routes["/api/embeddings"] = _ollama_legacy
    embedder = OllamaEmbedder(url=server.url, model="absent-model", policy=LOOPBACK)
    try:
        with pytest.raises(EmbedderError, match="HTTP 404") as info:
            embedder.embed(["x"])
        assert "try pulling it first" in str(info.value)
    finally:
        embedder.close()


def test_ollama_server_error_names_status_and_url(server: FakeServer) -> None:
    server.routes["/api/embed"] = lambda body, headers: (500, {"error": "out of memory"})
    embedder = OllamaEmbedder(url=server.url, model="nomic-embed-text", policy=LOOPBACK)
    try:
        with pytest.raises(EmbedderError, match=r"/api/embed failed with HTTP 500: .*out of memory"):
            embedder.embed(["x"])
    finally:
        embedder.close()


def test_ollama_timeout_is_an_embedder_error(server: FakeServer) -> None:
    def slow(body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        time.sleep(0.5)
        return _ollama_embed(body, headers)

    server.routes["/api/embed"] = slow
    embedder = OllamaEmbedder(url=server.url, model="nomic-embed-text", timeout_s=0.1, policy=LOOPBACK)
    try:
        with pytest.raises(EmbedderError, match="timed out"):
            embedder.embed(["x"])
    finally:
        embedder.close()
