"""Every route over a real server: upstream's paths and response shapes (reference §4.4)."""

from __future__ import annotations

import httpx

from openmemory.models import SECTORS


def _add(client: httpx.Client, content: str, **extra: object) -> str:
    response = client.post("/memory/add", json={"content": content, **extra})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def test_health_is_public_and_reveals_no_secrets(anonymous: httpx.Client) -> None:
    body = anonymous.get("/health").json()
    assert body["ok"] is True
    assert {"version", "embedding", "dim"} <= body.keys()
    assert "url" not in str(body).lower() and "key" not in str(body).lower()


def test_add_returns_upstream_shape(alice: httpx.Client) -> None:
    body = alice.post("/memory/add", json={"content": "I adopted a cat named Miso", "tags": ["pets"]}).json()
    assert set(body) >= {"id", "primary_sector", "sectors", "deduplicated"}
    assert body["primary_sector"] in SECTORS and body["deduplicated"] is False
    again = alice.post("/memory/add", json={"content": "I adopted a cat named Miso"}).json()
    assert again["id"] == body["id"] and again["deduplicated"] is True


def test_query_returns_matches_with_score_parts(alice: httpx.Client) -> None:
    memory_id = _add(alice, "My sister lives in Porto and teaches maths")
    body = alice.post("/memory/query", json={"query": "where does my sister live", "k": 5}).json()
    assert body["query"] == "where does my sister live"
    match = next(m for m in body["matches"] if m["id"] == memory_id)
    for field in ("id", "content", "score", "sectors", "primary_sector", "path", "salience", "last_seen_at", "parts"):
        assert field in match
    assert set(match["parts"]) >= {"similarity", "lexical", "recency", "salience"}


def test_query_filters_by_sector_and_min_score(alice: httpx.Client) -> None:
    _add(alice, "How to bake bread: first mix flour and water, then knead")
    body = alice.post("/memory/query", json={"query": "bread", "filters": {"sector": "procedural"}}).json()
    assert all(m["primary_sector"] == "procedural" for m in body["matches"])
    assert alice.post("/memory/query", json={"query": "bread", "filters": {"min_score": 1.0}}).json()["matches"] == []


def test_get_patch_reinforce_delete_round_trip(alice: httpx.Client) -> None:
    memory_id = _add(alice, "The wifi password is in the kitchen drawer", metadata={"room": "kitchen"})
    item = alice.get(f"/memory/{memory_id}").json()
    assert item["metadata"] == {"room": "kitchen"} and item["user_id"] == "alice" and item["version"] == 1
    assert alice.patch(f"/memory/{memory_id}", json={"content": "The wifi password is on the fridge"}).json() == {
        "id": memory_id,
        "updated": True,
    }
    updated = alice.get(f"/memory/{memory_id}").json()
    assert updated["content"] == "The wifi password is on the fridge" and updated["version"] == 2
    assert alice.post("/memory/reinforce", json={"id": memory_id, "boost": 0.3}).json() == {"ok": True}
    assert alice.get(f"/memory/{memory_id}").json()["salience"] > updated["salience"]
    assert alice.delete(f"/memory/{memory_id}").json() == {"ok": True}
    assert alice.get(f"/memory/{memory_id}").status_code == 404


def test_memory_all_pages_newest_first_and_filters_sector_before_paging(alice: httpx.Client) -> None:
    for i in range(3):
        _add(alice, f"Paging note number {i} about apples")
    items = alice.get("/memory/all", params={"l": 2}).json()["items"]
    assert len(items) == 2 and items[0]["created_at"] >= items[1]["created_at"]
    assert alice.get("/memory/all", params={"l": 2, "u": 1}).json()["items"][0]["id"] == items[1]["id"]
    sector = items[0]["primary_sector"]
    filtered = alice.get("/memory/all", params={"l": 1, "sector": sector}).json()["items"]
    assert len(filtered) == 1 and filtered[0]["primary_sector"] == sector


def test_user_routes(bob: httpx.Client) -> None:
    _add(bob, "Bob plays the trumpet in a jazz band")
    summary = bob.get("/users/bob/summary").json()
    assert summary["user_id"] == "bob" and summary["summary"] and "reflection_count" in summary
    regenerated = bob.post("/users/bob/summary/regenerate").json()
    assert regenerated["ok"] is True and regenerated["user_id"] == "bob"
    items = bob.get("/users/bob/memories", params={"l": 10}).json()
    assert items["user_id"] == "bob" and items["items"]


def test_dashboard_routes_have_upstream_keys(alice: httpx.Client) -> None:
    _add(alice, "Dashboard probe memory about tennis")
    stats = alice.get("/dashboard/stats").json()
    assert {"totalMemories", "recentMemories", "sectorCounts", "avgSalience", "decayStats", "requests", "qps"} <= set(
        stats
    )
    assert stats["totalMemories"] >= 1 and stats["requests"]["total"] >= 1
    activity = alice.get("/dashboard/activity", params={"limit": 5}).json()["activities"]
    assert activity and {"id", "type", "sector", "content", "salience", "timestamp"} <= set(activity[0])
    top = alice.get("/dashboard/top-memories", params={"limit": 3}).json()["memories"]
    assert 1 <= len(top) <= 3 and top[0]["salience"] >= top[-1]["salience"]
    maintenance = alice.get("/dashboard/maintenance").json()
    assert set(maintenance) == {"operations", "totals"}


def test_sectors_lists_the_callers_counts(alice: httpx.Client) -> None:
    body = alice.get("/sectors").json()
    assert body["sectors"] == list(SECTORS)
    assert sum(s["count"] for s in body["stats"]) == alice.get("/dashboard/stats").json()["totalMemories"]


def test_vercel_routes(alice: httpx.Client) -> None:
    added = alice.post("/memories", json={"content": "I ride my bike to work on Mondays"}).json()
    body = alice.post("/query", json={"query": "bike to work", "k": 3}).json()
    assert body["user_id"] == "alice" and body["k"] == 3
    assert any(m["id"] == added["id"] for m in body["matches"])
    assert body["result"].startswith("- (")


def test_delete_user_memories(admin: httpx.Client) -> None:
    for text in ("carol note one about lakes", "carol note two about mountains"):
        admin.post("/memory/add", json={"content": text, "user_id": "carol"})
    assert admin.delete("/users/carol/memories").json() == {"ok": True, "deleted": 2}
    assert admin.get("/users/carol/memories").json()["items"] == []


def test_openapi_and_docs_are_served(anonymous: httpx.Client) -> None:
    schema = anonymous.get("/openapi.json").json()
    assert "/memory/query" in schema["paths"]
    assert "422" not in str(schema["paths"]["/memory/add"]["post"]["responses"])
    assert anonymous.get("/docs").status_code == 200


def test_local_mode_lets_the_owner_name_any_user(local: httpx.Client) -> None:
    local.post("/memory/add", json={"content": "Local owner note about chess", "user_id": "me"})
    assert local.get("/memory/all", params={"user_id": "me"}).json()["items"]
    assert local.get("/memory/all").json()["items"] == []  # omitted = the system/default user
