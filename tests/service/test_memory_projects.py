"""Project scoping through the Python API: upstream's visibility rule, inside one owner's data only."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmemory.config import Settings
from openmemory.errors import InvalidInput, NotFound
from openmemory.memory import Memory
from openmemory.models import SYSTEM_GLOBAL
from openmemory.store import open_store

PROJECTS = ["alpha", "beta", SYSTEM_GLOBAL, None]
USERS = ["alice", "bob"]
WORDS = ["deploy", "kettle", "garden", "invoice", "chess", "piano", "release", "taxes"]


def test_a_project_sees_its_own_global_and_unscoped_memories(mem: Memory) -> None:
    alpha = mem.add("alpha deploys with kubernetes", user_id="alice", project_id="alpha").id
    beta = mem.add("beta deploys with nomad", user_id="alice", project_id="beta").id
    shared = mem.add("we deploy on fridays", user_id="alice", project_id=SYSTEM_GLOBAL).id
    loose = mem.add("deploys make me nervous", user_id="alice").id
    mem.add("bob deploys alpha too", user_id="bob", project_id="alpha")
    assert {h.id for h in mem.query("deploy", user_id="alice", project_id="alpha")} == {alpha, shared, loose}
    assert {r.id for r in mem.list(user_id="alice", project_id="beta")} == {beta, shared, loose}
    assert {r.id for r in mem.list(user_id="alice")} == {alpha, beta, shared, loose}
    assert mem.count(user_id="alice", project_id="gamma") == 2
    assert mem.get(alpha, user_id="alice").project_id == "alpha"
    assert mem.get(shared, user_id="alice", project_id="beta").id == shared
    with pytest.raises(NotFound):
        mem.get(alpha, user_id="alice", project_id="beta")
    with pytest.raises(NotFound):
        mem.delete(alpha, user_id="alice", project_id="beta")
    mem.delete(alpha, user_id="alice", project_id="alpha")
    assert alpha not in {r.id for r in mem.list(user_id="alice")}


def test_the_same_text_in_another_project_is_stored_again(mem: Memory) -> None:
    first = mem.add("the release is on monday", user_id="alice", project_id="alpha")
    other = mem.add("the release is on monday", user_id="alice", project_id="beta")
    again = mem.add("the release is on monday", user_id="alice", project_id="alpha")
    assert not other.deduplicated and other.id != first.id
    assert again.deduplicated and again.id == first.id
    shared = mem.add("standup at nine", user_id="alice")  # unscoped: already visible in every project
    assert mem.add("standup at nine", user_id="alice", project_id="beta").id == shared.id


def test_waypoints_never_lead_a_project_query_into_another_project(mem: Memory) -> None:
    # Each memory links to its most similar earlier one (within its project, when it has one); the unscoped
    # memory, visible everywhere, links into alpha: a beta query must not follow that edge.
    for n in range(6):
        mem.add(f"kettle descaling step {n} for the office kettle", user_id="alice", project_id="alpha")
    loose = mem.add("kettle descaling step 0 for the office kettle!", user_id="alice")
    with closing(open_store(mem.settings)) as store:  # a second reader of the same file: Memory keeps its own
        (edge,) = store.waypoints_from([loose.id], user_id="alice")
    assert mem.get(edge.dst_id, user_id="alice").project_id == "alpha"
    mem.add("a home kettle", user_id="alice", project_id="beta")
    hits = mem.query("kettle descaling office", user_id="alice", project_id="beta", k=20)
    assert loose.id in {h.id for h in hits}
    for hit in hits:
        assert hit.memory.project_id in ("beta", None)
        assert all(mem.get(m, user_id="alice").project_id != "alpha" for m in hit.path)


def test_bad_project_ids_are_refused(mem: Memory) -> None:
    for bad in ("", "   ", "x" * 257):
        with pytest.raises(InvalidInput, match="project_id"):
            mem.add("text", project_id=bad)
        with pytest.raises(InvalidInput, match="project_id"):
            mem.query("text", project_id=bad)


items = st.lists(
    st.tuples(st.sampled_from(USERS), st.sampled_from(PROJECTS), st.lists(st.sampled_from(WORDS), min_size=1,
              max_size=4).map(" ".join)),
    min_size=1,
    max_size=20,
)  # fmt: skip


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(adds=items, probe=st.sampled_from(WORDS), scope=st.sampled_from(["alpha", "beta", "gamma"]))
def test_project_reads_return_exactly_the_visible_memories(
    tmp_path_factory: pytest.TempPathFactory, adds: list[tuple[str, str | None, str]], probe: str, scope: str
) -> None:
    path = Path(tmp_path_factory.mktemp("proj")) / "m.sqlite"
    with Memory(path, settings=Settings.load(embeddings="synthetic", vec_dim=64)) as mem:
        where: dict[str, tuple[str, str | None]] = {}
        for user, project, text in adds:
            r = mem.add(text, user_id=user, project_id=project)
            where.setdefault(r.id, (user, project))
        for user in USERS:
            visible = {m for m, (u, p) in where.items() if u == user and p in (None, SYSTEM_GLOBAL, scope)}
            assert {r.id for r in mem.list(user_id=user, project_id=scope, limit=1000)} == visible
            for hit in mem.query(probe, user_id=user, project_id=scope, k=50):
                assert hit.id in visible and set(hit.path) <= visible


def test_a_projects_own_memory_outranks_an_equally_relevant_shared_one(mem: Memory) -> None:
    shared = mem.add("the staging database password rotates monthly", user_id="alice").id
    own = mem.add("the staging database password rotates every month", user_id="alice", project_id="alpha").id
    hits = mem.query("staging database password", user_id="alice", project_id="alpha", reinforce=False)
    assert [h.id for h in hits[:2]] == [own, shared]
    unscoped = mem.query("staging database password", user_id="alice", reinforce=False)
    assert {h.id for h in unscoped[:2]} == {own, shared}
