"""PostgreSQL test helpers: server URLs from the environment, throwaway schemas, and upstream dumps restored into them.

Tests never touch a shared database beyond the uniquely named schemas they create and drop.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from openmemory.config import Settings

UPSTREAM = Path(__file__).parent.parent / "fixtures" / "upstream"

PG_URL = os.environ.get("OM_TEST_PG_URL")  # PostgreSQL with the pgvector extension
PG15_URL = os.environ.get("OM_TEST_PG15_URL")  # plain PostgreSQL 15, no pgvector

ENABLE_HINT = (
    "{var} is not set: start a server with `bash ../shared/scripts/pgvec-server.sh start` and set "
    "{var}=postgresql://postgres@127.0.0.1:{port}/test (or run .ci/run, which sets it)"
)

needs_pg = pytest.mark.skipif(PG_URL is None, reason=ENABLE_HINT.format(var="OM_TEST_PG_URL", port=5433))
needs_pg15 = pytest.mark.skipif(PG15_URL is None, reason=ENABLE_HINT.format(var="OM_TEST_PG15_URL", port=5432))

# (id, url, mark) of every PostgreSQL server a backend-parametrised test runs on
PG_SERVERS = (
    pytest.param(PG_URL, id="pgvector", marks=[needs_pg, pytest.mark.postgres]),
    pytest.param(PG15_URL, id="pg15-bytea", marks=[needs_pg15, pytest.mark.postgres]),
)


def unique_schema(prefix: str = "omt") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def drop_schema(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


@contextmanager
def throwaway_schema(url: str, prefix: str = "omt") -> Iterator[str]:
    """A schema name nobody uses; dropped (if created) when the block ends."""
    schema = unique_schema(prefix)
    try:
        yield schema
    finally:
        drop_schema(url, schema)


@contextmanager
def throwaway_database(url: str) -> Iterator[str]:
    """The URL of a new, empty database on the same server (so a test may use its ``public`` schema); dropped."""
    name = unique_schema("omdb")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield psycopg.conninfo.make_conninfo(url, dbname=name)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def pg_settings(url: str, schema: str, **more: object) -> Settings:
    return Settings.load(metadata_backend="postgres", pg_url=url, pg_schema=schema, **more)


def restore_dump(url: str, dump: str, schema: str, memories_table: str) -> None:
    """Load an upstream ``pg_dump`` into ``schema`` (created here), renaming ``public.openmemory_memories``.

    The dump is replayed statement by statement with psycopg (its COPY blocks through COPY FROM STDIN), so no
    psql binary is needed; psql meta-commands (``\\restrict``) are skipped.
    """
    text = (UPSTREAM / dump).read_text()
    text = re.sub(r"\bpublic\.openmemory_memories\b", f'"{schema}".{memories_table}', text)
    text = text.replace("public.", f'"{schema}".')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'.encode())  # `public` exists in a new database
        with conn.transaction():
            _replay(conn, text.splitlines())


def _replay(conn: psycopg.Connection[tuple[object, ...]], lines: list[str]) -> None:
    statement: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not statement and (not line.strip() or line.startswith("--") or line.startswith("\\")):
            continue
        statement.append(line)
        if not line.rstrip().endswith(";"):
            continue
        sql = "\n".join(statement)
        statement = []
        if sql.lstrip().upper().startswith("COPY ") and sql.rstrip().upper().endswith("FROM STDIN;"):
            data: list[str] = []
            while lines[i] != "\\.":
                data.append(lines[i] + "\n")
                i += 1
            i += 1
            with conn.cursor() as cur, cur.copy(sql.encode()) as copy:
                copy.write("".join(data))
        elif "set_config('search_path'" not in sql:
            conn.execute(sql.encode())


def table_rows(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return sorted(conn.execute(query.encode()).fetchall(), key=repr)
