"""The command soaks: SIGKILL ``opm migrate`` on copies of upstream databases, and ``opm import`` mid-run; after
each kill the file must hold every row, whole (the overview is in ``soak.py``)."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from openmemory.bench.processes import child_env, opm_command
from openmemory.bench.soak import Progress, SoakReport, no_progress
from openmemory.config import Settings
from openmemory.memory import Memory
from openmemory.migrations.runner import MIGRATIONS
from openmemory.store.audit import Audit, audit_sqlite_file

MAX_RUNS_PER_KILL = 20  # a run that finishes before its kill is tried again, but not for ever
UPSTREAM_FILES = (
    "v1.1.1.sqlite",
    "v1.2.0-migrated-by-upstream.sqlite",
    "v1.2.0-native.sqlite",
    "v1.2.2-native.sqlite",
    "v1.3.0-native.sqlite",
)


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
    progress: Progress = no_progress,
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
        if report.operations > MAX_RUNS_PER_KILL * kills:
            raise RuntimeError(f"opm migrate kept finishing before its kill ({report.operations} runs)")
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
    progress: Progress = no_progress,
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
        if report.operations > MAX_RUNS_PER_KILL * kills:
            raise RuntimeError(f"opm import kept finishing before its kill ({report.operations} runs)")
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
