"""Upstream's temporal tables become per-owner tables (migration 2.1.0) with every fact upstream wrote."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from openmemory.migrations.sqlite import migrate_sqlite
from openmemory.migrations.sqlite_file import migrate_file
from tests.conftest import TEMPORAL_FILES

FACT_COLUMNS = "id, subject, predicate, object, valid_from, valid_to, confidence, last_updated, metadata"


def _rows(path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute(sql, args).fetchall(), key=repr)
    finally:
        conn.close()


def _migrate(path: Path) -> list[str]:
    lines: list[str] = []
    migrate_file(path, busy_timeout_ms=2000, make_backup=False, say=lines.append)
    return lines


def _execute(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


def _insert_fact(path: Path, fact_id: str, user_id: str | None, valid_from: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(
            "INSERT INTO temporal_facts (id, user_id, subject, predicate, object, valid_from, confidence, "
            "last_updated) VALUES (?, ?, 'alice', 'works_at', 'Globex', ?, 1.0, 0)",
            (fact_id, user_id, valid_from),
        )
    finally:
        conn.close()


@pytest.mark.parametrize("name", TEMPORAL_FILES)
def test_every_upstream_fact_is_kept_with_its_oddities(upstream_copy: Callable[[str], Path], name: str) -> None:
    path = upstream_copy(name)
    _execute(  # closed in the future relative to its last update, as a client-dated DELETE leaves it
        path,
        "INSERT INTO temporal_facts VALUES ('f-late', 'dave', 'plans', 'move', 1000, 4102444800000, 0.5, 2000, NULL)",
    )
    before = _rows(path, f"SELECT {FACT_COLUMNS} FROM temporal_facts")
    lines = _migrate(path)
    assert "Migration 2.1.0 completed successfully" in lines
    assert _rows(path, f"SELECT {FACT_COLUMNS} FROM temporal_facts") == before
    assert len(before) == 17
    assert _rows(path, "SELECT DISTINCT user_id, project_id FROM temporal_facts") == [(None, None)]
    open_team = _rows(
        path, "SELECT object FROM temporal_facts WHERE subject = 'carol' AND predicate = 'team' AND valid_to IS NULL"
    )
    assert open_team == [("infra",), ("search",)]
    assert _rows(path, "SELECT valid_from FROM temporal_facts WHERE valid_from < 0") == [(-2208988800000,)]
    assert _rows(path, "SELECT count(*) FROM temporal_facts WHERE last_updated < valid_to") == [(1,)]

    assert _rows(path, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.parametrize("name", TEMPORAL_FILES)
def test_the_same_fact_is_unique_per_owner_not_globally(upstream_copy: Callable[[str], Path], name: str) -> None:
    path = upstream_copy(name)
    _migrate(path)
    (valid_from,) = _rows(path, "SELECT valid_from FROM temporal_facts WHERE subject = 'alice' AND object = 'Globex'")[
        0
    ]
    _insert_fact(path, "f-bob", "bob", valid_from)  # upstream's global UNIQUE refused this
    _insert_fact(path, "f-carol", "carol", valid_from)
    with pytest.raises(sqlite3.IntegrityError):
        _insert_fact(path, "f-bob-again", "bob", valid_from)
    with pytest.raises(sqlite3.IntegrityError):  # NULL owners count as one owner
        _insert_fact(path, "f-system-again", None, valid_from)


def _upstream_head_shape(path: Path) -> None:
    """What upstream HEAD leaves: owner columns, quarantined orphans, a real tenant's fact and edges between them."""
    _execute(
        path,
        "ALTER TABLE temporal_facts ADD COLUMN user_id TEXT",
        "ALTER TABLE temporal_facts ADD COLUMN project_id TEXT",
        "UPDATE temporal_facts SET user_id = '__legacy_orphan__'",
        "UPDATE temporal_facts SET user_id = 'tenant-a', project_id = 'p1' WHERE subject = 'bob'",
        "INSERT INTO temporal_edges SELECT 'e1', a.id, b.id, 'related', 0, NULL, 0.5, NULL FROM temporal_facts a, "
        "temporal_facts b WHERE a.subject = 'bob' AND a.object = 'Rust' AND b.object = 'Initech'",
        "INSERT INTO temporal_edges SELECT 'e2', a.id, b.id, 'near', 0, NULL, 1.0, '{}' FROM temporal_facts a, "
        "temporal_facts b WHERE a.object = 'Paris' AND b.object = 'France'",
        "INSERT INTO temporal_edges VALUES ('e3', 'no-such-fact', 'no-such-fact', 'dangling', 5, 6, 0.1, NULL)",
    )


def test_quarantined_orphans_become_the_default_users_and_edges_take_their_sources_owner(
    upstream_copy: Callable[[str], Path],
) -> None:
    path = upstream_copy("v1.3.0-native.sqlite")
    _upstream_head_shape(path)
    edges_before = _rows(
        path,
        "SELECT id, source_id, target_id, relation_type, valid_from, valid_to, weight, metadata FROM temporal_edges",
    )
    _migrate(path)
    owners = dict(_rows(path, "SELECT coalesce(user_id, '<default>'), count(*) FROM temporal_facts GROUP BY 1"))
    assert owners == {"<default>": 13, "tenant-a": 3}
    assert _rows(path, "SELECT DISTINCT project_id FROM temporal_facts WHERE user_id = 'tenant-a'") == [("p1",)]
    edges = _rows(
        path,
        "SELECT id, source_id, target_id, relation_type, valid_from, valid_to, weight, metadata FROM temporal_edges",
    )
    assert edges == edges_before
    assert _rows(path, "SELECT id, user_id FROM temporal_edges") == [("e1", "tenant-a"), ("e2", None), ("e3", None)]
    refs = _rows(path, 'SELECT "from", "table", "to" FROM pragma_foreign_key_list(\'temporal_edges\')')
    assert refs == [("source_id", "temporal_facts", "id"), ("target_id", "temporal_facts", "id")]
    dangling = _rows(path, "PRAGMA foreign_key_check('temporal_edges')")
    assert {r[1] for r in dangling} == {3}  # e3's rowid: only the edge upstream wrote dangling


def test_columns_indexes_and_triggers_we_do_not_know_survive_the_rebuild(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.2.2-native.sqlite")
    _execute(
        path,
        "ALTER TABLE temporal_facts ADD COLUMN source TEXT DEFAULT 'chat'",
        "UPDATE temporal_facts SET source = 'import' WHERE subject = 'carol'",
        "CREATE INDEX my_fact_source ON temporal_facts(source)",
        "CREATE TABLE fact_log (id TEXT)",
        "CREATE TRIGGER my_fact_log AFTER INSERT ON temporal_facts BEGIN INSERT INTO fact_log VALUES (new.id); END",
    )
    _migrate(path)
    assert _rows(path, "SELECT source, count(*) FROM temporal_facts GROUP BY source") == [("chat", 11), ("import", 5)]
    names = {r[0] for r in _rows(path, "SELECT name FROM sqlite_master WHERE tbl_name = 'temporal_facts'")}
    assert {"my_fact_source", "my_fact_log", "idx_temporal_owner_fact"} <= names
    _insert_fact(path, "f-new", "dave", 1)
    assert _rows(path, "SELECT id FROM fact_log") == [("f-new",)]


def test_a_connection_enforcing_foreign_keys_migrates_and_keeps_enforcing(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.3.0-native.sqlite")
    _upstream_head_shape(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    migrate_sqlite(conn, location=str(path))
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM temporal_edges").fetchone() == (3,)
    conn.close()
