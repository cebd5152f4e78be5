"""SQLite on a full disk and on a file system gone read-only: clear errors, nothing half-written, reads go on.

Real small file systems (tests/reliability/mounts.py): a 3 MB tmpfs filled with a file of zeros, and an ext4
loop file that the kernel remounts read-only after a (triggered) disk error, as `errors=remount-ro` does on
a failing disk.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from openmemory import Memory, StoreFull, StoreReadOnly, StoreUnavailable
from openmemory.cli.app import app
from tests.live import live_server, local_settings
from tests.reliability.mounts import ext4_loop, fail_disk, fill, read_only_view, tmpfs

PADDING = " and a long tail of detail" * 60  # ~1.6 kB: the disk fills in a few dozen writes


def add(http: httpx.Client, content: str) -> httpx.Response:
    return http.post("/memory/add", json={"content": content, "user_id": "alice"})


def listed_ids(http: httpx.Client) -> set[str]:
    response = http.get("/memory/all", params={"user_id": "alice", "l": 1000})
    assert response.status_code == 200
    return {item["id"] for item in response.json()["items"]}


def assert_reads_work(http: httpx.Client, stored: set[str]) -> None:
    assert listed_ids(http) == stored
    some = sorted(stored)[0]
    assert http.get(f"/memory/{some}", params={"user_id": "alice"}).json()["id"] == some
    found = http.post("/memory/query", json={"query": "fact number 3", "user_id": "alice", "k": 3})
    assert found.status_code == 200 and found.json()["matches"]


def audit(db: Path) -> set[str]:
    """The memory ids in the file, after checking that it is sound and that no memory is half-written."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        ids = {row[0] for row in conn.execute("SELECT id FROM memories")}
        vectored = {row[0] for row in conn.execute("SELECT DISTINCT id FROM openmemory_vectors")}
        logged = {row[0] for row in conn.execute("SELECT id FROM embed_logs")}
        assert ids == vectored == logged  # no memory without its vectors, no vector or log row without a memory
        return ids
    finally:
        conn.close()


def test_a_full_disk_refuses_writes_with_507_keeps_reads_and_writes_again_once_space_is_freed(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", size_kb=3072) as disk:
        db = disk / "om.sqlite"
        settings = local_settings(db)
        with live_server(settings) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
            stored = {add(http, f"alice fact number {i}{PADDING}").json()["id"] for i in range(10)}
            fill(disk / "filler")
            refused = None
            for i in range(500):  # the WAL may still have room for a few writes
                response = add(http, f"alice fact number {100 + i}{PADDING}")
                if response.status_code != 200:
                    refused = response
                    break
                stored.add(response.json()["id"])
            assert refused is not None and refused.status_code == 507, refused and refused.text
            body = refused.json()
            assert body["err"] == "storage_full" and "full" in body["message"] and "nothing" in body["message"]
            assert_reads_work(http, stored)

            with Memory(settings=settings) as memory, pytest.raises(StoreFull, match="is full"):
                memory.add(f"through the Python API{PADDING}", user_id="alice")
            command = ["add", "--db", str(db), "--user", "alice", f"through the CLI{PADDING}"]
            cli = CliRunner().invoke(app, command, env={"OM_EMBEDDINGS": "synthetic"})
            assert cli.exit_code == 1 and cli.stderr.startswith("error: database") and "is full" in cli.stderr

            (disk / "filler").unlink()
            again = add(http, f"written once space was freed{PADDING}")
            assert again.status_code == 200
            stored.add(again.json()["id"])
            assert listed_ids(http) == stored
        assert audit(db) == stored


def test_a_file_system_remounted_read_only_refuses_writes_with_503_and_keeps_answering_reads(tmp_path: Path) -> None:
    with ext4_loop(tmp_path / "disk", size_mb=8) as disk:
        db = disk / "om.sqlite"
        settings = local_settings(db)
        with live_server(settings) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
            stored = {add(http, f"alice fact number {i}").json()["id"] for i in range(10)}
            fail_disk(disk)
            refused = add(http, "written after the disk failed")
            assert refused.status_code == 503, refused.text
            body = refused.json()
            assert (
                body["err"] == "read_only" and "read-only" in body["message"] and "reads still work" in body["message"]
            )
            some = sorted(stored)[0]
            changed = http.patch(f"/memory/{some}", json={"content": "changed", "user_id": "alice"})
            assert changed.status_code == 503 and changed.json()["err"] == "read_only"
            assert_reads_work(http, stored)

            with Memory(settings=settings) as memory, pytest.raises(StoreReadOnly, match="read-only"):
                memory.add("through the Python API", user_id="alice")
        assert audit(db) == stored


def test_a_database_on_a_read_only_mount_is_refused_at_start_up_with_the_reason(tmp_path: Path) -> None:
    # A WAL database on read-only media cannot even be read without its -shm file, so OpenMemory refuses to
    # open it rather than failing on the first request (docs/reliability.md §4).
    source = tmp_path / "data"
    source.mkdir()
    with Memory(settings=local_settings(source / "om.sqlite")) as memory:
        memory.add("kept", user_id="alice")
    with read_only_view(source, tmp_path / "view") as view:
        with pytest.raises(StoreUnavailable, match="read-only file system"):
            Memory(settings=local_settings(view / "om.sqlite"))
        cli = CliRunner().invoke(app, ["list", "--db", str(view / "om.sqlite")], env={"OM_EMBEDDINGS": "synthetic"})
        assert cli.exit_code == 1 and "read-only file system" in cli.stderr
    assert sorted(p.name for p in source.iterdir()) == ["om.sqlite"]  # nothing was created beside it
