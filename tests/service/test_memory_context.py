"""A hit brings the memories its owner made just before and after it (the exchange it belongs to)."""

from __future__ import annotations

from pathlib import Path

from openmemory.config import Settings
from openmemory.engine.retrieve import RetrievalTuning
from openmemory.memory import Memory
from tests.service.conftest import Clock

FILLER = [
    "Groceries: oat milk, lemons and two loaves of rye",
    "The dentist moved the appointment to Thursday morning",
    "Car insurance renews in September, compare quotes first",
    "Tomato seedlings need repotting before the frost ends",
    "Paid the electricity bill through the bank portal",
    "The library book about volcanoes is due on Monday",
]


def _conversation(mem: Memory, clock: Clock, user_id: str, other: str | None = None) -> tuple[str, str]:
    """Filler, then a question turn and its answer turn (sharing no word with the question), then filler.

    When ``other`` is given, that user writes a memory between every two of ``user_id``'s.
    """
    ids = []
    exchange = ["Sam: what did you research last week?", "Ana: adoption agencies, a dream of mine"]
    turns = [*FILLER[:3], *exchange, *FILLER[3:]]
    for turn in turns:
        clock.now_ms += 1000
        ids.append(mem.add(turn, user_id=user_id).id)
        if other is not None:
            clock.now_ms += 1
            mem.add(f"{other} wrote: research notes on agencies {len(ids)}", user_id=other)
    return ids[3], ids[4]


def test_the_answer_after_a_matching_question_is_returned_with_it(mem: Memory, clock: Clock) -> None:
    question, answer = _conversation(mem, clock, "alice")
    hits = mem.query("What was the research about?", user_id="alice", k=3)
    assert hits[0].id == question
    (lifted,) = [h for h in hits if h.id == answer]
    assert lifted.parts.context > 0 and lifted.path == (question, answer)
    assert lifted.score < hits[0].score  # a neighbour never outranks the hit that brought it


def test_without_context_the_answer_is_not_found(tmp_path: Path, clock: Clock) -> None:
    tuning = RetrievalTuning(context_span=0)
    settings = Settings.load(embeddings="synthetic")
    with Memory(tmp_path / "m.sqlite", settings=settings, clock=clock, tuning=tuning) as mem:
        question, answer = _conversation(mem, clock, "alice")
        hits = mem.query("What was the research about?", user_id="alice", k=3)
        assert hits[0].id == question and answer not in [h.id for h in hits]


def test_neighbours_are_the_owners_own_even_when_others_wrote_in_between(mem: Memory, clock: Clock) -> None:
    question, answer = _conversation(mem, clock, "alice", other="bob")
    hits = mem.query("What was the research about?", user_id="alice", k=3)
    assert hits[0].id == question and answer in [h.id for h in hits]
    assert all(h.memory.user_id == "alice" for h in hits)
    bob_hits = mem.query("What was the research about?", user_id="bob", k=20)
    assert bob_hits and all(h.memory.user_id == "bob" for h in bob_hits)


def test_a_neighbour_outside_the_querys_filter_is_left_out(mem: Memory, clock: Clock) -> None:
    clock.now_ms += 1000
    question = mem.add("Sam: what did you research last week?", user_id="alice", tags=["chat"]).id
    clock.now_ms += 1000
    answer = mem.add("Ana: adoption agencies, a dream of mine", user_id="alice").id
    hits = mem.query("What was the research about?", user_id="alice", k=5, tags=["chat"])
    assert [h.id for h in hits] == [question]
    assert answer in [h.id for h in mem.query("What was the research about?", user_id="alice", k=5)]


def test_a_neighbour_from_another_project_stays_out_of_a_project_query(mem: Memory, clock: Clock) -> None:
    clock.now_ms += 1000
    question = mem.add("Sam: what did you research last week?", user_id="alice", project_id="p1").id
    clock.now_ms += 1000
    answer = mem.add("Ana: adoption agencies, a dream of mine", user_id="alice", project_id="p2").id
    assert [h.id for h in mem.query("What was the research about?", user_id="alice", k=5, project_id="p1")] == [
        question
    ]
    assert answer in [h.id for h in mem.query("What was the research about?", user_id="alice", k=5)]
