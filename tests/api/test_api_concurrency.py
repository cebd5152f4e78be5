"""Many concurrent requests on one SQLite file never fail with "database is locked"."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from openmemory.memory import Memory
from tests.live import KEYS, keyed_settings, live_server


def test_fifty_concurrent_adds_and_queries_all_succeed(base_url: str) -> None:
    async def run() -> list[httpx.Response]:
        headers = {"x-api-key": KEYS["bob"]}
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60, limits=limits) as client:
            requests = [
                client.post("/memory/add", json={"content": f"concurrent note {i} about topic {i % 7}"})
                if i % 2 == 0
                else client.post("/memory/query", json={"query": f"topic {i % 7}", "k": 5})
                for i in range(50)
            ]
            return list(await asyncio.gather(*requests))

    responses = asyncio.run(run())
    failures = [(r.status_code, r.text) for r in responses if r.status_code != 200]
    assert failures == []
    added = {r.json()["id"] for r in responses if "primary_sector" in r.json()}
    with httpx.Client(base_url=base_url, headers={"x-api-key": KEYS["bob"]}) as client:
        stored = {item["id"] for item in client.get("/memory/all", params={"l": 1000}).json()["items"]}
    assert added and added <= stored


def test_queries_beyond_the_worker_limit_wait_their_turn(tmp_path: Path) -> None:
    # OM_SERVE_QUERY_THREADS bounds how many queries one worker answers at once; the rest queue, none fail
    db = tmp_path / "m.sqlite"
    memory = Memory(db, settings=keyed_settings(db, serve_query_threads=2))
    memory.add("the blue kettle is on the shelf", user_id="alice")
    inside, most = 0, 0
    lock = threading.Lock()
    answer = memory.query

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        try:
            time.sleep(0.02)  # long enough for the others to pile up
            return answer(*args, **kwargs)
        finally:
            with lock:
                inside -= 1

    memory.query = counted  # type: ignore[method-assign]

    async def run(url: str) -> list[httpx.Response]:
        headers = {"x-api-key": KEYS["alice"]}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
            return list(
                await asyncio.gather(*(client.post("/memory/query", json={"query": "kettle"}) for _ in range(12)))
            )

    try:
        with live_server(memory.settings, memory) as url:
            responses = asyncio.run(run(url))
    finally:
        memory.close()
    assert [r.status_code for r in responses] == [200] * 12
    assert all(r.json()["matches"][0]["content"] == "the blue kettle is on the shelf" for r in responses)
    assert most == 2
