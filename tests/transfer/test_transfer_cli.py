"""`opm export|import --from jsonl` as a person or script uses them: files, pipes, --verify, clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openmemory.cli.app import app
from openmemory.config import Settings
from openmemory.memory import Memory

runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OM_EMBEDDINGS", "synthetic")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "source.sqlite"
    with Memory(settings=Settings.load(db_path=path, embeddings="synthetic")) as mem:
        mem.add_many(["Zoë moved to Lisbon in March", "Zoë drinks coffee"], user_id="zoë", tags=["ü"])
        mem.add("the system user's note")
        mem.add("bob likes tea", user_id="bob")
    return path


def _export(db: Path, out: Path, *more: str) -> None:
    result = runner.invoke(app, ["export", "--db", str(db), "--out", str(out), *more])
    assert result.exit_code == 0, result.output


def test_export_import_verify_through_the_cli(source: Path, tmp_path: Path) -> None:
    out, target = tmp_path / "all.jsonl", tmp_path / "target.sqlite"
    _export(source, out, "--with-vectors")
    result = runner.invoke(app, ["import", "--from", "jsonl", str(out), "--db", str(target), "--verify"])
    assert result.exit_code == 0, result.output
    assert "imported 4 memories, skipped 0 already present, failed 0" in result.output
    assert "verify zoë: ok: file 2, store 2" in result.output
    again = runner.invoke(app, ["import", "--from", "jsonl", str(out), "--db", str(target)])
    assert "imported 0 memories, skipped 4 already present" in again.output
    with Memory(settings=Settings.load(db_path=target, embeddings="synthetic")) as mem:
        assert {m.content for m in mem.list(user_id="zoë")} == {"Zoë moved to Lisbon in March", "Zoë drinks coffee"}
        assert mem.list()[0].content == "the system user's note"


def test_export_to_standard_output_pipes_into_import(source: Path, tmp_path: Path) -> None:
    exported = runner.invoke(app, ["export", "--db", str(source), "--user", "zoë"])
    assert exported.exit_code == 0
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert lines[0]["format"] == "openmemory-jsonl" and lines[0]["users"] == ["zoë"]
    assert {line.get("user_id") for line in lines[1:-1]} == {"zoë"} and lines[-1]["kind"] == "end"
    target = tmp_path / "target.sqlite"
    result = runner.invoke(app, ["import", "--from", "jsonl", "-", "--db", str(target)], input=exported.stdout)
    assert result.exit_code == 0 and "imported 2 memories" in result.output


def test_verify_lists_what_differs(source: Path, tmp_path: Path) -> None:
    out, target = tmp_path / "all.jsonl", tmp_path / "target.sqlite"
    _export(source, out)
    runner.invoke(app, ["import", "--from", "jsonl", str(out), "--db", str(target)])
    with Memory(settings=Settings.load(db_path=target, embeddings="synthetic")) as mem:
        changed = mem.list(user_id="zoë")[0]
        mem.update(changed.memory_id, user_id="zoë", content="Zoë moved to Porto")
    result = runner.invoke(app, ["import", "--from", "jsonl", str(out), "--db", str(target), "--verify"])
    assert result.exit_code == 1
    assert "verify zoë: DIFFERS: file 2, store 2, missing 0, differing 1" in result.output
    assert changed.memory_id in result.output and "verify bob: ok" in result.output


def _good_lines(source: Path, tmp_path: Path) -> list[str]:
    out = tmp_path / "good.jsonl"
    _export(source, out, "--with-vectors")
    return out.read_text(encoding="utf-8").splitlines()


BAD_FILES = {
    "foreign": (lambda lines: ['[{"memory": "from mem0", "user_id": "alice"}]'], "is not an OpenMemory export"),
    "newer": (lambda lines: [lines[0].replace('"version":1', '"version":2'), *lines[1:]], "version 2; this"),
    "truncated": (lambda lines: lines[:-1], "ends before its end line: the file is truncated"),
    "cut mid-line": (lambda lines: [*lines[:-2], lines[-2][:40]], "line 7 is not valid JSON"),
    "missing field": (lambda lines: [*lines[:3], lines[3].replace('"content":', '"contents":'), *lines[4:]],
                      "line 4: memory record has no field 'content'"),
    "bad vector": (lambda lines: [*lines[:3], lines[3].replace('"mean":"', '"mean":"!'), *lines[4:]],
                   "line 4: memory record is malformed"),
    "empty": (lambda lines: [], "is empty"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_with_one_line_and_nothing_imported(source: Path, tmp_path: Path, case: str) -> None:
    change, message = BAD_FILES[case]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(change(_good_lines(source, tmp_path))) + "\n", encoding="utf-8")
    target = tmp_path / "target.sqlite"
    result = runner.invoke(app, ["import", "--from", "jsonl", str(bad), "--db", str(target)])
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and message in result.output, result.output
    with Memory(settings=Settings.load(db_path=target, embeddings="synthetic")) as mem:
        assert mem.users() == []


def test_not_utf8_and_unknown_source_are_refused(source: Path, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(b'{"format": "openmemory-jsonl", "caf\xe9": 1}\n')
    result = runner.invoke(app, ["import", "--from", "jsonl", str(bad), "--db", str(tmp_path / "t.sqlite")])
    assert result.exit_code == 1 and "line 1 is not UTF-8" in result.output
    result = runner.invoke(app, ["import", "--from", "csv", str(bad)])
    assert result.exit_code == 2 and "--from must be one of" in result.output and "jsonl" in result.output
