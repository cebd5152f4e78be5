"""``Client.facts`` / ``AsyncClient.facts`` answer what ``Memory.facts`` answers, over /api/temporal/*."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from openmemory.client import AsyncClient, Client
from openmemory.errors import Conflict, FactNotFound, InvalidInput, TenantMismatch
from openmemory.facts import iso
from tests.live import KEYS


def test_sync_client_facts_round_trip(server_url: str) -> None:
    subject = f"alice-{uuid.uuid4().hex[:6]}"
    with Client(server_url, api_key=KEYS["alice"]) as om:
        acme = om.facts.add(subject, "works_at", "Acme", valid_from="2023-01-15T09:00:00Z", metadata={"k": 0})
        assert acme.user_id == "alice" and acme.metadata == {"k": 0} and acme.valid_from_ms == 1_673_773_200_000
        globex = om.facts.add(subject, "works_at", "Globex", valid_from=1_717_232_400_000, confidence=0.9)
        assert om.facts.current(subject, "works_at") == globex
        assert om.facts.get(acme.id).valid_to_ms == 1_717_232_399_999
        assert [f.object for f in om.facts.at(subject=subject, at="2023-06-01")] == ["Acme"]
        assert len(om.facts.subject(subject, include_historical=True)) == 2
        assert [e.change_type for e in om.facts.timeline(subject)] == ["created", "invalidated", "created"]
        diff = om.facts.compare(subject, "2023-06-01", "2024-07-01")
        assert [(c.before.object, c.after.object) for c in diff.changed] == [("Acme", "Globex")]
        assert [f.object for f in om.facts.search(subject, field="subject")] == ["Globex"]
        assert om.facts.volatile(subject=subject)[0].change_count == 2
        assert om.facts.update(globex.id, confidence=0.5).confidence == 0.5
        closed = om.facts.invalidate(globex.id, valid_to="2025-01-01")
        assert iso(closed.valid_to_ms) == "2025-01-01T00:00:00.000Z"
        assert om.facts.current(subject, "works_at") is None
        assert om.facts.stats().total >= 2 and om.facts.decay() >= 0
        with pytest.raises(Conflict):
            om.facts.add(subject, "works_at", "Globex", valid_from=1_717_232_400_000)


def test_client_facts_errors_are_the_services(server_url: str) -> None:
    with Client(server_url, api_key=KEYS["alice"]) as alice, Client(server_url, api_key=KEYS["bob"]) as bob:
        theirs = bob.facts.add("bob", "likes", "tea")
        with pytest.raises(FactNotFound):
            alice.facts.get(theirs.id)
        with pytest.raises(FactNotFound):
            alice.facts.invalidate(theirs.id)
        with pytest.raises(TenantMismatch):
            alice.facts.stats(user_id="bob")
        with pytest.raises(InvalidInput):
            alice.facts.at(subject="x", at="someday")


def test_async_client_facts(server_url: str) -> None:
    async def scenario() -> None:
        async with AsyncClient(server_url, api_key=KEYS["bob"]) as om:
            fact = await om.facts.add("bob-async", "lives_in", "Oslo", valid_from="2020-01-01")
            await om.facts.add("bob-async", "lives_in", "Rome", valid_from="2022-01-01")
            assert (await om.facts.get(fact.id)).valid_to_ms is not None
            current = await om.facts.current("bob-async", "lives_in")
            assert current is not None and current.object == "Rome"

    asyncio.run(scenario())
