"""Outbound requests (HTTP embedders, importers) never reach a private, loopback or link-local address unless it is
allowed explicitly, never follow a redirect, and are cut at their size and time caps.

The only thing replaced is name resolution (``socket.getaddrinfo``, the resolver boundary), to make public-looking
names resolve to loopback; every request is a real one to a real server on 127.0.0.1.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from typer.testing import CliRunner

from openmemory.cli.app import app
from openmemory.config import Settings
from openmemory.engine.embed import open_embedder
from openmemory.engine.embed.openai_compat import OpenAIEmbedder
from openmemory.errors import ConfigError, EmbedderError, OutboundRefused
from openmemory.importers.http import SourceClient
from openmemory.outbound import OutboundPolicy

# Answers (status, headers, body chunks, seconds between chunks) for a request path.
Answer = Callable[[str], tuple[int, dict[str, str], list[bytes], float]]


@dataclass
class Site:
    url: str
    host: str
    port: int
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)


def _json_ok(path: str) -> tuple[int, dict[str, str], list[bytes], float]:
    return 200, {"content-type": "application/json"}, [b'{"data": [{"index": 0, "embedding": [1, 0]}]}'], 0.0


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that cut the answer off (the point of several tests) is not a server error


@contextmanager
def site(answer: Answer = _json_ok, host: str = "127.0.0.1") -> Iterator[Site]:
    """A real HTTP server on ``host`` that records what reached it."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            self.rfile.read(length)
            served.seen.append((self.path, self.headers.get("host", "")))
            status, headers, chunks, pause_s = answer(self.path)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "content-length" not in headers:
                    self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for chunk in chunks:
                    if "content-length" in headers:
                        self.wfile.write(chunk)
                    else:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                    time.sleep(pause_s)
                if "content-length" not in headers:
                    self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client cut the answer off, as it should

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = _QuietServer((host, 0), Handler)
    port = httpd.server_address[1]
    served = Site(url=f"http://{host}:{port}", host=host, port=port)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names the test makes resolve to chosen addresses; every other name resolves as usual."""
    names: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in names:
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                    for a in names[host]]  # fmt: skip
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


def _fetch(url: str, policy: OutboundPolicy) -> Any:
    client = SourceClient("Mem0", url, {"authorization": "Token k"}, retries=0, policy=policy)
    try:
        return client.get("/v1/memories/")
    finally:
        client.close()


PRIVATE = [
    "127.0.0.1", "localhost", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "[::1]", "[fe80::1]", "[fd00::1]", "[::ffff:127.0.0.1]", "[::ffff:169.254.169.254]",
    "[2002:7f00:1::]",  # 6to4 carrying 127.0.0.1
]  # fmt: skip


@pytest.mark.parametrize("host", PRIVATE)
def test_private_loopback_link_local_and_metadata_addresses_are_refused(host: str) -> None:
    with pytest.raises(OutboundRefused, match=r"private, loopback or link-local.*OM_OUTBOUND_ALLOW"):
        _fetch(f"http://{host}:9/", OutboundPolicy())


def test_a_refused_loopback_server_never_sees_the_request() -> None:
    with site() as local:
        with pytest.raises(OutboundRefused, match=r"OM_OUTBOUND_ALLOW=127\.0\.0\.1"):
            _fetch(local.url, OutboundPolicy())
        assert local.seen == []
        assert _fetch(local.url, OutboundPolicy(allow=("127.0.0.0/8",))) is not None  # allowed by CIDR
        assert len(local.seen) == 1


@pytest.mark.parametrize("answers", [["127.0.0.1"], ["93.184.216.34", "127.0.0.1"], ["::ffff:127.0.0.1"]])
def test_a_public_looking_name_that_resolves_to_loopback_is_refused(
    fake_dns: dict[str, list[str]], answers: list[str]
) -> None:
    fake_dns["api.embeddings-example.com"] = answers
    with site() as local:
        embedder = OpenAIEmbedder(base_url=f"http://api.embeddings-example.com:{local.port}/v1", model="m",
                                  api_key="sk-x")  # fmt: skip
        with pytest.raises(EmbedderError, match=r"refused: .*api\.embeddings-example\.com .*127\.0\.0\.1"):
            embedder.embed(["hello"])
        embedder.close()
        assert local.seen == []


def test_an_allowed_name_connects_to_the_address_that_was_checked(fake_dns: dict[str, list[str]]) -> None:
    # The system resolver knows nothing of this name: the request can only arrive through the checked address.
    fake_dns["ollama.internal"] = ["127.0.0.1"]
    with site() as local:
        url = f"http://ollama.internal:{local.port}/v1"
        embedder = OpenAIEmbedder(base_url=url, model="m", policy=OutboundPolicy(allow=("ollama.internal",)))
        assert embedder.embed(["hello"]).shape == (1, 2)
        embedder.close()
        assert local.seen == [("/v1/embeddings", f"ollama.internal:{local.port}")]


@pytest.mark.parametrize("target", ["http://127.0.0.2:{port}/v1/memories/", "http://169.254.169.254/latest/"])
def test_a_redirect_from_an_allowed_server_is_never_followed(target: str) -> None:
    with site(host="127.0.0.2") as private:
        location = target.format(port=private.port)
        with site(lambda path: (302, {"location": location, "content-length": "0"}, [], 0.0)) as allowed:
            with pytest.raises(OutboundRefused, match=rf"HTTP 302 redirecting to {location}; redirects are not"):
                _fetch(allowed.url, OutboundPolicy(allow=("127.0.0.1",)))
            assert len(allowed.seen) == 1
        assert private.seen == []


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_oversized_answer_is_cut_off_with_a_clear_error(declared: bool) -> None:
    body = [b"x" * 65_536] * 40  # 2.5 MB

    def answer(path: str) -> tuple[int, dict[str, str], list[bytes], float]:
        headers = {"content-length": str(sum(map(len, body)))} if declared else {}
        return 200, headers, body, 0.0

    policy = OutboundPolicy(allow=("127.0.0.1",), max_response_bytes=1_000_000)
    with site(answer) as local, pytest.raises(OutboundRefused, match="larger than 1000000 bytes"):
        _fetch(local.url, policy)


def test_an_answer_that_trickles_in_is_cut_at_the_total_time() -> None:
    started = time.monotonic()
    trickle = site(lambda path: (200, {}, [b" "] * 40, 0.1))  # 4 s in all, each byte well within a read timeout
    with trickle as local, pytest.raises(OutboundRefused, match=r"took longer than 0\.5 s in total"):
        _fetch(local.url, OutboundPolicy(allow=("127.0.0.1",), timeout_s=0.5))
    assert time.monotonic() - started < 3


def test_a_local_ollama_must_be_allowed_by_name_at_start_up() -> None:
    with pytest.raises(ConfigError, match=r"OM_OLLAMA_URL: .*localhost .*OM_OUTBOUND_ALLOW=localhost"):
        open_embedder(Settings.load(embeddings="ollama"))
    open_embedder(Settings.load(embeddings="ollama", outbound_allow="localhost")).close()
    with pytest.raises(ConfigError, match=r"OM_OPENAI_BASE_URL: .*169\.254\.169\.254"):
        open_embedder(Settings.load(embeddings="openai", openai_base_url="http://169.254.169.254/v1"))


def test_opm_import_refuses_a_loopback_source_unless_allow_host_is_given(tmp_path: Any) -> None:
    runner = CliRunner()
    env = {"OM_DB_PATH": str(tmp_path / "m.sqlite"), "OM_EMBEDDINGS": "synthetic"}
    with site() as local:
        args = ["import", "--from", "mem0", "--api-key", "k", "--base-url", local.url]
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 1
        assert "--allow-host 127.0.0.1" in result.output and "Traceback" not in result.output
        assert local.seen == []
