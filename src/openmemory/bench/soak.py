"""Crash soaks: SIGKILL ``opm serve``, ``opm migrate`` or ``opm import`` at random moments, then check the data.

After each kill the SQLite file is audited as it lies on disk (``store/audit.py``: integrity check, whole schema
versions, no memory without its vectors, no vector or waypoint without its memory), and then:

- server: the server is started again, and every write that got a 2xx before the kill must be there (an
  acknowledged add listed, and found by a search for its unique word; an acknowledged delete gone), and each
  user's summary answers; then writers start again on the restarted server, until the next kill.
- migrate: every row of the upstream fixture is still there, the applied versions are a prefix of the list
  (never half a version), and running ``opm migrate`` again completes it with every row.
- import: every user the resume checkpoint marks done is complete, no user holds an item twice or an item that
  is not in the export, and running the same command again completes the import with one copy of everything.

Writes that were in flight at the kill (no answer) may or may not be there: they are only required to be whole.
"""

from __future__ import annotations

import functools
import json
import random
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from openmemory.bench.processes import child_env, empty_postgres, opm_command, postgres_env, start_server
from openmemory.config import Settings
from openmemory.memory import Memory
from openmemory.migrations.runner import MIGRATIONS
from openmemory.store.audit import Audit, audit_sqlite_file

Progress = Callable[[int, int], None]
USERS = ("soak-ana", "soak-bo", "soak-chen")
UPSTREAM_FILES = (
    "v1.1.1.sqlite",
    "v1.2.0-migrated-by-upstream.sqlite",
    "v1.2.0-native.sqlite",
    "v1.2.2-native.sqlite",
    "v1.3.0-native.sqlite",
)
MAX_PROBLEMS = 20


@dataclass
class SoakReport:
    """What a soak did and found; ``rows_lost`` and ``audits_failed`` must be 0."""

    target: str
    kills: int = 0
    operations: int = 0
    acknowledged: int = 0
    rows_lost: int = 0
    audits: int = 0
    audits_failed: int = 0
    detail: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return self.rows_lost == 0 and self.audits_failed == 0 and not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)

    def check(self, audit: Audit, where: str, baseline: Audit | None = None) -> None:
        """Count an audit; it fails on a bad integrity check or on more half-written rows than ``baseline``."""
        self.audits += 1
        allowed = baseline.problems if baseline is not None else {}
        worse = {k: n for k, n in audit.problems.items() if n > allowed.get(k, 0)}
        if audit.integrity != "ok" or worse:
            self.audits_failed += 1
            self.problem(f"{where}: {audit.describe()}")

    def count(self, key: str, n: int = 1) -> None:
        self.detail[key] = self.detail.get(key, 0) + n

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _no_progress(done: int, total: int) -> None:
    return None


# -- server ----------------------------------------------------------------------------------------------------


@dataclass
class _Ledger:
    """What the server acknowledged: live memories (id -> owner, unique word, content; word and content None while
    an update of it is unanswered) and deleted ones (id -> owner)."""

    added: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    deleted: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    operations: int = 0
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


