"""Backups of a live database and restores that give back an identical store, or leave the target as it was.

- SQLite: ``backup`` is SQLite's online backup API (a consistent copy while the server keeps writing), so the
  backup is itself a SQLite database; ``restore`` writes it back through the same API in one atomic transaction.
- PostgreSQL: ``backup`` is ``export_jsonl`` with vectors inside one REPEATABLE READ transaction; ``restore``
  wipes and refills the schema inside one transaction, so a failure rolls everything back.

Either kind of backup restores into either backend (a SQLite backup into PostgreSQL goes through an export, a
JSONL backup into SQLite through a scratch database beside the target that then replaces it atomically).
A target that holds data is refused unless ``force`` is given.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from openmemory.errors import SourceFormatError, StoreError
from openmemory.memory import Memory, settings_for
from openmemory.store.base import FileBackups, TransactionalRestore
from openmemory.transfer.export import export_jsonl
from openmemory.transfer.jsonl import ImportReport, import_jsonl
from openmemory.transfer.reader import check_file

SQLITE_MAGIC = b"SQLite format 3\x00"
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """What a restore did: the kind of backup read and the memories now in the target."""

    kind: str  # "sqlite" or "jsonl"
    memories: int
    users: int


def backup(memory: Memory, target: Path, *, force: bool = False, progress: Progress | None = None) -> str:
    """Write a consistent backup of the whole database to ``target``; returns its kind (``sqlite`` or ``jsonl``).

    The file appears only when complete (written beside it, then renamed). Raises StoreError when ``target``
    exists and ``force`` is not given.
    """
    if target.exists() and target.stat().st_size and not force:
        raise StoreError(f"{target} already exists; choose another file or pass --force to replace it")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    store = memory.maintenance.store
    try:
        if isinstance(store, FileBackups):
            store.maintenance_backup(partial)
            kind = "sqlite"
        else:
            with partial.open("w", encoding="utf-8", newline="\n") as out:
                export_jsonl(memory, out, with_vectors=True, progress=progress)
            kind = "jsonl"
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return kind


def backup_kind(path: Path) -> str:
    """``sqlite`` for a SQLite database file, else ``jsonl`` (checked in full when it is read)."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise SourceFormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    return "sqlite" if head == SQLITE_MAGIC else "jsonl"


def restore(memory: Memory, source: Path, *, force: bool = False, progress: Progress | None = None) -> RestoreReport:
    """Make ``memory``'s database identical to the backup at ``source``.

    Raises SourceFormatError for a file that is neither a SQLite database nor an intact openmemory-jsonl
    export, and StoreError when the target holds data and ``force`` is not given; in both cases, and whenever
    the restore fails part way, the target keeps what it had.
    """
    kind = backup_kind(source)
    store = memory.maintenance.store
    if not force and not store.maintenance_is_empty():
        raise StoreError(
            f"{store.location} already holds data; restore replaces everything in it, so it refuses a database "
            f"that is not empty (pass --force to replace its contents with the backup)"
        )
    with contextlib.ExitStack() as scratch:
        if isinstance(store, FileBackups):
            if kind == "sqlite":
                _check_sqlite_backup(source)
                store.maintenance_restore(source)
            else:
                store.maintenance_restore(scratch.enter_context(_staged_sqlite(memory, source, progress)))
        elif isinstance(store, TransactionalRestore):
            jsonl = source if kind == "jsonl" else scratch.enter_context(_sqlite_as_jsonl(memory, source))
            check_file(jsonl)  # refuse a bad file before the wipe
            with store.maintenance_transaction():
                store.maintenance_wipe()
                _fail_on_failures(import_jsonl(memory, jsonl, progress=progress))
        else:
            raise StoreError(f"{store.location} cannot be restored by this version")
    owners = memory.users()
    return RestoreReport(kind, sum(memory.count(user_id=u) for u in owners), len(owners))


def _fail_on_failures(report: ImportReport) -> None:
    if report.failed:
        first = report.failures[0]
        raise StoreError(
            f"{report.failed} memories could not be restored (first: {first.memory_id} of user {first.user_id!r}: "
            f"{first.reason}); nothing was changed"
        )


def _check_sqlite_backup(path: Path) -> None:
    import sqlite3  # a file check, not a store: the backup is not opened as a database of ours

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (status,) = conn.execute("PRAGMA quick_check").fetchone()
            has_memories = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'memories'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise SourceFormatError(f"{path} is not a readable SQLite backup: {exc}") from None
    if status != "ok":
        raise SourceFormatError(f"{path} is a damaged SQLite database ({status}); nothing was restored")
    if not has_memories:
        raise SourceFormatError(f"{path} is a SQLite database but not an OpenMemory one (no memories table)")


@contextlib.contextmanager
def _staged_sqlite(memory: Memory, jsonl: Path, progress: Progress | None) -> Iterator[Path]:
    """The JSONL backup imported into a scratch SQLite file beside the target (same disk, same embedder)."""
    folder = Path(memory.location).parent
    with tempfile.TemporaryDirectory(prefix=".opm-restore-", dir=folder) as tmp:
        path = Path(tmp) / "staged.sqlite"
        with Memory(settings=settings_for(path, memory.settings), embedder=memory.embedder) as staged:
            _fail_on_failures(import_jsonl(staged, jsonl, progress=progress))
        yield path


@contextlib.contextmanager
def _sqlite_as_jsonl(memory: Memory, backup_file: Path) -> Iterator[Path]:
    """A SQLite backup exported to JSONL with vectors (read from a scratch copy: opening may migrate it)."""
    _check_sqlite_backup(backup_file)
    with tempfile.TemporaryDirectory(prefix="opm-restore-") as tmp:
        copy = Path(tmp) / "backup.sqlite"
        copy.write_bytes(backup_file.read_bytes())
        out = Path(tmp) / "backup.jsonl"
        source_settings = settings_for(copy, memory.settings)
        source = Memory(settings=source_settings, embedder=memory.embedder, check_embedder=False)
        with source, out.open("w", encoding="utf-8", newline="\n") as f:
            export_jsonl(source, f, with_vectors=True)
        yield out
