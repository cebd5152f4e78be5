"""Each source, read from a loopback server that answers in that service's documented shapes, lands whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from openmemory.errors import SourceAuthError, SourceFormatError, SourceUnavailable
from openmemory.importers.base import Importer, Scope
from openmemory.importers.http import SourceClient
from openmemory.importers.ledger import Checkpoint, FailureLog
from openmemory.importers.mem0 import Mem0Api
from openmemory.importers.pipeline import Report, run_import
from openmemory.importers.supermemory import SupermemoryApi
from openmemory.importers.target import LocalTarget
from openmemory.importers.zep import ZepApi
from openmemory.memory import Memory
from openmemory.outbound import OutboundPolicy
from tests.importers.services import KEY, USERS, Services, zep_message

NOW = 1_750_000_000_000
LOOPBACK = OutboundPolicy(allow=("127.0.0.1",))  # the fake services are local: allowed explicitly


def _clock() -> int:
    return NOW


def _api(source: str, url: str, sleeps: list[float], version: str | None = None, key: str = KEY) -> Importer:
    if source == "mem0":
        client = SourceClient("Mem0", url, Mem0Api.headers(key), sleep=sleeps.append, policy=LOOPBACK)
        return Mem0Api(client, api_version=version or "v2", clock=_clock)
    if source == "zep":
        client = SourceClient("Zep", url, ZepApi.headers(key), sleep=sleeps.append, policy=LOOPBACK)
        return ZepApi(client, api_version=version or "v3", clock=_clock)
    client = SourceClient("Supermemory", url, SupermemoryApi.headers(key), sleep=sleeps.append, policy=LOOPBACK)
    return SupermemoryApi(client, clock=_clock)


def _import(importer: Importer, memory: Memory, tmp_path: Path, users: list[str] | None = None) -> Report:
    log = FailureLog(tmp_path / "failed.jsonl")
    try:
        return run_import(importer, LocalTarget(memory), importer.scopes(users), failures=log, batch=4)
    finally:
        log.close()
        importer.close()


EXPECTED = {"mem0": 5, "zep": 10, "supermemory": 5}  # per user: zep has 2 threads of 5 messages


@pytest.mark.parametrize(("source", "version"), [("mem0", "v2"), ("mem0", "v1"), ("zep", "v3"), ("zep", "v2"),
                                                  ("supermemory", None)])  # fmt: skip
def test_every_user_lands_under_the_same_user_id_with_its_times(
    source: str, version: str | None, memory: Memory, service_url: str, tmp_path: Path
) -> None:
    report = _import(_api(source, service_url, [], version), memory, tmp_path)
    assert {u: t.imported for u, t in report.users.items()} == {u: EXPECTED[source] for u in USERS}
    for user in USERS:
        stored = memory.list(user_id=user, limit=100)
        assert len(stored) == EXPECTED[source]
        assert all(m.meta["source"] == source and user in m.content for m in stored)
        assert all(m.created_at_ms < NOW and m.updated_at_ms >= m.created_at_ms for m in stored)


def test_mem0_keeps_text_times_categories_and_metadata(memory: Memory, service_url: str, tmp_path: Path) -> None:
    _import(_api("mem0", service_url, []), memory, tmp_path, users=["zoë 日本"])
    (one,) = [m for m in memory.list(user_id="zoë 日本", limit=10) if m.meta["source_id"] == "m-zoë 日本-1"]
    assert one.content == "zoë 日本 likes thing number 1"
    assert one.created_at_ms == 1_706_893_200_123  # 2024-02-02T10:00:00.123456-07:00
    assert one.updated_at_ms == 1_727_740_800_000  # 2024-10-01T00:00:00Z
    assert one.tags == ("hobbies", "food")
    assert one.meta["mood"] == "ok" and one.meta["source_fields"]["hash"] == "h1"
    assert memory.count(user_id="alice") == 0  # only the user named


def test_a_second_run_adds_nothing_and_never_merges_two_users(
    memory: Memory, services: Services, service_url: str, tmp_path: Path
) -> None:
    services.mem0["bob"] = [dict(m, memory="the very same text", user_id="bob") for m in services.mem0["bob"]]
    services.mem0["alice"][0]["memory"] = "the very same text"
    first = _import(_api("mem0", service_url, []), memory, tmp_path)
    again = _import(_api("mem0", service_url, []), memory, tmp_path)
    assert first.total.imported == 15 and again.total.imported == 0 and again.total.duplicates == 15
    assert memory.count(user_id="bob") == 5  # identical texts of one user stay distinct memories: distinct ids
    assert [m.content for m in memory.list(user_id="alice", limit=10)].count("the very same text") == 1


@pytest.mark.parametrize(("source", "path"), [("mem0", "/v2/memories/"), ("zep", "/api/v2/users-ordered"),
                                              ("supermemory", "/v3/documents/list")])  # fmt: skip
def test_429_and_5xx_are_retried_with_backoff(
    source: str, path: str, memory: Memory, services: Services, service_url: str, tmp_path: Path
) -> None:
    services.fail_next(path, 429, **{"Retry-After": "7"})
    services.fail_next(path, 503)
    services.fail_next(path, 500)
    sleeps: list[float] = []
    report = _import(_api(source, service_url, sleeps), memory, tmp_path)
    assert sleeps == [7.0, 1.0, 2.0]  # Retry-After honoured, then exponential backoff
    assert report.total.imported == EXPECTED[source] * len(USERS)


def test_a_source_that_keeps_failing_stops_after_bounded_retries(
    memory: Memory, services: Services, service_url: str, tmp_path: Path
) -> None:
    for _ in range(10):
        services.fail_next("/v1/entities/", 502)
    sleeps: list[float] = []
    with pytest.raises(SourceUnavailable, match="7 attempts"):
        _import(_api("mem0", service_url, sleeps), memory, tmp_path)
    assert len(sleeps) == 6 and max(sleeps) <= 60


@pytest.mark.parametrize("source", ["mem0", "zep", "supermemory"])
def test_a_wrong_key_stops_at_once(source: str, memory: Memory, services: Services, service_url: str,
                                   tmp_path: Path) -> None:  # fmt: skip
    with pytest.raises(SourceAuthError, match="refused the API key"):
        _import(_api(source, service_url, [], key="wrong"), memory, tmp_path)
    assert len(services.seen) == 1


@pytest.mark.parametrize(
    ("source", "path", "page", "field"),
    [
        ("mem0", "/v2/memories/", '{"count": 1, "next": null, "items": []}', "'results' or 'memories'"),
        ("mem0", "/v2/memories/", '{"results": [{"id": "x", "text_": "?"}]}', "'memory' or 'text' or 'content'"),
        ("zep", "/api/v2/threads/t-0-alice/messages", '{"messages": [{"uuid": "u", "text": "?"}]}', "'content'"),
        ("supermemory", "/v3/documents/list", '{"memories": [{"id": "d", "content": "x", "createdAt": "soon"}]}',
         "'createdAt' is not an ISO 8601 time"),
        ("supermemory", "/v3/documents/list", "<html>oops</html>", "not JSON"),
    ],
)  # fmt: skip
def test_a_malformed_page_fails_naming_the_field(
    source: str, path: str, page: str, field: str, memory: Memory, services: Services, service_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    services.fail_next(path, 200, page)
    with pytest.raises(SourceFormatError, match=field.replace("(", r"\(")):
        _import(_api(source, service_url, []), memory, tmp_path, users=["alice"])


def test_an_interrupted_import_resumes_after_the_users_it_finished(
    memory: Memory, services: Services, service_url: str, tmp_path: Path
) -> None:
    services.fail_next("/api/v2/threads/t-1-bob/messages", 401)  # bob's second thread: the run stops there
    checkpoint = Checkpoint(tmp_path, "zep", ["same command"])
    with pytest.raises(SourceAuthError):
        run_import(_api("zep", service_url, []), LocalTarget(memory), [Scope(u) for u in USERS],
                   failures=FailureLog(tmp_path / "f.jsonl"), checkpoint=checkpoint)  # fmt: skip
    assert memory.count(user_id="alice") == 10 and memory.count(user_id="bob") == 5
    services.seen.clear()
    again = Checkpoint(tmp_path, "zep", ["same command"])
    report = run_import(_api("zep", service_url, []), LocalTarget(memory), [Scope(u) for u in USERS],
                        failures=FailureLog(tmp_path / "f.jsonl"), checkpoint=again)  # fmt: skip
    assert report.resumed == ["alice"] and not any("alice" in request for request in services.seen)
    assert report.users["bob"].duplicates == 5 and report.users["bob"].imported == 5
    assert {u: memory.count(user_id=u) for u in USERS} == {u: 10 for u in USERS}
    again.finish()
    assert not again.path.exists()


def test_zep_v2_lists_every_session_and_one_without_a_user_goes_to_the_system_user(
    memory: Memory, services: Services, service_url: str, tmp_path: Path
) -> None:
    services.zep_anonymous = {"s-anon": [zep_message("nobody", "s-anon", n) for n in range(4)]}
    report = _import(_api("zep", service_url, [], "v2"), memory, tmp_path)
    assert report.users[None].imported == 4 and memory.count(user_id=None) == 4
    assert {u: memory.count(user_id=u) for u in USERS} == {u: 10 for u in USERS}
    assert "GET /api/v2/sessions-ordered" in services.seen
