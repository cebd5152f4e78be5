"""`opm facts ...` as a script or a person uses it: JSON round trips, per-user scoping, one error line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openmemory.cli.app import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OM_DB_PATH", str(tmp_path / "cli.sqlite"))
    monkeypatch.setenv("OM_EMBEDDINGS", "synthetic")


def _json(args: list[str]) -> object:
    result = runner.invoke(app, ["facts", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_add_supersede_and_read_back() -> None:
    acme = _json(["add", "alice", "works_at", "Acme", "--from", "2023-01-15T09:00:00Z", "-u", "u1"])
    globex = _json(["add", "alice", "works_at", "Globex", "--from", "1717232400000", "-u", "u1", "--meta", '{"k": 1}'])
    assert isinstance(acme, dict) and isinstance(globex, dict)
    assert globex["valid_from"] == "2024-06-01T09:00:00.000Z" and globex["metadata"] == {"k": 1}
    assert _json(["current", "alice", "works_at", "-u", "u1"])["object"] == "Globex"  # type: ignore[index]
    assert _json(["get", acme["id"], "-u", "u1"])["valid_to"] == "2024-06-01T08:59:59.999Z"  # type: ignore[index]
    at_2023 = _json(["subject", "alice", "--at", "2023-06-01", "-u", "u1"])
    assert [f["object"] for f in at_2023] == ["Acme"]  # type: ignore[union-attr,index]
    assert len(_json(["subject", "alice", "--all", "-u", "u1"])) == 2  # type: ignore[arg-type]
    timeline = _json(["timeline", "alice", "-u", "u1"])
    assert [e["change_type"] for e in timeline] == ["created", "invalidated", "created"]  # type: ignore[union-attr,index]
    diff = _json(["compare", "alice", "2023-06-01", "2024-07-01", "-u", "u1"])
    assert diff["changed"][0]["after"]["object"] == "Globex"  # type: ignore[index,call-overload]
    assert len(_json(["history", "works_at", "-u", "u1"])) == 3  # type: ignore[arg-type]
    assert _json(["volatile", "-u", "u1"])[0]["change_count"] == 2  # type: ignore[index]
    assert _json(["stats", "-u", "u1"]) == {"active_facts": 1, "historical_facts": 1, "total_facts": 2}


def test_another_users_facts_stay_out_of_sight() -> None:
    fact = _json(["add", "bob", "likes", "tea", "-u", "bob"])
    assert _json(["subject", "bob", "-u", "alice"]) == []
    assert _json(["search", "bo", "-u", "alice"]) == []
    result = runner.invoke(app, ["facts", "get", fact["id"], "-u", "alice"])  # type: ignore[index]
    assert result.exit_code == 1 and result.output.startswith("error: fact")
    assert runner.invoke(app, ["facts", "delete", fact["id"], "-u", "alice"]).exit_code == 1  # type: ignore[index]
    assert _json(["get", fact["id"], "-u", "bob"])["object"] == "tea"  # type: ignore[index]


def test_invalidate_delete_decay_and_errors() -> None:
    fact = _json(["add", "x", "p", "o", "--from", "2020-01-01", "-u", "u1"])
    closed = _json(["invalidate", fact["id"], "--at", "2021-01-01", "-u", "u1"])  # type: ignore[index]
    assert closed["valid_to"] == "2021-01-01T00:00:00.000Z"  # type: ignore[index]
    _json(["add", "y", "p", "o", "--from", "2020-01-01", "-u", "u1"])
    assert _json(["decay", "-u", "u1"])["facts_updated"] == 1  # type: ignore[index]
    assert _json(["delete", fact["id"], "-u", "u1"]) == {"ok": True, "id": fact["id"]}  # type: ignore[index]
    bad = runner.invoke(app, ["facts", "add", "s", "p", "o", "--from", "someday"])
    assert bad.exit_code == 1 and "invalid valid_from date 'someday'" in bad.output
    none = runner.invoke(app, ["facts", "current", "s", "nothing"])
    assert none.exit_code == 1 and "no current fact" in none.output
