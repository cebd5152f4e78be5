"""Concurrency: many client processes adding and querying at once, then every acknowledged write looked up.

Three set-ups (``mode``):

- ``http``: one ``opm serve`` and N client processes over HTTP (SQLite, or PostgreSQL with ``OM_PG_POOL_MAX``
  below the number of requests in flight, so requests queue for a connection);
- ``direct``: N processes each opening the same SQLite file with ``Memory`` (N writers on one file, as N scripts
  or CLI commands beside a server would be).

A write counts as acknowledged when it returned (2xx, or ``Memory.add`` without an exception). Afterwards every
acknowledged memory must be listed for its owner, and the database must pass ``store/audit.py``'s checks. Any
"database is locked" error, any failure other than a clean 503, and any lost write is reported; ``rows_lost`` and
``locked_errors`` must be 0.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from openmemory.bench.processes import empty_postgres, postgres_env, start_server
from openmemory.config import Settings
from openmemory.errors import OpenMemoryError
from openmemory.memory import Memory
from openmemory.store.audit import audit_sqlite_file

Mode = Literal["http", "direct"]
USERS = 4
MAX_SAMPLES = 10


@dataclass
class ConcurrencyReport:
    backend: str
    mode: str
    processes: int
    threads_per_process: int
    seconds: float
    pool_max: int | None = None
    server_workers: int = 1
    operations: int = 0
    acknowledged_writes: int = 0
    queries_ok: int = 0
    clean_503: int = 0
    locked_errors: int = 0
    other_errors: int = 0
    rows_lost: int = 0
    integrity: str = "not checked"
    samples: list[str] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return not (self.rows_lost or self.locked_errors or self.other_errors) and self.integrity == "ok"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Result:
    acked: list[tuple[str, str]] = field(default_factory=list)  # (memory id, user)
    counts: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)


def _user(number: int) -> str:
    return f"conc-u{number % USERS}"


def _failure(result: _Result, text: str, status: int | None) -> None:
    if "locked" in text.lower() or "busy" in text.lower():
        result.counts["locked"] += 1
    elif status == 503:
        result.counts["503"] += 1
    else:
        result.counts["other"] += 1
    if len(result.samples) < MAX_SAMPLES:
        result.samples.append(f"{status or 'error'}: {text[:200]}")


def _http_loop(url: str, number: int, thread: int, until: float, result: _Result, lock: threading.Lock) -> None:
    rng = random.Random(f"{number}-{thread}")
    user = _user(number)
    with httpx.Client(base_url=url, timeout=60) as client:
        n = 0
        while time.monotonic() < until:
            n += 1
            is_write = rng.random() < 0.6
            try:
                if is_write:
                    word = f"cw{number}t{thread}n{n}"
                    response = client.post(
                        "/memory/add", json={"content": f"note {word} {uuid.uuid4()}", "user_id": user}
                    )
                else:
                    body = {"query": f"note cw{number}t{thread}n{rng.randint(1, n)}", "user_id": user, "k": 5}
                    response = client.post("/memory/query", json=body)
            except httpx.HTTPError as exc:
                with lock:
                    _failure(result, f"{type(exc).__name__}: {exc}", None)
                continue
            with lock:
                result.counts["operations"] += 1
                if response.status_code == 200 and is_write:
                    result.acked.append((str(response.json()["id"]), user))
                elif response.status_code == 200:
                    result.counts["queries"] += 1
                else:
                    _failure(result, response.text, response.status_code)


def _direct_loop(mem: Memory, number: int, thread: int, until: float, result: _Result, lock: threading.Lock) -> None:
    rng = random.Random(f"{number}-{thread}")
    user = _user(number)
    n = 0
    while time.monotonic() < until:
        n += 1
        is_write = rng.random() < 0.6
        try:
            if is_write:
                added = mem.add(f"note cw{number}t{thread}n{n} {uuid.uuid4()}", user_id=user)
            else:
                mem.query(f"note cw{number}t{thread}n{rng.randint(1, n)}", user_id=user, k=5)
        except OpenMemoryError as exc:
            with lock:
                _failure(result, f"{type(exc).__name__}: {exc}", None)
            continue
        with lock:
            result.counts["operations"] += 1
            if is_write:
                result.acked.append((added.memory_id, user))
            else:
                result.counts["queries"] += 1


def _client_process(target: str, mode: str, number: int, threads: int, seconds: float) -> _Result:
    """One client process: ``threads`` threads adding (60 %) and querying (40 %) for ``seconds``."""
    result = _Result()
    lock = threading.Lock()
    until = time.monotonic() + seconds
    mem = None
    if mode == "direct":
        mem = Memory(settings=Settings.load(embeddings="synthetic", db_path=Path(target), metadata_backend="sqlite"))
    try:
        workers = [
            threading.Thread(
                target=_direct_loop if mem is not None else _http_loop,
                args=(mem if mem is not None else target, number, t, until, result, lock),
            )
            for t in range(threads)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        if mem is not None:
            mem.close()
    return result


def _run_clients(target: str, mode: str, processes: int, threads: int, seconds: float) -> list[_Result]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        jobs = [pool.apply_async(_client_process, (target, mode, n, threads, seconds)) for n in range(processes)]
        return [job.get(timeout=seconds + 600) for job in jobs]


def _tally(report: ConcurrencyReport, results: list[_Result]) -> list[tuple[str, str]]:
    acked: list[tuple[str, str]] = []
    for r in results:
        acked += r.acked
        report.operations += r.counts["operations"]
        report.queries_ok += r.counts["queries"]
        report.clean_503 += r.counts["503"]
        report.locked_errors += r.counts["locked"]
        report.other_errors += r.counts["other"]
        report.samples += r.samples[: MAX_SAMPLES - len(report.samples)]
    report.acknowledged_writes = len(acked)
    return acked


def _count_lost(acked: list[tuple[str, str]], listed: dict[str, set[str]]) -> int:
    return sum(1 for memory_id, user in acked if memory_id not in listed.get(user, set()))


def run_concurrency(
    workdir: Path,
    *,
    mode: Mode = "http",
    backend: str = "sqlite",
    processes: int = 8,
    threads: int = 1,
    seconds: float = 60.0,
    pool_max: int | None = None,
    server_workers: int = 1,
    settings: Settings | None = None,
) -> ConcurrencyReport:
    """Run the clients, then check every acknowledged write and audit the database; in http mode the server runs
    ``server_workers`` worker processes (``opm serve --workers``)."""
    report = ConcurrencyReport(backend, mode, processes, threads, seconds, pool_max, server_workers)
    users = [_user(n) for n in range(min(processes, USERS))]
    if backend == "sqlite":
        db = workdir / "concurrency.sqlite"
        if mode == "direct":
            with Memory(settings=Settings.load(embeddings="synthetic", db_path=db, metadata_backend="sqlite")):
                pass  # created and migrated once, before the writers race to open it
            acked = _tally(report, _run_clients(str(db), mode, processes, threads, seconds))
            with Memory(settings=Settings.load(embeddings="synthetic", db_path=db, metadata_backend="sqlite")) as mem:
                listed = {u: {m.memory_id for m in _all(mem, u)} for u in users}
        else:
            env = {"OM_DB_PATH": str(db)}
            listed, acked = _over_http(report, env, workdir, processes, threads, seconds, users, server_workers)
        report.rows_lost = _count_lost(acked, listed)
        found = audit_sqlite_file(db)
        report.integrity = "ok" if found.is_clean else found.describe()
        return report
    if mode != "http":
        raise ValueError("PostgreSQL runs in http mode (one server, its pool shared by every client)")
    base = settings or Settings.load()
    with empty_postgres(base) as audit_postgres:
        env = postgres_env(base, pool_max)
        listed, acked = _over_http(report, env, workdir, processes, threads, seconds, users, server_workers)
        report.rows_lost = _count_lost(acked, listed)
        found = audit_postgres()
        report.integrity = "ok" if found.is_clean else found.describe()
    return report


def _over_http(
    report: ConcurrencyReport, env: dict[str, str], workdir: Path, processes: int, threads: int, seconds: float,
    users: list[str], server_workers: int,
) -> tuple[dict[str, set[str]], list[tuple[str, str]]]:  # fmt: skip
    server = start_server(env, workdir / "concurrency-server.log", ("--workers", str(server_workers)))
    try:
        acked = _tally(report, _run_clients(server.url, "http", processes, threads, seconds))
        listed: dict[str, set[str]] = {}
        with httpx.Client(base_url=server.url, timeout=120) as client:
            for user in users:
                listed[user] = set()
                while True:
                    params: dict[str, str | int] = {"user_id": user, "l": 10_000, "u": len(listed[user])}
                    items = client.get("/memory/all", params=params).json()["items"]
                    listed[user] |= {str(item["id"]) for item in items}
                    if len(items) < 10_000:
                        break
    finally:
        server.stop()
    return listed, acked


def _all(mem: Memory, user: str) -> list[Any]:
    out: list[Any] = []
    while True:
        page = mem.list(user_id=user, limit=1000, offset=len(out))
        out += page
        if len(page) < 1000:
            return out
