"""LoCoMo evidence recall: load the conversations, ask every retriever, score the gold turns it finds.

The protocol is `shared/bench/README.md`: one conversation is one user, one dialog turn is one memory, the
question text is the query, and a question is answered when the retriever ranks its evidence turns (`dia_id`)
high. No LLM is involved. The data (CC BY-NC 4.0) is never shipped; the user passes the path of
`locomo10.json` or of the dev split.

    conversations = load_locomo(Path("locomo10.json"), split="dev")
    report = evaluate(conversations, {"bm25": BM25Retriever()})
    print(report_to_json(report)["retrievers"]["bm25"]["overall"]["recall"]["10"])
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from rich.table import Table

from openmemory.errors import InvalidInput, SourceFormatError

Split = Literal["dev", "all"]

# The first two of locomo10.json's ten conversations; the other eight are held out and tune nothing.
DEV_CONVERSATION_IDS = ("conv-26", "conv-30")
ADVERSARIAL_CATEGORY = 5
CATEGORY_NAMES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
DEFAULT_KS = (1, 5, 10, 20)
NDCG_K = 10

_EVIDENCE_SEPARATOR = re.compile(r"[;\s]+")
_DIA_ID = re.compile(r"D(\d+):(\d+)")
_SESSION_KEY = re.compile(r"session_(\d+)")

ProgressCallback = Callable[[str, int, int], None]
"""Called as `progress(description, done, total)` after each question; `total` spans every retriever."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One dialog turn, stored as one memory: `text` is `"{speaker}: {text}"` plus any image caption."""

    dia_id: str
    text: str
    speaker: str
    session: int
    session_date: str


@dataclass(frozen=True, slots=True)
class Question:
    """One scored question; `evidence` holds the normalised dia_ids that exist in its conversation."""

    question_id: str
    text: str
    category: int
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Conversation:
    """One LoCoMo conversation, which the benchmark treats as one user."""

    conversation_id: str
    turns: tuple[Turn, ...]
    questions: tuple[Question, ...]
    excluded_questions: int
    """Non-adversarial questions dropped because no evidence id survived hygiene."""


class Retriever(Protocol):
    """A system under test: indexes one conversation's turns, then ranks them for a question."""

    def index(self, conversation_id: str, turns: Sequence[Turn]) -> None: ...

    def search(self, conversation_id: str, question: str, k: int) -> list[str]:
        """Return at most `k` dia_ids of `conversation_id`, best first."""
        ...


@dataclass(frozen=True, slots=True)
class Scores:
    """Mean metrics over a group of questions; the mappings are keyed by k."""

    questions: int
    evidence_any: Mapping[int, float]
    evidence_all: Mapping[int, float]
    recall: Mapping[int, float]
    ndcg_at_10: float


@dataclass(frozen=True, slots=True)
class RetrieverReport:
    """One retriever's scores, overall and per category name, with its timings."""

    name: str
    overall: Scores
    by_category: Mapping[str, Scores]
    index_s: float
    query_p50_ms: float
    query_p95_ms: float


@dataclass(frozen=True, slots=True)
class Report:
    """The result of one `evaluate` run: every retriever scored on the same questions."""

    conversation_ids: tuple[str, ...]
    turns: int
    questions: int
    excluded_questions: int
    ks: tuple[int, ...]
    retrievers: tuple[RetrieverReport, ...]


