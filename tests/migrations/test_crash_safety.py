"""A migration killed at any point leaves the old version or the new one, and re-running finishes the job."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from openmemory.migrations.runner import MIGRATIONS
from openmemory.migrations.sqlite_file import migrate_file

_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from openmemory.migrations.sqlite_file import migrate_file

    kill_at = int(sys.argv[2])
    seen = [0]

    def on_step(version, index, step):
        seen[0] += 1
        if seen[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    migrate_file(Path(sys.argv[1]), busy_timeout_ms=2000, make_backup=False, say=lambda _: None, on_step=on_step)
    """
)


def _versions(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name='schema_version'").fetchone():
            return []
        return sorted(r[0] for r in conn.execute("SELECT version FROM schema_version"))
    finally:
        conn.close()


@pytest.mark.parametrize("kill_at", [1, 3, 6, 9, 12, 16, 20, 30])
def test_sigkill_mid_migration_leaves_a_whole_version(
    upstream_copy: Callable[[str], Path], tmp_path: Path, kill_at: int
) -> None:
    path = upstream_copy("v1.1.1.sqlite")
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.run([sys.executable, str(script), str(path), str(kill_at)], env=env, check=False)
    assert proc.returncode in (-signal.SIGKILL, 0)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    cols = {r[1] for r in conn.execute("PRAGMA table_info(memories)")}
    (n_memories,) = conn.execute("SELECT count(*) FROM memories").fetchone()
    (n_waypoints,) = conn.execute("SELECT count(*) FROM waypoints").fetchone()
    conn.close()
    versions = _versions(path)
    every = [m.VERSION for m in MIGRATIONS]
    assert versions in [every[:n] for n in range(len(every) + 1)]
    assert ("user_id" in cols) == ("1.2.0" in versions)  # never half a version
    assert ("project_id" in cols) == ("1.3.0" in versions)
    assert (n_memories, n_waypoints) == (79, 2)
    migrate_file(path, busy_timeout_ms=2000, make_backup=False, say=lambda _: None)
    assert _versions(path) == [m.VERSION for m in MIGRATIONS]


@pytest.mark.parametrize("kill_at", [17, 18, 19, 22, 30])
def test_sigkill_mid_temporal_rebuild_keeps_every_fact(
    upstream_copy: Callable[[str], Path], tmp_path: Path, kill_at: int
) -> None:
    """Steps 16-35 of a v1.3.0 file are 2.1.0's rebuild (copy, check, drop, rename, indexes)."""
    path = upstream_copy("v1.3.0-native.sqlite")
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.run([sys.executable, str(script), str(path), str(kill_at)], env=env, check=False)
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT count(*) FROM temporal_facts").fetchone() == (16,)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'om_rebuild_%'").fetchall() == []
    conn.close()
    assert "2.1.0" not in _versions(path)
    migrate_file(path, busy_timeout_ms=2000, make_backup=False, say=lambda _: None)
    assert _versions(path) == [m.VERSION for m in MIGRATIONS]
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM temporal_facts").fetchone() == (16,)
    conn.close()
