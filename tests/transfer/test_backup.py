"""`opm backup` / `opm restore`: consistent copies of live databases that restore to identical stores."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openmemory.cli.app import app
from openmemory.config import Settings
from openmemory.memory import Memory
from tests.store.pg import PG_SERVERS, pg_settings, table_rows, throwaway_schema

runner = CliRunner()
PG_TABLES = ("openmemory_memories", "openmemory_vectors", "openmemory_waypoints", "openmemory_users",
             "openmemory_embed_logs", "temporal_facts", "temporal_edges")  # fmt: skip


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OM_EMBEDDINGS", "synthetic")


def _fill(mem: Memory) -> None:
    mem.add_many(["Zoë moved to Lisbon in March", "Zoë drinks coffee", "Zoë moved to Lisbon"], user_id="zoë")
    mem.add("system note about Lisbon", tags=["x"], metadata={"n": 1})
    mem.add("bob likes tea", user_id="bob")
    mem.reinforce(mem.list(user_id="bob")[0].memory_id, user_id="bob")
    lisbon = mem.facts.add("Zoë", "lives_in", "Lisbon", user_id="zoë", valid_from=1_000)
    porto = mem.facts.add("Zoë", "lives_in", "Porto", user_id="zoë", valid_from=2_000, metadata={"src": "chat"})
    mem.facts.add_edge(lisbon.fact_id, porto.fact_id, "followed_by", user_id="zoë", weight=0.5)
    mem.facts.add("system", "version", "2", valid_from=0)


def _sqlite_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but om_gen (cache generations, moved on purpose by a restore)."""
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables if t != "om_gen"}
    conn.close()
    return rows


