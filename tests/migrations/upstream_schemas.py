"""Databases shaped like the ones upstream's servers and tools leave behind, generated from a few choices.

Each choice is one thing that differs between upstream releases (1.1.1 ... HEAD) or that upstream's own tools
leave half done (reference §1-2, docs/migration.md "What each upstream release wrote"): the memories columns,
owners on vectors and waypoints, the waypoints key, the optional tables, temporal tables with or without owner
columns, `anonymous` or NULL for rows without a user, and `schema_version` stamps that may lie.
"""

from __future__ import annotations

import sqlite3
import struct
import uuid
from dataclasses import dataclass

import psycopg
from hypothesis import strategies as st

ORPHAN = "__legacy_orphan__"
ROW_TABLES = ("memories", "vectors", "waypoints", "users", "stats", "embed_logs", "temporal_facts", "temporal_edges")


@dataclass(frozen=True)
class UpstreamShape:
    memories: str  # "v1.1" (no owner), "v1.2" (user_id, segment, simhash, ...), "head" (+ project_id)
    vectors_owner: bool  # vectors.user_id (upstream 1.2.1+)
    waypoints_keyed_by_owner: bool  # PK (src_id, user_id) (upstream 1.2.1+) instead of PK src_id
    users: bool
    stats: bool
    embed_logs: bool
    temporal: str | None  # None, "upstream" (1.2.1 - v1.3.0: no owner), "head" (user_id, project_id, orphans)
    edges: bool
    no_user: str | None  # what rows without a user hold in an owner column: None (1.2.0) or "anonymous" (1.2.2+)
    stamped: tuple[str, ...]  # schema_version rows written by upstream's migrator (true or not)
    legacy_vector_name: bool  # SQLite: `vectors` (<= v1.3.0) or `openmemory_vectors` (HEAD)


def shapes() -> st.SearchStrategy[UpstreamShape]:
    return st.builds(
        UpstreamShape,
        memories=st.sampled_from(["v1.1", "v1.2", "head"]),
        vectors_owner=st.booleans(),
        waypoints_keyed_by_owner=st.booleans(),
        users=st.booleans(),
        stats=st.booleans(),
        embed_logs=st.booleans(),
        temporal=st.sampled_from([None, "upstream", "head"]),
        edges=st.booleans(),
        no_user=st.sampled_from([None, "anonymous"]),
        stamped=st.sampled_from([(), ("1.2.0",), ("1.2.0", "1.3.0")]),
        legacy_vector_name=st.booleans(),
    )


def _ids(n: int, seed: int) -> list[str]:
    return [str(uuid.UUID(int=seed * 1000 + i + 1, version=4)) for i in range(n)]


@dataclass(frozen=True)
class Dialect:
    """The type names and table names one backend uses."""

    is_pg: bool
    schema: str = ""

    def t(self, name: str) -> str:
        if not self.is_pg:
            return name
        pg = {"waypoints": "openmemory_waypoints", "users": "openmemory_users", "embed_logs": "openmemory_embed_logs"}
        return f'"{self.schema}"."{pg.get(name, name)}"'

    @property
    def uid(self) -> str:
        return "UUID" if self.is_pg else "TEXT"

    @property
    def big(self) -> str:
        return "BIGINT" if self.is_pg else "INTEGER"

    @property
    def real(self) -> str:
        return "DOUBLE PRECISION" if self.is_pg else "REAL"

    @property
    def blob(self) -> str:
        return "BYTEA" if self.is_pg else "BLOB"


def vector_table(shape: UpstreamShape, d: Dialect) -> str:
    if d.is_pg:
        return d.t("openmemory_vectors")
    return "vectors" if shape.legacy_vector_name else "openmemory_vectors"