def load_locomo(path: Path, split: Split = "all") -> list[Conversation]:
    """Read `locomo10.json` (or a subset of its conversations) and apply the evidence hygiene.

    `split="dev"` keeps conversations conv-26 and conv-30; `"all"` keeps every conversation in the file.
    Raises `InvalidInput` when the file cannot be read and `SourceFormatError` when it is not LoCoMo.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read LoCoMo file {path}: {exc.strerror or exc}", field="data") from exc
    except json.JSONDecodeError as exc:
        raise SourceFormatError(f"{path} is not JSON ({exc}); pass locomo10.json or its dev split") from exc
    if not isinstance(raw, list):
        found = type(raw).__name__
        raise SourceFormatError(f"{path}: expected a list of LoCoMo conversations, found {found}")
    try:
        conversations = [_parse_conversation(item) for item in raw]
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceFormatError(f"{path}: not a LoCoMo conversation file ({exc!r})") from exc
    if split == "all":
        return conversations
    dev = [c for c in conversations if c.conversation_id in DEV_CONVERSATION_IDS]
    missing = sorted(set(DEV_CONVERSATION_IDS) - {c.conversation_id for c in dev})
    if missing:
        raise SourceFormatError(f"{path} lacks dev conversations {', '.join(missing)}; use --split all")
    return dev


def normalise_evidence(evidence: Iterable[str], known_ids: Iterable[str]) -> tuple[str, ...]:
    """Turn LoCoMo evidence strings into distinct, existing dia_ids without zero padding (D30:05 -> D30:5)."""
    known = set(known_ids)
    found: dict[str, None] = {}
    for entry in evidence:
        for part in _EVIDENCE_SEPARATOR.split(str(entry)):
            match = _DIA_ID.fullmatch(part)
            if match is None:
                continue
            dia_id = f"D{int(match[1])}:{int(match[2])}"
            if dia_id in known:
                found[dia_id] = None
    return tuple(found)


def _parse_conversation(item: Any) -> Conversation:
    conversation_id = str(item["sample_id"])
    turns = _parse_turns(item["conversation"])
    known_ids = [turn.dia_id for turn in turns]
    questions: list[Question] = []
    excluded = 0
    for number, entry in enumerate(item["qa"]):
        category = int(entry["category"])
        if category == ADVERSARIAL_CATEGORY:
            continue
        evidence = normalise_evidence(entry.get("evidence") or (), known_ids)
        if not evidence:
            excluded += 1
            continue
        question_id = f"{conversation_id}/q{number}"
        questions.append(Question(question_id, str(entry["question"]), category, evidence))
    return Conversation(conversation_id, tuple(turns), tuple(questions), excluded)


def _parse_turns(sessions: Mapping[str, Any]) -> list[Turn]:
    numbered = []
    for key, value in sessions.items():
        match = _SESSION_KEY.fullmatch(key)
        # Some files carry session_N_date_time keys for sessions that have no turns.
        if match is not None and isinstance(value, list):
            numbered.append((int(match[1]), value))
    turns = []
    for session, raw_turns in sorted(numbered):
        session_date = str(sessions.get(f"session_{session}_date_time", ""))
        for raw in raw_turns:
            speaker = str(raw["speaker"])
            text = f"{speaker}: {raw['text']}"
            if raw.get("blip_caption"):
                text += f" [shares {raw['blip_caption']}]"
            turns.append(Turn(_normalise_dia_id(str(raw["dia_id"])), text, speaker, session, session_date))
    return turns


def _normalise_dia_id(dia_id: str) -> str:
    match = _DIA_ID.fullmatch(dia_id.strip())
    return dia_id if match is None else f"D{int(match[1])}:{int(match[2])}"


def recall_at(ranked: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Fraction of the gold ids found in the first `k` distinct ranked ids."""
    return len(set(list(dict.fromkeys(ranked))[:k]) & set(gold)) / len(gold)


def ndcg_at(ranked: Sequence[str], gold: Sequence[str], k: int) -> float:
    """Binary-relevance NDCG of the first `k` distinct ranked ids against the gold ids."""
    relevant = set(gold)
    distinct = list(dict.fromkeys(ranked))[:k]
    dcg = sum(1 / math.log2(rank + 2) for rank, dia_id in enumerate(distinct) if dia_id in relevant)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(len(relevant), k)))
    return dcg / ideal


@dataclass(frozen=True, slots=True)
class _Outcome:
    category: int
    recall: Mapping[int, float]
    ndcg: float


def evaluate(
    conversations: Sequence[Conversation],
    retrievers: Mapping[str, Retriever],
    ks: Sequence[int] = DEFAULT_KS,
    progress: ProgressCallback | None = None,
) -> Report:
    """Index every conversation in every retriever, ask each scored question, and average the metrics.

    Each retriever is asked once per question for `max(ks, 10)` ids; duplicate ids in its answer count once.
    """
    ks = tuple(sorted(set(ks)))
    if not ks or ks[0] < 1:
        raise InvalidInput(f"ks must be positive cut-offs, got {ks!r}", field="ks")
    depth = max(*ks, NDCG_K)
    total = sum(len(c.questions) for c in conversations) * len(retrievers)
    done = 0
    reports = []
    for name, retriever in retrievers.items():
        outcomes: list[_Outcome] = []
        index_s = 0.0
        latencies_ms: list[float] = []
        for conversation in conversations:
            started = time.perf_counter()
            retriever.index(conversation.conversation_id, conversation.turns)
            index_s += time.perf_counter() - started
            for question in conversation.questions:
                started = time.perf_counter()
                answer = retriever.search(conversation.conversation_id, question.text, depth)
                latencies_ms.append((time.perf_counter() - started) * 1000)
                ranked = list(dict.fromkeys(answer))[:depth]
                outcomes.append(
                    _Outcome(
                        question.category,
                        {k: recall_at(ranked, question.evidence, k) for k in ks},
                        ndcg_at(ranked, question.evidence, NDCG_K),
                    )
                )
                done += 1
                if progress is not None:
                    progress(f"{name} {conversation.conversation_id}", done, total)
        reports.append(_summarise(name, outcomes, ks, index_s, latencies_ms))
    return Report(
        conversation_ids=tuple(c.conversation_id for c in conversations),
        turns=sum(len(c.turns) for c in conversations),
        questions=sum(len(c.questions) for c in conversations),
        excluded_questions=sum(c.excluded_questions for c in conversations),
        ks=ks,
        retrievers=tuple(reports),
    )


