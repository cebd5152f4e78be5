"""``opm serve`` as a process: refuses an open bind without a key, and shuts down cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

OPM = [sys.executable, "-c", "from openmemory.cli.app import main; main()"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OM_")}
    return {**env, "OM_EMBEDDINGS": "synthetic", "OM_DB_PATH": str(tmp_path / "m.sqlite"), **extra}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_refuses_a_public_address_without_a_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [*OPM, "serve", "--host", "0.0.0.0"], env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "refusing to bind 0.0.0.0 without an API key" in result.stderr


def test_serve_warns_in_local_mode_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [*OPM, "serve", "--port", str(port)], env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        added = httpx.post(f"{url}/memory/add", json={"content": "survives shutdown", "user_id": "me"}).json()
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    # uvicorn re-raises the signal after a graceful shutdown, so the exit status says "terminated by SIGTERM".
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "local single-user mode" in output and "database closed" in output
    assert not (tmp_path / "m.sqlite-wal").exists() or (tmp_path / "m.sqlite-wal").stat().st_size == 0
    with sqlite3.connect(tmp_path / "m.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT content FROM memories WHERE id = ?", (added["id"],)).fetchone()[0] == (
            "survives shutdown"
        )


def test_every_worker_gets_the_command_line_and_server_settings(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "chosen.sqlite"
    env = {**_env(tmp_path), "OM_DB_PATH": str(tmp_path / "not-this.sqlite")}
    proc = subprocess.Popen(
        [*OPM, "serve", "--port", str(port), "--db", str(db), "--workers", "2"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        httpx.post(f"{url}/memory/add", json={"content": "lands in the chosen file", "user_id": "me"}, timeout=30)
        time.sleep(1.0)  # both workers have logged their start-up by now
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    opened = [line for line in output.splitlines() if " opened " in line and str(db) in line]
    assert len({line.split("worker ")[1].split()[0] for line in opened}) == 2, output
    assert all("reinforcement written every 50 ms" in line for line in opened), output
    assert not (tmp_path / "not-this.sqlite").exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM memories").fetchone()[0] == 1
