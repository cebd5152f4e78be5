"""`opm migrate` as a user runs it: console lines, status, dry-run, backups and clear refusals."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openmemory.cli.app import app

runner = CliRunner()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_migrate_prints_the_seed_lines_and_success(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.1.1.sqlite")
    result = runner.invoke(app, ["migrate", "--db", str(path)])
    assert result.exit_code == 0, result.output
    out = result.output
    for line in (
        "OpenMemory Database Migration Tool",
        "[MIGRATE] Checking for pending migrations...",
        "[MIGRATE] Current database version: none",
        "[MIGRATE] Running migration: 1.2.0 - Multi-user tenant support",
        "[MIGRATE] Migration 1.2.0 completed successfully",
        "[MIGRATE] All migrations completed",
        "[SUCCESS] Migration completed",
    ):
        assert line in out
    assert "opm reembed" in out  # upstream's synthetic vectors were kept and the user is told
    backups = list(path.parent.glob("v1.1.1.sqlite.backup-*"))
    assert len(backups) == 1
    conn = sqlite3.connect(backups[0])
    assert conn.execute("SELECT count(*) FROM memories").fetchone() == (79,)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name='schema_version'").fetchone() is None
    conn.close()


def test_rerun_says_nothing_is_pending(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.2.0-native.sqlite")
    assert runner.invoke(app, ["migrate", "--db", str(path), "--no-backup"]).exit_code == 0
    result = runner.invoke(app, ["migrate", "--db", str(path)])
    assert result.exit_code == 0
    assert "No pending migrations" in result.output
    assert not list(path.parent.glob("*.backup-*"))


def test_status_lists_pending_versions_without_changing_the_file(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.2.0-migrated-by-upstream.sqlite")
    digest = _sha(path)
    result = runner.invoke(app, ["migrate", "--db", str(path), "--status"])
    assert result.exit_code == 0
    assert "recorded but unfinished" in result.output
    assert "pending: 1.2.0, 1.2.1, 1.3.0, 2.0.0, 2.1.0, 2.3.0, 2.4.0" in result.output
    assert _sha(path) == digest


def test_dry_run_prints_sql_and_changes_nothing(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.1.1.sqlite")
    digest = _sha(path)
    result = runner.invoke(app, ["migrate", "--db", str(path), "--dry-run"])
    assert result.exit_code == 0
    assert "ALTER TABLE memories ADD COLUMN user_id TEXT;" in result.output
    assert _sha(path) == digest
    assert not list(path.parent.glob("*.backup-*"))


def test_db_path_from_environment(upstream_copy: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path = upstream_copy("v1.1.1.sqlite")
    monkeypatch.setenv("OM_DB_PATH", str(path))
    result = runner.invoke(app, ["migrate", "--no-backup"])
    assert result.exit_code == 0
    assert "[SUCCESS] Migration completed" in result.output


def test_missing_file_is_reported_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nope.sqlite"
    result = runner.invoke(app, ["migrate", "--db", str(path)])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert not path.exists()


def test_non_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not the tables you are looking for\n")
    result = runner.invoke(app, ["migrate", "--db", str(path)])
    assert result.exit_code == 1
    assert "not a SQLite database" in result.output
    assert path.read_text().startswith("these are not")


def test_read_only_file_is_refused_untouched(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.1.1.sqlite")
    path.chmod(0o444)
    digest = _sha(path)
    result = runner.invoke(app, ["migrate", "--db", str(path)])
    assert result.exit_code == 1
    assert "read-only" in result.output
    assert _sha(path) == digest


def test_database_locked_by_another_writer_is_reported(
    upstream_copy: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = upstream_copy("v1.1.1.sqlite")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        monkeypatch.setenv("OM_BUSY_TIMEOUT_MS", "200")
        result = runner.invoke(app, ["migrate", "--db", str(path), "--no-backup"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "locked by another writer" in result.output
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name='schema_version'").fetchone() is None
    conn.close()


def test_newer_database_is_refused(upstream_copy: Callable[[str], Path]) -> None:
    path = upstream_copy("v1.2.0-migrated-by-upstream.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES ('3.1.0', 1)")
    conn.commit()
    conn.close()
    result = runner.invoke(app, ["migrate", "--db", str(path), "--no-backup"])
    assert result.exit_code == 1
    assert "newer than" in result.output
