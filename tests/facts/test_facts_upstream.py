"""Facts written by upstream's v1.2.2 and v1.3.0 servers, after `opm migrate`: the system/default user's, intact.

Upstream stored no owner, so every migrated fact belongs to the system/default user (``user_id=None``) and to no
tenant. The rows are as upstream left them: closed chains, a DELETE-invalidated fact with a gap, two open facts
for carol/team, a negative valid_from (reference fixtures README, "v1.2.2 and v1.3.0 native files").
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from openmemory import Memory, Settings
from openmemory.errors import FactNotFound
from openmemory.facts import Facts, iso
from openmemory.store.postgres import PostgresStore
from tests.service.conftest import Clock
from tests.store.pg import PG_SERVERS, UPSTREAM, pg_settings, restore_dump, throwaway_schema

FILES = ["v1.2.2-native.sqlite", "v1.3.0-native.sqlite"]


@pytest.fixture(params=FILES)
def upstream(request: pytest.FixtureRequest, tmp_path: Path) -> Memory:
    path = tmp_path / request.param
    shutil.copy(UPSTREAM / request.param, path)
    return Memory(path, settings=Settings.load(embeddings="synthetic"), check_embedder=False)


def test_migrated_facts_are_the_system_users_and_nobody_elses(upstream: Memory) -> None:
    with upstream as mem:
        stats = mem.facts.stats()
        assert (stats.active, stats.historical, stats.total) == (10, 6, 16)
        assert mem.facts.stats(user_id="alice").total == 0
        assert mem.facts.subject("alice", user_id="alice", include_historical=True) == []
        globex = mem.facts.current("alice", "works_at")
        assert globex is not None and globex.object == "Globex" and globex.user_id is None
        assert globex.metadata == {"source": "fixture", "supersedes": "Acme Corp"}
        with pytest.raises(FactNotFound):
            mem.facts.get(globex.id, user_id="alice")


def test_migrated_history_reads_as_upstream_wrote_it(upstream: Memory) -> None:
    with upstream as mem:
        timeline = [(iso(e.timestamp_ms), e.object, e.change_type) for e in mem.facts.timeline("alice", "lives_in")]
        assert timeline == [
            ("2022-03-01T00:00:00.000Z", "Paris", "created"),
            ("2025-06-30T00:00:00.000Z", "Paris", "invalidated"),
            ("2025-07-01T00:00:00.000Z", "Berlin", "created"),
        ]
        assert [f.object for f in mem.facts.at(subject="alice", predicate="lives_in", at="2025-06-30T12:00:00Z")] == []
        assert {f.object for f in mem.facts.conflicts("carol", "team", at="2025-06-01")} == {"infra", "search"}
        assert [f.object for f in mem.facts.at(subject="Paris", at="1900-01-01T00:00:00Z")] == ["France"]
        diff = mem.facts.compare("project:apollo", "2024-03-01", "2025-02-01")
        assert [(c.before.object, c.after.object) for c in diff.changed] == [("planning", "shipped")]
        [volatile, *_] = mem.facts.volatile()
        assert (volatile.subject, volatile.predicate, volatile.change_count) == ("project:apollo", "status", 3)


def test_the_system_user_writes_on_top_of_migrated_facts(upstream: Memory) -> None:
    with upstream as mem:
        bob = mem.facts.add("bob", "works_at", "Hooli", valid_from="2025-08-01")
        initech = [f for f in mem.facts.subject("bob", include_historical=True) if f.object == "Initech"]
        assert iso(initech[0].valid_to_ms) == "2025-07-31T23:59:59.999Z"
        assert mem.facts.current("bob", "works_at") == bob
        same_as_upstream = mem.facts.add("bob", "works_at", "Initech", user_id="u1", valid_from="2021-07-01")
        assert same_as_upstream.user_id == "u1"  # per-owner uniqueness: no clash with the migrated row


@pytest.mark.parametrize("server", PG_SERVERS)
def test_facts_work_on_an_upgraded_upstream_postgres_database(server: str, clock: Clock) -> None:
    # upstream v1.2.2 on PostgreSQL never created the temporal tables; the migration creates them in our shape
    with throwaway_schema(server, "omfu") as schema:
        restore_dump(server, "v1.2.2-native-postgres.sql", schema, "openmemory_memories")
        store = PostgresStore.open(pg_settings(server, schema))
        try:
            facts = Facts(store.facts, clock)
            acme = facts.add("alice", "works_at", "Acme", user_id="alice", valid_from="2023-01-15")
            facts.add("alice", "works_at", "Globex", user_id="alice", valid_from="2024-06-01")
            facts.add("alice", "works_at", "Acme", valid_from="2023-01-15")  # the system user: no clash
            assert facts.get(acme.id, user_id="alice").valid_to_ms is not None
            assert facts.current("alice", "works_at", user_id="alice").object == "Globex"  # type: ignore[union-attr]
            assert facts.current("alice", "works_at").object == "Acme"  # type: ignore[union-attr]
            assert (
                store.count_memories(user_id=None)
                + sum(store.count_memories(user_id=u) for u in store.maintenance_user_ids() if u is not None)
                > 0
            )  # the upstream memories are still there
        finally:
            store.close()
