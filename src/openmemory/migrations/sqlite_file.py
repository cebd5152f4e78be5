"""A SQLite database file as the migration tool meets it: checked, locked, backed up, or dry-run in memory.

Every check here runs before anything is written, so a bad path, a non-SQLite file, a read-only file or a
database held by another writer ends with one clear error and an untouched file.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path

from openmemory.errors import MigrationError, StoreUnavailable
from openmemory.migrations.runner import MigrationReport, Say, StepHook
from openmemory.migrations.sqlite import migrate_sqlite, plan_status_sqlite

_SQLITE_MAGIC = b"SQLite format 3\x00"


def check_database_file(path: Path, *, must_exist: bool, needs_write: bool) -> None:
    """Refuse, with a one-line reason, a path that cannot be migrated in place."""
    if not path.exists():
        if must_exist:
            raise StoreUnavailable(f"database {path} does not exist (nothing to migrate; check --db / OM_DB_PATH)")
        return
    if path.is_dir():
        raise StoreUnavailable(f"{path} is a directory, not a SQLite database file")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head and head != _SQLITE_MAGIC:
        raise StoreUnavailable(f"{path} is not a SQLite database (its header is not 'SQLite format 3')")
    if needs_write:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            raise StoreUnavailable(
                f"database {path} is on a read-only file system; remount it read-write, or copy the file to a "
                f"writable directory"
            )
        mode = path.stat().st_mode
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
            raise StoreUnavailable(f"database {path} is read-only (mode {stat.filemode(mode)}); make it writable")
        if not os.access(path.parent, os.W_OK):
            raise StoreUnavailable(f"directory {path.parent} is not writable (SQLite needs it for its journal)")


def connect(path: Path | str, *, busy_timeout_ms: int, read_only: bool = False) -> sqlite3.Connection:
    """An autocommit connection with a busy timeout; ``read_only`` opens with ``mode=ro``."""
    target = f"file:{Path(path).resolve()}?mode=ro" if read_only else str(path)
    try:
        conn = sqlite3.connect(
            target, uri=read_only, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise locked_error(Path(path), busy_timeout_ms) from exc
        raise StoreUnavailable(f"cannot open database {path}: {exc}") from exc
    return conn


def holders_of(path: Path) -> list[int]:
    """Process ids (other than ours) that have the file open; best effort, Linux /proc only."""
    target = str(path.resolve())
    pids: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return pids
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) == target:
                    pids.append(int(entry.name))
                    break
        except OSError:
            continue
    return pids


def locked_error(path: Path, busy_timeout_ms: int) -> StoreUnavailable:
    pids = holders_of(path)
    who = f"; held by process {', '.join(map(str, pids))}" if pids else ""
    return StoreUnavailable(
        f"database {path} is locked by another writer (waited {busy_timeout_ms / 1000:.1f} s{who}); "
        f"stop that process (e.g. a running `opm serve`) and retry"
    )


def backup_database(conn: sqlite3.Connection, path: Path) -> Path:
    """Copy the live database next to itself with SQLite's online backup API; return the copy's path."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.backup-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.backup-{stamp}-{n}")
        n += 1
    dest = sqlite3.connect(target)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


def has_user_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'").fetchone()
    return row is not None


def dry_run(path: Path, *, busy_timeout_ms: int, vector_table: str | None, say: Say) -> MigrationReport:
    """Plan every pending step on an in-memory copy of the file; the file itself is opened read-only."""
    source = connect(path, busy_timeout_ms=busy_timeout_ms, read_only=True)
    scratch = sqlite3.connect(":memory:", isolation_level=None)
    try:
        source.backup(scratch)
        return migrate_sqlite(scratch, location=str(path), vector_table=vector_table, say=say)
    finally:
        scratch.close()
        source.close()


def migrate_file(
    path: Path,
    *,
    busy_timeout_ms: int,
    vector_table: str | None = None,
    make_backup: bool = True,
    say: Say,
    on_backup: Callable[[Path], None] | None = None,
    on_step: StepHook | None = None,
) -> MigrationReport:
    """Migrate an existing database file in place, after the file checks and (when pending) a backup."""
    check_database_file(path, must_exist=True, needs_write=True)
    conn = connect(path, busy_timeout_ms=busy_timeout_ms)
    try:
        return migrate_connection(
            conn,
            path,
            busy_timeout_ms=busy_timeout_ms,
            vector_table=vector_table,
            make_backup=make_backup,
            say=say,
            on_backup=on_backup,
            on_step=on_step,
        )
    finally:
        conn.close()


def migrate_connection(
    conn: sqlite3.Connection,
    path: Path,
    *,
    busy_timeout_ms: int,
    vector_table: str | None,
    make_backup: bool,
    say: Say,
    on_backup: Callable[[Path], None] | None = None,
    on_step: StepHook | None = None,
) -> MigrationReport:
    """Migrate an open connection to ``path``, backing it up first when it has data and work is pending."""
    try:
        pending = any(s.is_pending for s in plan_status_sqlite(conn, vector_table))
        if pending and make_backup and has_user_tables(conn):
            copy = backup_database(conn, path)
            if on_backup is not None:
                on_backup(copy)
        return migrate_sqlite(
            conn,
            location=str(path),
            vector_table=vector_table,
            say=say,
            on_step=on_step,
            on_lock=lambda _: locked_error(path, busy_timeout_ms),
        )
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise locked_error(path, busy_timeout_ms) from exc
        raise MigrationError(f"migrating {path} failed: {exc}") from exc
