"""The SQLite runner of SqlFactStore: reads on the store's per-thread reader, writes in one IMMEDIATE transaction
on its writer connection (SQLite's single writer also serialises concurrent supersessions)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from openmemory.errors import StoreError
from openmemory.store.sqlite_tx import write_transaction
from openmemory.store.temporal_base import DuplicateFact

Rows = list[tuple[Any, ...]]


class _Tx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        try:
            return self._conn.execute(sql, args).rowcount
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise DuplicateFact(str(exc)) from exc
            raise

    def rows(self, sql: str, args: Sequence[Any] = ()) -> Rows:
        return self._conn.execute(sql, args).fetchall()


class SQLiteFactRunner:
    """Statements of SqlFactStore on a SQLiteStore's connections."""

    like = "LIKE"  # case-insensitive for ASCII, as SQLite's LIKE is by default
    collate = ""  # SQLite compares text bytewise already

    def __init__(
        self,
        writer: sqlite3.Connection,
        lock: threading.RLock,
        read: Callable[[str, Sequence[Any]], Rows],
        wrap: Callable[[sqlite3.Error], StoreError],
    ) -> None:
        self._writer = writer
        self._lock = lock
        self._read = read
        self._wrap = wrap

    def rows(self, sql: str, args: Sequence[Any] = ()) -> Rows:
        return self._read(sql, args)

    @contextmanager
    def transaction(self, lock_key: str | None = None) -> Iterator[_Tx]:
        # BEGIN IMMEDIATE takes the database's only write lock, which serialises every writer: no key needed
        with write_transaction(self._writer, self._lock, self._wrap) as conn:
            yield _Tx(conn)

    def accepts_id(self, value: str) -> bool:
        return True  # ids are TEXT: upstream's files may hold any