def _kill_rounds(
    log: Path, env: dict[str, str], audit: Callable[[], Audit], report: SoakReport, kills: int, writers: int,
    graceful_restarts: bool, rng: random.Random, progress: Progress,
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
    seed: int = 0,
    progress: Progress = _no_progress,
) -> SoakReport:
    """SIGKILL ``opm serve`` ``kills`` times while ``writers`` clients write, at random moments.

    The server stores in a SQLite file of ``workdir``, or with ``postgres`` in that (empty) PostgreSQL schema. With
    ``ann_min_memories`` (OM_ANN_MIN_MEMORIES) low, owners are searched through the approximate index a SQLite
    server saves beside the file at a graceful stop; every third restart is then a graceful one, so later kills
    leave a saved index behind the database, which the next start must bring up to date.
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
                              ann_min_memories is not None, random.Random(seed), progress)  # fmt: skip
        report.operations = ledger.operations
    for refusal in ledger.refused:
        report.problem(f"the server refused a write: {refusal}")
    report.acknowledged = len(ledger.added) + ledger.updates + len(ledger.deleted)
    report.detail["acknowledged adds present at the end"] = len(ledger.added)
    report.detail["acknowledged updates"] = ledger.updates
    report.detail["acknowledged deletes"] = len(ledger.deleted)
    return report


# -- migrate ---------------------------------------------------------------------------------------------------


def _migrate_run(db: Path, log: Path, kill_after_s: float | None) -> tuple[bool, float]:
    """Run ``opm migrate --db DB``; with ``kill_after_s``, SIGKILL it that long after it starts migrating.

    Returns (killed, seconds from the first "[MIGRATE]" line to the last version's commit).
    """
    with log.open("ab") as err:
        process = subprocess.Popen(
            opm_command("migrate", "--db", str(db), "--no-backup"),
            env=child_env({}),
            stdout=subprocess.PIPE,
            stderr=err,
        )
    with process:
        assert process.stdout is not None
        started = time.monotonic()
        for line in process.stdout:
            if line.startswith(b"[MIGRATE]"):
                started = time.monotonic()
                break
        if kill_after_s is not None:
            try:
                process.wait(kill_after_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(30)
                return True, time.monotonic() - started
        span = 0.0
        for line in process.stdout:
            if b"All migrations completed" in line or b"up to date" in line.lower():
                span = time.monotonic() - started
        if process.wait(120) != 0:
            raise RuntimeError(f"opm migrate --db {db} failed with {process.returncode}; see {log}")
    return False, span or time.monotonic() - started


def soak_migrate(
    workdir: Path,
    fixtures: Path,
    *,
    kills: int,
    files: tuple[str, ...] = UPSTREAM_FILES,
    seed: int = 0,
    progress: Progress = _no_progress,
) -> SoakReport:
    """SIGKILL ``opm migrate`` ``kills`` times on copies of upstream databases, at random moments of the run.

    Each copy is killed once or twice in a row (the second kill lands in the resumed run), then migrated to the
    end; a first, unkilled run of each fixture measures how long its migration takes, the span kills fall in.
    """
    rng = random.Random(seed)
    every = tuple(m.VERSION for m in MIGRATIONS)
    report = SoakReport("migrate")
    log = workdir / "migrate-soak.log"
    spans: dict[str, float] = {}
    for name in files:
        copy = workdir / f"span-{name}"
        shutil.copyfile(fixtures / name, copy)
        spans[name] = max(0.02, _migrate_run(copy, log, None)[1])
        copy.unlink()
    copy_no = 0
    while report.kills < kills:
        name = files[copy_no % len(files)]
        copy_no += 1
        db = workdir / f"migrate-{copy_no}.sqlite"
        shutil.copyfile(fixtures / name, db)
        db.chmod(0o644)
        before = audit_sqlite_file(db)
        for _ in range(rng.choice((1, 2))):
            if report.kills >= kills:
                break
            killed, _ = _migrate_run(db, log, rng.uniform(0.0, spans[name]))
            report.operations += 1
            if not killed:
                report.count("runs that finished before their kill")
                continue
            report.kills += 1
            after = audit_sqlite_file(db)
            _check_migrated(report, f"{name} copy {copy_no} after a kill", before, after, every, whole=False)
            progress(report.kills, kills)
        _migrate_run(db, log, None)
        report.operations += 1
        final = audit_sqlite_file(db)
        _check_migrated(report, f"{name} copy {copy_no} after the rerun", before, final, every, whole=True)
        report.acknowledged += before.rows.get("memories", 0)
        db.unlink()
        for extra in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            extra.unlink(missing_ok=True)
    return report


def _check_migrated(
    report: SoakReport, where: str, before: Audit, after: Audit, every: tuple[str, ...], *, whole: bool
) -> None:
    report.check(after, where, baseline=before)
    pending = [v for v in every if v not in before.versions]
    fresh = [v for v in pending if v in after.versions]
    if fresh != pending[: len(fresh)]:
        report.problem(f"{where}: versions {fresh} applied out of order (pending were {pending})")
    if whole and fresh != pending:
        report.problem(f"{where}: versions {after.versions}, expected all of {every}")
    if not whole:
        if not fresh:
            report.count("kills that left the file at its starting version")
        elif fresh != pending:
            report.count("kills that left a partly migrated file (some versions applied)")
        else:
            report.count("kills after the last version committed")
    for table in ("memories", "waypoints", "temporal_facts"):
        lost = before.rows.get(table, 0) - after.rows.get(table, 0)
        if lost > 0:
            report.rows_lost += lost
            report.problem(f"{where}: {lost} of {before.rows[table]} {table} rows are gone")
    vectors_before = before.rows.get("vectors", 0) + before.rows.get("openmemory_vectors", 0)
    vectors_after = after.rows.get("vectors", 0) + after.rows.get("openmemory_vectors", 0)
    if vectors_after < vectors_before:
        report.rows_lost += vectors_before - vectors_after
        report.problem(f"{where}: {vectors_before - vectors_after} vector rows are gone")


# -- import ----------------------------------------------------------------------------------------------------


def _export(users: int, per_user: int) -> list[dict[str, Any]]:
    """A Mem0 export (its list shape) with ``per_user`` memories for each of ``users`` users."""
    return [
        {
            "id": f"m-u{u}-{n}",
            "memory": f"user {u} remembers item {n} with word zi{u}x{n}",
            "user_id": f"import-u{u}",
            "metadata": {"n": n},
            "created_at": "2024-03-01T10:00:00Z",
            "updated_at": "2024-03-02T10:00:00Z",
        }
        for u in range(users)
        for n in range(per_user)
    ]


def _imported(db: Path, user_ids: list[str]) -> dict[str, list[str]]:
    """Each user's imported source ids as the store holds them (a list: a repeat would show twice)."""
    settings = Settings.load(embeddings="synthetic", db_path=db, metadata_backend="sqlite")
    with Memory(settings=settings) as mem:
        return {u: [str(m.meta.get("source_id")) for m in mem.list(user_id=u, limit=1000)] for u in user_ids}


def _checkpoint_done(directory: Path) -> set[str]:
    done: set[str] = set()
    for path in directory.glob(".opm-import-mem0-*.json"):
        try:
            done |= {str(key) for key in json.loads(path.read_text(encoding="utf-8"))["done"]}
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return done


def soak_import(
    workdir: Path,
    *,
    kills: int,
    users: int = 4,
    per_user: int = 150,
    seed: int = 0,
    progress: Progress = _no_progress,
) -> SoakReport:
    """SIGKILL ``opm import --from mem0 --file`` ``kills`` times at random moments; each kill is followed by the
    same command again (which resumes), until an import completes, then a new target database starts."""
    rng = random.Random(seed)
    report = SoakReport("import")
    export = workdir / "mem0-export.json"
    rows = _export(users, per_user)
    export.write_text(json.dumps(rows), encoding="utf-8")
    expected = {f"import-u{u}": {f"m-u{u}-{n}" for n in range(per_user)} for u in range(users)}
    user_ids = sorted(expected)
    args = ["import", "--from", "mem0", "--file", str(export), "--batch", "8"]
    for user in user_ids:
        args += ["--user", user]
    span = 0.0
    target_no = 0
    while report.kills < kills:
        target_no += 1
        run_dir = workdir / f"import-{target_no}"
        run_dir.mkdir()
        db = run_dir / "target.sqlite"
        env = child_env({"OM_DB_PATH": str(db), "OM_EMBEDDINGS": "synthetic"})
        while True:
            started = time.monotonic()
            process = subprocess.Popen(
                opm_command(*args), cwd=run_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            report.operations += 1
            limit = rng.uniform(0.1, 1.0) * span if span else None
            try:
                process.wait(limit)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(30)
                report.kills += 1
                _check_killed_import(report, run_dir, db, expected)
                progress(report.kills, kills)
                if report.kills < kills:
                    continue
                process = subprocess.Popen(
                    opm_command(*args), cwd=run_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                report.operations += 1
                process.wait(600)
            if process.returncode != 0:
                report.problem(f"opm import exited with {process.returncode} in {run_dir}")
            span = span or (time.monotonic() - started)
            break
        report.check(audit_sqlite_file(db), f"target {target_no} after the import completed")
        held = _imported(db, user_ids)
        for user, ids in held.items():
            missing = expected[user] - set(ids)
            if missing or len(ids) != len(set(ids)):
                report.rows_lost += len(missing)
                report.problem(f"target {target_no} {user}: {len(missing)} missing, {len(ids) - len(set(ids))} twice")
        report.acknowledged += sum(len(ids) for ids in expected.values())
    return report


def _check_killed_import(report: SoakReport, run_dir: Path, db: Path, expected: dict[str, set[str]]) -> None:
    if not db.exists():
        report.count("kills before the target database existed")
        return
    report.check(audit_sqlite_file(db), f"{run_dir.name} after kill {report.kills}")
    done = _checkpoint_done(run_dir)
    held = _imported(db, sorted(expected))
    stored = sum(len(ids) for ids in held.values())
    total = sum(len(ids) for ids in expected.values())
    report.count("kills mid-import (some but not all items stored)", int(0 < stored < total))
    for user, ids in held.items():
        stray = set(ids) - expected[user]
        twice = len(ids) - len(set(ids))
        if stray or twice:
            report.problem(f"{run_dir.name} {user}: {len(stray)} items not in the export, {twice} stored twice")
        if f"user:{user}" in done:
            report.count("users the checkpoint marked done at a kill (each checked complete)")
            missing = expected[user] - set(ids)
            report.rows_lost += len(missing)
            if missing:
                report.problem(f"{run_dir.name} {user}: checkpoint says done, {len(missing)} items missing")