def _opm(*args: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_sqlite_backup_restores_every_row(tmp_path: Path) -> None:
    db, bak, restored = tmp_path / "live.sqlite", tmp_path / "live.bak", tmp_path / "restored.sqlite"
    with Memory(settings=Settings.load(db_path=db, embeddings="synthetic")) as mem:
        _fill(mem)
    assert "(sqlite)" in _opm("backup", str(bak), "--db", str(db))
    assert "restored 5 memories of 3 users" in _opm("restore", str(bak), "--db", str(restored))
    assert _sqlite_rows(restored) == _sqlite_rows(db)


def test_restore_refuses_a_database_with_data_and_force_replaces_it(tmp_path: Path) -> None:
    db, bak, other = tmp_path / "live.sqlite", tmp_path / "live.bak", tmp_path / "other.sqlite"
    with Memory(settings=Settings.load(db_path=db, embeddings="synthetic")) as mem:
        _fill(mem)
    with Memory(settings=Settings.load(db_path=other, embeddings="synthetic")) as mem:
        mem.add("something else", user_id="carol")
    _opm("backup", str(bak), "--db", str(db))
    refused = runner.invoke(app, ["restore", str(bak), "--db", str(other)])
    assert refused.exit_code == 1 and "already holds data" in refused.output and "--force" in refused.output
    again = runner.invoke(app, ["backup", str(bak), "--db", str(db)])
    assert again.exit_code == 1 and "already exists" in again.output
    _opm("restore", str(bak), "--db", str(other), "--force")
    assert _sqlite_rows(other) == _sqlite_rows(db)


def _broken_export(db: Path, tmp_path: Path) -> Path:
    """An export whose last memory takes the id of another user's memory: it cannot be restored whole."""
    out = tmp_path / "broken.jsonl"
    _opm("export", "--db", str(db), "--out", str(out), "--with-vectors")
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    memories = [line for line in lines if line.get("kind") == "memory"]
    memories[-1]["id"] = next(m["id"] for m in memories if m["user_id"] != memories[-1]["user_id"])
    out.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return out


def test_a_failed_restore_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    db, target = tmp_path / "live.sqlite", tmp_path / "target.sqlite"
    with Memory(settings=Settings.load(db_path=db, embeddings="synthetic")) as mem:
        _fill(mem)
    with Memory(settings=Settings.load(db_path=target, embeddings="synthetic")) as mem:
        mem.add("carol's only memory", user_id="carol")
    before = _sqlite_rows(target)
    broken = _broken_export(db, tmp_path)
    result = runner.invoke(app, ["restore", str(broken), "--db", str(target), "--force"])
    assert result.exit_code == 1 and "could not be restored" in result.output and "nothing was changed" in result.output
    truncated = tmp_path / "truncated.jsonl"
    truncated.write_text("".join(broken.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    result = runner.invoke(app, ["restore", str(truncated), "--db", str(target), "--force"])
    assert result.exit_code == 1 and "truncated" in result.output
    assert _sqlite_rows(target) == before


@pytest.fixture(params=PG_SERVERS)
def pg(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, str]]:
    """(url, live schema, restore schema) on one PostgreSQL server."""
    url = request.param
    with throwaway_schema(url, "omlive") as live, throwaway_schema(url, "omrest") as restored:
        yield url, live, restored


def _pg_rows(url: str, schema: str) -> dict[str, list[tuple[object, ...]]]:
    return {t: table_rows(url, f'SELECT * FROM "{schema}".{t}') for t in PG_TABLES}


def test_postgres_backup_restores_identical_rows_and_refuses_bad_restores(
    pg: tuple[str, str, str], tmp_path: Path
) -> None:
    url, live, restored = pg
    with Memory(settings=pg_settings(url, live, embeddings="synthetic")) as mem:
        _fill(mem)
    bak = tmp_path / "pg.bak"
    assert "(jsonl)" in _opm("backup", str(bak), "--db", url, env={"OM_PG_SCHEMA": live})
    env = {"OM_PG_SCHEMA": restored}
    assert "restored 5 memories of 3 users" in _opm("restore", str(bak), "--db", url, env=env)
    assert _pg_rows(url, restored) == _pg_rows(url, live)
    refused = runner.invoke(app, ["restore", str(bak), "--db", url], env=env)
    assert refused.exit_code == 1 and "already holds data" in refused.output
    sqlite_copy = tmp_path / "copy.sqlite"  # a JSONL backup of PostgreSQL restores into SQLite too
    _opm("restore", str(bak), "--db", str(sqlite_copy))
    broken = _broken_export(sqlite_copy, tmp_path)
    failed = runner.invoke(app, ["restore", str(broken), "--db", url, "--force"], env=env)
    assert failed.exit_code == 1 and "nothing was changed" in failed.output
    assert _pg_rows(url, restored) == _pg_rows(url, live)  # rolled back, wipe included


class _Writer(threading.Thread):
    """Adds a memory and deletes the oldest, over and over, until stopped: a live database."""

    def __init__(self, mem: Memory) -> None:
        super().__init__(daemon=True)
        self.mem, self.stop, self.rounds = mem, threading.Event(), 0

    def run(self) -> None:
        while not self.stop.is_set():
            self.mem.add(f"note number {self.rounds} about the weather", user_id="w")
            self.mem.delete(self.mem.list(user_id="w", limit=1000)[-1].memory_id, user_id="w")
            self.rounds += 1


def _memories_have_vectors(jsonl: Path) -> int:
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    memories = [line for line in lines if line.get("kind") == "memory"]
    assert all(m["vectors"]["sectors"] and m["vectors"]["mean"] for m in memories)
    return len(memories)


@pytest.mark.parametrize("url", [pytest.param(None, id="sqlite"), *PG_SERVERS])
def test_backup_of_a_database_being_written_is_consistent(url: str | None, tmp_path: Path) -> None:
    with throwaway_schema(url, "omw") if url else _nothing() as schema:
        settings = (
            pg_settings(url, schema, embeddings="synthetic")
            if url
            else Settings.load(db_path=tmp_path / "live.sqlite", embeddings="synthetic")
        )
        with Memory(settings=settings) as mem, Memory(settings=settings) as writer_mem:
            mem.add_many([f"seed memory {i} of w" for i in range(20)], user_id="w")
            writer = _Writer(writer_mem)
            writer.start()
            try:
                for i in range(3):
                    bak = tmp_path / f"b{i}.bak"
                    _opm("backup", str(bak), "--db", url or str(tmp_path / "live.sqlite"), env={"OM_PG_SCHEMA": schema})
                    restored = tmp_path / f"r{i}.sqlite"
                    _opm("restore", str(bak), "--db", str(restored))
                    jsonl = tmp_path / f"r{i}.jsonl"
                    _opm("export", "--db", str(restored), "--out", str(jsonl), "--with-vectors")
                    assert _memories_have_vectors(jsonl) in (20, 21)  # between the add and the delete: 21
            finally:
                writer.stop.set()
                writer.join()
            assert writer.rounds > 0


class _nothing:
    def __enter__(self) -> str:
        return "public"

    def __exit__(self, *exc: object) -> None:
        return None
