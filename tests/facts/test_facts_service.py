"""Temporal facts through the service, on SQLite and both PostgreSQL servers: supersession, validity, history."""

from __future__ import annotations

from pathlib import Path

import pytest

from openmemory import Memory, Settings
from openmemory.errors import Conflict, FactNotFound, InvalidInput
from openmemory.facts import Facts, iso
from tests.service.conftest import Clock

JAN = "2023-01-15T09:00:00Z"
JUN = "2024-06-01T09:00:00Z"
JUN_MS = 1_717_232_400_000


def test_a_new_object_closes_the_open_fact_one_millisecond_before_it_starts(facts: Facts) -> None:
    acme = facts.add("alice", "works_at", "Acme", user_id="u1", valid_from=JAN)
    globex = facts.add("alice", "works_at", "Globex", user_id="u1", valid_from=JUN)
    closed = facts.get(acme.id, user_id="u1")
    assert closed.valid_to_ms == JUN_MS - 1
    assert iso(closed.valid_to_ms) == "2024-06-01T08:59:59.999Z"
    assert facts.current("alice", "works_at", user_id="u1") == globex
    history = facts.subject("alice", user_id="u1", include_historical=True)
    assert [f.object for f in history] == ["Globex", "Acme"]


def test_validity_is_inclusive_at_both_ends(facts: Facts) -> None:
    facts.add("alice", "works_at", "Acme", user_id="u1", valid_from=JAN)
    facts.add("alice", "works_at", "Globex", user_id="u1", valid_from=JUN_MS)

    def at(ms: int) -> list[str]:
        return [f.object for f in facts.at(subject="alice", predicate="works_at", at=ms, user_id="u1")]

    start = facts.at(subject="alice", at=JAN, user_id="u1")[0].valid_from_ms
    assert at(start - 1) == []
    assert at(start) == ["Acme"]
    assert at(JUN_MS - 1) == ["Acme"]  # the closed fact's valid_to, inclusive
    assert at(JUN_MS) == ["Globex"]  # the new fact's valid_from, inclusive
    assert at(JUN_MS + 10**12) == ["Globex"]


def test_a_back_dated_insert_leaves_the_later_fact_open(facts: Facts) -> None:
    berlin = facts.add("alice", "lives_in", "Berlin", user_id="u1", valid_from="2025-07-01")
    paris = facts.add("alice", "lives_in", "Paris", user_id="u1", valid_from="2022-03-01")
    assert facts.get(berlin.id, user_id="u1").is_open
    assert facts.get(paris.id, user_id="u1").is_open
    both = facts.conflicts("alice", "lives_in", user_id="u1", at="2025-08-01")
    assert {f.object for f in both} == {"Berlin", "Paris"}
    assert facts.current("alice", "lives_in", user_id="u1") == berlin  # the newest open one


def test_reasserting_the_same_object_later_closes_the_old_row(facts: Facts) -> None:
    old = facts.add("alice", "likes", "tea", user_id="u1", valid_from=JAN)
    new = facts.add("alice", "likes", "tea", user_id="u1", valid_from=JUN)
    assert facts.get(old.id, user_id="u1").valid_to_ms == JUN_MS - 1
    assert facts.get(new.id, user_id="u1").is_open


def test_an_identical_fact_is_a_conflict_and_writes_nothing(facts: Facts) -> None:
    first = facts.add("alice", "works_at", "Acme", user_id="u1", valid_from=JAN)
    facts.add("alice", "works_at", "Globex", user_id="u1", valid_from=JUN)
    with pytest.raises(Conflict, match="update it instead"):
        facts.add("alice", "works_at", "Globex", user_id="u1", valid_from=JUN)
    assert facts.stats(user_id="u1").total == 2
    assert facts.get(first.id, user_id="u1").valid_to_ms == JUN_MS - 1


