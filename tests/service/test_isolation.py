"""Property: nothing of one user ever reaches another user's reads, results, counts, summaries or errors."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmemory.config import Settings
from openmemory.errors import NotFound
from openmemory.memory import Memory

USERS = ["alice", "bob", None]
WORDS = ["jazz", "lisbon", "garden", "pasta", "chess", "piano", "hiking", "taxes", "cat", "boat", "secret"]

texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)
adds = st.lists(st.tuples(st.sampled_from(USERS), texts), min_size=1, max_size=25)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=adds, probe=texts)
def test_no_user_sees_another_users_memories(tmp_path_factory: object, items: list, probe: str) -> None:
    path = Path(tmp_path_factory.mktemp("iso")) / "m.sqlite"  # type: ignore[attr-defined]
    with Memory(path, settings=Settings.load(embeddings="synthetic", vec_dim=64)) as mem:
        owner_of: dict[str, str | None] = {}
        for user, text in items:
            r = mem.add(text, user_id=user)
            owner_of.setdefault(r.id, user)
        for user in USERS:
            mine = {m for m, o in owner_of.items() if o == user}
            listed = {r.id for r in mem.list(user_id=user, limit=1000)}
            assert listed == mine
            assert mem.count(user_id=user) == len(mine)
            for hit in mem.query(probe, user_id=user, k=50):
                assert hit.id in mine
                assert set(hit.path) <= mine  # waypoint paths stay inside the user's graph
            for memory_id, owner in owner_of.items():
                if owner != user:
                    try:
                        mem.get(memory_id, user_id=user)
                    except NotFound as exc:
                        assert str(exc) == f"memory {memory_id!r} not found"
                    else:
                        raise AssertionError("read another user's memory")
            if user is not None:
                summary = mem.user_summary(user)
                for memory_id, owner in owner_of.items():
                    if owner != user:
                        other = mem.get(memory_id, user_id=owner).content
                        if not any(other == mem.get(m, user_id=user).content for m in mine):
                            assert f'"{other}"' not in summary
