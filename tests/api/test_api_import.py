"""``POST /memory/import``: a tenant imports into its own user only, idempotently, with the items' own times."""

from __future__ import annotations

import httpx

ITEM = {"source": "mem0", "source_id": "m-1", "content": "Ana prefers window seats", "created_at": 1_600_000_000_000}


def test_a_tenant_imports_its_own_memories_once_with_their_times(alice: httpx.Client) -> None:
    first = alice.post(
        "/memory/import", json={"items": [ITEM, {**ITEM, "source_id": "m-2", "updated_at": 1_700_000_000_000}]}
    )
    assert first.status_code == 200, first.text
    results = first.json()["results"]
    assert [r["imported"] for r in results] == [True, True]
    again = alice.post("/memory/import", json={"items": [ITEM]}).json()["results"]
    assert again == [{**results[0], "imported": False}]
    stored = alice.get(f"/memory/{results[1]['id']}").json()
    assert stored["created_at"] == 1_600_000_000_000 and stored["updated_at"] == 1_700_000_000_000
    assert stored["metadata"] == {"source": "mem0", "source_id": "m-2"}


def test_a_tenant_cannot_import_for_another_user(alice: httpx.Client, admin: httpx.Client) -> None:
    refused = alice.post("/memory/import", json={"user_id": "bob", "items": [ITEM]})
    assert refused.status_code == 403 and refused.json()["err"] == "tenant_mismatch"
    allowed = admin.post("/memory/import", json={"user_id": "carol", "items": [ITEM]})
    assert allowed.status_code == 200 and allowed.json()["results"][0]["imported"] is True


def test_one_invalid_item_rejects_the_request_and_stores_nothing(alice: httpx.Client) -> None:
    response = alice.post("/memory/import", json={"items": [{**ITEM, "source_id": "m-9"}, {**ITEM, "content": " "}]})
    assert response.status_code in (400, 422)
    assert alice.post("/memory/import", json={"items": [{**ITEM, "source_id": "m-9"}]}).json()["results"][0]["imported"]
