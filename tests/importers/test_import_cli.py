"""``opm import`` as a person runs it: export files, summaries, failures and --retry, --verify, --to, a crash."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from openmemory.cli.app import app
from openmemory.cli.imports import progress_bars
from openmemory.config import Settings
from openmemory.memory import Memory
from tests.importers.services import KEY, USERS, Services, mem0_memory, serve, sm_document, zep_message
from tests.live import ADMIN_KEY, KEYS, keyed_settings, live_server

runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OM_DB_PATH", str(tmp_path / "cli.sqlite"))
    monkeypatch.setenv("OM_EMBEDDINGS", "synthetic")
    monkeypatch.chdir(tmp_path)


def _open(tmp_path: Path) -> Memory:
    return Memory(settings=Settings.load(embeddings="synthetic", db_path=tmp_path / "cli.sqlite"))


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


MEM0_ROWS = [mem0_memory(u, n) for u in USERS for n in range(3)]
ZEP_THREADS = [
    {"thread_id": f"t-{u}", "user_id": u, "messages": [zep_message(u, f"t-{u}", n) for n in range(3)]} for u in USERS
]
EXPORTS = {
    "mem0-oss": ("mem0", {"results": MEM0_ROWS}),
    "mem0-platform": ("mem0", {"count": 9, "next": None, "results": MEM0_ROWS}),
    "mem0-v1-list": ("mem0", MEM0_ROWS),
    "mem0-search": ("mem0", [{**row, "score": 0.5} for row in MEM0_ROWS]),
    "zep": ("zep", {"threads": ZEP_THREADS}),
    "supermemory": ("supermemory", {"memories": [sm_document(u, n) for u in USERS for n in range(3)]}),
}


@pytest.mark.parametrize("export", list(EXPORTS))
def test_an_export_file_imports_every_user_and_a_second_run_adds_nothing(export: str, tmp_path: Path) -> None:
    source, data = EXPORTS[export]
    path = _write(tmp_path / "export.json", data)
    first = runner.invoke(app, ["import", "--from", source, "--file", str(path)])
    assert first.exit_code == 0, first.output
    assert "total: 9 imported, 0 skipped as duplicates, 0 failed (3 users)" in first.output
    assert "zoë 日本: 3 imported" in first.output
    again = runner.invoke(app, ["import", "--from", source, str(path), "--verify"])
    assert again.exit_code == 0, again.output
    assert "total: 0 imported, 9 skipped as duplicates" in again.output and "3 of 3 users match" in again.output
    with _open(tmp_path) as mem:
        assert {u: mem.count(user_id=u) for u in USERS} == {u: 3 for u in USERS}


def test_failed_items_go_to_a_file_that_retry_takes(tmp_path: Path) -> None:
    rows = [mem0_memory("alice", n) for n in range(4)]
    rows[2]["memory"] = "   "
    path = _write(tmp_path / "mem0.json", rows)
    result = runner.invoke(app, ["import", "--from", "mem0", "--file", str(path)])
    assert result.exit_code == 1
    assert "alice: 3 imported, 0 skipped as duplicates, 1 failed" in result.output
    failed = tmp_path / "opm-import-mem0-failed.jsonl"
    (line,) = failed.read_text(encoding="utf-8").splitlines()
    item = json.loads(line)
    assert item["source_id"] == "m-alice-2" and "content is empty" in item["error"]
    failed.write_text(json.dumps({**item, "content": "alice likes thing number 2, fixed"}) + "\n")
    retried = runner.invoke(app, ["import", "--retry", str(failed)])
    assert retried.exit_code == 0, retried.output
    assert "alice: 1 imported" in retried.output and not failed.exists()
    with _open(tmp_path) as mem:
        assert mem.count(user_id="alice") == 4


def test_verify_lists_what_differs(tmp_path: Path) -> None:
    path = _write(tmp_path / "mem0.json", {"results": [mem0_memory("alice", n) for n in range(3)]})
    assert runner.invoke(app, ["import", "--from", "mem0", "--file", str(path)]).exit_code == 0
    with _open(tmp_path) as mem:
        (changed,) = [m for m in mem.list(user_id="alice") if m.meta["source_id"] == "m-alice-1"]
        mem.update(changed.memory_id, user_id="alice", content="edited here after the import")
    result = runner.invoke(app, ["import", "--from", "mem0", "--file", str(path), "--verify"])
    assert result.exit_code == 1
    assert "verify: alice: source 3, target 3; missing 0, changed 1 (m-alice-1), extra 0" in result.output


def test_api_import_needs_a_key_and_a_wrong_one_stops_with_one_line(tmp_path: Path) -> None:
    assert runner.invoke(app, ["import", "--from", "zep"]).exit_code == 2
    with serve(Services.sample()) as url:
        args = ["import", "--from", "zep", "--api-key", "nope", "--base-url", url, "--allow-host", "127.0.0.1"]
        result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("error: Zep refused the API key")


def test_to_a_running_server_needs_the_admin_key_for_several_users(tmp_path: Path) -> None:
    db = tmp_path / "server.sqlite"
    settings = keyed_settings(db)
    with Memory(db, settings=settings) as server_memory, live_server(settings, server_memory) as server:
        with serve(Services.sample()) as source:
            base = ["import", "--from", "mem0", "--api-key", KEY, "--base-url", source, "--to", server,
                    "--allow-host", "127.0.0.1"]  # fmt: skip
            tenant = runner.invoke(app, [*base, "--to-api-key", KEYS["alice"]])
            assert tenant.exit_code == 1 and "not the server's admin key" in tenant.output
            admin = runner.invoke(app, [*base, "--to-api-key", ADMIN_KEY, "--verify"])
        assert admin.exit_code == 0, admin.output
        assert "3 of 3 users match" in admin.output
        assert {u: server_memory.count(user_id=u) for u in USERS} == {u: 5 for u in USERS}
        (one,) = [m for m in server_memory.list(user_id="bob") if m.meta["source_id"] == "m-bob-3"]
        assert one.created_at_ms == 1_712_250_000_123 and one.tags == ("hobbies", "food")


def test_killed_mid_import_a_rerun_finishes_with_one_copy_of_everything(tmp_path: Path) -> None:
    services = Services.sample(per_user=24)
    # the user list and three pages are answered, then the source stalls: the run is surely still going, with
    # two batches of 4 stored, when it is killed, however slow the machine
    services.pause_after = 4
    db = tmp_path / "cli.sqlite"
    env = {**os.environ, "OM_DB_PATH": str(db), "OM_EMBEDDINGS": "synthetic"}
    with serve(services) as url:
        args = [sys.executable, "-c", "from openmemory.cli.app import main; main()", "import", "--from", "mem0",
                "--api-key", KEY, "--base-url", url, "--batch", "4", "--allow-host", "127.0.0.1"]  # fmt: skip
        proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while (len(services.seen) < 5 or _stored(db) < 8) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert proc.poll() is None, "the import ended before the source stalled"
            assert len(services.seen) == 5  # the fifth request is the one waiting, with two batches stored
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        assert _stored(db) == 8
        services.pause_after = None
        services.resume.set()
        rerun = subprocess.run([*args, "--verify"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr + rerun.stdout
    assert "3 of 3 users match" in rerun.stdout
    with _open(tmp_path) as mem:
        for user in USERS:
            ids = [m.meta["source_id"] for m in mem.list(user_id=user, limit=100)]
            assert sorted(ids) == sorted(f"m-{user}-{n}" for n in range(24))


def _stored(db: Path) -> int:
    if not db.exists():
        return 0
    with Memory(settings=Settings.load(embeddings="synthetic", db_path=db)) as mem:
        return sum(mem.count(user_id=u) for u in USERS)


def test_a_terminal_shows_a_bar_per_user_and_a_total() -> None:
    out = io.StringIO()
    with progress_bars(Console(file=out, force_terminal=True, width=100)) as advance:
        advance("alice", 1, 1)
        advance("zoë 日本", 2, 3)
    assert "user zoë 日本" in out.getvalue() and "total" in out.getvalue()
    with progress_bars(Console(file=io.StringIO())) as quiet:  # not a terminal: nothing drawn
        quiet("alice", 1, 1)
