"""Property: another user's memories never change what a user's query returns, nor any score in it.

Isolation (tests/service/test_isolation.py) says another user's memories never show up; this says they never
move anything either. Every expansion of a query is built from the asking user's memories alone: the lexical
statistics (per-owner BM25), the waypoint graph, the neighbours in time that a hit brings (engine/context.py)
and the sector of each memory. So a user's results over a database shared with others, whatever the others
wrote and whenever they wrote it, are exactly the results over a database of that user alone.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmemory.config import Settings
from openmemory.memory import Memory
from tests.service.conftest import Clock

START_MS = 1_795_000_000_000
WORDS = ["jazz", "lisbon", "garden", "pasta", "chess", "piano", "hiking", "taxes", "cat", "boat", "wow", "great"]

texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)
# Each of alice's memories, and how many of bob's (0-3, sharing alice's words) are written right after it.
timelines = st.lists(st.tuples(texts, st.lists(texts, max_size=3)), min_size=1, max_size=12)


def _results(path: Path, timeline: list[tuple[str, list[str]]], probe: str, with_bob: bool) -> list[tuple[str, float]]:
    clock = Clock()
    settings = Settings.load(embeddings="synthetic", vec_dim=64)
    with Memory(path, settings=settings, clock=clock) as mem:
        for step, (text, others) in enumerate(timeline):
            clock.now_ms = START_MS + step * 60_000  # alice's memories have the same times in both databases
            mem.add(text, user_id="alice")
            for other in others if with_bob else []:
                clock.now_ms += 1
                mem.add(other, user_id="bob")
        clock.now_ms = START_MS + 86_400_000
        hits = mem.query(probe, user_id="alice", k=50, reinforce=False)
    return sorted((h.memory.content, round(h.score, 12)) for h in hits)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(timeline=timelines, probe=texts)
def test_another_users_memories_change_nothing_in_a_users_results(
    tmp_path_factory: object, timeline: list[tuple[str, list[str]]], probe: str
) -> None:
    base = Path(tmp_path_factory.mktemp("own"))  # type: ignore[attr-defined]
    alone = _results(base / "alone.sqlite", timeline, probe, with_bob=False)
    shared = _results(base / "shared.sqlite", timeline, probe, with_bob=True)
    assert shared == alone
