"""The Memory service as a user of the Python API meets it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from openmemory.config import Settings
from openmemory.errors import EmbedderMismatch, InvalidInput, NotFound, SchemaOutdated, UnknownSector
from openmemory.memory import Memory
from tests.service.conftest import Clock


def test_add_then_query_finds_the_memory_with_its_reasons(mem: Memory) -> None:
    r = mem.add("I moved to Lisbon in March", user_id="alice", tags=["travel"], metadata={"src": "chat"})
    mem.add("My favourite dish is pasta carbonara", user_id="alice")
    hits = mem.query("Lisbon move", user_id="alice", k=5)
    assert hits[0].id == r.id
    assert hits[0].parts.lexical > 0 and hits[0].parts.similarity > 0
    assert 0 < hits[0].score < 1
    got = mem.get(r.id, user_id="alice")
    assert got.tags == ("travel",) and got.meta == {"src": "chat"}


def test_another_users_id_is_not_found_like_an_unknown_id(mem: Memory) -> None:
    r = mem.add("alice's secret plan", user_id="alice")
    for call in (
        lambda: mem.get(r.id, user_id="bob"),
        lambda: mem.delete(r.id, user_id="bob"),
        lambda: mem.reinforce(r.id, user_id="bob"),
        lambda: mem.update(r.id, user_id="bob", content="hijacked"),
        lambda: mem.get(r.id),  # the system user is a user like any other
    ):
        with pytest.raises(NotFound) as err:
            call()
        assert str(err.value) == f"memory {r.id!r} not found"
    assert mem.get(r.id, user_id="alice").content == "alice's secret plan"


def test_dedup_is_per_user_and_only_for_the_same_text(mem: Memory) -> None:
    a = mem.add("I love jazz records", user_id="alice")
    again = mem.add("i love  jazz records!", user_id="alice")
    b = mem.add("I love jazz records", user_id="bob")
    assert again.deduplicated and again.id == a.id
    assert not b.deduplicated and b.id != a.id
    assert mem.count(user_id="alice") == 1 and mem.count(user_id="bob") == 1
    different = mem.add("jazz records I love", user_id="alice")  # same words, other order: a new memory
    assert not different.deduplicated


def test_dedup_boosts_salience(mem: Memory) -> None:
    r = mem.add("the cat is called Miso", user_id="u")
    before = mem.get(r.id, user_id="u").salience
    mem.add("The cat is called Miso", user_id="u")
    assert mem.get(r.id, user_id="u").salience == pytest.approx(before + 0.15)


def test_reinforce_and_decay_really_change_salience(mem: Memory, clock: Clock) -> None:

    r = mem.add("weekly standup is on Mondays", user_id="u")
    s0 = mem.get(r.id, user_id="u").salience
    s1 = mem.reinforce(r.id, user_id="u").salience
    assert s1 == pytest.approx(min(1.0, s0 + 0.1))
    assert mem.get(r.id, user_id="u").salience == pytest.approx(s1)
    clock.advance_days(60)
    assert mem.maintenance.run_decay(clock()) >= 1
    decayed = mem.get(r.id, user_id="u").salience
    assert decayed < s1
    assert mem.maintenance.run_decay(clock()) == 0  # the same clock again: no compounding
    assert mem.get(r.id, user_id="u").salience == pytest.approx(decayed)


def test_query_reinforces_returned_memories(mem: Memory) -> None:
    r = mem.add("the spare key is under the blue flower pot", user_id="u")
    before = mem.get(r.id, user_id="u").salience
    mem.query("where is the spare key", user_id="u", reinforce=False)
    assert mem.get(r.id, user_id="u").salience == pytest.approx(before)
    mem.query("where is the spare key", user_id="u")
    assert mem.get(r.id, user_id="u").salience > before


def test_update_reembeds_new_content_and_bumps_version(mem: Memory) -> None:
    r = mem.add("I drive a red car", user_id="u")
    updated = mem.update(r.id, user_id="u", content="I ride a green bicycle", tags=["transport"])
    assert updated.version == 2
    assert mem.query("bicycle", user_id="u", k=1)[0].id == r.id
    assert mem.get(r.id, user_id="u").tags == ("transport",)


def test_delete_removes_memory_from_reads_and_search(mem: Memory) -> None:
    r = mem.add("temporary note about the plumber", user_id="u")
    mem.delete(r.id, user_id="u")
    with pytest.raises(NotFound):
        mem.get(r.id, user_id="u")
    assert mem.query("plumber", user_id="u") == []


def test_filters_sector_tags_salience_and_time(mem: Memory, clock: Clock) -> None:
    old = mem.add("How to deploy: run the build, then restart the service", user_id="u", tags=["ops"])
    clock.advance_days(1)
    new = mem.add("I felt really happy and excited at the concert", user_id="u", tags=["fun"])
    assert [h.id for h in mem.query("deploy concert", user_id="u", tags=["ops"])] == [old.id]
    assert [h.id for h in mem.query("deploy concert", user_id="u", sector="emotional")] == [new.id]
    assert [h.id for h in mem.query("deploy concert", user_id="u", start_ms=clock() - 1000)] == [new.id]
    assert mem.query("deploy concert", user_id="u", min_salience=0.99) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"content": ""}, "content"),
        ({"content": "   \n"}, "content"),
        ({"content": "x" * 200_001}, "content"),
        ({"content": "bad \ud800 surrogate"}, "content"),
        ({"content": b"\xff\xfe not utf-8"}, "content"),
        ({"content": "ok", "tags": ["t"] * 0 + [f"t{i}" for i in range(65)]}, "tags"),
        ({"content": "ok", "tags": ["x" * 257]}, "tags"),
        ({"content": "ok", "metadata": {"f": float("nan")}}, "metadata"),
        ({"content": "ok", "user_id": ""}, "user_id"),
    ],
)
def test_bad_input_to_add_is_refused_and_nothing_is_written(mem: Memory, kwargs: dict, field: str) -> None:
    content = kwargs.pop("content")
    with pytest.raises(InvalidInput) as err:
        mem.add(content, **kwargs)
    assert err.value.field == field
    assert mem.count(user_id=kwargs.get("user_id")) == 0 if kwargs.get("user_id") else mem.count() == 0


@pytest.mark.parametrize("k", [0, 201, -1, 2.5, True])
def test_k_outside_range_is_refused(mem: Memory, k: object) -> None:
    with pytest.raises(InvalidInput, match="k must be"):
        mem.query("anything", k=k)  # type: ignore[arg-type]


def test_unknown_sector_is_refused(mem: Memory) -> None:
    with pytest.raises(UnknownSector, match="unknown sector 'feelings'"):
        mem.query("anything", sector="feelings")


def test_user_summary_is_refreshed_when_memories_are_added(mem: Memory) -> None:
    mem.add("I play the cello in a quartet", user_id="alice", tags=["music"])
    first = mem.user_summary("alice")
    assert "1 memory" in first and "cello" in first
    mem.add("I run every Sunday morning", user_id="alice")
    assert "2 memories" in mem.user_summary("alice")
    row = mem.user("alice")
    assert row is not None and row.reflection_count >= 2


def test_long_content_is_chunked(mem: Memory) -> None:
    text = " ".join(f"Sentence number {i} talks about topic {i % 9} at some length." for i in range(400))
    r = mem.add(text, user_id="u")
    assert r.chunks > 1
    assert mem.get(r.id, user_id="u").content == text  # the full text is kept, never a summary


def test_embedder_mismatch_is_refused_with_reembed_hint(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    Memory(path, settings=Settings.load(embeddings="synthetic", vec_dim=256)).close()
    with pytest.raises(EmbedderMismatch, match="opm reembed") as err:
        Memory(path, settings=Settings.load(embeddings="synthetic", vec_dim=128))
    assert (err.value.stored_dim, err.value.dim) == (256, 128)


def test_reembed_switches_the_database_to_the_new_embedder(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    with Memory(path, settings=Settings.load(embeddings="synthetic", vec_dim=256)) as m:
        r = m.add("the boat is moored at pier seven", user_id="u")
    settings = Settings.load(embeddings="synthetic", vec_dim=128)
    with Memory(path, settings=settings, check_embedder=False) as m:
        seen: list[tuple[int, int]] = []
        assert m.reembed(progress=lambda done, total: seen.append((done, total))) == 1
        assert seen[-1] == (1, 1)
    with Memory(path, settings=settings) as m:
        assert m.query("boat pier", user_id="u")[0].id == r.id


def test_auto_migrate_off_refuses_an_old_database(upstream_copy) -> None:  # type: ignore[no-untyped-def]
    path = upstream_copy("v1.1.1.sqlite")
    settings = Settings.load(embeddings="synthetic", auto_migrate=False)
    with pytest.raises(SchemaOutdated, match="opm migrate"):
        Memory(path, settings=settings)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT name FROM sqlite_master WHERE name='schema_version'").fetchone() is None


def test_opening_an_upstream_database_migrates_it_and_legacy_rows_are_searchable(upstream_copy) -> None:  # type: ignore[no-untyped-def]
    path = upstream_copy("v1.1.1.sqlite")
    with Memory(path, settings=Settings.load(embeddings="synthetic")) as m:
        assert m.count() == 79  # NULL user_id = the system user
        hits = m.query("team supportive", k=3)  # lexical only: upstream's 768-d vectors are not comparable
        assert hits and all(h.memory.user_id is None for h in hits)
        assert m.count(user_id="alice") == 0


def test_deleted_memory_does_not_live_on_in_the_summary(mem: Memory) -> None:
    keep = mem.add("I collect vintage maps", user_id="u")
    gone = mem.add("my bank PIN is 8842", user_id="u")
    assert "8842" in mem.user_summary("u")
    mem.delete(gone.id, user_id="u")
    assert "8842" not in mem.user_summary("u")
    mem.update(keep.id, user_id="u", content="I collect old postcards")
    assert "maps" not in mem.user_summary("u")


def test_buffered_reinforcement_is_written_on_flush_and_close(tmp_path: Path) -> None:
    settings = Settings.load(embeddings="synthetic", recall_flush_ms=60_000)
    path = tmp_path / "m.sqlite"
    with Memory(path, settings=settings) as mem, Memory(path, settings=settings) as other:
        r = mem.add("the spare key is under the blue flower pot", user_id="u")
        before = other.get(r.id, user_id="u").salience
        mem.query("spare key", user_id="u")
        assert other.get(r.id, user_id="u").salience == pytest.approx(before)  # buffered in the querying process
        mem.flush()
        after_flush = other.get(r.id, user_id="u").salience
        assert after_flush > before
        mem.query("spare key", user_id="u")
    with Memory(path, settings=settings) as mem:  # close() wrote the second bump
        assert mem.get(r.id, user_id="u").salience > after_flush


def test_the_querying_process_reads_its_buffered_reinforcement_and_builds_on_it(tmp_path: Path) -> None:
    settings = Settings.load(embeddings="synthetic", recall_flush_ms=60_000)
    with Memory(tmp_path / "m.sqlite", settings=settings) as mem:
        r = mem.add("the spare key is under the blue flower pot", user_id="u")
        before = mem.get(r.id, user_id="u").salience
        mem.query("spare key", user_id="u")
        bumped = mem.get(r.id, user_id="u").salience
        assert bumped > before  # read-your-writes without waiting for the interval
        assert [m.salience for m in mem.list(user_id="u")] == [pytest.approx(bumped)]
        mem.query("spare key", user_id="u")
        reinforced = mem.reinforce(r.id, user_id="u", boost=0.3).salience
        mem.flush()  # the second query's bump was written before the explicit one, not over it
        assert mem.get(r.id, user_id="u").salience == pytest.approx(reinforced)


def test_warm_up_loads_the_recently_active_owners_within_the_budget(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    with Memory(path, settings=Settings.load(embeddings="synthetic")) as mem:
        mem.add_many([f"big note {i}" for i in range(30)], user_id="big")
        mem.add_many([f"small note {i}" for i in range(5)], user_id="small")
        mem.add("system note")
    with Memory(path, settings=Settings.load(embeddings="synthetic", warm_memories=10)) as mem:
        assert mem.warm_up() == (2, 6)  # "big" does not fit in 10; "small" and the system user do
        assert mem.query("small note 3", user_id="small", k=1)[0].memory.content == "small note 3"
    with Memory(path, settings=Settings.load(embeddings="synthetic", warm_memories=0)) as mem:
        assert mem.warm_up() == (0, 0)
