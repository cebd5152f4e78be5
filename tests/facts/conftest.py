"""``facts``: the Facts service over every backend (SQLite, PostgreSQL with pgvector, plain PostgreSQL 15).

A PostgreSQL schema costs ~0.9 s to create and migrate, so each server gets one per module, emptied of facts
before every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
import pytest

from openmemory.facts import Facts
from openmemory.store.sqlite import SQLiteStore
from tests.service.conftest import Clock
from tests.store.pg import PG_SERVERS, pg_settings, throwaway_schema


class PgStores:
    """One PostgresStore (and its schema) per server URL, opened on first use, closed and dropped at the end."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._opened: dict[str, tuple[Any, str]] = {}

    def get(self, url: str) -> tuple[Any, str]:
        from openmemory.store.postgres import PostgresStore

        if url not in self._opened:
            schema = self._stack.enter_context(throwaway_schema(url, "omf"))
            store = PostgresStore.open(pg_settings(url, schema))
            self._stack.callback(store.close)
            self._opened[url] = (store, schema)
        return self._opened[url]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def pg_fact_stores() -> Iterator[PgStores]:
    with ExitStack() as stack:
        yield PgStores(stack)


@pytest.fixture(params=[pytest.param(None, id="sqlite"), *PG_SERVERS])
def facts(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: Clock,
    pg_fact_stores: PgStores,
) -> Iterator[Facts]:
    url = request.param
    if url is None:
        store: Any = SQLiteStore.open(tmp_path / "facts.sqlite")
        yield Facts(store.facts, clock)
        store.close()
        return
    store, schema = pg_fact_stores.get(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DELETE FROM "{schema}".temporal_edges'.encode())
        conn.execute(f'DELETE FROM "{schema}".temporal_facts'.encode())
    yield Facts(store.facts, clock)
