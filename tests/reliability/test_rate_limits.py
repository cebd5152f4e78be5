"""Per-key limits: one tenant flooding the server gets 429 ``rate_limited`` with a Retry-After, and another
tenant's requests keep succeeding."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from openmemory.api.ratelimit import KeyLimiter
from openmemory.errors import RateLimited
from tests.live import ADMIN_KEY, KEYS, keyed_settings, live_server


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def test_the_bucket_refills_at_the_configured_rate_and_keys_are_apart() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        limiter = KeyLimiter(max_requests=3, window_s=60, clock=clock)
        for _ in range(3):
            await limiter.admit("alice")
            limiter.release("alice")
        with pytest.raises(RateLimited, match=r"more than 3 requests in 60 s.*retry in 20 s") as refused:
            await limiter.admit("alice")
        assert refused.value.retry_after_s == 20
        await limiter.admit("bob")  # bob has his own bucket
        clock.now_s += 20
        await limiter.admit("alice")  # one token back after 60 s / 3
        with pytest.raises(RateLimited):
            await limiter.admit("alice")

    asyncio.run(scenario())


def test_over_the_cap_a_request_waits_for_a_slot_then_is_refused() -> None:
    async def scenario() -> None:
        limiter = KeyLimiter(max_concurrent=2, wait_s=0.2)
        await limiter.admit("alice")
        await limiter.admit("alice")
        waiting = asyncio.create_task(limiter.admit("alice"))
        await asyncio.sleep(0.01)
        assert not waiting.done()
        await limiter.admit("bob")  # another key is not held up
        limiter.release("alice")
        await asyncio.wait_for(waiting, 1)  # admitted as soon as a slot was given back
        with pytest.raises(RateLimited, match="2 requests in progress and 0 waiting") as refused:
            await limiter.admit("alice")  # nobody gives one back within wait_s
        assert refused.value.retry_after_s == 1
        queue = [asyncio.create_task(limiter.admit("alice")) for _ in range(8)]  # 4 waiting per slot
        await asyncio.sleep(0.01)
        with pytest.raises(RateLimited, match="8 waiting"):
            await limiter.admit("alice")  # the queue is full: refused at once
        for task in queue:
            task.cancel()  # clients that went away while waiting
        await asyncio.gather(*queue, return_exceptions=True)
        limiter.release("alice")
        limiter.release("alice")
        for _ in range(2):  # both slots are free again: nobody who left kept one
            await asyncio.wait_for(limiter.admit("alice"), 0.05)

    asyncio.run(scenario())


def test_no_limits_configured_admits_everything() -> None:
    async def scenario() -> None:
        limiter = KeyLimiter()
        for _ in range(10_000):
            await limiter.admit("alice")

    asyncio.run(scenario())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db: Path = tmp_path_factory.mktemp("limits") / "m.sqlite"
    settings = keyed_settings(db, rate_limit_enabled=True, rate_limit_max_requests=10, max_concurrent_per_key=2)
    with live_server(settings) as url:
        yield url


def _client(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"x-api-key": key}, timeout=60)


def _assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["err"] == "rate_limited" and "API key" in body["message"]
    assert int(response.headers["retry-after"]) >= 1 and body["retry_after"] == int(response.headers["retry-after"])


def test_a_tenant_over_its_rate_gets_429_and_others_are_unaffected(server: str) -> None:
    with _client(server, KEYS["alice"]) as alice, _client(server, KEYS["bob"]) as bob:
        answers = [alice.post("/memory/query", json={"query": "anything", "k": 3}) for _ in range(14)]
        assert [r.status_code for r in answers[:10]] == [200] * 10
        for refused in answers[10:]:
            _assert_rate_limited(refused)
        assert int(answers[-1].headers["retry-after"]) <= 6  # one token back every 6 s
        _assert_rate_limited(alice.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        assert alice.get("/health").status_code == 200  # public routes carry no key and are not counted
        for _ in range(5):
            assert bob.post("/memory/add", json={"content": "bob is fine"}).status_code == 200
        with _client(server, ADMIN_KEY) as admin:
            assert admin.get("/memory/all", params={"user_id": "alice"}).status_code == 200


def test_a_tenant_flooding_with_parallel_requests_cannot_crowd_out_another(tmp_path: Path) -> None:
    # a cap of 1: one request in progress, 4 waiting, the rest of a flood of 12 refused at once
    settings = keyed_settings(tmp_path / "m.sqlite", max_concurrent_per_key=1)
    big = " ".join(f"word{i} about the harbour" for i in range(2_500))  # a slow add: many chunks to embed
    with live_server(settings) as url, _client(url, KEYS["alice"]) as alice, _client(url, KEYS["bob"]) as bob:
        with ThreadPoolExecutor(max_workers=12) as pool:
            flood = [pool.submit(alice.post, "/memory/add", json={"content": f"{i} {big}"}) for i in range(12)]
            bobs = [bob.post("/memory/add", json={"content": f"bob note {i}"}) for i in range(3)]
            statuses = [f.result().status_code for f in flood]
        assert [r.status_code for r in bobs] == [200, 200, 200]
        assert set(statuses) == {200, 429} and statuses.count(200) >= 2 and statuses.count(429) >= 3
        _assert_rate_limited(next(f.result() for f in flood if f.result().status_code == 429))
        # every slot was given back: alice is admitted again, one request after another
        for i in range(4):
            assert alice.post("/memory/add", json={"content": f"alice again {i}"}).status_code == 200
