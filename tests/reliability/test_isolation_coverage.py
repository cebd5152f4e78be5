"""Every door into user data is in the isolation suite's draw, or listed here with the reason it is not.

A new REST route, MCP tool, public ``Memory`` / ``Memory.facts`` method or ``opm`` command fails these tests until it
is added to tests/reliability/doors.py (and so to the differential isolation run) or to the exemptions below.
"""

from __future__ import annotations

import inspect
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import typer
from fastapi.routing import APIRoute
from starlette.routing import Route

from openmemory.api import create_app
from openmemory.cli.app import app as cli_app
from openmemory.facts import Facts
from openmemory.memory import Memory
from tests.reliability import doors
from tests.reliability.replay import WRITES, Doors
from tests.reliability.test_isolation import EVERY_DOOR
from tests.reliability.worlds import Backend, open_world

REST_EXEMPT = {
    "GET /openapi.json": "the API's schema: the same static document for everyone",
    "GET /docs": "Swagger UI page, static",
    "GET /docs/oauth2-redirect": "Swagger UI helper page, static",
    "GET /redoc": "ReDoc page, static",
    "POST /mcp": "the MCP transport: each tool it serves is in the draw (MCP_TOOLS below)",
    "GET /mcp": "405 for everyone (stateless transport)",
    "DELETE /mcp": "405 for everyone (stateless transport)",
    "PUT /mcp": "405 for everyone (stateless transport)",
}
API_EXEMPT = {
    "Memory.close": "lifecycle, no user data",
    "Memory.flush": "writes buffered reinforcement of whoever queried; no answer",
    "Memory.warm_up": "loads indexes; answers counts of the whole database (server start-up, operator only)",
    "Memory.reembed": "re-embeds every user's memories: an operator's maintenance command",
    "Memory.users": "every user id: the admin-wide view, checked against the tenants' own counts (admin.py)",
    "Memory.user_summary_of_system": "the system/default user's summary, no tenant's",
    "Memory.maintenance": "the cross-user jobs door, an operator's (never reachable by a tenant key)",
    "Memory.location": "where the database is, not what it holds",
    "Memory.embedder": "the configured model, not data",
    "Memory.facts": "a namespace: each of its methods is listed on its own",
    "Memory.settings": "configuration, not data",
    "Memory.facts.now_ms": "the clock",
    "Memory.facts.decay_all": "every user's facts: the admin's door (POST /api/temporal/decay with the admin key)",
}
CLI_EXEMPT = {
    "users": "the local admin view of every user: checked against the tenants' own counts (admin.py)",
    "serve": "starts the REST server, whose routes are in the draw",
    "mcp": "the MCP tools over stdio for one --user; the same tool code is in the draw over /mcp",
    "migrate": "schema upgrade of the whole database, no user's view",
    "copy": "copies a whole SQLite database into PostgreSQL (operator)",
    "reembed": "re-embeds every user's memories (operator)",
    "import": "loads an export file under the user ids it names (operator; tests/importers)",
    "backup": "whole-database copy (operator; tests/transfer)",
    "restore": "whole-database restore (operator; tests/transfer)",
    "bench latency": "benchmark on its own throwaway data",
    "bench locomo": "benchmark on its own throwaway data",
    "bench soak": "crash soak on its own throwaway data (or an empty PostgreSQL schema it insists on)",
    "bench concurrency": "concurrency benchmark on its own throwaway data (or an empty PostgreSQL schema)",
}


def _app_routes(tmp_path: Path) -> set[str]:
    settings, _ = Backend("sqlite").settings(tmp_path)
    found: set[str] = set()
    app = create_app(settings)
    for path, operations in app.openapi()["paths"].items():
        found |= {f"{method.upper()} {path}" for method in operations}
    for route in app.router.routes:
        if isinstance(route, Route) and not isinstance(route, APIRoute):
            found |= {f"{m} {route.path}" for m in route.methods or () if m != "HEAD"}
    return found


def test_every_rest_route_is_in_the_isolation_draw_or_exempt(tmp_path: Path) -> None:
    drawn = {entry for entry, _ in doors.REST.values()}
    assert _app_routes(tmp_path) == drawn | set(REST_EXEMPT)
    assert not drawn & set(REST_EXEMPT)


def test_every_mcp_tool_and_resource_is_in_the_isolation_draw(tmp_path: Path) -> None:
    async def listing() -> tuple[set[str], set[str]]:
        with open_world(Backend("sqlite"), tmp_path) as world:
            async with AsyncExitStack() as stack:
                session = await Doors(world, stack).mcp("alice")
                tools = {t.name for t in (await session.list_tools()).tools}
                resources = {str(r.uri) for r in (await session.list_resources()).resources}
                return tools, resources

    tools, resources = anyio.run(listing)
    assert tools == {entry for entry, _ in doors.MCP.values()}
    assert resources == {"openmemory://config"}  # drawn as "mcp_config"


def _public(cls: type, prefix: str) -> set[str]:
    names = {n for n, _ in inspect.getmembers(cls) if not n.startswith("_")}
    return {f"{prefix}.{n}" for n in names}


def test_every_public_memory_method_is_in_the_isolation_draw_or_exempt() -> None:
    public = _public(Memory, "Memory") | {"Memory.facts", "Memory.settings"} | _public(Facts, "Memory.facts")
    drawn = {entry for entry, _ in doors.API.values()}
    assert public == drawn | set(API_EXEMPT)
    assert not drawn & set(API_EXEMPT)


def _commands(group: object, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for name, sub in getattr(group, "commands", {}).items():
        if getattr(sub, "commands", None):
            found |= _commands(sub, f"{prefix}{name} ")
        else:
            found.add(f"{prefix}{name}")
    return found


def test_every_opm_command_is_in_the_isolation_draw_or_exempt() -> None:
    drawn = {entry for entry, _ in doors.CLI.values()}
    assert _commands(typer.main.get_command(cli_app)) == drawn | set(CLI_EXEMPT)
    assert not drawn & set(CLI_EXEMPT)


def test_each_run_opens_every_door_for_alice_and_probes_it_from_another_tenant() -> None:
    alice = {s.name for s in EVERY_DOOR if s.actor == "alice"}
    probed = {s.name for s in EVERY_DOOR if s.aim == "probe"}
    assert alice == set(doors.DOORS) | {"mcp_config"}
    assert probed == {name for name in doors.DOORS if name not in WRITES}