def _summarise(
    name: str, outcomes: Sequence[_Outcome], ks: tuple[int, ...], index_s: float, latencies_ms: list[float]
) -> RetrieverReport:
    by_category = {
        label: _mean_scores([o for o in outcomes if o.category == category], ks)
        for category, label in CATEGORY_NAMES.items()
        if any(o.category == category for o in outcomes)
    }
    p50, p95 = (statistics.median(latencies_ms), _percentile(latencies_ms, 0.95)) if latencies_ms else (0.0, 0.0)
    return RetrieverReport(name, _mean_scores(outcomes, ks), by_category, index_s, p50, p95)


def _mean_scores(outcomes: Sequence[_Outcome], ks: tuple[int, ...]) -> Scores:
    count = len(outcomes)

    def mean(values: Iterable[float]) -> float:
        return sum(values) / count if count else 0.0

    return Scores(
        questions=count,
        evidence_any={k: mean(float(o.recall[k] > 0) for o in outcomes) for k in ks},
        evidence_all={k: mean(float(o.recall[k] == 1) for o in outcomes) for k in ks},
        recall={k: mean(o.recall[k] for o in outcomes) for k in ks},
        ndcg_at_10=mean(o.ndcg for o in outcomes),
    )


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def render_report(report: Report) -> list[Table]:
    """Build rich tables: one headline table across retrievers, then one per-category table per retriever."""
    caption = (
        f"LoCoMo evidence recall: {', '.join(report.conversation_ids)}; {report.turns} turns, "
        f"{report.questions} questions ({report.excluded_questions} excluded for lack of evidence)"
    )
    headline = Table(title="LoCoMo evidence recall", caption=caption)
    headline.add_column("retriever")
    for k in report.ks:
        headline.add_column(f"recall@{k}", justify="right")
    headline.add_column(f"any@{NDCG_K}", justify="right")
    headline.add_column(f"all@{NDCG_K}", justify="right")
    headline.add_column(f"ndcg@{NDCG_K}", justify="right")
    headline.add_column("query p50 ms", justify="right")
    for result in report.retrievers:
        overall = result.overall
        headline.add_row(
            result.name,
            *(f"{overall.recall[k]:.3f}" for k in report.ks),
            _at(overall.evidence_any, NDCG_K),
            _at(overall.evidence_all, NDCG_K),
            f"{overall.ndcg_at_10:.3f}",
            f"{result.query_p50_ms:.2f}",
        )
    tables = [headline]
    for result in report.retrievers:
        table = Table(title=f"{result.name}: by category")
        table.add_column("category")
        table.add_column("questions", justify="right")
        for k in report.ks:
            table.add_column(f"recall@{k}", justify="right")
        table.add_column(f"any@{NDCG_K}", justify="right")
        table.add_column(f"all@{NDCG_K}", justify="right")
        table.add_column(f"ndcg@{NDCG_K}", justify="right")
        for label, scores in [*result.by_category.items(), ("overall", result.overall)]:
            table.add_row(
                label,
                str(scores.questions),
                *(f"{scores.recall[k]:.3f}" for k in report.ks),
                _at(scores.evidence_any, NDCG_K),
                _at(scores.evidence_all, NDCG_K),
                f"{scores.ndcg_at_10:.3f}",
            )
        tables.append(table)
    return tables


def _at(values: Mapping[int, float], k: int) -> str:
    return f"{values[k]:.3f}" if k in values else "-"


def report_to_json(report: Report) -> dict[str, Any]:
    """Turn a report into plain JSON data; metric mappings are keyed by k as a string."""
    return {
        "benchmark": "locomo-evidence-recall",
        "conversations": list(report.conversation_ids),
        "turns": report.turns,
        "questions": report.questions,
        "excluded_questions": report.excluded_questions,
        "ks": list(report.ks),
        "retrievers": {
            result.name: {
                "overall": _scores_to_json(result.overall),
                "by_category": {label: _scores_to_json(s) for label, s in result.by_category.items()},
                "index_s": round(result.index_s, 3),
                "query_p50_ms": round(result.query_p50_ms, 3),
                "query_p95_ms": round(result.query_p95_ms, 3),
            }
            for result in report.retrievers
        },
    }


def _scores_to_json(scores: Scores) -> dict[str, Any]:
    return {
        "questions": scores.questions,
        "evidence_any": {str(k): v for k, v in scores.evidence_any.items()},
        "evidence_all": {str(k): v for k, v in scores.evidence_all.items()},
        "recall": {str(k): v for k, v in scores.recall.items()},
        "ndcg@10": scores.ndcg_at_10,
    }
