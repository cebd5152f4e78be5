"""The server soak: SIGKILL ``opm serve`` while clients add, update and delete; after each restart every
acknowledged write must be there, whole (the overview is in ``soak.py``)."""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from openmemory.bench.processes import empty_postgres, postgres_env, start_server
from openmemory.bench.soak import Progress, SoakReport, no_progress
from openmemory.config import Settings
from openmemory.store.audit import Audit, audit_sqlite_file

USERS = ("soak-ana", "soak-bo", "soak-chen")


@dataclass
class _Ledger:
    """What the server acknowledged: live memories (id -> owner, unique word, content; word and content None while
    an update of it is unanswered) and deleted ones (id -> owner)."""

    added: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    deleted: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    operations: int = 0
    answered: int = 0  # writes that got a 200
    updates: int = 0
    refused: list[str] = field(default_factory=list)  # answers other than 200 (the kill only drops connections)


def _writer(url: str, number: int, round_no: int, ledger: _Ledger, stop: threading.Event, rng: random.Random) -> None:
    """Add memories, and now and then update or delete one of its own, until the server stops answering."""
    user = USERS[number % len(USERS)]
    mine: list[str] = []
    with httpx.Client(base_url=url, timeout=30) as client:
        n = 0
        while not stop.is_set():
            n += 1
            word = f"zq{number}r{round_no}n{n}"
            content = f"soak note {word} from writer {number}, entry {n}"
            roll = rng.random()
            with ledger.lock:
                ledger.operations += 1
            try:
                if mine and roll < 0.1:
                    victim = mine.pop(rng.randrange(len(mine)))
                    with ledger.lock:  # in flight: may or may not be deleted after a kill
                        owner, _, _ = ledger.added.pop(victim)
                    response = client.delete(f"/memory/{victim}", params={"user_id": user})
                    if response.status_code == 200:
                        with ledger.lock:
                            ledger.deleted[victim] = owner
                elif mine and roll < 0.2:
                    target = mine[rng.randrange(len(mine))]
                    with ledger.lock:  # in flight: the old text or the new one after a kill, never a mix
                        ledger.added[target] = (user, None, None)
                    response = client.patch(f"/memory/{target}", json={"content": content, "user_id": user})
                    if response.status_code == 200:
                        with ledger.lock:
                            ledger.added[target] = (user, word, content)
                            ledger.updates += 1
                else:
                    response = client.post("/memory/add", json={"content": content, "user_id": user})
                    if response.status_code == 200:
                        memory_id = str(response.json()["id"])
                        mine.append(memory_id)
                        with ledger.lock:
                            ledger.added[memory_id] = (user, word, content)
            except httpx.HTTPError:
                return  # the server is gone
            with ledger.lock:
                ledger.answered += response.status_code == 200
            if response.status_code != 200:
                with ledger.lock:
                    ledger.refused.append(f"{response.request.method} {response.status_code}: {response.text[:200]}")


def _verify_server(url: str, ledger: _Ledger, report: SoakReport, rng: random.Random, searches: int) -> None:
    """Every acknowledged add is listed with its acknowledged text (and a sample found by search), every
    acknowledged delete is gone, every user's summary answers."""
    with httpx.Client(base_url=url, timeout=60) as client:
        listed: dict[str, dict[str, str]] = {}
        for user in USERS:
            items = client.get("/memory/all", params={"user_id": user, "l": 10_000}).json()["items"]
            listed[user] = {str(item["id"]): str(item["content"]) for item in items}
            summary = client.get(f"/users/{user}/summary")
            if any(u == user for u, _, _ in ledger.added.values()) and summary.status_code != 200:
                report.problem(f"user {user}: summary answered {summary.status_code}")
        for memory_id, (user, _, content) in ledger.added.items():
            if memory_id not in listed[user]:
                report.rows_lost += 1
                report.problem(f"acknowledged add {memory_id} of {user} is missing after a restart")
            elif content is not None and listed[user][memory_id] != content:
                report.rows_lost += 1
                report.problem(f"{memory_id} of {user} lost its acknowledged update: {listed[user][memory_id]!r}")
        for memory_id, user in ledger.deleted.items():
            if memory_id in listed[user]:
                report.rows_lost += 1
                report.problem(f"acknowledged delete {memory_id} of {user} is visible again after a restart")
        known = sorted(memory_id for memory_id, (_, word, _) in ledger.added.items() if word is not None)
        for memory_id in rng.sample(known, min(searches, len(known))):
            user, word, _ = ledger.added[memory_id]
            hits = client.post("/memory/query", json={"query": word, "user_id": user, "k": 3}).json()["matches"]
            report.count("searches after restart")
            if memory_id not in [str(h["id"]) for h in hits]:
                report.problem(f"acknowledged write {memory_id} is stored but a search for {word!r} misses it")


