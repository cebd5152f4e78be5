"""`opm add|query|list|get|delete|users|stats|reembed` as a script or a person uses them."""

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
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_add_query_get_delete_round_trip() -> None:
    added = _json(["add", "I moved to Lisbon in March", "-u", "alice", "-t", "travel", "--meta", '{"src": "cli"}'])
    assert isinstance(added, dict)
    memory_id = added["id"]
    hits = _json(["query", "Lisbon", "-u", "alice", "-k", "3"])
    assert isinstance(hits, list) and hits[0]["id"] == memory_id and "parts" in hits[0]
    got = _json(["get", memory_id, "-u", "alice"])
    assert isinstance(got, dict) and got["meta"] == {"src": "cli"} and got["tags"] == ["travel"]
    assert _json(["list", "-u", "bob"]) == []
    result = runner.invoke(app, ["delete", memory_id, "-u", "alice"])
    assert result.exit_code == 0 and "deleted" in result.output
    assert _json(["list", "-u", "alice"]) == []


def test_users_and_stats_show_each_owner() -> None:
    runner.invoke(app, ["add", "alice likes tea", "-u", "alice"])
    runner.invoke(app, ["add", "bob likes coffee", "-u", "bob"])
    users = _json(["users"])
    assert isinstance(users, list)
    assert {u["user_id"]: u["memories"] for u in users} == {"alice": 1, "bob": 1}
    stats = _json(["stats", "-u", "alice"])
    assert isinstance(stats, dict) and stats["memories"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["get", "no-such-id", "-u", "alice"], "not found"),
        (["add", "   "], "content is empty"),
        (["query", "x", "-k", "0"], "k must be an integer from 1 to 200"),
        (["query", "x", "--sector", "moods"], "unknown sector"),
        (["add", "x", "--meta", "[1]"], "--meta must be a JSON object"),
    ],
)
def test_bad_input_gives_one_error_line_and_nonzero_exit(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert message in result.output


def test_reembed_reports_what_it_did(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner.invoke(app, ["add", "a memory to re-embed", "-u", "u"])
    monkeypatch.setenv("OM_VEC_DIM", "128")
    assert runner.invoke(app, ["query", "memory", "-u", "u"]).exit_code == 1  # mismatch refused
    result = runner.invoke(app, ["reembed"])
    assert result.exit_code == 0, result.output
    assert "re-embedded 1 memories with synthetic-128 (128 dimensions)" in result.output
    assert runner.invoke(app, ["query", "memory", "-u", "u"]).exit_code == 0


def test_bench_latency_runs_small(tmp_path: Path) -> None:
    out = tmp_path / "lat.json"
    result = runner.invoke(
        app, ["bench", "latency", "--memories", "120", "--queries", "10", "--measure-adds", "60", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["memories"] == 120 and data["query_p50_ms"] > 0 and data["add_per_s"] > 0


def test_bench_locomo_scores_engine_and_baselines(tmp_path: Path) -> None:
    conv = {
        "sample_id": "conv-26",
        "conversation": {
            "speaker_a": "Ann",
            "speaker_b": "Bo",
            "session_1_date_time": "1 May 2023",
            "session_1": [
                {"speaker": "Ann", "dia_id": "D1:1", "text": "I adopted a grey cat named Miso."},
                {"speaker": "Bo", "dia_id": "D1:2", "text": "I am training for the Berlin marathon."},
                {"speaker": "Ann", "dia_id": "D1:3", "text": "My sister paints watercolour landscapes."},
            ],
        },
        "qa": [{"question": "What is the name of Ann's cat?", "answer": "Miso", "evidence": ["D1:1"], "category": 4}],
    }
    other = {**conv, "sample_id": "conv-30"}
    data = tmp_path / "mini.json"
    data.write_text(json.dumps([conv, other]))
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["bench", "locomo", "--data", str(data), "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["retrievers"]["engine"]["overall"]["recall"]["10"] == 1.0
    assert "bm25" in report["retrievers"]


def test_project_option_scopes_add_list_query_and_get() -> None:
    alpha = _json(["add", "alpha ships on tuesdays", "-u", "alice", "--project", "alpha"])
    beta = _json(["add", "beta ships on fridays", "-u", "alice", "-p", "beta"])
    assert isinstance(alpha, dict) and isinstance(beta, dict)
    listed = _json(["list", "-u", "alice", "--project", "alpha"])
    assert isinstance(listed, list) and [r["id"] for r in listed] == [alpha["id"]]
    assert listed[0]["project_id"] == "alpha"
    hits = _json(["query", "when does it ship", "-u", "alice", "-p", "beta"])
    assert isinstance(hits, list) and [h["id"] for h in hits] == [beta["id"]]
    result = runner.invoke(app, ["get", alpha["id"], "-u", "alice", "-p", "beta"])
    assert result.exit_code == 1 and "error:" in result.output and "not found" in result.output
