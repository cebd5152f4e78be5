"""Reaching PostgreSQL: the connection string from Settings, clear refusals, and creating the database on request.

Settings is the only reader of the environment; this module turns its ``pg_*`` fields (upstream's ``OM_PG_*``
variables, or ``OM_PG_URL`` / ``DATABASE_URL``) into a libpq connection string and turns libpq's connection
failures into one StoreUnavailable line that names the server, the database and what to try next.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import psycopg
from pgvector import Vector as PgVector
from pgvector.psycopg.vector import VectorBinaryDumper
from psycopg import conninfo, sql
from psycopg_pool import ConnectionPool, PoolTimeout

from openmemory.config import Settings
from openmemory.errors import StoreError, StoreFull, StoreReadOnly, StoreUnavailable

log = logging.getLogger("openmemory.store.postgres")

CONNECT_TIMEOUT_S = 5
# psycopg_pool retries a lost connection with exponential backoff (1, 2, 4, 8 ... s) for reconnect_timeout
# (default 300 s), so after a 30 s outage its next attempt could come 30 s after the server is back. Giving up
# after a few seconds instead lets the next request start a fresh attempt at once: recovery within seconds of
# the server's return, whatever the outage lasted (tests/reliability/test_pg_restart.py).
RECONNECT_TIMEOUT_S = 5.0
APPLICATION_NAME = "openmemory"


def build_conninfo(settings: Settings, *, dbname: str | None = None) -> str:
    """The libpq connection string for ``settings`` (``dbname`` overrides the database, e.g. ``postgres``)."""
    extra: dict[str, str | int | None] = {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": APPLICATION_NAME}
    if dbname is not None:
        extra["dbname"] = dbname
    if settings.pg_url is not None:
        base = settings.pg_url.get_secret_value()
        if "sslmode" not in conninfo.conninfo_to_dict(base):
            extra["sslmode"] = settings.pg_ssl
        return conninfo.make_conninfo(base, **extra)
    parts: dict[str, str | int | None] = {
        "host": settings.pg_host,
        "port": settings.pg_port,
        "dbname": settings.pg_db,
        "user": settings.pg_user,
        "sslmode": settings.pg_ssl,
    }
    if settings.pg_password is not None:
        parts["password"] = settings.pg_password.get_secret_value()
    return conninfo.make_conninfo("", **{**parts, **extra})


def describe(conn_string: str) -> str:
    """``user@host:port/db`` of a connection string, without its password (for messages and logs)."""
    d = conninfo.conninfo_to_dict(conn_string)
    return f"{d.get('user', '?')}@{d.get('host', 'localhost')}:{d.get('port', 5432)}/{d.get('dbname', '?')}"


def unavailable(conn_string: str, exc: psycopg.Error) -> StoreUnavailable:
    """A StoreUnavailable naming the server and the likely fix for a failed connection attempt."""
    where = describe(conn_string)
    text = str(exc).strip()
    detail = text.splitlines()[0] if text else type(exc).__name__
    dbname = conninfo.conninfo_to_dict(conn_string).get("dbname", "?")
    if "does not exist" in text and "database" in text:
        return StoreUnavailable(
            f"PostgreSQL database {dbname!r} does not exist on {where}; create it, or set OM_PG_CREATE_DB=true "
            f"(opm copy: --create-db) to let OpenMemory create it"
        )
    if "password authentication failed" in text or ("role" in text and "does not exist" in text):
        return StoreUnavailable(
            f"PostgreSQL refused the credentials for {where} ({detail}); check OM_PG_USER / OM_PG_PASSWORD "
            f"or the user and password in OM_PG_URL"
        )
    if "no pg_hba.conf entry" in text:
        return StoreUnavailable(f"PostgreSQL at {where} does not accept this client ({detail}); check pg_hba.conf")
    return StoreUnavailable(
        f"cannot reach PostgreSQL at {where} ({detail}); check that the server is running and OM_PG_HOST / "
        f"OM_PG_PORT (or OM_PG_URL)"
    )


def connect(settings: Settings, *, autocommit: bool = True) -> psycopg.Connection[tuple[object, ...]]:
    """One connection to the configured database, creating the database first when allowed and missing.

    Raises StoreUnavailable for an unreachable server, refused credentials, or a missing database when
    ``pg_create_db`` is off.
    """
    target = build_conninfo(settings)
    try:
        return psycopg.connect(target, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        missing = "does not exist" in str(exc) and "database" in str(exc)
        if not (missing and settings.pg_create_db):
            raise unavailable(target, exc) from exc
    create_database(settings)
    try:
        return psycopg.connect(target, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise unavailable(target, exc) from exc


def create_database(settings: Settings) -> None:
    """CREATE DATABASE for the configured name, through the server's ``postgres`` database."""
    target = build_conninfo(settings)
    name = str(conninfo.conninfo_to_dict(target).get("dbname", settings.pg_db))
    admin = build_conninfo(settings, dbname="postgres")
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.errors.DuplicateDatabase:
        return
    except psycopg.Error as exc:
        raise StoreUnavailable(f"could not create PostgreSQL database {name!r} on {describe(admin)}: {exc}") from exc
    log.info("[DB] Created %s", name)


