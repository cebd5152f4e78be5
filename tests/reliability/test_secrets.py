"""Secrets and telemetry, on a real ``opm serve`` process: no API key (the server's, the embedder's, an importer's,
or a wrong one a client sent) appears in any log line, error, response or ``/health``; and the server opens no
connection to anything but the loopback services it was configured with.

The server runs with a ``sitecustomize`` that records every name resolution and ``connect`` the process makes, so
the telemetry check is behavioural: whatever code might phone home, its connection would be in the record.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from openmemory.cli.app import app

KEY_A = "sk-tenant-alice-0f3b9c2d7e"
KEY_B = "sk-tenant-bob-8a1e6d4c2b"
ADMIN = "sk-admin-5c7e9a1b3d"
EMBED_KEY = "sk-embedder-2d4f6a8c0e"
IMPORT_KEY = "m0-import-9e8d7c6b5a"
WRONG_KEY = "sk-wrong-guess-1a2b3c4d5e"
SECRETS = (KEY_A, KEY_B, ADMIN, EMBED_KEY, IMPORT_KEY, WRONG_KEY)

GUARD = """
import os, socket
_record = os.environ["OPENMEMORY_TEST_CONNECT_LOG"]
_connect, _connect_ex, _resolve = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
def _note(kind, what):
    with open(_record, "a") as out:
        out.write(kind + " " + repr(what) + "\\n")
def connect(self, address):
    _note("connect", address)
    return _connect(self, address)
def connect_ex(self, address):
    _note("connect", address)
    return _connect_ex(self, address)
def getaddrinfo(host, *args, **kwargs):
    _note("resolve", host)
    return _resolve(host, *args, **kwargs)
socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
"""


@dataclass
class Fake:
    """A loopback HTTP service; ``answer(path, headers, body)`` gives (status, JSON)."""

    url: str = ""
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def fake_service() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Any) -> Fake:
        fake = Fake()

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                fake.hits.append(self.path)
                status, payload = answer(self.path, self.headers, json.loads(raw) if raw else None)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        servers.append(httpd)
        fake.url = f"http://127.0.0.1:{httpd.server_address[1]}"
        return fake

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def _embeddings(path: str, headers: Any, body: Any) -> tuple[int, Any]:
    """OpenAI's shape; a text asking for it (or a wrong key) gets OpenAI's 401, which echoes the key it saw."""
    given = headers.get("authorization", "")
    if given != f"Bearer {EMBED_KEY}" or any("embedder-auth-failure" in t for t in body["input"]):
        return 401, {"error": {"message": f"Incorrect API key provided: {given}", "code": "invalid_api_key"}}
    return 200, {"data": [{"index": i, "embedding": [float(len(t) % 7 + 1)] + [1.0] * 7}
                          for i, t in enumerate(body["input"])]}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(tmp_path: Path, embedder_url: str) -> tuple[subprocess.Popen[bytes], str, Path, Path]:
    """``opm serve`` in its own process, its output in a file; returns (process, URL, log, connection record)."""
    (tmp_path / "guard").mkdir()
    (tmp_path / "guard" / "sitecustomize.py").write_text(GUARD)
    record, log = tmp_path / "connections.txt", tmp_path / "server.log"
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OM_")},
        "PYTHONPATH": str(tmp_path / "guard"),
        "OPENMEMORY_TEST_CONNECT_LOG": str(record),
        "OM_DB_PATH": str(tmp_path / "m.sqlite"),
        "OM_PORT": str(port),
        "OM_API_KEYS": f"{KEY_A}:alice,{KEY_B}:bob",
        "OM_ADMIN_KEY": ADMIN,
        "OM_EMBEDDINGS": "openai",
        "OM_OPENAI_BASE_URL": embedder_url + "/v1",
        "OM_OPENAI_API_KEY": EMBED_KEY,
        "OM_OPENAI_DIMENSIONS": "8",
        "OM_OUTBOUND_ALLOW": "127.0.0.1",
        "OM_RATE_LIMIT_ENABLED": "true",
        "OM_RATE_LIMIT_MAX_REQUESTS": "30",
    }
    with log.open("wb") as out:
        args = [sys.executable, "-c", "from openmemory.cli.app import main; main()", "serve"]
        proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url, log, record
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"opm serve did not start: {log.read_text()}")


def _exchange(client: httpx.Client, method: str, path: str, **options: Any) -> str:
    """One request; everything the caller gets back (status, headers, body) as text."""
    response = client.request(method, path, **options)
    return f"{response.status_code} {dict(response.headers)} {response.text}"


MCP = {"accept": "application/json, text/event-stream"}


def _drive(url: str) -> list[str]:
    """Requests down every error path a client can reach, and a few that succeed."""
    seen: list[str] = []
    with httpx.Client(base_url=url, timeout=30) as anyone:
        seen.append(_exchange(anyone, "GET", "/health"))
        seen.append(_exchange(anyone, "GET", "/memory/all"))  # 401, no key
        for headers in ({"x-api-key": WRONG_KEY}, {"authorization": f"Bearer {WRONG_KEY}"},
                        {"authorization": f"Basic {KEY_A}"}, {"x-api-key": KEY_A + "x"}):  # fmt: skip
            seen.append(_exchange(anyone, "GET", "/memory/all", headers=headers))
        seen.append(_exchange(anyone, "GET", f"/memory/all?api_key={WRONG_KEY}"))
        seen.append(_exchange(anyone, "POST", "/mcp", headers={**MCP, "x-api-key": WRONG_KEY},
                              json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))  # fmt: skip
    with httpx.Client(base_url=url, headers={"x-api-key": KEY_A}, timeout=30) as alice:
        seen.append(_exchange(alice, "GET", f"/memory/all?api_key={KEY_A}&token={KEY_A}"))  # a key in the URL
        seen.append(_exchange(alice, "POST", "/memory/add", json={"content": "alice likes tea"}))
        seen.append(_exchange(alice, "GET", "/memory/all", params={"user_id": "bob"}))  # 403
        seen.append(_exchange(alice, "POST", "/memory/add", json={"content": ""}))  # 400
        seen.append(_exchange(alice, "GET", "/memory/nope"))  # 404
        seen.append(_exchange(alice, "PUT", "/memory/add"))  # 405
        seen.append(_exchange(alice, "POST", "/memory/add", content=b"x" * 1_100_000))  # 413
        seen.append(_exchange(alice, "GET", "/memory/%E0%A4%A"))  # 400 bad escape
        seen.append(_exchange(alice, "POST", "/memory/add", json={"content": "embedder-auth-failure please"}))
        store = {"name": "openmemory_store", "arguments": {"content": "embedder-auth-failure again"}}
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": store}
        seen.append(_exchange(alice, "POST", "/mcp", headers=MCP, json=call))
        seen.append(_exchange(alice, "GET", "/dashboard/stats"))
    with httpx.Client(base_url=url, headers={"authorization": f"Bearer {KEY_B}"}, timeout=30) as bob:
        seen += [_exchange(bob, "GET", "/memory/all") for _ in range(35)]  # over the rate: 429
    with httpx.Client(base_url=url, headers={"x-api-key": ADMIN}, timeout=30) as admin:
        seen.append(_exchange(admin, "GET", "/users/alice/summary"))
        seen.append(_exchange(admin, "GET", "/memory/all", params={"user_id": "alice"}))
    return seen


def _import_failures(url: str, start: Any) -> list[str]:
    """``opm import`` refused by its source (401), and by a source that echoes the key in a 400 and a non-JSON body;
    then sent to our server with a wrong ``--to-api-key``."""
    runner = CliRunner()
    outputs: list[str] = []
    refused = start(lambda p, h, b: (401, {"detail": f"invalid token {h.get('authorization')}"}))
    echoing = start(lambda p, h, b: (400, {"detail": f"bad request for {h.get('authorization')}"}))
    for source in (refused, echoing):
        args = ["import", "--from", "mem0", "--api-key", IMPORT_KEY, "--base-url", source.url,
                "--allow-host", "127.0.0.1", "--to", url, "--to-api-key", WRONG_KEY]  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        outputs.append(result.output)
    listed = start(lambda p, h, b: (200, {"results": [{"id": "m1", "user_id": "u1", "memory": "hi"}], "next": None}))
    args = ["import", "--from", "mem0", "--api-key", IMPORT_KEY, "--base-url", listed.url, "--allow-host",
            "127.0.0.1", "--to", url, "--to-api-key", WRONG_KEY]  # fmt: skip
    outputs.append(runner.invoke(app, args).output)
    return outputs


def test_no_key_reaches_a_log_an_error_or_health_and_nothing_phones_home(
    tmp_path: Path, fake_service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # opm import writes its failures file here
    embedder = fake_service(_embeddings)
    proc, url, log, record = _serve(tmp_path, embedder.url)
    try:
        seen = _drive(url)
        seen += _import_failures(url, fake_service)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    output = log.read_text(errors="replace")

    # the run went down the paths it meant to (so that "no key" below is not vacuous)
    statuses = [int(text.split(" ", 1)[0]) for text in seen if text[:3].isdigit()]
    assert {200, 400, 401, 403, 404, 405, 413, 429, 503} <= set(statuses)
    assert "GET /memory/all?api_key=***&token=*** HTTP/1.1" in output  # uvicorn's access log was captured
    assert "embedding request to" in output and "Incorrect API key provided: Bearer ***" in output
    assert any("refused the API key" in text for text in seen)  # the importer's 401
    assert any("bad request for ***" in text for text in seen), seen[-3:]  # the echoed key, scrubbed

    for secret in SECRETS:
        assert secret not in output, f"{secret} in the server log"
        leaks = [text for text in seen if secret in text]
        assert leaks == [], f"{secret} in a response or CLI output"

    # telemetry: every connection the server opened went to the loopback embedder it was given
    lines = record.read_text().splitlines()
    connects = [line for line in lines if line.startswith("connect ")]
    assert connects, "the guard recorded nothing: it is not installed"
    assert all(line.startswith("connect ('127.0.0.1',") for line in connects), connects
    resolved = {line.split(" ", 1)[1] for line in lines if line.startswith("resolve ")}
    assert resolved <= {"'127.0.0.1'", "'localhost'"}, resolved
