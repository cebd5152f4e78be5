"""Project scoping over REST: the ``x-project-id`` header or a ``project_id`` field/parameter, per tenant."""

from __future__ import annotations

import httpx


def _add(client: httpx.Client, content: str, project: str | None = None, *, header: bool = False) -> str:
    if header and project:
        response = client.post("/memory/add", json={"content": content}, headers={"x-project-id": project})
    else:
        response = client.post("/memory/add", json={"content": content, "project_id": project})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def test_header_and_body_scope_writes_and_reads(alice: httpx.Client, bob: httpx.Client) -> None:
    alpha = _add(alice, "the alpha service runs on port 8001", "alpha", header=True)
    beta = _add(alice, "the beta service runs on port 8002", "beta")
    loose = _add(alice, "every service logs to syslog")
    bob_alpha = _add(bob, "bob's alpha service runs on port 9001", "alpha")

    body = alice.post("/memory/query", json={"query": "which port does the service run on", "k": 10},
                      headers={"x-project-id": "alpha"}).json()  # fmt: skip
    found = {m["id"]: m["project_id"] for m in body["matches"]}
    assert set(found) == {alpha, loose} and found[alpha] == "alpha" and found[loose] is None

    body = alice.post("/memory/query", json={"query": "service port", "project_id": "beta"}).json()
    assert {m["id"] for m in body["matches"]} == {beta, loose}

    listed = alice.get("/memory/all", params={"project_id": "beta"}).json()["items"]
    assert {i["id"] for i in listed} == {beta, loose}
    everything = {i["id"] for i in alice.get("/memory/all").json()["items"]}
    assert {alpha, beta, loose} <= everything and bob_alpha not in everything

    assert alice.get(f"/memory/{alpha}", headers={"x-project-id": "alpha"}).json()["project_id"] == "alpha"
    assert alice.get(f"/memory/{alpha}", params={"project_id": "beta"}).status_code == 404
    assert bob.get(f"/memory/{alpha}", headers={"x-project-id": "alpha"}).status_code == 404
    assert alice.delete(f"/memory/{alpha}", headers={"x-project-id": "beta"}).status_code == 404
    assert alice.delete(f"/memory/{alpha}", params={"project_id": "alpha"}).json() == {"ok": True}


def test_header_and_body_naming_different_projects_is_a_400(alice: httpx.Client) -> None:
    response = alice.post(
        "/memory/add", json={"content": "where does this go", "project_id": "a"}, headers={"x-project-id": "b"}
    )
    assert response.status_code == 400
    assert response.json()["err"] == "invalid_input" and "several projects" in response.json()["message"]
