"""The SQLite writer's transaction, and what a driver error means to the user.

A full disk (SQLITE_FULL) makes SQLite roll the transaction back on its own, so a later ``ROLLBACK`` fails with
"no transaction is active"; that second error used to escape as a raw ``sqlite3.OperationalError`` and hide the
first. Here a rollback happens only while a transaction is open, and the first error is translated once: a
full disk is StoreFull, a read-only file or mount (also one the kernel remounted read-only after a disk error,
which SQLite reports as a plain I/O error) is StoreReadOnly, a lock held too long is StoreUnavailable.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from openmemory.errors import StoreError, StoreFull, StoreReadOnly, StoreUnavailable
from openmemory.migrations.sqlite_file import locked_error

# primary result codes (the low byte of an extended code): https://sqlite.org/rescode.html
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14


def translate(exc: sqlite3.Error, path: Path, busy_timeout_ms: int) -> StoreError:
    """The OpenMemory error for a SQLite driver error on the database at ``path``."""
    text = str(exc)
    primary = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if primary == _SQLITE_FULL or "database or disk is full" in text:
        return StoreFull(str(path))
    if primary == _SQLITE_READONLY or "readonly database" in text:
        return StoreReadOnly(str(path), text)
    if "locked" in text or "busy" in text:
        return locked_error(path, busy_timeout_ms)
    if primary == _SQLITE_IOERR and _is_read_only_mount(path):
        # e.g. ext4 `errors=remount-ro` after a disk error; SQLite only says "disk I/O error"
        return StoreReadOnly(str(path), "its file system was remounted read-only")
    if primary in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
        return StoreUnavailable(f"database {path} could not be read or written ({text}); check its disk and mount")
    return StoreError(f"database {path}: {text}")


def _is_read_only_mount(path: Path) -> bool:
    """Whether the database's file system refuses writes. ext4 remounted read-only after an error still shows
    ``rw`` in statvfs and os.access, so a probe file is tried (never the database file itself: closing any
    descriptor of it would drop SQLite's POSIX locks)."""
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return True
        fd, probe = tempfile.mkstemp(dir=path.parent, prefix=".openmemory-probe-")
    except OSError as exc:
        return exc.errno == errno.EROFS
    os.close(fd)
    os.unlink(probe)
    return False


@contextlib.contextmanager
def write_transaction(
    conn: sqlite3.Connection, lock: threading.RLock, wrap: Callable[[sqlite3.Error], StoreError]
) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` on the writer under its lock; COMMIT when the block ends, ROLLBACK when it raises.

    A driver error (from the block or the COMMIT) is raised as ``wrap(exc)``: all of the block or none of it is
    in the file.
    """
    with lock:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise wrap(exc) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:  # SQLITE_FULL and some I/O errors have already rolled it back
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise wrap(exc) from exc
            raise
