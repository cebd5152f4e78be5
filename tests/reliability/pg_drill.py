"""The PostgreSQL restart drill: HTTP clients write through a live `opm serve` while its database restarts.

Shared by tests/reliability/test_pg_restart.py (one restart per shutdown mode) and benchmarks/pg_restarts.py
(many). A round holds every write inside the database with a table lock, so some requests are certainly in
flight when the server goes down, stops the server (``fast`` or ``immediate``), keeps it down for a moment,
starts it again and waits until writes are acknowledged again, without touching the OpenMemory server.

Each answer is sorted: 200 (acknowledged: the memory must be in the database afterwards), 503 with code
``store_unavailable``, a sentence and ``Retry-After`` (the write may or may not be stored, but never half), or
anything else (a 500, another code, a transport error, an answer slower than ``MAX_ANSWER_S``), which must
never happen.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg

from tests.reliability.pg_server import PrivatePostgres

# The pool waits up to 10 s for a connection (store/postgres.py POOL_TIMEOUT_S); a 503 must come well before this.
MAX_ANSWER_S = 30.0


@dataclass
class Tally:
    """What the writers saw, across rounds."""

    requests: int = 0
    unavailable: int = 0
    other_errors: list[str] = field(default_factory=list)
    acknowledged: dict[str, str] = field(default_factory=dict)  # memory id -> content
    unconfirmed: set[str] = field(default_factory=set)  # contents whose request got a 503
    slowest_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, content: str, elapsed_s: float, response: httpx.Response | None, failure: str | None) -> None:
        with self.lock:
            self.requests += 1
            self.slowest_s = max(self.slowest_s, elapsed_s)
            if response is not None and response.status_code == 200:
                self.acknowledged[str(response.json()["id"])] = content
            elif response is not None and _is_clear_503(response):
                self.unavailable += 1
                self.unconfirmed.add(content)
            else:
                answer = f"HTTP {response.status_code}: {response.text[:300]}" if response is not None else ""
                self.other_errors.append(failure or answer)
            if elapsed_s > MAX_ANSWER_S:
                self.other_errors.append(f"an answer took {elapsed_s:.1f} s")

    @property
    def acks(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def _is_clear_503(response: httpx.Response) -> bool:
    if response.status_code != 503:
        return False
    body: Any = response.json()
    return (
        body.get("err") == "store_unavailable"
        and "PostgreSQL" in str(body.get("message"))
        and response.headers.get("Retry-After", "").isdigit()
    )


class Writers:
    """``n`` threads, each adding memories for its own user through the REST API until ``stop()``."""

    def __init__(self, base_url: str, n: int, tally: Tally) -> None:
        self._base_url = base_url
        self.tally = tally
        self._done = threading.Event()
        self._threads = [threading.Thread(target=self._write, args=(i,), daemon=True) for i in range(n)]

    def __enter__(self) -> Writers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        for thread in self._threads:
            thread.join(MAX_ANSWER_S + 10)

    def _write(self, n: int) -> None:
        with httpx.Client(base_url=self._base_url, timeout=MAX_ANSWER_S + 5) as client:
            while not self._done.is_set():
                content = f"writer {n} remembers note {uuid.uuid4().hex}"
                started = time.monotonic()
                response, failure = None, None
                try:
                    response = client.post("/memory/add", json={"content": content, "user_id": f"writer-{n}"})
                except httpx.HTTPError as exc:
                    failure = f"{type(exc).__name__}: {exc}"
                self.tally.record(content, time.monotonic() - started, response, failure)

    def wait_for_acks(self, count: int, timeout_s: float = 60) -> float:
        """Wait until ``count`` writes in all are acknowledged; return how long that took."""
        started = time.monotonic()
        while self.tally.acks < count:
            if time.monotonic() - started > timeout_s:
                raise AssertionError(f"only {self.tally.acks} of {count} writes acknowledged after {timeout_s} s")
            time.sleep(0.02)
        return time.monotonic() - started


def hold_writes(url: str, memories_table: str) -> psycopg.Connection[Any]:
    """A connection whose open transaction blocks every insert into ``memories_table``, once one is blocked."""
    conn = psycopg.connect(url)
    conn.execute(f"LOCK TABLE {memories_table} IN EXCLUSIVE MODE".encode())  # reads still pass
    deadline = time.monotonic() + 20
    while True:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass", (memories_table,)
        ).fetchone()
        if row is not None and row[0] > 0:
            return conn
        if time.monotonic() > deadline:
            conn.close()
            raise AssertionError("no write blocked on the held table")
        time.sleep(0.02)


def restart_round(pg: PrivatePostgres, mode: str, memories_table: str, writers: Writers, down_s: float) -> float:
    """One restart with writes in flight; returns the seconds from the server being up to the next acked write."""
    blocker = hold_writes(pg.url, memories_table)
    pg.stop(mode)
    with contextlib.suppress(psycopg.Error):
        blocker.close()  # its session died with the server
    time.sleep(down_s)
    pg.start()
    recovered_s = writers.wait_for_acks(writers.tally.acks + 1)
    writers.wait_for_acks(writers.tally.acks + 4)
    return recovered_s


@dataclass(frozen=True)
class Audit:
    stored: int
    lost: list[str]  # acknowledged ids missing from the database
    phantom: list[str]  # stored contents no writer sent
    half_written: int  # memories without vectors, vectors without memories


def audit(url: str, schema: str, tally: Tally) -> Audit:
    """Compare what the database holds with what the writers were told."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(f'SELECT id::text, content FROM "{schema}".openmemory_memories'.encode()).fetchall()
        (half,) = conn.execute(
            f'SELECT (SELECT count(*) FROM "{schema}".openmemory_memories m WHERE NOT EXISTS '
            f'(SELECT 1 FROM "{schema}".openmemory_vectors v WHERE v.id = m.id)) + '
            f'(SELECT count(*) FROM "{schema}".openmemory_vectors v WHERE NOT EXISTS '
            f'(SELECT 1 FROM "{schema}".openmemory_memories m WHERE m.id = v.id))'.encode()
        ).fetchone() or (0,)
    stored = {str(i): str(c) for i, c in rows}
    sent = set(tally.acknowledged.values()) | tally.unconfirmed
    return Audit(
        stored=len(stored),
        lost=sorted(i for i in tally.acknowledged if i not in stored),
        phantom=sorted(c for c in stored.values() if c not in sent),
        half_written=int(half),
    )
