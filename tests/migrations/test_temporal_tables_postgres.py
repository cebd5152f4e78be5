"""Upstream HEAD's PostgreSQL temporal tables become per-owner tables (2.1.0), in a non-default schema and table."""

from __future__ import annotations

import psycopg
import pytest

from openmemory.migrations.postgres import PgNames, migrate_postgres
from tests.migrations.test_postgres_migrations import TABLE, snapshot
from tests.store.pg import PG_SERVERS, restore_dump, table_rows, throwaway_schema

pytestmark = pytest.mark.postgres

# upstream HEAD's db.ts DDL (packages/openmemory-js/src/core/db.ts), schema-qualified
HEAD_FACTS = (
    "CREATE TABLE {s}.temporal_facts(id uuid primary key,user_id text,project_id text,subject text not null,"
    "predicate text not null,object text not null,valid_from bigint not null,valid_to bigint,confidence double "
    "precision not null check(confidence >= 0 and confidence <= 1),last_updated bigint not null,metadata text,"
    "unique(subject,predicate,object,valid_from))"
)
HEAD_EDGES = (
    "CREATE TABLE {s}.temporal_edges(id uuid primary key,source_id uuid not null,target_id uuid not null,"
    "relation_type text not null,valid_from bigint not null,valid_to bigint,weight double precision not null,"
    "metadata text,foreign key(source_id) references {s}.temporal_facts(id),foreign key(target_id) references "
    "{s}.temporal_facts(id))"
)
F1, F2, F3 = (f"00000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))
FACTS = (
    (F1, "__legacy_orphan__", "Paris", "capital_of", "France", -2208988800000, None, 1.0, 5),
    (F2, "tenant-a", "alice", "works_at", "Globex", 1717232400000, None, 0.95, 7),
    (F3, "tenant-a", "alice", "works_at", "Acme", 1673773200000, 1717232399999, 0.9, 3),
)


def _head_schema(url: str, schema: str) -> None:
    s = f'"{schema}"'
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(HEAD_FACTS.format(s=s).encode())
        conn.execute(HEAD_EDGES.format(s=s).encode())
        for row in FACTS:
            conn.execute(
                f"INSERT INTO {s}.temporal_facts (id, user_id, subject, predicate, object, valid_from, valid_to, "
                "confidence, last_updated) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)".encode(),
                row,
            )
        conn.execute(
            f"INSERT INTO {s}.temporal_edges VALUES (%s, %s, %s, 'next', 0, NULL, 1.0, NULL)".encode(),
            ("00000000-0000-4000-8000-0000000000e1", F3, F2),
        )


def _migrate(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        migrate_postgres(conn, PgNames.from_settings(schema, TABLE, None))


@pytest.mark.parametrize("server", PG_SERVERS)
def test_head_temporal_tables_become_per_owner_with_every_row(server: str) -> None:
    with throwaway_schema(server, "omtmp") as schema:
        restore_dump(server, "v1.2.2-native-postgres.sql", schema, TABLE)
        _head_schema(server, schema)
        _migrate(server, schema)
        s = f'"{schema}"'
        facts = table_rows(
            server,
            f"SELECT id::text, coalesce(user_id, '<default>'), subject, valid_from, valid_to FROM {s}.temporal_facts",
        )
        assert facts == [
            (F1, "<default>", "Paris", -2208988800000, None),
            (F2, "tenant-a", "alice", 1717232400000, None),
            (F3, "tenant-a", "alice", 1673773200000, 1717232399999),
        ]
        assert table_rows(server, f"SELECT source_id::text, user_id FROM {s}.temporal_edges") == [(F3, "tenant-a")]
        with psycopg.connect(server, autocommit=True) as conn:  # the same fact for another owner is now allowed
            conn.execute(
                f"INSERT INTO {s}.temporal_facts (id, user_id, subject, predicate, object, valid_from, confidence, "
                "last_updated) VALUES (gen_random_uuid(), 'tenant-b', 'alice', 'works_at', 'Globex', 1717232400000, "
                "1, 0)".encode()
            )
            with pytest.raises(psycopg.errors.UniqueViolation):
                system_duplicate = (
                    f"INSERT INTO {s}.temporal_facts (id, subject, predicate, object, valid_from, confidence, "
                    "last_updated) VALUES (gen_random_uuid(), 'Paris', 'capital_of', 'France', -2208988800000, 1, 0)"
                )
                conn.execute(system_duplicate.encode())


def test_head_shaped_schema_ends_like_a_fresh_one_and_a_second_run_changes_nothing() -> None:
    server = PG_SERVERS[0].values[0]
    if server is None:
        pytest.skip("OM_TEST_PG_URL is not set")
    with throwaway_schema(server) as upgraded, throwaway_schema(server) as fresh:
        restore_dump(server, "v1.2.2-native-postgres.sql", upgraded, TABLE)
        _head_schema(server, upgraded)
        _migrate(server, upgraded)
        _migrate(server, fresh)
        a, b = snapshot(server, upgraded), snapshot(server, fresh)
        assert (a["columns"], a["keys"], a["indexes"]) == (b["columns"], b["keys"], b["indexes"])
        _migrate(server, upgraded)
        assert snapshot(server, upgraded) == a
