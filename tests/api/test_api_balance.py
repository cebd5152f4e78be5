"""``opm serve --workers N`` spreads keep-alive connections: a worker over its share of the requests in flight
hands a connection back with ``Connection: close`` (api/balance.py)."""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.synchronize
import os
import time

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from openmemory.api import balance
from openmemory.api.balance import BalanceMiddleware, WorkerLoad


class _Gate:
    """An ASGI app whose requests wait until released, so the test decides how many are in flight."""

    def __init__(self) -> None:
        self.entered = 0
        self.release: asyncio.Queue[None] = asyncio.Queue()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.entered += 1
        await self.release.get()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})


def _other_worker(load: WorkerLoad, in_flight: int) -> None:
    """Fill a second slot as another worker process would (the parent pid is alive and not ours)."""
    slots = load._slots
    slots[2], slots[3] = os.getppid(), in_flight


async def _run(load: WorkerLoad, requests: int, *, path: str = "/memory/query") -> list[httpx.Response]:
    gate = _Gate()
    app = BalanceMiddleware(gate, load, skip_prefix="/mcp")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        tasks = [asyncio.create_task(client.get(path)) for _ in range(requests)]
        while gate.entered < requests:
            await asyncio.sleep(0.001)
        for answered in range(1, requests + 1):  # one at a time: each is answered while the rest are in flight
            gate.release.put_nowait(None)
            while sum(t.done() for t in tasks) < answered:
                await asyncio.sleep(0.001)
        return [t.result() for t in tasks]


def test_a_worker_over_its_share_hands_back_one_connection_and_not_more_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(balance, "CLOSE_EVERY_S", 60.0)
    load = WorkerLoad(2)
    load.enter()  # claims slot 0 for this process
    load.leave(0)
    _other_worker(load, in_flight=0)
    answers = asyncio.run(_run(load, 6))  # 6 here, 0 there: far over the mean (3) plus the slack
    closing = [r for r in answers if r.headers.get("connection") == "close"]
    assert all(r.status_code == 200 for r in answers)
    assert len(closing) == 1  # the others answered within CLOSE_EVERY_S of it keep their connection
    assert load._slots[1] == 0  # every request counted out again


def test_balanced_workers_keep_every_connection() -> None:
    load = WorkerLoad(2)
    load.enter()
    load.leave(0)
    _other_worker(load, in_flight=6)
    answers = asyncio.run(_run(load, 6))
    assert all(r.headers.get("connection") != "close" for r in answers)


def test_mcp_streams_are_neither_counted_nor_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(balance, "CLOSE_EVERY_S", 0.0)
    load = WorkerLoad(2)
    load.enter()
    load.leave(0)
    _other_worker(load, in_flight=0)
    answers = asyncio.run(_run(load, 6, path="/mcp"))
    assert all(r.headers.get("connection") != "close" for r in answers)
    assert load._slots[1] == 0


def _count_in_from_another_process(load: WorkerLoad, done: multiprocessing.synchronize.Event) -> None:
    load.enter()
    load.enter()
    done.wait(30)


def test_the_counts_are_shared_with_spawned_workers_and_a_dead_workers_slot_is_taken_over() -> None:
    spawn = multiprocessing.get_context("spawn")
    load = WorkerLoad(2)
    done = spawn.Event()
    child = spawn.Process(target=_count_in_from_another_process, args=(load, done))
    child.start()  # the load travels as uvicorn's config does: pickled into a spawned process
    try:
        deadline = time.monotonic() + 30
        while load._slots[1] != 2:
            assert time.monotonic() < deadline, "the spawned process's requests never showed up here"
            time.sleep(0.01)
        assert load._slots[0] == child.pid
        assert load.enter() == 1  # slot 0 is the living child's
        load.leave(1)
    finally:
        done.set()
        child.join(30)
    fresh = WorkerLoad(2)
    fresh._slots[0], fresh._slots[1] = child.pid, 5  # a worker that died with requests in flight
    assert fresh.enter() == 0 and fresh._slots[1] == 1  # its slot, counted from zero again


def test_a_worker_without_a_free_slot_serves_uncounted_and_keeps_its_connections() -> None:
    load = WorkerLoad(1)
    load._slots[0], load._slots[1] = os.getppid(), 0  # the only slot: another living worker's
    answers = asyncio.run(_run(load, 4))
    assert [r.status_code for r in answers] == [200] * 4
    assert all(r.headers.get("connection") != "close" for r in answers) and load._slots[1] == 0
