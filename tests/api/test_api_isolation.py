"""Two tenants on one server: no route lets one read or change the other's memories (DESIGN §7)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SECRET = "Alice's secret: the vault code is quokka-4711"
MARKER = "quokka"  # digits alone also turn up in ids and timestamps of unrelated rows
NO_USER_ROUTES = {"/dashboard/maintenance"}  # takes no user_id: server job runs only


@pytest.fixture(scope="module")
def alice_memory(alice: httpx.Client) -> Iterator[str]:
    memory_id = alice.post("/memory/add", json={"content": SECRET, "tags": ["vault"]}).json()["id"]
    yield memory_id


def _leaks(response: httpx.Response, memory_id: str) -> bool:
    """Alice's content anywhere, or her id in a success body (an error may echo the id the caller sent)."""
    return MARKER in response.text or (response.is_success and memory_id in response.text)


def _bob_requests(memory_id: str, user_id: str | None) -> list[tuple[str, str, dict[str, object]]]:
    """Every route, aimed at Alice's memory id and/or naming ``user_id``."""
    q = {"user_id": user_id} if user_id is not None else {}
    body_user = {"user_id": user_id} if user_id is not None else {}
    path_user = quote(user_id, safe="") if user_id else "alice"
    return [
        ("GET", "/sectors", {"params": q}),
        ("POST", "/memory/add", {"json": {"content": "bob was here", **body_user}}),
        ("POST", "/memory/query", {"json": {"query": "vault code", **body_user}}),
        ("POST", "/memory/query", {"json": {"query": "vault code", "filters": body_user}}),
        ("POST", "/memory/reinforce", {"json": {"id": memory_id, **body_user}}),
        ("PATCH", f"/memory/{memory_id}", {"json": {"content": "overwritten", **body_user}}),
        ("GET", f"/memory/{memory_id}", {"params": q}),
        ("DELETE", f"/memory/{memory_id}", {"params": q}),
        ("GET", "/memory/all", {"params": q}),
        ("GET", f"/users/{path_user}/summary", {}),
        ("POST", f"/users/{path_user}/summary/regenerate", {}),
        ("GET", f"/users/{path_user}/memories", {}),
        ("DELETE", f"/users/{path_user}/memories", {}),
        ("GET", "/dashboard/stats", {"params": q}),
        ("GET", "/dashboard/activity", {"params": q}),
        ("GET", "/dashboard/top-memories", {"params": q}),
        ("GET", "/dashboard/maintenance", {}),
        ("POST", "/query", {"json": {"query": "vault code", **body_user}}),
        ("POST", "/memories", {"json": {"content": "bob was here too", **body_user}}),
    ]


def _assert_alice_intact(alice: httpx.Client, memory_id: str) -> None:
    item = alice.get(f"/memory/{memory_id}")
    assert item.status_code == 200 and item.json()["content"] == SECRET


@pytest.mark.parametrize("user_id", [None, "alice"])
def test_no_route_reaches_another_tenants_memory(
    alice: httpx.Client, bob: httpx.Client, alice_memory: str, user_id: str | None
) -> None:
    for method, path, kwargs in _bob_requests(alice_memory, user_id):
        response = bob.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert not _leaks(response, alice_memory), (method, path, response.text)
        if path in NO_USER_ROUTES:
            continue
        if user_id == "alice" or "/users/alice" in path:
            assert response.status_code == 403 and response.json()["err"] == "tenant_mismatch", (method, path)
        elif alice_memory in path or "reinforce" in path:
            assert response.status_code == 404 and response.json()["err"] == "not_found", (method, path)
    _assert_alice_intact(alice, alice_memory)


def test_another_tenants_id_is_404_not_403(bob: httpx.Client, alice_memory: str) -> None:
    foreign = bob.get(f"/memory/{alice_memory}")
    missing = bob.get("/memory/00000000-0000-0000-0000-000000000000")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["err"] == missing.json()["err"] == "not_found"


def test_dedup_does_not_cross_tenants(alice: httpx.Client, bob: httpx.Client, alice_memory: str) -> None:
    copy = bob.post("/memory/add", json={"content": SECRET}).json()
    assert copy["id"] != alice_memory and copy["deduplicated"] is False
    bob.delete(f"/memory/{copy['id']}")


def test_dashboard_counts_are_the_callers_own(alice: httpx.Client, bob: httpx.Client, alice_memory: str) -> None:
    alice_total = alice.get("/dashboard/stats").json()["totalMemories"]
    bob_items = bob.get("/memory/all", params={"l": 10_000}).json()["items"]
    assert bob.get("/dashboard/stats").json()["totalMemories"] == len(bob_items)
    assert alice_total >= 1
    assert all(item["user_id"] == "bob" for item in bob_items)


def test_admin_may_name_any_user(admin: httpx.Client, alice_memory: str) -> None:
    assert admin.get(f"/memory/{alice_memory}").status_code == 404  # omitted = the system/default user
    assert admin.get(f"/memory/{alice_memory}", params={"user_id": "alice"}).json()["content"] == SECRET
    assert admin.get("/users/alice/summary").status_code == 200


def test_plain_user_id_spelled_differently_is_still_foreign(bob: httpx.Client) -> None:
    for spelling in ("Alice", "alice ", " alice", "alice\u200b", "ALICE"):
        response = bob.get("/memory/all", params={"user_id": spelling})
        assert response.status_code == 403, spelling


_user_ids = st.one_of(
    st.none(),
    st.sampled_from(["alice", "Alice", "alice ", "", "bob", "system", "null", "*", "%", "alice%00"]),
    st.text(min_size=1, max_size=12),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user_id=_user_ids, route=st.integers(min_value=0, max_value=18), use_id=st.booleans())
def test_probes_never_leak_alice(
    alice: httpx.Client, bob: httpx.Client, alice_memory: str, user_id: str | None, route: int, use_id: bool
) -> None:
    target = alice_memory if use_id else "00000000-0000-0000-0000-000000000000"
    method, path, kwargs = _bob_requests(target, user_id)[route]
    response = bob.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code < 500, response.text
    assert not _leaks(response, alice_memory), (method, path, response.text)
    if response.status_code == 200 and user_id not in (None, "", "bob") and path not in NO_USER_ROUTES:
        pytest.fail(f"{method} {path} accepted foreign user_id {user_id!r}")
    _assert_alice_intact(alice, alice_memory)
