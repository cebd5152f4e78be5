import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from openmemory.bench.locomo import (
    Conversation,
    Question,
    Turn,
    evaluate,
    load_locomo,
    ndcg_at,
    normalise_evidence,
    render_report,
    report_to_json,
)
from openmemory.errors import InvalidInput, SourceFormatError

DEV_FILE = Path(__file__).resolve().parents[2] / ".." / "shared" / "bench" / "locomo-dev.json"


def _turn(dia_id: str, speaker: str, text: str, **extra: str) -> dict[str, str]:
    return {"speaker": speaker, "dia_id": dia_id, "text": text, **extra}


def _qa(question: str, evidence: list[str], category: int) -> dict[str, Any]:
    return {"question": question, "answer": "x", "evidence": evidence, "category": category}


def _sample(sample_id: str = "conv-26") -> dict[str, Any]:
    return {
        "sample_id": sample_id,
        "conversation": {
            "speaker_a": "Ann",
            "speaker_b": "Bob",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                _turn("D1:1", "Ann", "I adopted a puppy named Rex."),
                _turn("D1:2", "Bob", "Look at my garden!", blip_caption="a photo of red tulips"),
            ],
            "session_2_date_time": "2:00 pm on 9 May, 2023",
            "session_2": [
                _turn("D2:1", "Ann", "Rex chewed my shoes."),
                _turn("D2:10", "Bob", "I ran a marathon in Boston."),
            ],
            # LoCoMo carries dates for sessions that have no turns.
            "session_3_date_time": "3:00 pm on 10 May, 2023",
        },
        "qa": [
            _qa("What is the puppy called?", ["D1:1"], 4),
            _qa("Where was the marathon?", ["D02:010"], 2),
            _qa("What did Rex do?", ["D1:1; D2:1", "D9:9"], 1),
            _qa("Is Bob kind?", [], 3),
            _qa("Unknown ids only", ["D7:1", "nonsense"], 4),
            _qa("Adversarial", ["D1:2"], 5),
        ],
    }


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "locomo.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_turns_carry_speaker_caption_dia_id_and_session_date(tmp_path: Path) -> None:
    (conversation,) = load_locomo(_write(tmp_path, [_sample()]))

    assert [t.dia_id for t in conversation.turns] == ["D1:1", "D1:2", "D2:1", "D2:10"]
    assert conversation.turns[0].text == "Ann: I adopted a puppy named Rex."
    assert conversation.turns[1].text == "Bob: Look at my garden! [shares a photo of red tulips]"
    assert conversation.turns[2] == Turn("D2:1", "Ann: Rex chewed my shoes.", "Ann", 2, "2:00 pm on 9 May, 2023")


def test_evidence_hygiene_normalises_padding_and_drops_unknown_ids(tmp_path: Path) -> None:
    (conversation,) = load_locomo(_write(tmp_path, [_sample()]))

    evidence = {q.text: q.evidence for q in conversation.questions}
    assert evidence == {
        "What is the puppy called?": ("D1:1",),
        "Where was the marathon?": ("D2:10",),
        "What did Rex do?": ("D1:1", "D2:1"),
    }


def test_questions_without_surviving_evidence_are_excluded_and_counted(tmp_path: Path) -> None:
    (conversation,) = load_locomo(_write(tmp_path, [_sample()]))

    assert len(conversation.questions) == 3
    assert conversation.excluded_questions == 2
    assert all(q.category != 5 for q in conversation.questions)


def test_normalise_evidence_splits_on_semicolons_and_whitespace() -> None:
    known = ["D30:5", "D8:6", "D9:17"]

    assert normalise_evidence(["D30:05", "D8:6; D9:17", "D8:6"], known) == ("D30:5", "D8:6", "D9:17")
    assert normalise_evidence(["D31:1", "see D30"], known) == ()


def test_dev_split_keeps_only_the_two_dev_conversations(tmp_path: Path) -> None:
    path = _write(tmp_path, [_sample("conv-26"), _sample("conv-30"), _sample("conv-41")])

    assert [c.conversation_id for c in load_locomo(path, split="dev")] == ["conv-26", "conv-30"]
    assert len(load_locomo(path, split="all")) == 3


def test_dev_split_of_a_file_without_dev_conversations_names_them(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="conv-30"):
        load_locomo(_write(tmp_path, [_sample("conv-26")]), split="dev")


@pytest.mark.parametrize("content", ["not json", '{"sample_id": 1}', '[{"qa": []}]'])
def test_a_file_that_is_not_locomo_raises_source_format_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(SourceFormatError):
        load_locomo(path)


def test_a_missing_file_raises_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        load_locomo(tmp_path / "absent.json")


def _conversation() -> Conversation:
    turns = tuple(Turn(f"D1:{n}", f"A: turn {n}", "A", 1, "") for n in range(1, 31))
    questions = (
        Question("c/q0", "one", 4, ("D1:3",)),
        Question("c/q1", "two", 1, ("D1:5", "D1:25")),
    )
    return Conversation("c", turns, questions, excluded_questions=1)