def _wait_for_writes(ledger: _Ledger, answered: int, writers: list[threading.Thread]) -> None:
    """Until ``answered`` writes got a 200 (or the writers stopped, or a minute passed)."""
    deadline = time.monotonic() + 60
    while ledger.answered < answered and time.monotonic() < deadline and any(t.is_alive() for t in writers):
        time.sleep(0.02)


def _kill_rounds(
    log: Path, env: dict[str, str], audit: Callable[[], Audit], report: SoakReport, kills: int, writers: int,
    graceful_restarts: bool, warm_writes: int, rng: random.Random, progress: Progress,
) -> _Ledger:  # fmt: skip
    """Start the server, check what it acknowledged before, let writers write, kill it; ``kills`` times."""
    ledger = _Ledger()
    for round_no in range(kills + 1):
        server = start_server(env, log)
        try:
            if round_no > 0:
                _verify_server(server.url, ledger, report, rng, searches=5)
                if graceful_restarts and round_no % 3 == 0:
                    server.stop()  # a graceful stop: the indexes are saved
                    server = start_server(env, log)
                    report.count("graceful restarts")
            if round_no == kills:
                break
            stop = threading.Event()
            threads = [
                threading.Thread(
                    target=_writer, args=(server.url, n, round_no, ledger, stop, random.Random(rng.random()))
                )
                for n in range(writers)
            ]
            for t in threads:
                t.start()
            _wait_for_writes(ledger, ledger.answered + warm_writes, threads)
            time.sleep(rng.uniform(0.2, 2.0))
            server.kill()
            report.kills += 1
            stop.set()
            for t in threads:
                t.join(60)
        finally:
            if server.process.poll() is None:
                server.stop()
        report.check(audit(), f"after kill {round_no + 1}")
        progress(round_no + 1, kills)
    return ledger


def soak_server(
    workdir: Path,
    *,
    kills: int,
    writers: int = 4,
    ann_min_memories: int | None = None,
    postgres: Settings | None = None,
    warm_writes: int = 0,
    seed: int = 0,
    progress: Progress = no_progress,
) -> SoakReport:
    """SIGKILL ``opm serve`` ``kills`` times while ``writers`` clients write, at random moments.

    The server stores in a SQLite file of ``workdir``, or with ``postgres`` in that (empty) PostgreSQL schema. With
    ``ann_min_memories`` (OM_ANN_MIN_MEMORIES) low, owners are searched through the approximate index a SQLite
    server saves beside the file at a graceful stop; every third restart is then a graceful one, so later kills
    leave a saved index behind the database, which the next start must bring up to date. Each kill comes 0.2-2 s
    after ``warm_writes`` more writes were answered (0: after the round starts).
    """
    with ExitStack() as stack:
        if postgres is not None:
            env = postgres_env(postgres, None)
            audit = stack.enter_context(empty_postgres(postgres))
        else:
            db = workdir / "server-soak.sqlite"
            env = {"OM_DB_PATH": str(db)}
            audit = functools.partial(audit_sqlite_file, db)
        if ann_min_memories is not None:
            env["OM_ANN_MIN_MEMORIES"] = str(ann_min_memories)
        report = SoakReport("server" if postgres is None else "server (PostgreSQL)")
        ledger = _kill_rounds(workdir / "server-soak.log", env, audit, report, kills, writers,
                              ann_min_memories is not None, warm_writes, random.Random(seed), progress)  # fmt: skip
        report.operations = ledger.operations
    for refusal in ledger.refused:
        report.problem(f"the server refused a write: {refusal}")
    report.acknowledged = len(ledger.added) + ledger.updates + len(ledger.deleted)
    report.detail["acknowledged adds present at the end"] = len(ledger.added)
    report.detail["acknowledged updates"] = ledger.updates
    report.detail["acknowledged deletes"] = len(ledger.deleted)
    return report
