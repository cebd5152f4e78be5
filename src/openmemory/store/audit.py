"""Consistency audit of a database: the checks a crash must never fail (``opm bench soak``, tests/reliability).

A user action writes a memory, its sector vectors, its waypoint and its embed log in one transaction, and a
migration step is one transaction too; so after any crash, whatever the moment, the file must pass SQLite's
integrity check (and every FTS5 table its own), carry whole schema versions, and show no piece of a write without
the rest of it: a memory without vectors, a vector or waypoint without its memory, a vector filed under another
owner than its memory, a half-finished table rebuild. ``Audit.problems`` counts each kind; all must be 0 for a
database written by us (an upstream file may start with a few, which a migration must keep as they were).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BACKFILL_VERSION = "2.0.0"  # the step that files every vector under its memory's owner
COUNTED = ("memories", "vectors", "openmemory_vectors", "waypoints", "users", "embed_logs", "temporal_facts", "stats")


@dataclass(frozen=True)
class Audit:
    """What an audit found: ``integrity`` is "ok" or SQLite's first complaints; ``problems`` maps each kind of
    half-written state to how many rows show it."""

    integrity: str
    versions: tuple[str, ...]
    rows: dict[str, int] = field(default_factory=dict)
    problems: dict[str, int] = field(default_factory=dict)

    @property
    def is_clean(self) -> bool:
        return self.integrity == "ok" and not any(self.problems.values())

    def describe(self) -> str:
        found = ", ".join(f"{kind}: {n}" for kind, n in self.problems.items() if n) or "no half-written rows"
        return f"integrity {self.integrity}; versions {', '.join(self.versions) or 'none'}; {found}"


def audit_sqlite_file(path: Path) -> Audit:
    """Audit a SQLite file as it is on disk (nothing is migrated or changed; a crashed writer's WAL is replayed
    by SQLite as for any reader). Works on every schema from upstream v1.1 on."""
    if not path.exists():
        raise FileNotFoundError(path)
    with _connection(path) as conn:
        (integrity,) = conn.execute("PRAGMA integrity_check(20)").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        versions: tuple[str, ...] = ()
        if "schema_version" in tables:
            versions = tuple(sorted(str(r[0]) for r in conn.execute("SELECT version FROM schema_version")))
        rows = {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in COUNTED if t in tables}
        problems = _orphans(conn, tables, is_backfilled=BACKFILL_VERSION in versions or not versions)
        problems["unfinished table rebuilds"] = sum(1 for t in tables if t.startswith("om_rebuild_"))
        problems["FTS5 tables failing their check"] = _fts_failures(conn)
    return Audit(str(integrity), versions, rows, problems)


@contextlib.contextmanager
def _connection(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')}


def _orphans(conn: sqlite3.Connection, tables: set[str], *, is_backfilled: bool) -> dict[str, int]:
    def count(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    found: dict[str, int] = {}
    if "memories" not in tables:
        return found
    vt = "openmemory_vectors" if "openmemory_vectors" in tables else "vectors" if "vectors" in tables else None
    if vt is not None:
        found["memories without vectors"] = count(
            f"SELECT count(*) FROM memories m WHERE NOT EXISTS (SELECT 1 FROM {vt} v WHERE v.id = m.id)"
        )
        found["vectors without their memory"] = count(
            f"SELECT count(*) FROM {vt} v WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = v.id)"
        )
        if "user_id" in _columns(conn, vt) and "user_id" in _columns(conn, "memories"):
            # before 2.0.0's owner backfill, upstream 1.3.0's new vectors.user_id is still NULL: a whole version
            unowned = "" if is_backfilled else " AND v.user_id IS NOT NULL"
            found["vectors filed under another owner"] = count(
                f"SELECT count(*) FROM {vt} v JOIN memories m ON m.id = v.id WHERE v.user_id IS NOT m.user_id{unowned}"
            )
    if "waypoints" in tables:
        found["waypoints without their source memory"] = count(
            "SELECT count(*) FROM waypoints w WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = w.src_id)"
        )
        found["waypoints to a missing memory"] = count(
            "SELECT count(*) FROM waypoints w WHERE NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = w.dst_id)"
        )
    if "embed_logs" in tables:
        found["embed logs without their memory"] = count(
            "SELECT count(*) FROM embed_logs e WHERE e.status = 'completed' "
            "AND NOT EXISTS (SELECT 1 FROM memories m WHERE m.id = e.id)"
        )
    return found


def _fts_failures(conn: sqlite3.Connection) -> int:
    """FTS5 tables (upstream v1.1's ``memories_fts``, kept as found) whose own integrity check fails."""
    names = [
        str(r[0])
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'")
    ]
    failures = 0
    for name in names:
        conn.execute("BEGIN")
        try:
            conn.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'integrity-check\')')
        except sqlite3.DatabaseError:
            failures += 1
        finally:
            conn.execute("ROLLBACK")
    return failures
