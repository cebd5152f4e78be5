"""The query's sector only penalises memories of other sectors when the query says something about its sector."""

from __future__ import annotations

from openmemory.engine.classify import sector_scores
from openmemory.memory import Memory


def test_a_plain_question_does_not_penalise_emotional_memories(mem: Memory) -> None:
    feeling = mem.add("Melanie: pottery class is awesome, I love it so much!", user_id="alice")
    fact = mem.add("Melanie: the pottery class meets on Tuesdays", user_id="alice")
    question = "Which pottery course did Melanie pick?"
    assert not any(sector_scores(question).values())  # no sector pattern: the classifier's "semantic" is a guess
    assert mem.get(feeling.id, user_id="alice").primary_sector == "emotional"
    hits = {h.id: h for h in mem.query(question, user_id="alice", k=5)}
    assert hits[feeling.id].parts.sector_penalty == 1.0 and hits[fact.id].parts.sector_penalty == 1.0


def test_a_question_with_a_sector_still_prefers_that_sector(mem: Memory) -> None:
    feeling = mem.add("That printer made me so angry, I hate it!", user_id="alice")
    steps = mem.add("To install the printer, run the setup tool and then select the driver", user_id="alice")
    hits = {h.id: h for h in mem.query("How to install the printer?", user_id="alice", k=5)}
    assert hits[steps.id].parts.sector_penalty == 1.0
    assert hits[feeling.id].parts.sector_penalty < 1.0
