"""Replaying a drawn sequence of operations in a world, and what the observed tenant saw.

``replay`` runs the steps in order with the world's clock set per step: alice's i-th step at ``T0 + i * STEP``, any
other step in between at the half step after it, so alice's steps read the same times in every world. It returns
alice's observations, exactly as she got them (the clock also mints the ids), and the failures of the probes: a
probe is another tenant's operation aimed at alice (her ids, her user_id); it runs twice, once for real and once
against an id and a user that never existed, and the two answers must be the same once those names are blanked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import httpx2
from mcp.client.streamable_http import streamable_http_client

import openmemory.memory.service as service
from mcp import ClientSession
from tests.reliability import doors
from tests.reliability.doors import DECOY_ID, DECOY_USER, Params, Resolve, Target
from tests.reliability.worlds import ADMIN_KEY, KEYS, STEP_MS, T0_MS, World, step_ids

OBSERVED = "alice"
WRITES = frozenset({
    "rest_add", "rest_import", "rest_vercel_add", "mcp_store", "mcp_store_project", "api_add", "api_add_many",
    "api_import_many", "cli_add",
})  # fmt: skip
OTHER_STEP_MS = 100  # other tenants' steps between two of alice's: 100 ms apart (a step reads the clock a few times)
IN_PROCESS = ("api_", "cli_")  # no API key there: naming a user_id is acting as that user, so probes only guess ids


@dataclass(frozen=True)
class Step:
    """One operation: ``actor`` (a tenant, or ``admin`` acting for ``owner``) runs ``name`` with ``params``.

    ``aim``: ``own`` (the actor's own data), ``copy`` (write alice's exact texts as the actor's own) or ``probe``
    (alice's ids and user_id)."""

    actor: str
    name: str
    params: Params
    aim: str = "own"
    owner: str | None = None  # admin steps: the user the admin acts for


@dataclass
class Outcome:
    observed: list[tuple[str, str]] = field(default_factory=list)  # (op name, observation) of alice, as she got it
    probe_failures: list[str] = field(default_factory=list)
    foreign_ids: list[str] = field(default_factory=list)  # a tenant shown an id another tenant was shown first
    probes: int = 0
    steps: int = 0


class Doors:
    """One world's open doors: an HTTP client and (on first use) an MCP session per key."""

    def __init__(self, world: World, stack: AsyncExitStack) -> None:
        self.world, self._stack = world, stack
        self._http: dict[str, httpx.AsyncClient] = {}
        self._mcp: dict[str, ClientSession] = {}

    @staticmethod
    def key(actor: str) -> str:
        return ADMIN_KEY if actor == "admin" else KEYS[actor]

    async def http(self, actor: str) -> httpx.AsyncClient:
        if actor not in self._http:
            client = httpx.AsyncClient(base_url=self.world.url, headers={"x-api-key": self.key(actor)}, timeout=60)
            self._http[actor] = await self._stack.enter_async_context(client)
        return self._http[actor]

    async def mcp(self, actor: str) -> ClientSession:
        if actor not in self._mcp:
            self._mcp[actor] = await self._stack.enter_async_context(_mcp_session(self.world.url, self.key(actor)))
        return self._mcp[actor]


@asynccontextmanager
async def _mcp_session(url: str, key: str) -> AsyncIterator[ClientSession]:
    async with (
        httpx2.AsyncClient(headers={"x-api-key": key}, timeout=60) as http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write, read_timeout_seconds=60) as session,
    ):
        await session.initialize()
        yield session


@contextmanager
def _cli_clock(world: World) -> Iterator[None]:
    """``opm`` opens its own Memory, which reads the default clock: point that at the world's clock."""
    saved = service.now_ms
    service.now_ms = world.clock
    try:
        yield
    finally:
        service.now_ms = saved


async def run_op(doors_: Doors, target: Target, step: Step) -> str:
    """The raw observation of one operation (status and body, tool result, return value or error, exit and output)."""
    world = doors_.world
    r = Resolve(world, target, step.params)
    actor = step.actor
    if step.name in doors.REST:
        method, path, kwargs = doors.REST[step.name][1](r)
        return doors.rest_observation(await (await doors_.http(actor)).request(method, path, **kwargs))
    if step.name in doors.MCP:
        tool, arguments = doors.MCP[step.name][1](r)
        return await doors.mcp_observation(await doors_.mcp(actor), tool, arguments)
    if step.name == "mcp_config":
        resource = await (await doors_.mcp(actor)).read_resource("openmemory://config")
        return str([getattr(c, "text", "") for c in resource.contents])
    if step.name in doors.API:
        return doors.api_observation(doors.API[step.name][1](r))
    with _cli_clock(world):
        return doors.cli_observation(world, doors.CLI[step.name][1](r))


def _target(step: Step) -> Target:
    if step.actor == "admin":
        assert step.owner is not None and step.owner != OBSERVED
        return Target(actor=step.owner, owner=step.owner)
    return Target(actor=step.actor, owner=OBSERVED if step.aim in ("copy", "probe") else step.actor)


def _aims_at_alice(world: World, step: Step) -> bool:
    """Whether a probe really names alice's data once resolved (else it is not a probe at all)."""
    r = Resolve(world, Target(step.actor, OBSERVED), step.params)
    builders: dict[str, Any] = {**doors.REST, **doors.MCP, **doors.API, **doors.CLI}
    builders[step.name][1](r)
    return r.aimed


def _blank(text: str, real_ids: list[str]) -> str:
    """``text`` with alice's ids and the decoy id as ``<ID>``, and alice's and the decoy's names as ``<USER>``."""
    for memory_id in [*real_ids, DECOY_ID]:
        text = text.replace(memory_id, "<ID>")
    for name in (OBSERVED, DECOY_USER):
        for before, after in (("'", "'"), ('"', '"'), ("/", "/"), (" ", "")):
            text = text.replace(f"{before}{name}{after}", f"{before}<USER>{after}")
    return text


async def replay(world: World, steps: list[Step], *, solo: bool) -> Outcome:
    """Run ``steps`` (only alice's when ``solo``) and return what alice observed."""
    outcome = Outcome()
    alice_steps, others = -1, 0
    async with AsyncExitStack() as stack:
        stack.enter_context(step_ids(world.clock))
        open_doors = Doors(world, stack)
        for step in steps:
            is_alice = step.actor == OBSERVED
            if solo and not is_alice:
                continue
            if is_alice:
                alice_steps, others = alice_steps + 1, 0
                world.clock.set(T0_MS + alice_steps * STEP_MS)
            else:  # after alice's step, each at its own time (its ids derive from it)
                others += 1
                world.clock.set(T0_MS + alice_steps * STEP_MS + STEP_MS // 2 + others * OTHER_STEP_MS)
            outcome.steps += 1
            if step.aim == "probe":
                await _probe(open_doors, step, outcome)
                continue
            target = _target(step)
            raw = await run_op(open_doors, target, step)
            for other, ids in world.ids.items():
                shown = [i for i in ids if other != target.actor and i in raw]
                if shown:
                    outcome.foreign_ids.append(f"{step.actor} {step.name} was shown {other}'s ids {shown}: {raw}")
            world.saw(target.actor, raw)
            if step.name in WRITES and target.owner == target.actor:
                world.texts[target.actor].append(Resolve(world, target, step.params).text())
            if is_alice:
                outcome.observed.append((step.name, raw))
    return outcome


async def _probe(open_doors: Doors, step: Step, outcome: Outcome) -> None:
    world = open_doors.world
    params = replace(step.params, user="omit") if step.name.startswith(IN_PROCESS) else step.params
    step = replace(step, params=params)
    if not _aims_at_alice(world, step):
        return
    outcome.probes += 1
    real = await run_op(open_doors, Target(step.actor, OBSERVED), step)
    decoy = await run_op(open_doors, Target(step.actor, OBSERVED, decoy=True), step)
    if _blank(real, world.ids[OBSERVED]) != _blank(decoy, world.ids[OBSERVED]):
        outcome.probe_failures.append(f"{step.actor} {step.name} {step.params}:\n  real:  {real}\n  decoy: {decoy}")