def test_owners_have_their_own_facts_uniqueness_and_supersession(facts: Facts) -> None:
    for owner in ("alice", "bob", None):
        facts.add("project:apollo", "status", "planning", user_id=owner, valid_from=JAN)
    facts.add("project:apollo", "status", "launched", user_id="alice", valid_from=JUN)
    assert facts.current("project:apollo", "status", user_id="alice").object == "launched"  # type: ignore[union-attr]
    for owner in ("bob", None):
        current = facts.current("project:apollo", "status", user_id=owner)
        assert current is not None and current.object == "planning" and current.is_open
        assert len(facts.timeline("project:apollo", user_id=owner)) == 1
    with pytest.raises(Conflict):  # every NULL owner is one owner: the system user
        facts.add("project:apollo", "status", "planning", user_id=None, valid_from=JAN)


def test_another_owners_fact_id_is_not_found_on_every_call(facts: Facts) -> None:
    theirs = facts.add("bob", "works_at", "Initech", user_id="bob")
    for call in (
        lambda: facts.get(theirs.id, user_id="alice"),
        lambda: facts.update(theirs.id, user_id="alice", confidence=0.5),
        lambda: facts.invalidate(theirs.id, user_id="alice"),
        lambda: facts.delete(theirs.id, user_id="alice"),
        lambda: facts.related(theirs.id, user_id="alice"),
        lambda: facts.get(theirs.id, user_id=None),
        lambda: facts.get("not-a-uuid", user_id="bob"),
    ):
        with pytest.raises(FactNotFound):
            call()
    assert facts.get(theirs.id, user_id="bob").confidence == 1.0
    assert facts.stats(user_id="alice").total == 0


def test_timeline_has_created_and_invalidated_entries_in_order(facts: Facts) -> None:
    facts.add("alice", "works_at", "Acme", user_id="u1", valid_from=JAN)
    facts.add("alice", "lives_in", "Paris", user_id="u1", valid_from="2022-03-01")
    facts.add("alice", "works_at", "Globex", user_id="u1", valid_from=JUN)
    facts.add("alice", "works_at", "Spy", user_id="intruder", valid_from=JUN)
    entries = facts.timeline("alice", user_id="u1")
    assert [(iso(e.timestamp_ms), e.object, e.change_type) for e in entries] == [
        ("2022-03-01T00:00:00.000Z", "Paris", "created"),
        ("2023-01-15T09:00:00.000Z", "Acme", "created"),
        ("2024-06-01T08:59:59.999Z", "Acme", "invalidated"),
        ("2024-06-01T09:00:00.000Z", "Globex", "created"),
    ]
    assert [e.object for e in facts.timeline("alice", "lives_in", user_id="u1")] == ["Paris"]
    changes = facts.changes("2024-06-01T08:59:59.999Z", JUN, user_id="u1")
    assert [(e.object, e.change_type) for e in changes] == [("Acme", "invalidated"), ("Globex", "created")]
    assert [e.object for e in facts.history("works_at", user_id="u1")] == ["Acme", "Acme", "Globex"]


def test_compare_two_times(facts: Facts) -> None:
    facts.add("alice", "works_at", "Acme", user_id="u1", valid_from=JAN)
    facts.add("alice", "lives_in", "Paris", user_id="u1", valid_from="2022-03-01")
    facts.add("alice", "likes", "tea", user_id="u1", valid_from="2024-01-01")
    facts.add("alice", "works_at", "Globex", user_id="u1", valid_from=JUN)
    paris = facts.current("alice", "lives_in", user_id="u1")
    assert paris is not None
    facts.invalidate(paris.id, user_id="u1", valid_to="2024-03-01")
    facts.add("alice", "pet", "cat", user_id="intruder", valid_from="2024-01-01")
    diff = facts.compare("alice", "2023-06-01", "2024-07-01", user_id="u1")
    assert [f.object for f in diff.added] == ["tea"]
    assert [f.object for f in diff.removed] == ["Paris"]
    assert [(c.before.object, c.after.object) for c in diff.changed] == [("Acme", "Globex")]
    assert diff.unchanged == ()
    same = facts.compare("alice", "2024-07-01", "2024-08-01", user_id="u1")
    assert [f.object for f in same.unchanged] == ["tea", "Globex"]


