"""Real ``opm`` processes for the reliability benchmarks: a server on a free loopback port, a command to kill."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from openmemory.config import Settings
from openmemory.errors import InvalidInput
from openmemory.memory import Memory
from openmemory.store.audit import Audit

START_TIMEOUT_S = 60.0
OPM = (sys.executable, "-c", "from openmemory.cli.app import main; main()")


def opm_command(*args: str) -> list[str]:
    """``opm ARGS`` run by this interpreter (so the installed package, whatever the PATH says)."""
    return [*OPM, *args]


def child_env(settings_env: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without its OM_* settings, plus ``settings_env``: a child sees only what the
    benchmark chose."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("OM_")}
    return {**base, **settings_env}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """An ``opm serve`` child process and its base URL."""

    process: subprocess.Popen[bytes]
    url: str

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, nothing is flushed or closed."""
        self.process.kill()
        self.process.wait(30)

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it: in-flight requests finish, the database closes."""
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.kill()


def start_server(settings_env: Mapping[str, str], log: Path, extra_args: Sequence[str] = ()) -> Server:
    """Start ``opm serve`` with the synthetic embedder on a free loopback port; returns once /health answers."""
    port = free_port()
    env = child_env({"OM_EMBEDDINGS": "synthetic", "OM_WARM_MEMORIES": "0", **settings_env})
    with log.open("ab") as out:
        process = subprocess.Popen(
            opm_command("serve", "--host", "127.0.0.1", "--port", str(port), *extra_args),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"opm serve exited with {process.returncode} at start-up; see {log}")
        try:
            if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"opm serve did not answer /health within {START_TIMEOUT_S:.0f} s; see {log}")


def postgres_env(settings: Settings, pool_max: int | None) -> dict[str, str]:
    """OM_* variables that point a child process at the PostgreSQL database of ``settings``."""
    env = {
        "OM_METADATA_BACKEND": "postgres",
        "OM_PG_SCHEMA": settings.pg_schema,
        "OM_PG_TABLE": settings.pg_table,
        "OM_PG_HOST": settings.pg_host,
        "OM_PG_PORT": str(settings.pg_port),
        "OM_PG_DB": settings.pg_db,
        "OM_PG_USER": settings.pg_user,
        "OM_PG_SSL": settings.pg_ssl,
    }
    if settings.pg_url is not None:
        env["OM_PG_URL"] = settings.pg_url.get_secret_value()
    if settings.pg_password is not None:
        env["OM_PG_PASSWORD"] = settings.pg_password.get_secret_value()
    if pool_max is not None:
        env["OM_PG_POOL_MAX"] = str(pool_max)
    return env


@contextmanager
def empty_postgres(settings: Settings) -> Iterator[Callable[[], Audit]]:
    """Use the (empty) PostgreSQL schema of ``settings`` for a run, and empty it again afterwards; yields its audit.

    Refuses a schema that holds data: a benchmark must never touch real memories.
    """
    chosen = settings.replace(embeddings="synthetic", metadata_backend="postgres")

    def audit() -> Audit:
        with Memory(settings=chosen) as mem:
            return mem.maintenance.store.maintenance_audit()

    with Memory(settings=chosen) as mem:
        if not mem.maintenance.store.maintenance_is_empty():
            raise InvalidInput(f"{mem.location} holds data: run the benchmark in an empty OM_PG_SCHEMA")
    try:
        yield audit
    finally:
        with Memory(settings=chosen) as mem:
            mem.maintenance.store.maintenance_wipe()
