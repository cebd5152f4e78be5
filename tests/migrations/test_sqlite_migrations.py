"""Upgrading real upstream SQLite databases in place: nothing lost, same schema as fresh, safe to re-run."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from openmemory.errors import MigrationError, SchemaTooNew
from openmemory.migrations.runner import LATEST, MIGRATIONS, version_key
from openmemory.migrations.sqlite import migrate_sqlite, plan_status_sqlite
from openmemory.migrations.sqlite_file import dry_run, migrate_file
from tests.conftest import TEMPORAL_FILES, UPSTREAM_FILES


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute(sql).fetchall(), key=repr)
    finally:
        conn.close()


def _migrate(path: Path) -> list[str]:
    lines: list[str] = []
    migrate_file(path, busy_timeout_ms=2000, make_backup=False, say=lines.append)
    return lines


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def normalised_schema(path: Path) -> dict[str, Any]:
    """Tables -> sorted (column, type, notnull, default, pk position); indexes -> (table, columns, unique)."""
    conn = sqlite3.connect(path)
    try:
        out: dict[str, Any] = {}
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'om_fts_%'")
        for (name,) in tables.fetchall():
            if name.startswith("memories_fts"):  # upstream v1.1's own FTS table: kept, not ours
                continue
            key = "<vectors>" if name in ("vectors", "openmemory_vectors") else name
            cols = conn.execute(
                'SELECT name, upper(type), "notnull", dflt_value, pk FROM pragma_table_info(?)', (name,)
            ).fetchall()
            out[f"table:{key}"] = sorted(cols)
        for name, table in conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type='index'").fetchall():
            if name.startswith("sqlite_autoindex"):
                continue
            table_key = "<vectors>" if table in ("vectors", "openmemory_vectors") else table
            cols = [r[2] for r in conn.execute("SELECT * FROM pragma_index_info(?)", (name,)).fetchall()]
            out[f"index:{name}"] = (table_key, cols)
        triggers = conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type='trigger'").fetchall()
        out["triggers"] = sorted(triggers)
        return out
    finally:
        conn.close()


def test_v11_upgrade_prints_upstreams_console_lines(upstream_copy: Callable[[str], Path]) -> None:
    lines = _migrate(upstream_copy("v1.1.1.sqlite"))
    assert lines[:3] == [
        "Checking for pending migrations...",
        "Current database version: none",
        "Running migration: 1.2.0 - Multi-user tenant support",
    ]
    assert "Migration 1.2.0 completed successfully" in lines
    assert "Migration 1.3.0 completed successfully" in lines
    assert lines[-1] == "All migrations completed"


@pytest.mark.parametrize("name", UPSTREAM_FILES)
def test_every_upstream_row_survives_byte_for_byte(upstream_copy: Callable[[str], Path], name: str) -> None:
    path = upstream_copy(name)
    mem_cols = (
        "id, content, primary_sector, tags, meta, created_at, updated_at, last_seen_at, salience, "
        "decay_lambda, version, mean_dim, mean_vec"
    )
    queries = [
        f"SELECT {mem_cols} FROM memories",
        "SELECT id, sector, v, dim FROM vectors",
        "SELECT src_id, dst_id, weight, created_at, updated_at FROM waypoints",
        "SELECT id, model, status, ts, err FROM embed_logs",
    ]
    if name != "v1.1.1.sqlite":
        queries += ["SELECT * FROM stats", "SELECT * FROM users"]
    if name in ("v1.1.1.sqlite", "v1.2.0-migrated-by-upstream.sqlite"):
        queries += ["SELECT id, content FROM memories_fts"]
    if name in TEMPORAL_FILES:
        queries += [
            "SELECT id, subject, predicate, object, valid_from, valid_to, confidence, last_updated, metadata "
            "FROM temporal_facts"
        ]
    before = [_rows(path, q) for q in queries]
    owners_before = _rows(path, "SELECT id, user_id FROM memories") if name != "v1.1.1.sqlite" else None
    _migrate(path)
    after = [_rows(path, q) for q in queries]
    assert before == after
    if owners_before is not None:
        assert _rows(path, "SELECT id, user_id FROM memories") == owners_before
    assert _rows(path, "PRAGMA integrity_check") == [("ok",)]


def test_native_v12_vectors_and_waypoints_get_their_memorys_owner(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.2.0-native.sqlite")
    _migrate(path)
    mismatched = _rows(
        path,
        "SELECT v.id FROM vectors v JOIN memories m ON m.id = v.id WHERE v.user_id IS NOT m.user_id",
    )
    assert mismatched == []
    owners = dict(_rows(path, "SELECT user_id, count(*) FROM waypoints GROUP BY user_id"))
    assert owners == {None: 8, "alice": 21, "bob": 21, "carol": 20}


def test_upstream_stamped_file_missing_v12_columns_is_completed(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.2.0-migrated-by-upstream.sqlite")
    lines = _migrate(path)
    assert "Current database version: 1.2.0" in lines
    assert "Running migration: 1.2.0 - Multi-user tenant support" in lines  # repaired, not skipped
    cols = {r[1] for r in _rows(path, "PRAGMA table_info(memories)")}
    assert {"segment", "simhash", "compressed_vec", "feedback_score", "user_id", "project_id"} <= cols
    assert _rows(path, "SELECT version FROM schema_version") == [(v.VERSION,) for v in MIGRATIONS]


@pytest.mark.parametrize("name", UPSTREAM_FILES)
def test_upgraded_schema_equals_fresh_schema(upstream_copy: Callable[[str], Path], tmp_path: Path, name: str) -> None:
    fresh = tmp_path / "fresh.sqlite"
    sqlite3.connect(fresh).close()
    _migrate(fresh)
    upgraded = upstream_copy(name)
    _migrate(upgraded)
    assert normalised_schema(upgraded) == normalised_schema(fresh)


@pytest.mark.parametrize("name", UPSTREAM_FILES)
def test_second_run_changes_nothing(upstream_copy: Callable[[str], Path], name: str) -> None:
    path = upstream_copy(name)
    _migrate(path)
    digest = _sha(path)
    lines = _migrate(path)
    assert "No pending migrations: the database is up to date" in lines
    assert not any(line.startswith("Running migration") for line in lines)
    assert _sha(path) == digest


def test_waypoint_primary_key_becomes_src_and_user(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.1.1.sqlite")
    _migrate(path)
    pk = [r[1] for r in sorted(_rows(path, "PRAGMA table_info(waypoints)"), key=lambda r: r[5]) if r[5]]
    assert pk == ["src_id", "user_id"]


def test_dry_run_changes_nothing_and_shows_the_sql(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.1.1.sqlite")
    digest = _sha(path)
    report = dry_run(path, busy_timeout_ms=1000, vector_table=None, say=lambda _: None)
    assert _sha(path) == digest
    assert any(s.startswith("ALTER TABLE memories ADD COLUMN user_id") for s in report.statements)
    assert any(s.startswith("DROP TABLE waypoints") for s in report.statements)


def test_version_recorded_but_columns_missing_is_repaired(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.2.0-migrated-by-upstream.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES ('1.3.0', 1795544171999)")  # upstream's 1.3.0 stamp bug
    conn.commit()
    conn.close()
    _migrate(path)
    assert "project_id" in {r[1] for r in _rows(path, "PRAGMA table_info(memories)")}
    assert "project_id" in {r[1] for r in _rows(path, "PRAGMA table_info(waypoints)")}


def test_interrupted_upstream_waypoint_rebuild_is_recovered(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.1.1.sqlite")
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE waypoints_new (src_id TEXT, dst_id TEXT NOT NULL, user_id TEXT, weight REAL NOT NULL,"
        " created_at INTEGER, updated_at INTEGER, PRIMARY KEY(src_id, user_id));"
        "INSERT INTO waypoints_new SELECT src_id, dst_id, NULL, weight, created_at, updated_at FROM waypoints;"
        "DROP TABLE waypoints;"
    )
    conn.close()
    _migrate(path)
    assert len(_rows(path, "SELECT * FROM waypoints")) == 2
    assert _rows(path, "SELECT name FROM sqlite_master WHERE name = 'waypoints_new'") == []


def test_versions_compare_numerically() -> None:
    assert version_key("1.10.0") > version_key("1.2.0")
    assert sorted(["2.0.0", "1.10.0", "1.2.0"], key=version_key) == ["1.2.0", "1.10.0", "2.0.0"]


def test_database_newer_than_the_tool_is_refused_untouched(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.2.0-migrated-by-upstream.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES ('9.0.0', 1)")
    conn.commit()
    conn.close()
    digest = _sha(path)
    with pytest.raises(SchemaTooNew, match=r"9\.0\.0.*newer than " + LATEST.replace(".", r"\.")):
        _migrate(path)
    assert _sha(path) == digest


def test_failed_step_rolls_back_its_whole_version(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    # a memories table whose index name is taken by a view-less trick: a table with the index's name
    conn.execute("CREATE TABLE memories(id TEXT PRIMARY KEY, content TEXT NOT NULL, primary_sector TEXT NOT NULL)")
    conn.execute("CREATE TABLE idx_memories_user(x)")
    with pytest.raises(MigrationError, match=r"1\.2\.0"):
        migrate_sqlite(conn, location=str(path))
    cols = {r[1] for r in conn.execute("PRAGMA table_info(memories)")}
    assert cols == {"id", "content", "primary_sector"}  # nothing of 1.2.0 stayed
    assert conn.execute("SELECT name FROM sqlite_master WHERE name='schema_version'").fetchone() is None


def test_status_reports_pending_then_applied(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.1.1.sqlite")
    conn = sqlite3.connect(path)
    assert all(s.is_pending for s in plan_status_sqlite(conn))
    conn.close()
    _migrate(path)
    conn = sqlite3.connect(path)
    assert not any(s.is_pending for s in plan_status_sqlite(conn))
    conn.close()
