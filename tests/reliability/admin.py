"""The admin key in a crowded world: acting for a user shows exactly that user's own view, and the admin-wide
figures (``opm users``, ``Memory.users``) are the per-tenant figures side by side, summing to the whole."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack
from typing import Any

from tests.reliability.doors import RUNNER, cli_app, rest_observation
from tests.reliability.replay import Doors, _cli_clock
from tests.reliability.worlds import STEP_MS, T0_MS, TENANTS, World

# Read-only requests whose answer must be the same for the tenant's own key and for the admin naming the tenant.
# /dashboard/stats also carries the caller's own request counters, which are not the user's data.
CALLER_FIGURES = ("requests",)


def _reads(tenant: str, ids: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    q = {"user_id": tenant}
    return [
        ("GET", "/memory/all", {"params": {**q, "l": 10_000}}),
        ("GET", f"/users/{tenant}/memories", {"params": {"l": 10_000}}),
        ("GET", f"/users/{tenant}/summary", {}),
        ("GET", "/dashboard/stats", {"params": q}),
        ("GET", "/dashboard/activity", {"params": {**q, "limit": 1000}}),
        ("GET", "/dashboard/top-memories", {"params": {**q, "limit": 1000}}),
        ("GET", "/sectors", {"params": q}),
        ("GET", "/api/temporal/stats", {"params": q}),
        ("GET", "/api/temporal/volatile", {"params": {**q, "limit": 1000}}),
        *[("GET", "/api/temporal/fact", {"params": {**q, "subject": s}}) for s in ("car", "home", "job")],
        *[("GET", f"/memory/{memory_id}", {"params": q}) for memory_id in ids],
    ]


def _own_view(text: str) -> str:
    status, _, body = text.partition(" ")
    data = json.loads(body)
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in CALLER_FIGURES}
    return f"{status} {json.dumps(data, sort_keys=True)}"


async def admin_mismatches(world: World) -> list[str]:
    """Where the admin acting for a tenant sees something else than the tenant itself (empty: none)."""
    at_ms = T0_MS + 10_000 * STEP_MS
    found: list[str] = []
    async with AsyncExitStack() as stack:
        doors = Doors(world, stack)
        admin = await doors.http("admin")
        for tenant in TENANTS:
            own = await doors.http(tenant)
            for method, path, kwargs in _reads(tenant, world.ids[tenant]):
                world.clock.set(at_ms)  # both read at the same instant
                mine = _own_view(rest_observation(await own.request(method, path, **kwargs)))
                world.clock.set(at_ms)
                theirs = _own_view(rest_observation(await admin.request(method, path, **kwargs)))
                if mine != theirs:
                    found.append(f"{method} {path} for {tenant}:\n  own:   {mine}\n  admin: {theirs}")
            mine_mcp = await (await doors.mcp(tenant)).call_tool("openmemory_list", {"limit": 50})
            admin_mcp = await (await doors.mcp("admin")).call_tool("openmemory_list", {"limit": 50, "user_id": tenant})
            if mine_mcp.content != admin_mcp.content:
                found.append(f"MCP openmemory_list for {tenant} differs for the admin")
    return found


def admin_wide_mismatches(world: World) -> list[str]:
    """``opm users`` lists every tenant with the count the tenant itself sees, and nobody else's memories."""
    with _cli_clock(world):
        result = RUNNER.invoke(cli_app, ["users", "--json"], env=world.env)
    rows = {row["user_id"]: row["memories"] for row in json.loads(result.stdout)}
    own = {tenant: world.memory.count(user_id=tenant) for tenant in TENANTS}
    found = []
    if {u: n for u, n in rows.items() if n} != {t: n for t, n in own.items() if n}:
        found.append(f"opm users says {rows}, the tenants count {own}")
    if sum(rows.values()) != sum(own.values()) + world.memory.count(user_id=None):
        found.append("opm users does not sum to the tenants' counts")
    if set(world.memory.users()) - {None} - set(TENANTS):
        found.append(f"Memory.users() lists unknown users: {world.memory.users()}")
    return found
