"""benchmarks/locomo_variants.py: the research script behind docs/benchmarks.md's issue-13 rows keeps running,
and its `current` row is the engine's own score, as `opm bench locomo` would give it on the same file."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from openmemory.bench.engine import MemoryRetriever
from openmemory.bench.locomo import evaluate, load_locomo
from openmemory.config import Settings
from openmemory.memory import Memory

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "locomo_variants.py"
FILLER = ["long", "fun", "odd", "loud", "brief", "great", "slow"]
TOPICS = ["pottery class", "marathon in Boston", "adoption agencies", "a horse painting", "camping at the beach"]


def _conversation(sample_id: str) -> dict[str, Any]:
    """Each topic once, in Ann's turn, among small talk that names Ann and a topic's words, so that recall@10
    depends on the ranking (the questions ask about a topic in other words)."""
    turns = []
    for i, topic in enumerate(TOPICS * 6):
        if i < len(TOPICS):
            text, speaker = f"Guess what I did last week: {topic}!", "Ann"
        else:
            text, speaker = f"Ann, the {topic.split()[-1]} talk was {FILLER[i % len(FILLER)]}.", "Bob"
        turns.append({"speaker": speaker, "dia_id": f"D1:{i + 1}", "text": text})
    qa = [
        {
            "question": f"What did Ann do with the {t.split()[0]}?",
            "answer": "x",
            "evidence": [f"D1:{i + 1}"],
            "category": c,
        }
        for i, (t, c) in enumerate(zip(TOPICS, [1, 2, 3, 4, 1], strict=True))
    ]
    conversation = {"speaker_a": "Ann", "speaker_b": "Bob", "session_1_date_time": "8 May, 2023", "session_1": turns}
    return {"sample_id": sample_id, "conversation": conversation, "qa": qa}


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, float]:
    spec = importlib.util.spec_from_file_location("locomo_variants", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "argv", ["locomo_variants.py", *argv])
    module.main()
    rows = {}
    for line in capsys.readouterr().out.splitlines():
        name, overall = re.match(r"(\S+)\s+overall (\d\.\d{3})", line).groups()  # type: ignore[union-attr]
        rows[name] = float(overall)
    return rows


VARIANTS = [
    "current", "context-off", "old-sectors", "old-sectors-context-off", "context:5,2,0.75", "mmr:0.1",
    "coverage:0.02", "entities:3,0.75,20,1", "speaker:0.02", "exchange-lexical:0,1,0.2", "exchange-dense:0,1,0.5",
    "lexical-power:1.5", "stopwords:likely+would", "tau:2", "declarative",
    "words:0.55,0.3", "old-sectors&speaker:0.02",
]  # fmt: skip


def test_every_variant_runs_and_current_is_the_engines_score(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OM_EMBEDDINGS", "synthetic")
    data = tmp_path / "locomo.json"
    data.write_text(json.dumps([_conversation("conv-a"), _conversation("conv-b")]))
    rows = _run(
        monkeypatch, capsys, ["--data", str(data), "--split", "all", "--db", str(tmp_path / "v.sqlite"), *VARIANTS]
    )
    assert list(rows) == VARIANTS
    assert all(0.0 <= value <= 1.0 for value in rows.values())
    conversations = load_locomo(data, split="all")
    with Memory(tmp_path / "bench.sqlite", settings=Settings.load(embeddings="synthetic")) as mem:
        report = evaluate(conversations, {"engine": MemoryRetriever(mem)})
    assert rows["current"] == round(report.retrievers[0].overall.recall[10], 3)
    # a second run reuses the indexed file and gives the same figures
    assert _run(
        monkeypatch, capsys, ["--data", str(data), "--split", "all", "--db", str(tmp_path / "v.sqlite"), "current"]
    ) == {"current": rows["current"]}


def test_an_unknown_variant_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "locomo.json"
    data.write_text(json.dumps([_conversation("conv-a")]))
    with pytest.raises(SystemExit, match="unknown variant 'rm3'"):
        _run(monkeypatch, capsys, ["--data", str(data), "--split", "all", "--db", str(tmp_path / "v.sqlite"), "rm3"])
    assert not (tmp_path / "v.sqlite").exists()
