"""A real uvicorn server on a free loopback port, in a background thread, for tests that speak HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from openmemory.api import create_app
from openmemory.config import Settings
from openmemory.memory import Memory

KEYS = {"alice": "key-alice-0123456789", "bob": "key-bob-0123456789"}
ADMIN_KEY = "admin-key-0123456789"


def keyed_settings(db: Path, **overrides: object) -> Settings:
    pairs = ",".join(f"{key}:{tenant}" for tenant, key in KEYS.items())
    return Settings.load(embeddings="synthetic", db_path=db, api_keys=pairs, admin_key=ADMIN_KEY, **overrides)


def local_settings(db: Path, **overrides: object) -> Settings:
    return Settings.load(embeddings="synthetic", db_path=db, **overrides)


@contextmanager
def live_server(settings: Settings, memory: Memory | None = None) -> Iterator[str]:
    """Serve ``create_app(settings, memory)`` until the block ends; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings, memory), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
