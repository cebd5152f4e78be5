"""Many concurrent requests on one SQLite file never fail with "database is locked"."""

from __future__ import annotations

import asyncio

import httpx

from tests.live import KEYS


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
