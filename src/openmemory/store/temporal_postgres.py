"""The PostgreSQL runner of SqlFactStore: one pooled transaction per call, ``?`` markers bound as ``%s``.

Fact and edge ids are ``uuid`` columns, as upstream's: an id that is not a UUID matches nothing (rather than
failing the statement). Concurrent inserts for one owner, subject and predicate are serialised by a
transaction-scoped advisory lock, so each sees the facts the other closed or inserted.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg

from openmemory.store.temporal_base import DuplicateFact

Rows = list[tuple[Any, ...]]
Cursor = psycopg.Cursor[tuple[Any, ...]]


def _pg(sql: str) -> bytes:
    return sql.replace("?", "%s").encode()


class _Tx:
    def __init__(self, cur: Cursor) -> None:
        self._cur = cur

    def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        try:
            self._cur.execute(_pg(sql), args)
        except psycopg.errors.UniqueViolation as exc:
            raise DuplicateFact(str(exc)) from exc
        return self._cur.rowcount

    def rows(self, sql: str, args: Sequence[Any] = ()) -> Rows:
        self._cur.execute(_pg(sql), args)
        return self._cur.fetchall()


class PostgresFactRunner:
    """Statements of SqlFactStore in a PostgresStore's transactions."""

    like = "ILIKE"
    collate = ' COLLATE "C"'  # the byte order SQLite uses, whatever the database's collation

    def __init__(self, transaction: Callable[[], AbstractContextManager[Cursor]]) -> None:
        self._tx = transaction

    def rows(self, sql: str, args: Sequence[Any] = ()) -> Rows:
        with self._tx() as cur:
            cur.execute(_pg(sql), args)
            return cur.fetchall()

    @contextmanager
    def transaction(self, lock_key: str | None = None) -> Iterator[_Tx]:
        with self._tx() as cur:
            tx = _Tx(cur)
            if lock_key is not None:
                tx.rows("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", [lock_key])
            yield tx

    def accepts_id(self, value: str) -> bool:
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            uuid.UUID(value)
            return True
        return False
