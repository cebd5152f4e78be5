"""``Client`` and ``AsyncClient`` mirror ``Memory`` over HTTP, raising the same error classes."""

from __future__ import annotations

import asyncio

import pytest

from openmemory.client import AsyncClient, Client
from openmemory.errors import InvalidInput, NotFound, StoreUnavailable, TenantMismatch, Unauthenticated
from tests.live import ADMIN_KEY, KEYS


def test_sync_client_round_trip(server_url: str) -> None:
    with Client(server_url, api_key=KEYS["alice"]) as om:
        assert om.health()["ok"] is True
        added = om.add("I keep my passport in the blue folder", tags=["documents"], metadata={"src": "test"})
        assert not added.deduplicated and om.add("I keep my passport in the blue folder").deduplicated
        hits = om.query("where is my passport?", k=3)
        assert hits[0].id == added.id and hits[0].parts.similarity > 0 and hits[0].memory.tags == ("documents",)
        record = om.get(added.id)
        assert record.user_id == "alice" and record.meta == {"src": "test"}
        assert om.update(added.id, content="My passport is in the red folder").content.endswith("red folder")
        assert om.reinforce(added.id, boost=0.2).salience > record.salience
        assert om.list(limit=5)[0].id == added.id
        assert om.user_summary("alice") and om.refresh_summary("alice")
        om.delete(added.id)
        with pytest.raises(NotFound):
            om.get(added.id)
        om.add("one more for deletion")
        assert om.delete_user("alice") >= 1


def test_sync_client_raises_service_errors(server_url: str) -> None:
    with Client(server_url, api_key=KEYS["bob"]) as om:
        with pytest.raises(TenantMismatch):
            om.add("x", user_id="alice")
        with pytest.raises(InvalidInput):
            om.query("x", k=0)
        with pytest.raises(InvalidInput):
            om.list(sector="nonsense")
        with pytest.raises(NotFound):
            om.delete("no-such-id")
    with Client(server_url, api_key="wrong") as om, pytest.raises(Unauthenticated):
        om.list()


def test_admin_client_names_users(server_url: str) -> None:
    with Client(server_url, api_key=ADMIN_KEY) as om:
        added = om.add("admin wrote this for dora", user_id="dora")
        assert om.get(added.id, user_id="dora").user_id == "dora"
        with pytest.raises(NotFound):
            om.get(added.id)


def test_unreachable_server_is_store_unavailable() -> None:
    with Client("http://127.0.0.1:9", api_key="k", timeout_s=2) as om, pytest.raises(StoreUnavailable):
        om.list()


def test_async_client_round_trip(server_url: str) -> None:
    async def run() -> None:
        async with AsyncClient(server_url, api_key=KEYS["bob"]) as om:
            added = await om.add("Bob's bike has a flat tyre")
            hits = await om.query("bike", k=2)
            assert hits and hits[0].id == added.id
            assert (await om.update(added.id, tags=["bike"])).tags == ("bike",)
            assert (await om.get(added.id)).content == "Bob's bike has a flat tyre"
            await om.delete(added.id)
            with pytest.raises(NotFound):
                await om.reinforce(added.id)
            with pytest.raises(TenantMismatch):
                await om.list(user_id="alice")

    asyncio.run(run())


def test_clients_scope_reads_and_writes_to_a_project(server_url: str) -> None:
    with Client(server_url, api_key=KEYS["bob"]) as om:
        alpha = om.add("the alpha build runs on arm64", project_id="cl-alpha")
        om.add("the beta build runs on x86", project_id="cl-beta")
        assert om.get(alpha.id).project_id == "cl-alpha"
        assert [h.id for h in om.query("which build runs where", project_id="cl-alpha")] == [alpha.id]
        assert {r.id for r in om.list(project_id="cl-alpha")} == {alpha.id}
        with pytest.raises(NotFound):
            om.get(alpha.id, project_id="cl-beta")
        with pytest.raises(NotFound):
            om.delete(alpha.id, project_id="cl-beta")

    async def run() -> None:
        async with AsyncClient(server_url, api_key=KEYS["bob"]) as om:
            assert [r.id for r in await om.list(project_id="cl-alpha")] == [alpha.id]
            await om.delete(alpha.id, project_id="cl-alpha")
            assert await om.list(project_id="cl-alpha") == []

    asyncio.run(run())