class _Oracle:
    """Ranks each question's gold turns first: the best any retriever can do."""

    def __init__(self, conversation: Conversation) -> None:
        self.gold = {q.text: list(q.evidence) for q in conversation.questions}

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        self.dia_ids = [t.dia_id for t in turns]

    def search(self, conversation_id: str, question: str, k: int) -> list[str]:
        gold = self.gold[question]
        return (gold + [d for d in self.dia_ids if d not in gold])[:k]


class _Silent:
    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        pass

    def search(self, conversation_id: str, question: str, k: int) -> list[str]:
        return []


class _Fixed:
    """Answers every question with the same ranking."""

    def __init__(self, ranking: list[str]) -> None:
        self.ranking = ranking

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None:
        pass

    def search(self, conversation_id: str, question: str, k: int) -> list[str]:
        return self.ranking[:k]


def test_a_perfect_retriever_scores_one_everywhere() -> None:
    conversation = _conversation()
    report = evaluate([conversation], {"oracle": _Oracle(conversation)}, ks=(5, 10, 20))

    (result,) = report.retrievers
    for scores in [result.overall, *result.by_category.values()]:
        assert scores.ndcg_at_10 == pytest.approx(1.0)
        for metric in (scores.recall, scores.evidence_any, scores.evidence_all):
            assert metric == {5: 1.0, 10: 1.0, 20: 1.0}


def test_at_k_1_a_two_turn_question_can_only_be_half_found() -> None:
    conversation = _conversation()
    report = evaluate([conversation], {"oracle": _Oracle(conversation)}, ks=(1,))

    overall = report.retrievers[0].overall
    assert (overall.recall[1], overall.evidence_any[1], overall.evidence_all[1]) == (0.75, 1.0, 0.5)


def test_a_retriever_that_returns_nothing_scores_zero() -> None:
    report = evaluate([_conversation()], {"silent": _Silent()})

    overall = report.retrievers[0].overall
    assert overall.ndcg_at_10 == 0.0
    for metric in (overall.recall, overall.evidence_any, overall.evidence_all):
        assert set(metric.values()) == {0.0}


def test_partial_rankings_give_known_recall_and_ndcg() -> None:
    # Gold of q0 (D1:3) at rank 2; of q1, D1:5 at rank 4 and D1:25 at rank 13.
    ranking = ["D1:1", "D1:3", "D1:2", "D1:5", *[f"D1:{n}" for n in range(6, 13)], "D1:4", "D1:25"]
    report = evaluate([_conversation()], {"fixed": _Fixed(ranking)})

    result = report.retrievers[0]
    q0_ndcg = 1 / math.log2(3)
    q1_ndcg = (1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert result.overall.ndcg_at_10 == pytest.approx((q0_ndcg + q1_ndcg) / 2)
    assert result.overall.recall == {1: 0.0, 5: 0.75, 10: 0.75, 20: 1.0}
    assert result.overall.evidence_any == {1: 0.0, 5: 1.0, 10: 1.0, 20: 1.0}
    assert result.overall.evidence_all == {1: 0.0, 5: 0.5, 10: 0.5, 20: 1.0}
    assert result.by_category["multi-hop"].recall[10] == 0.5


def test_a_repeated_id_counts_once_and_takes_no_slot() -> None:
    assert ndcg_at(["D1:1", "D1:1", "D1:2"], ["D1:1", "D1:2"], 10) == pytest.approx(1.0)
    report = evaluate([_conversation()], {"dup": _Fixed(["D1:3", "D1:3", "D1:5"])}, ks=(2,))

    assert report.retrievers[0].by_category["multi-hop"].recall == {2: 0.5}


def test_progress_reports_every_question_of_every_retriever() -> None:
    calls: list[tuple[str, int, int]] = []

    evaluate([_conversation()], {"a": _Silent(), "b": _Silent()}, progress=lambda *a: calls.append(a))

    assert [(done, total) for _, done, total in calls] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert calls[0][0] == "a c" and calls[-1][0] == "b c"


def test_report_renders_as_tables_and_json() -> None:
    conversation = _conversation()
    report = evaluate([conversation], {"oracle": _Oracle(conversation), "silent": _Silent()})

    tables = render_report(report)
    data = report_to_json(report)

    assert len(tables) == 3
    assert data["questions"] == 2 and data["excluded_questions"] == 1 and data["turns"] == 30
    assert data["retrievers"]["oracle"]["overall"]["recall"]["10"] == 1.0
    assert data["retrievers"]["silent"]["by_category"]["multi-hop"]["questions"] == 1
    json.dumps(data)


@pytest.mark.skipif(not DEV_FILE.exists(), reason=f"LoCoMo dev split not found at {DEV_FILE}")
def test_dev_split_has_the_documented_counts() -> None:
    conversations = load_locomo(DEV_FILE, split="dev")

    assert [c.conversation_id for c in conversations] == ["conv-26", "conv-30"]
    assert sum(len(c.turns) for c in conversations) == 788
    assert sum(len(c.questions) for c in conversations) == 231
    assert sum(c.excluded_questions for c in conversations) == 2