def test_search_matches_percent_and_underscore_literally(facts: Facts) -> None:
    facts.add("rate_limit", "is", "100%", user_id="u1")
    facts.add("ratexlimit", "is", "100 percent", user_id="u1")
    facts.add("RATE_LIMIT_B", "is", "x", user_id="u1")
    assert {f.subject for f in facts.search("rate_", user_id="u1")} == {"rate_limit", "RATE_LIMIT_B"}
    assert [f.object for f in facts.search("0%", field="object", user_id="u1")] == ["100%"]
    assert facts.search("%", field="predicate", user_id="u1") == []
    assert facts.search("rate", user_id="other") == []
    with pytest.raises(InvalidInput, match="field"):
        facts.search("x", field="metadata", user_id="u1")


def test_update_invalidate_and_delete(facts: Facts, clock: Clock) -> None:
    fact = facts.add("bob", "works_at", "Initech", user_id="bob", valid_from="2021-07-01", metadata={"k": 1})
    clock.advance_days(1)
    updated = facts.update(fact.id, user_id="bob", confidence=0.55, metadata={"patched": True})
    assert (updated.confidence, updated.metadata, updated.last_updated_ms) == (0.55, {"patched": True}, clock.now_ms)
    with pytest.raises(InvalidInput):
        facts.invalidate(fact.id, user_id="bob", valid_to="2020-01-01")
    closed = facts.invalidate(fact.id, user_id="bob", valid_to="2025-01-01")
    assert iso(closed.valid_to_ms) == "2025-01-01T00:00:00.000Z"
    assert facts.stats(user_id="bob").active == 0 and facts.stats(user_id="bob").historical == 1
    facts.delete(fact.id, user_id="bob")
    with pytest.raises(FactNotFound):
        facts.get(fact.id, user_id="bob")


def test_volatile_stats_and_change_frequency_are_per_owner(facts: Facts, clock: Clock) -> None:
    for i, city in enumerate(["Rome", "Oslo", "Lima"]):
        facts.add("carol", "lives_in", city, user_id="carol", valid_from=clock.now_ms - (3 - i) * 86_400_000)
    facts.add("carol", "job", "chef", user_id="carol", valid_from=JAN)
    facts.add("carol", "lives_in", "Elsewhere", user_id="dave", valid_from=JAN)
    facts.add("carol", "lives_in", "Nowhere", user_id="dave", valid_from=JUN)
    [vol] = facts.volatile(user_id="carol")
    assert (vol.subject, vol.predicate, vol.change_count) == ("carol", "lives_in", 3)
    stats = facts.stats(user_id="carol")
    assert (stats.active, stats.total) == (2, 4)
    freq = facts.change_frequency("carol", "lives_in", user_id="carol", window_days=30)
    assert freq.total_changes == 3
    assert freq.avg_duration_ms == 86_400_000 - 1
    assert freq.change_rate_per_day == pytest.approx(0.1)


def test_decay_lowers_open_facts_of_the_owner_only(facts: Facts, clock: Clock) -> None:
    old = facts.add("x", "p", "o", user_id="u1", valid_from=clock.now_ms - 10 * 86_400_000)
    closed = facts.add("x", "q", "o", user_id="u1", valid_from=clock.now_ms - 10 * 86_400_000)
    facts.invalidate(closed.id, user_id="u1")
    future = facts.add("x", "r", "o", user_id="u1", valid_from=clock.now_ms + 86_400_000, confidence=0.9)
    other = facts.add("x", "p", "o", user_id="u2", valid_from=clock.now_ms - 10 * 86_400_000)
    assert facts.decay(user_id="u1", rate=0.05) == 1
    assert facts.get(old.id, user_id="u1").confidence == pytest.approx(0.5)
    assert facts.get(closed.id, user_id="u1").confidence == 1.0
    assert facts.get(future.id, user_id="u1").confidence == 0.9  # never raised above its value
    assert facts.get(other.id, user_id="u2").confidence == 1.0
    assert facts.decay_all(rate=0.5) == 2  # u1's old fact hits the floor; u2's decays
    assert facts.get(old.id, user_id="u1").confidence == 0.1