def ddl(shape: UpstreamShape, d: Dialect) -> list[str]:
    """The CREATE statements of one generated upstream database."""
    owner = shape.memories != "v1.1"
    project = ", project_id TEXT" if shape.memories == "head" else ""
    v12 = (
        f", user_id TEXT, segment INTEGER DEFAULT 0, simhash TEXT, compressed_vec {d.blob}, "
        f"feedback_score {d.real} DEFAULT 0"
    )
    out = [
        f"CREATE TABLE {d.t('memories') if not d.is_pg else d.t('openmemory_memories')} (id {d.uid} PRIMARY KEY, "
        f"content TEXT NOT NULL, primary_sector TEXT NOT NULL, tags TEXT, meta TEXT, created_at {d.big}, "
        f"updated_at {d.big}, last_seen_at {d.big}, salience {d.real}, decay_lambda {d.real}, "
        f"version INTEGER DEFAULT 1, mean_dim INTEGER, mean_vec {d.blob}{v12 if owner else ''}{project})",
        f"CREATE TABLE {vector_table(shape, d)} (id {d.uid} NOT NULL, sector TEXT NOT NULL"
        f"{', user_id TEXT' if shape.vectors_owner else ''}{project if shape.vectors_owner else ''}, "
        f"v {d.blob}{'' if d.is_pg else ' NOT NULL'}, dim INTEGER NOT NULL, PRIMARY KEY (id, sector))",
    ]
    if shape.waypoints_keyed_by_owner:
        owner_col = "user_id TEXT NOT NULL" if d.is_pg else "user_id TEXT"
        out.append(
            f"CREATE TABLE {d.t('waypoints')} (src_id TEXT{' NOT NULL' if d.is_pg else ''}, dst_id TEXT NOT NULL, "
            f"{owner_col}{project}, weight {d.real} NOT NULL, created_at {d.big}, updated_at {d.big}, "
            "PRIMARY KEY (src_id, user_id))"
        )
    else:
        out.append(
            f"CREATE TABLE {d.t('waypoints')} (src_id TEXT PRIMARY KEY, dst_id TEXT NOT NULL, "
            f"weight {d.real} NOT NULL, created_at {d.big}, updated_at {d.big})"
        )
    if shape.users:
        out.append(
            f"CREATE TABLE {d.t('users')} (user_id TEXT PRIMARY KEY, summary TEXT, reflection_count INTEGER DEFAULT 0, "
            f"created_at {d.big}, updated_at {d.big})"
        )
    if shape.stats:
        key = "id SERIAL PRIMARY KEY" if d.is_pg else "id INTEGER PRIMARY KEY AUTOINCREMENT"
        out.append(
            f"CREATE TABLE {d.t('stats')} ({key}, type TEXT NOT NULL, count INTEGER DEFAULT 1, ts {d.big} NOT NULL)"
        )
    if shape.embed_logs:
        out.append(
            f"CREATE TABLE {d.t('embed_logs')} (id TEXT PRIMARY KEY, model TEXT, status TEXT, ts {d.big}, err TEXT)"
        )
    if shape.temporal is not None:
        owners = ", user_id TEXT, project_id TEXT" if shape.temporal == "head" else ""
        out.append(
            f"CREATE TABLE {d.t('temporal_facts')} (id {d.uid} PRIMARY KEY{owners}, subject TEXT NOT NULL, "
            f"predicate TEXT NOT NULL, object TEXT NOT NULL, valid_from {d.big} NOT NULL, valid_to {d.big}, "
            f"confidence {d.real} NOT NULL CHECK (confidence >= 0 AND confidence <= 1), last_updated {d.big} NOT NULL, "
            "metadata TEXT, UNIQUE (subject, predicate, object, valid_from))"
        )
        out.append(
            f"CREATE TABLE {d.t('temporal_edges')} (id {d.uid} PRIMARY KEY, source_id {d.uid} NOT NULL, "
            f"target_id {d.uid} NOT NULL, relation_type TEXT NOT NULL, valid_from {d.big} NOT NULL, valid_to {d.big}, "
            f"weight {d.real} NOT NULL, metadata TEXT, FOREIGN KEY (source_id) REFERENCES {d.t('temporal_facts')}(id), "
            f"FOREIGN KEY (target_id) REFERENCES {d.t('temporal_facts')}(id))"
        )
    if shape.stamped:
        out.append(f"CREATE TABLE {d.t('schema_version')} (version TEXT PRIMARY KEY, applied_at {d.big})")
    return out


