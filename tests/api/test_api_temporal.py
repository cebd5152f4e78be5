"""``/api/temporal/*`` on a live server: upstream's shapes and statuses, every read scoped to the caller's tenant."""

from __future__ import annotations

import uuid

import httpx
import pytest

JAN = "2023-01-15T09:00:00.000Z"
JUN = "2024-06-01T09:00:00.000Z"


def add(client: httpx.Client, subject: str, predicate: str, obj: str, **more: object) -> dict[str, object]:
    headers = more.pop("headers", None)
    r = client.post(
        "/api/temporal/fact", json={"subject": subject, "predicate": predicate, "object": obj, **more},
        headers=headers,  # type: ignore[arg-type]
    )  # fmt: skip
    assert r.status_code == 200, r.text
    return dict(r.json())


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def test_create_answers_upstreams_shape_with_the_tenant_as_owner(alice: httpx.Client) -> None:
    subject = unique("alice")
    body = add(alice, subject, "works_at", "Acme", valid_from=JAN, confidence=0.9, metadata={"k": 0})
    assert body == {
        "id": body["id"], "subject": subject, "predicate": "works_at", "object": "Acme", "valid_from": JAN,
        "confidence": 0.9, "user_id": "alice", "project_id": None, "message": "Fact created successfully",
    }  # fmt: skip
    epoch = add(alice, subject, "born", "1990", valid_from=-2_208_988_800_000)
    assert epoch["valid_from"] == "1900-01-01T00:00:00.000Z"


def test_supersession_current_and_point_in_time_over_http(alice: httpx.Client) -> None:
    subject = unique("alice")
    first = add(alice, subject, "works_at", "Acme", valid_from=JAN)
    add(alice, subject, "works_at", "Globex", valid_from=JUN)
    current = alice.get("/api/temporal/fact/current", params={"subject": subject, "predicate": "works_at"})
    assert current.json()["fact"]["object"] == "Globex"

    def objects_at(at: str) -> list[str]:
        r = alice.get("/api/temporal/fact", params={"subject": subject, "at": at})
        assert r.status_code == 200
        return [f["object"] for f in r.json()["facts"]]

    assert objects_at("2024-06-01T08:59:59.999Z") == ["Acme"]
    assert objects_at(JUN) == ["Globex"]
    assert objects_at("1717232399999") == ["Acme"]
    facts = alice.get("/api/temporal/fact", params={"subject": subject, "at": JAN}).json()
    assert facts["query"] == {
        "subject": subject, "predicate": None, "object": None, "at": JAN, "min_confidence": 0.1, "user_id": "alice",
        "project_id": None,
    }  # fmt: skip
    assert facts["facts"][0]["valid_to"] == "2024-06-01T08:59:59.999Z" and facts["facts"][0]["id"] == first["id"]
    assert alice.get(f"/api/temporal/fact/{first['id']}").json()["fact"] == facts["facts"][0]
    history = alice.get(f"/api/temporal/subject/{subject}", params={"include_historical": "true"}).json()
    assert [f["object"] for f in history["facts"]] == ["Globex", "Acme"] and history["count"] == 2


@pytest.mark.parametrize(
    ("path", "params", "needle"),
    [
        ("/api/temporal/fact", {}, "At least one of subject, predicate, or object is required"),
        ("/api/temporal/fact", {"subject": "x", "min_confidence": "2"}, "min_confidence"),
        ("/api/temporal/fact", {"subject": "x", "at": "someday"}, "invalid at date"),
        ("/api/temporal/fact/current", {"subject": "x"}, "predicate"),
        ("/api/temporal/search", {"pattern": "x", "field": "metadata"}, "field"),
        ("/api/temporal/volatile", {"limit": "0"}, "limit"),
        ("/api/temporal/compare", {"subject": "x", "time1": "nope"}, "invalid time1 date"),
    ],
)
def test_bad_queries_are_400(alice: httpx.Client, path: str, params: dict[str, str], needle: str) -> None:
    r = alice.get(path, params=params)
    assert r.status_code == 400, r.text
    assert needle in r.text


def test_patch_and_delete_invalidate_and_report(alice: httpx.Client) -> None:
    fact = add(alice, unique("bob"), "works_at", "Initech", valid_from="2021-07-01")
    patched = alice.patch(f"/api/temporal/fact/{fact['id']}", json={"confidence": 0.55, "metadata": {"p": True}})
    assert patched.json() == {
        "id": fact["id"],
        "confidence": 0.55,
        "metadata": {"p": True},
        "message": "Fact updated successfully",
    }
    assert alice.patch(f"/api/temporal/fact/{fact['id']}", json={}).status_code == 400
    gone = alice.request("DELETE", f"/api/temporal/fact/{fact['id']}", json={"valid_to": "2025-06-30"})
    assert gone.json() == {
        "id": fact["id"],
        "valid_to": "2025-06-30T00:00:00.000Z",
        "message": "Fact invalidated successfully",
    }
    current = alice.get("/api/temporal/fact/current", params={"subject": fact["subject"], "predicate": "works_at"})
    assert current.status_code == 404 and current.json()["err"] == "fact_not_found"


def test_an_identical_fact_is_409(alice: httpx.Client) -> None:
    subject = unique("dup")
    add(alice, subject, "works_at", "Globex", valid_from=JUN)
    r = alice.post("/api/temporal/fact", json={"subject": subject, "predicate": "works_at", "object": "Globex",
                                                 "valid_from": JUN})  # fmt: skip
    assert r.status_code == 409 and r.json()["err"] == "conflict"