def test_projects_see_their_own_global_and_unscoped_facts_of_the_owner(facts: Facts) -> None:
    facts.add("s", "a", "mine", user_id="u1", project_id="apollo")
    facts.add("s", "b", "global", user_id="u1", project_id="system_global")
    facts.add("s", "c", "unscoped", user_id="u1")
    other = facts.add("s", "d", "gemini", user_id="u1", project_id="gemini")
    facts.add("s", "e", "someone else's", user_id="u2", project_id="apollo")
    seen = [f.object for f in facts.subject("s", user_id="u1", project_id="apollo")]
    assert seen == ["mine", "global", "unscoped"]
    assert len(facts.subject("s", user_id="u1")) == 4
    with pytest.raises(FactNotFound):
        facts.get(other.id, user_id="u1", project_id="apollo")
    assert facts.stats(user_id="u1", project_id="apollo").total == 3


def test_edges_link_facts_of_one_owner(facts: Facts) -> None:
    a = facts.add("alice", "works_at", "Globex", user_id="u1", valid_from=JAN)
    b = facts.add("Globex", "located_in", "Berlin", user_id="u1", valid_from=JAN)
    foreign = facts.add("Globex", "located_in", "Paris", user_id="u2", valid_from=JAN)
    edge = facts.add_edge(a.id, b.id, "employer_location", user_id="u1", valid_from=JAN, weight=0.7)
    [rel] = facts.related(a.id, user_id="u1")
    assert (rel.fact.object, rel.edge.relation_type, rel.edge.weight) == ("Berlin", "employer_location", 0.7)
    with pytest.raises(FactNotFound):
        facts.add_edge(a.id, foreign.id, "x", user_id="u1")
    with pytest.raises(FactNotFound):
        facts.invalidate_edge(edge.id, user_id="u2")
    closed = facts.invalidate_edge(edge.id, user_id="u1", valid_to=JUN)
    assert closed.valid_to_ms == JUN_MS
    assert facts.related(a.id, user_id="u1") == []
    assert len(facts.related(a.id, user_id="u1", at="2024-01-01")) == 1
    facts.delete(b.id, user_id="u1")  # its edges go with it
    assert facts.related(a.id, user_id="u1", at="2024-01-01") == []


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda f: f.add("", "p", "o"), "subject"),
        (lambda f: f.add("s" * 1025, "p", "o"), "subject"),
        (lambda f: f.add("s", "p" * 1025, "o"), "predicate"),
        (lambda f: f.add("s", "p", "o" * 8193), "object"),
        (lambda f: f.add("s", "p", "o", confidence=1.5), "confidence"),
        (lambda f: f.add("s", "p", "o", valid_from="yesterday"), "valid_from"),
        (lambda f: f.at(subject="s", at="soon"), "at"),
        (lambda f: f.at(subject="s", min_confidence=2), "min_confidence"),
        (lambda f: f.volatile(limit=0), "limit"),
        (lambda f: f.update("x"), "confidence"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(facts: Facts, call: object, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        call(facts)  # type: ignore[operator]
    assert caught.value.field == field
    assert facts.stats().total == 0


def test_dates_are_accepted_as_iso_or_epoch_milliseconds(facts: Facts) -> None:
    by_iso = facts.add("paris", "capital_of", "France", valid_from="1900-01-01T00:00:00.000Z")
    assert by_iso.valid_from_ms == -2_208_988_800_000
    assert facts.at(subject="paris", at=-2_208_988_800_000)[0].id == by_iso.id
    assert facts.at(subject="paris", at="1899-12-31T23:59:59.999Z") == []


def test_memory_has_the_facts_service(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.sqlite", settings=Settings.load(embeddings="synthetic")) as mem:
        mem.facts.add("alice", "works_at", "Acme", user_id="u1", valid_from="2023-01-15")
        mem.facts.add("alice", "works_at", "Globex", user_id="u1", valid_from="2024-06-01")
        assert mem.facts.current("alice", "works_at", user_id="u1").object == "Globex"  # type: ignore[union-attr]
        assert [f.object for f in mem.facts.at(subject="alice", at="2023-06-01", user_id="u1")] == ["Acme"]


def test_confidence_none_means_full_confidence(facts: Facts) -> None:
    assert facts.add("s", "p", "o", confidence=None).confidence == 1.0