def rows(shape: UpstreamShape, d: Dialect) -> list[tuple[str, tuple[object, ...]]]:
    """INSERT statements (with parameters) populating the generated database."""
    p = "%s" if d.is_pg else "?"
    mem_ids = _ids(3, 1)
    owners = ["alice", "bob", shape.no_user]
    owner = shape.memories != "v1.1"
    out: list[tuple[str, tuple[object, ...]]] = []
    memories = d.t("openmemory_memories") if d.is_pg else "memories"
    for i, mid in enumerate(mem_ids):
        cols = "id, content, primary_sector, tags, meta, created_at, updated_at, last_seen_at, salience, decay_lambda"
        vals: tuple[object, ...] = (
            mid,
            f"memory {i} about the garden",
            "semantic",
            "[]",
            "{}",
            1000 + i,
            1000 + i,
            1000 + i,
            0.5,
            0.005,
        )
        if owner:
            cols += ", user_id"
            vals += (owners[i],)
        out.append((f"INSERT INTO {memories} ({cols}) VALUES ({', '.join([p] * len(vals))})", vals))
        blob = struct.pack("<4f", 1.0, 0.0, 0.0, float(i))
        vcols, vvals = "id, sector, v, dim", (mid, "semantic", blob, 4)
        if shape.vectors_owner:
            vcols, vvals = vcols + ", user_id", (*vvals, owners[i] if owner else None)
        out.append((f"INSERT INTO {vector_table(shape, d)} ({vcols}) VALUES ({', '.join([p] * len(vvals))})", vvals))
        if shape.embed_logs:
            out.append((f"INSERT INTO {d.t('embed_logs')} VALUES ({p}, 'synthetic', 'completed', 5, NULL)", (mid,)))
    for i in range(2):
        src, dst = mem_ids[i], mem_ids[(i + 1) % 3]
        if shape.waypoints_keyed_by_owner:
            wp_owner = owners[i] if owner else shape.no_user
            if wp_owner is None and d.is_pg:
                wp_owner = ""  # a primary-key column cannot be NULL on PostgreSQL
            sql = (
                f"INSERT INTO {d.t('waypoints')} (src_id, dst_id, user_id, weight, created_at, updated_at) "
                f"VALUES ({p}, {p}, {p}, 0.8, 1, 2)"
            )
            out.append((sql, (src, dst, wp_owner)))
        else:
            sql = (
                f"INSERT INTO {d.t('waypoints')} (src_id, dst_id, weight, created_at, updated_at) "
                f"VALUES ({p}, {p}, 0.8, 1, 2)"
            )
            out.append((sql, (src, dst)))
    if shape.users:
        out.append((f"INSERT INTO {d.t('users')} VALUES ('alice', 'likes gardens', 0, 1, 1)", ()))
    if shape.stats:
        out += [(f"INSERT INTO {d.t('stats')} (type, count, ts) VALUES ('qps', 3, 7)", ())] * 2
    if shape.temporal is not None:
        out += _temporal_rows(shape, d, p)
    for version in shape.stamped:
        out.append((f"INSERT INTO {d.t('schema_version')} VALUES ({p}, 1)", (version,)))
    return out


def _temporal_rows(shape: UpstreamShape, d: Dialect, p: str) -> list[tuple[str, tuple[object, ...]]]:
    f1, f2, f3, f4 = _ids(4, 2)
    facts: list[tuple[object, ...]] = [
        (f1, "Paris", "capital_of", "France", -2208988800000, None, 1.0, 5, '{"kind":"world"}'),  # before 1970
        (f2, "carol", "team", "infra", 1704067200000, None, 0.8, 6, None),  # two open facts, one subject+predicate
        (f3, "carol", "team", "search", 1740787200000, None, 0.8, 7, None),
        (f4, "alice", "lives_in", "Paris", 1646092800000, 4102444800000, 1.0, 8, None),  # closed after last_updated
    ]
    cols = "id, subject, predicate, object, valid_from, valid_to, confidence, last_updated, metadata"
    fact_owners = [ORPHAN, "alice", None, ORPHAN]
    out = []
    for fact, fact_owner in zip(facts, fact_owners, strict=True):
        if shape.temporal == "head":
            out.append(
                (
                    f"INSERT INTO {d.t('temporal_facts')} ({cols}, user_id) VALUES ({', '.join([p] * 10)})",
                    (*fact, fact_owner),
                )
            )
        else:
            out.append((f"INSERT INTO {d.t('temporal_facts')} ({cols}) VALUES ({', '.join([p] * 9)})", fact))
    if shape.edges:
        e1, e2 = _ids(2, 3)
        out.append(
            (f"INSERT INTO {d.t('temporal_edges')} VALUES ({p}, {p}, {p}, 'next', 0, NULL, 1.0, NULL)", (e1, f2, f3))
        )
        out.append(
            (f"INSERT INTO {d.t('temporal_edges')} VALUES ({p}, {p}, {p}, 'near', 0, 9, 0.5, '{{}}')", (e2, f1, f4))
        )
    return out


def build_sqlite(path: str, shape: UpstreamShape) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        d = Dialect(is_pg=False)
        for statement in ddl(shape, d):
            conn.execute(statement)
        for statement, params in rows(shape, d):
            conn.execute(statement, params)
    finally:
        conn.close()


def build_postgres(url: str, schema: str, shape: UpstreamShape) -> None:
    d = Dialect(is_pg=True, schema=schema)
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'.encode())
        for statement in ddl(shape, d):
            conn.execute(statement.encode())
        for statement, params in rows(shape, d):
            conn.execute(statement.encode(), params)
