"""SIGKILL ``opm serve``, ``opm migrate`` and ``opm import`` (real processes) at random moments: nothing
acknowledged is lost, nothing half-written is visible. The long runs are ``opm bench soak`` (docs/reliability.md)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from openmemory.bench.soak_commands import soak_import, soak_migrate
from openmemory.bench.soak_server import soak_server
from openmemory.store.audit import audit_sqlite_file
from tests.conftest import UPSTREAM


def test_a_server_killed_while_clients_write_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    report = soak_server(tmp_path, kills=3, writers=3, warm_writes=40, seed=14)  # however slow the machine
    assert report.problems == []
    assert (report.kills, report.audits, report.audits_failed, report.rows_lost) == (3, 3, 0, 0)
    assert report.detail["acknowledged deletes"] > 0 and report.detail["acknowledged updates"] > 0
    assert report.detail["searches after restart"] > 0


def test_a_killed_migration_keeps_every_row_and_a_rerun_completes_it(tmp_path: Path) -> None:
    report = soak_migrate(tmp_path, UPSTREAM, kills=4, files=("v1.1.1.sqlite", "v1.3.0-native.sqlite"), seed=14)
    assert report.problems == []
    assert (report.kills, report.audits_failed, report.rows_lost) == (4, 0, 0)
    assert report.audits >= 6  # after each kill, and after each rerun


def test_a_killed_import_stores_whole_users_per_its_checkpoint_and_a_rerun_finishes(tmp_path: Path) -> None:
    report = soak_import(tmp_path, kills=3, users=3, per_user=60, seed=14)
    assert report.problems == []
    assert (report.kills, report.audits_failed, report.rows_lost) == (3, 0, 0)
    assert report.acknowledged >= 180


@pytest.mark.parametrize(
    ("damage", "kind"),
    [
        ("DELETE FROM vectors WHERE id = (SELECT min(id) FROM memories)", "memories without vectors"),
        (
            "DELETE FROM memories WHERE id = (SELECT min(src_id) FROM waypoints)",
            "waypoints without their source memory",
        ),
        ("CREATE TABLE om_rebuild_waypoints(x)", "unfinished table rebuilds"),
    ],
)
def test_the_audit_sees_a_half_written_database(tmp_path: Path, damage: str, kind: str) -> None:
    """The checks the soaks rely on can fail: each kind of damage is counted."""
    path = tmp_path / "db.sqlite"
    shutil.copyfile(UPSTREAM / "v1.3.0-native.sqlite", path)
    path.chmod(0o644)
    assert audit_sqlite_file(path).is_clean
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(damage)
    conn.commit()
    conn.close()
    audit = audit_sqlite_file(path)
    assert audit.problems[kind] >= 1 and not audit.is_clean