def enable_pgvector(conn: psycopg.Connection[tuple[object, ...]]) -> tuple[str, tuple[int, ...]] | None:
    """The schema and version of the `vector` extension, creating it when available; None without it."""
    query = (
        "SELECT n.nspname, e.extversion FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'vector'"
    )
    row = conn.execute(query).fetchone()
    if row is None:
        if conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone() is None:
            return None
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            log.info("[DB] pgvector extension enabled")
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.UniqueViolation) as exc:
            if isinstance(exc, psycopg.errors.InsufficientPrivilege):
                log.warning("[DB] pgvector is installed but this role may not CREATE EXTENSION vector: %s", exc)
        row = conn.execute(query).fetchone()
        if row is None:
            return None
    version = tuple(int(p) for p in str(row[1]).split(".") if p.isdigit())
    return str(row[0]), version


def open_pool(conn_string: str, extension_schema: str | None, max_size: int, timeout_s: float) -> ConnectionPool:
    """A pool that checks each connection before lending it (so it recovers from a server restart).

    ``extension_schema`` (where pgvector lives) goes on each connection's search_path so ``vector`` and ``<=>``
    resolve; every table name is schema-qualified anyway.
    """

    def configure(conn: psycopg.Connection[Any]) -> None:
        # query vectors go in pgvector's binary form (statements cast them with ::vector)
        conn.adapters.register_dumper(PgVector, VectorBinaryDumper)
        if extension_schema is not None:
            conn.execute("SELECT set_config('search_path', %s, false)", (f'"{extension_schema}", pg_catalog',))
        conn.commit()

    pool: ConnectionPool = ConnectionPool(
        conn_string,
        min_size=1,
        max_size=max_size,
        timeout=timeout_s,
        reconnect_timeout=RECONNECT_TIMEOUT_S,
        check=ConnectionPool.check_connection,
        configure=configure,
        open=False,
        name=f"openmemory-{APPLICATION_NAME}",
    )
    try:
        pool.open(wait=True, timeout=timeout_s)
    except PoolTimeout as exc:
        pool.close()
        raise StoreUnavailable(
            f"no connection to PostgreSQL at {describe(conn_string)} within {timeout_s:.0f} s"
        ) from exc
    return pool


@contextlib.contextmanager
def checkout(pool: ConnectionPool, location: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection from ``pool`` for the block, with PostgreSQL's failures as the store's errors (``location``
    names the database in their messages)."""
    try:
        with pool.connection() as conn:
            yield conn
    except PoolTimeout as exc:
        raise StoreUnavailable(
            f"no PostgreSQL connection for {location} within {pool.timeout:g} s (all "
            f"{pool.max_size} of OM_PG_POOL_MAX busy, or the server is down); retry"
        ) from exc
    except psycopg.errors.DiskFull as exc:
        raise StoreFull(location) from exc
    except psycopg.errors.ReadOnlySqlTransaction as exc:
        raise StoreReadOnly(location, first_line(exc)) from exc
    except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
        # A commit whose answer was lost may have been applied: each store call is one transaction, so it is in
        # the database whole or not at all; adding the same memory again finds it (dedup).
        raise StoreUnavailable(
            f"the connection to PostgreSQL at {location} was lost during the request ({first_line(exc)}); its "
            f"transaction was applied whole or not at all; retry once the server is back"
        ) from exc
    except psycopg.Error as exc:
        raise StoreError(f"PostgreSQL {location}: {first_line(exc)}") from exc


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