def test_another_tenants_facts_are_invisible_on_every_route(alice: httpx.Client, bob: httpx.Client) -> None:
    subject = unique("shared")
    theirs = add(bob, subject, "status", "planning", valid_from=JAN)
    add(bob, subject, "status", "launched", valid_from=JUN)
    mine = add(alice, subject, "status", "planning", valid_from=JAN)  # same fact, another owner: no conflict
    p = {"subject": subject}
    assert [f["object"] for f in alice.get("/api/temporal/fact", params=p).json()["facts"]] == ["planning"]
    assert (
        alice.get("/api/temporal/fact/current", params={**p, "predicate": "status"}).json()["fact"]["id"] == mine["id"]
    )
    assert alice.get("/api/temporal/timeline", params=p).json()["count"] == 1
    assert alice.get(f"/api/temporal/subject/{subject}", params={"include_historical": "true"}).json()["count"] == 1
    assert alice.get("/api/temporal/search", params={"pattern": subject}).json()["count"] == 1
    diff = alice.get("/api/temporal/compare", params={**p, "time1": JAN, "time2": JUN}).json()
    assert diff["summary"] == {"added": 0, "removed": 0, "changed": 0, "unchanged": 1}
    assert alice.get("/api/temporal/volatile", params=p).json()["count"] == 0
    assert bob.get("/api/temporal/volatile", params=p).json()["volatile_facts"][0]["change_count"] == 2
    unknown = str(uuid.uuid4())
    for fact_id in (theirs["id"], unknown):
        assert alice.get(f"/api/temporal/fact/{fact_id}").status_code == 404
        assert alice.patch(f"/api/temporal/fact/{fact_id}", json={"confidence": 0.1}).status_code == 404
        assert alice.delete(f"/api/temporal/fact/{fact_id}").status_code == 404
    assert (
        bob.get("/api/temporal/fact/current", params={**p, "predicate": "status"}).json()["fact"]["object"]
        == "launched"
    )
    assert alice.get("/api/temporal/fact", params={**p, "user_id": "bob"}).json()["err"] == "tenant_mismatch"
    r = alice.post("/api/temporal/fact", json={"subject": "s", "predicate": "p", "object": "o", "user_id": "bob"})
    assert r.status_code == 403


def test_stats_count_the_callers_facts_only(bob: httpx.Client, admin: httpx.Client) -> None:
    before = bob.get("/api/temporal/stats").json()
    add(admin, unique("x"), "p", "o", user_id="carol")
    after = bob.get("/api/temporal/stats").json()
    assert after == before and after["scope"] == "user"
    carol = admin.get("/api/temporal/stats", params={"user_id": "carol"}).json()
    assert (carol["active_facts"], carol["total_facts"], carol["historical_percentage"]) == (1, 1, "0.00%")


def test_project_comes_from_header_then_query_then_body(alice: httpx.Client) -> None:
    subject = unique("proj")
    by_header = add(alice, subject, "a", "1", project_id="body", headers={"x-project-id": "header"})
    assert by_header["project_id"] == "header"
    r = alice.post("/api/temporal/fact", params={"project_id": "query"},
                   json={"subject": subject, "predicate": "b", "object": "2", "project_id": "body"})  # fmt: skip
    assert r.json()["project_id"] == "query"
    assert add(alice, subject, "c", "3", project_id="body")["project_id"] == "body"
    add(alice, subject, "d", "4", project_id="system_global")
    seen = alice.get(f"/api/temporal/subject/{subject}", headers={"x-project-id": "header"}).json()
    assert [f["predicate"] for f in seen["facts"]] == ["a", "d"]


def test_search_treats_wildcards_literally(alice: httpx.Client) -> None:
    tag = unique("w")
    add(alice, f"{tag}_100%", "is", "literal")
    add(alice, f"{tag}x100x", "is", "other")
    found = alice.get("/api/temporal/search", params={"pattern": f"{tag}_100%"}).json()
    assert [f["object"] for f in found["facts"]] == ["literal"]


def test_decay_touches_the_callers_facts_unless_admin(
    alice: httpx.Client, bob: httpx.Client, admin: httpx.Client
) -> None:
    mine = add(alice, unique("old"), "p", "o", valid_from="2020-01-01")
    theirs = add(bob, unique("old"), "p", "o", valid_from="2020-01-01")
    r = alice.post("/api/temporal/decay", json={"decay_rate": 0.01})
    assert r.status_code == 200 and r.json()["scope"] == "user" and r.json()["facts_updated"] >= 1

    def confidence(client: httpx.Client, fact: dict[str, object]) -> float:
        got = client.get("/api/temporal/fact", params={"subject": fact["subject"], "min_confidence": 0})
        return float(got.json()["facts"][0]["confidence"])

    assert confidence(alice, mine) == 0.1 and confidence(bob, theirs) == 1.0
    assert admin.post("/api/temporal/decay", json={}).json()["scope"] == "all"
    assert confidence(bob, theirs) == 0.1


def test_temporal_routes_need_a_key(anonymous: httpx.Client) -> None:
    assert anonymous.get("/api/temporal/stats").status_code == 401
    assert (
        anonymous.post("/api/temporal/fact", json={"subject": "s", "predicate": "p", "object": "o"}).status_code == 401
    )
