"""Every door a tenant has into its data, as operations the isolation suite can draw at random and replay.

An operation is ``(name, Params)``. ``Params`` holds every random choice any operation may need (a text, an id
reference, a page, where a ``user_id`` goes); each door's builder takes what it needs. ``OPS`` maps a name to the
surface entry it exercises (``REST GET /memory/{memory_id}``, ``MCP openmemory_get``, ``API Memory.get``,
``CLI facts get`` ...), which the coverage tests compare with what the app, the MCP server, ``Memory`` and ``opm``
really offer.

``Target`` decides what the symbolic parts resolve to: the actor's own ids and user_id, or (``foreign``) another
tenant's ids and user_id. With ``decoy`` the foreign parts become an id and a user that never existed, so a test can
check that another tenant's data looks exactly like no data at all.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
from typer.testing import CliRunner

from mcp import ClientSession, MCPError
from openmemory.cli.app import app as cli_app
from openmemory.errors import OpenMemoryError
from openmemory.models import SourceMemory
from tests.reliability.worlds import NEVER_ISSUED, STEP_MS, T0_MS, World

WORDS = ("jazz", "lisbon", "garden", "pasta", "chess", "piano", "hiking", "taxes", "boat", "secret")
SUBJECTS = ("car", "home", "job")
PREDICATES = ("is", "has")
DECOY_ID = NEVER_ISSUED
DECOY_USER = "zed"  # a user nobody ever writes for
TIMES = (T0_MS - 86_400_000, T0_MS + 5 * STEP_MS, T0_MS + 40 * STEP_MS)


@dataclass(frozen=True)
class Params:
    words: tuple[str, ...] = ("jazz",)
    copy: int | None = None  # reuse the target's n-th text exactly (dedup across tenants)
    ref: int = 0  # the n-th id the target was shown (memory and fact ids alike)
    user: str = "omit"  # omit | self | target: where the op names a user_id, this is its value
    where: str = "body"  # body | query | filters: where a user_id goes when a route takes it in several places
    offset: int = 0
    limit: int = 3
    k: int = 5
    subject: int = 0
    predicate: int = 0
    time: int = 0
    flag: bool = False


@dataclass(frozen=True)
class Target:
    """What the symbolic parts of an operation resolve to, for one actor."""

    actor: str
    owner: str  # whose ids, texts and user_id the operation aims at (the actor itself, or a victim)
    decoy: bool = False

    @property
    def is_foreign(self) -> bool:
        return self.owner != self.actor


class Resolve:
    def __init__(self, world: World, target: Target, p: Params) -> None:
        self.w, self.t, self.p = world, target, p
        self.aimed = False  # whether a resolved part was the owner's (foreign owner: a real probe)

    def text(self) -> str:
        texts = self.w.texts[self.t.owner]
        if self.p.copy is not None and texts and not self.t.decoy:
            self.aimed = True
            return texts[self.p.copy % len(texts)]
        return " ".join(self.p.words)

    def id(self) -> str:
        ids = self.w.ids[self.t.owner]
        if self.t.decoy or not ids:
            return DECOY_ID
        self.aimed = True
        return ids[self.p.ref % len(ids)]

    def user(self) -> str | None:
        """The user_id the operation names (None: it names none)."""
        if self.p.user == "omit":
            return None
        if self.p.user == "self":
            return self.t.actor
        self.aimed = True
        return DECOY_USER if self.t.decoy else self.t.owner

    def path_user(self) -> str:
        return self.user() or self.t.actor

    def as_user(self) -> str:
        """The user_id for Python API and CLI calls, which always name one."""
        return self.user() or self.t.actor

    def subject(self) -> str:
        return SUBJECTS[self.p.subject % len(SUBJECTS)]

    def predicate(self) -> str:
        return PREDICATES[self.p.predicate % len(PREDICATES)]

    def obj(self) -> str:
        return self.p.words[0]

    def when(self, shift: int = 0) -> int:
        return TIMES[(self.p.time + shift) % len(TIMES)]


# -- REST ------------------------------------------------------------------------------------------------------

Rest = tuple[str, str, dict[str, Any]]


def _u(r: Resolve, **more: Any) -> dict[str, Any]:
    user = r.user()
    return {**more, **({"user_id": user} if user is not None else {})}


def _query_body(r: Resolve) -> dict[str, Any]:
    body: dict[str, Any] = {"query": r.text(), "k": r.p.k}
    if r.p.where == "filters":
        body["filters"] = _u(r)
        return body
    return _u(r, **body)


REST: dict[str, tuple[str, Callable[[Resolve], Rest]]] = {
    "rest_add": (
        "POST /memory/add",
        lambda r: ("POST", "/memory/add", {"json": _u(r, content=r.text(), tags=[r.obj()])}),
    ),
    "rest_import": (
        "POST /memory/import",
        lambda r: (
            "POST",
            "/memory/import",
            {
                "json": _u(
                    r,
                    items=[
                        {"source": "mem0", "source_id": f"s{r.p.ref % 4}", "content": r.text(), "created_at": r.when()}
                    ],
                )
            },
        ),
    ),
    "rest_query": ("POST /memory/query", lambda r: ("POST", "/memory/query", {"json": _query_body(r)})),
    "rest_reinforce": ("POST /memory/reinforce", lambda r: ("POST", "/memory/reinforce", {"json": _u(r, id=r.id())})),
    "rest_all": ("GET /memory/all", lambda r: ("GET", "/memory/all", {"params": _u(r, u=r.p.offset, l=r.p.limit)})),
    "rest_get": ("GET /memory/{memory_id}", lambda r: ("GET", f"/memory/{r.id()}", {"params": _u(r)})),
    "rest_patch": (
        "PATCH /memory/{memory_id}",
        lambda r: (
            "PATCH",
            f"/memory/{r.id()}",
            {
                "json": _u(r, content=r.text()) if r.p.where == "body" else {"content": r.text()},
                "params": _u(r) if r.p.where != "body" else {},
            },
        ),
    ),
    "rest_delete": ("DELETE /memory/{memory_id}", lambda r: ("DELETE", f"/memory/{r.id()}", {"params": _u(r)})),
    "rest_summary": ("GET /users/{user_id}/summary", lambda r: ("GET", f"/users/{r.path_user()}/summary", {})),
    "rest_regenerate": (
        "POST /users/{user_id}/summary/regenerate",
        lambda r: ("POST", f"/users/{r.path_user()}/summary/regenerate", {}),
    ),
    "rest_user_memories": (
        "GET /users/{user_id}/memories",
        lambda r: ("GET", f"/users/{r.path_user()}/memories", {"params": {"u": r.p.offset, "l": r.p.limit}}),
    ),
    "rest_delete_user": (
        "DELETE /users/{user_id}/memories",
        lambda r: ("DELETE", f"/users/{r.path_user()}/memories", {}),
    ),
    "rest_stats": ("GET /dashboard/stats", lambda r: ("GET", "/dashboard/stats", {"params": _u(r)})),
    "rest_activity": (
        "GET /dashboard/activity",
        lambda r: ("GET", "/dashboard/activity", {"params": _u(r, limit=r.p.limit)}),
    ),
    "rest_top": (
        "GET /dashboard/top-memories",
        lambda r: ("GET", "/dashboard/top-memories", {"params": _u(r, limit=r.p.limit)}),
    ),
    "rest_maintenance": ("GET /dashboard/maintenance", lambda r: ("GET", "/dashboard/maintenance", {})),
    "rest_sectors": ("GET /sectors", lambda r: ("GET", "/sectors", {"params": _u(r)})),
    "rest_health": ("GET /health", lambda r: ("GET", "/health", {})),
    "rest_vercel_query": ("POST /query", lambda r: ("POST", "/query", {"json": _u(r, query=r.text(), k=r.p.k)})),
    "rest_vercel_add": ("POST /memories", lambda r: ("POST", "/memories", {"json": _u(r, content=r.text())})),
    "rest_fact_add": (
        "POST /api/temporal/fact",
        lambda r: (
            "POST",
            "/api/temporal/fact",
            {"json": _u(r, subject=r.subject(), predicate=r.predicate(), object=r.obj(), valid_from=r.when())},
        ),
    ),
    "rest_fact_query": (
        "GET /api/temporal/fact",
        lambda r: ("GET", "/api/temporal/fact", {"params": _u(r, subject=r.subject())}),
    ),
    "rest_fact_current": (
        "GET /api/temporal/fact/current",
        lambda r: (
            "GET",
            "/api/temporal/fact/current",
            {"params": _u(r, subject=r.subject(), predicate=r.predicate())},
        ),
    ),
    "rest_fact_get": (
        "GET /api/temporal/fact/{fact_id}",
        lambda r: ("GET", f"/api/temporal/fact/{r.id()}", {"params": _u(r)}),
    ),
    "rest_fact_patch": (
        "PATCH /api/temporal/fact/{fact_id}",
        lambda r: ("PATCH", f"/api/temporal/fact/{r.id()}", {"json": _u(r, confidence=0.5)}),
    ),
    "rest_fact_invalidate": (
        "DELETE /api/temporal/fact/{fact_id}",
        lambda r: ("DELETE", f"/api/temporal/fact/{r.id()}", {"params": _u(r)}),
    ),
    "rest_timeline": (
        "GET /api/temporal/timeline",
        lambda r: ("GET", "/api/temporal/timeline", {"params": _u(r, subject=r.subject())}),
    ),
    "rest_subject": (
        "GET /api/temporal/subject/{subject}",
        lambda r: ("GET", f"/api/temporal/subject/{r.subject()}", {"params": _u(r, include_historical=r.p.flag)}),
    ),
    "rest_search": (
        "GET /api/temporal/search",
        lambda r: ("GET", "/api/temporal/search", {"params": _u(r, pattern=r.subject()[:2])}),
    ),
    "rest_compare": (
        "GET /api/temporal/compare",
        lambda r: (
            "GET",
            "/api/temporal/compare",
            {"params": _u(r, subject=r.subject(), time1=r.when(), time2=r.when(1))},
        ),
    ),
    "rest_fact_stats": ("GET /api/temporal/stats", lambda r: ("GET", "/api/temporal/stats", {"params": _u(r)})),
    "rest_fact_decay": (
        "POST /api/temporal/decay",
        lambda r: (
            "POST",
            "/api/temporal/decay",
            {"json": _u(r, decay_rate=0.05) if r.p.user != "omit" else {"decay_rate": 0.05}},
        ),
    ),
    "rest_volatile": (
        "GET /api/temporal/volatile",
        lambda r: ("GET", "/api/temporal/volatile", {"params": _u(r, limit=r.p.limit)}),
    ),
}

# Per-caller figures that are about the process, not about anyone's data (uptime, memory use, request rates).
VOLATILE_KEYS = ("system", "qps")


def rest_observation(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.text}"
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in VOLATILE_KEYS}
    return f"{response.status_code} {json.dumps(body, sort_keys=True)}"


# -- MCP (streamable HTTP, the official client) ----------------------------------------------------------------

Mcp = tuple[str, dict[str, Any]]


def _facts(r: Resolve) -> list[dict[str, Any]]:
    return [{"subject": r.subject(), "predicate": r.predicate(), "object": r.obj(), "valid_from": str(r.when())}]


MCP: dict[str, tuple[str, Callable[[Resolve], Mcp]]] = {
    "mcp_query": (
        "openmemory_query",
        lambda r: (
            "openmemory_query",
            _u(
                r,
                query=r.text(),
                k=r.p.k,
                type=("unified" if r.p.flag else "contextual"),
                fact_pattern={"subject": r.subject()},
            ),
        ),
    ),
    "mcp_store": (
        "openmemory_store",
        lambda r: (
            "openmemory_store",
            _u(r, content=r.text(), tags=[r.obj()], **({"type": "both", "facts": _facts(r)} if r.p.flag else {})),
        ),
    ),
    "mcp_store_project": (
        "openmemory_store_project",
        lambda r: ("openmemory_store_project", _u(r, content=r.text(), project_id=f"p{r.p.subject % 2}")),
    ),
    "mcp_reinforce": ("openmemory_reinforce", lambda r: ("openmemory_reinforce", _u(r, id=r.id(), boost=0.2))),
    "mcp_delete": ("openmemory_delete", lambda r: ("openmemory_delete", _u(r, id=r.id()))),
    "mcp_list": ("openmemory_list", lambda r: ("openmemory_list", _u(r, limit=r.p.limit))),
    "mcp_get": ("openmemory_get", lambda r: ("openmemory_get", _u(r, id=r.id(), include_vectors=r.p.flag))),
}


async def mcp_observation(session: ClientSession, name: str, arguments: dict[str, Any]) -> str:
    try:
        result = await session.call_tool(name, arguments)
    except MCPError as exc:
        return f"protocol-error {exc}"
    texts = [getattr(block, "text", "") for block in result.content]
    return json.dumps({"error": bool(result.is_error), "texts": texts})


# -- Python API (the same Memory the server serves) ------------------------------------------------------------

Api = Callable[[], Any]


def _source(r: Resolve) -> SourceMemory:
    return SourceMemory(
        source="zep", source_id=f"z{r.p.ref % 4}", user_id=r.as_user(), content=r.text(), created_at_ms=r.when(),
        updated_at_ms=r.when(), tags=(), meta={},
    )  # fmt: skip


API: dict[str, tuple[str, Callable[[Resolve], Api]]] = {
    "api_add": ("Memory.add", lambda r: partial(r.w.memory.add, r.text(), user_id=r.as_user(), tags=[r.obj()])),
    "api_add_many": (
        "Memory.add_many",
        lambda r: partial(r.w.memory.add_many, [r.text(), " ".join(reversed(r.p.words))], user_id=r.as_user()),
    ),
    "api_import_many": (
        "Memory.import_many",
        lambda r: partial(r.w.memory.import_many, [_source(r)], user_id=r.as_user()),
    ),
    "api_update": (
        "Memory.update",
        lambda r: partial(r.w.memory.update, r.id(), user_id=r.as_user(), content=r.text()),
    ),
    "api_reinforce": ("Memory.reinforce", lambda r: partial(r.w.memory.reinforce, r.id(), user_id=r.as_user())),
    "api_delete": ("Memory.delete", lambda r: partial(r.w.memory.delete, r.id(), user_id=r.as_user())),
    "api_delete_user": ("Memory.delete_user", lambda r: partial(r.w.memory.delete_user, r.as_user())),
    "api_get": ("Memory.get", lambda r: partial(r.w.memory.get, r.id(), user_id=r.as_user())),
    "api_list": (
        "Memory.list",
        lambda r: partial(r.w.memory.list, user_id=r.as_user(), limit=r.p.limit, offset=r.p.offset),
    ),
    "api_count": ("Memory.count", lambda r: partial(r.w.memory.count, user_id=r.as_user())),
    "api_query": ("Memory.query", lambda r: partial(r.w.memory.query, r.text(), user_id=r.as_user(), k=r.p.k)),
    "api_user_summary": ("Memory.user_summary", lambda r: partial(r.w.memory.user_summary, r.as_user())),
    "api_refresh_summary": ("Memory.refresh_summary", lambda r: partial(r.w.memory.refresh_summary, r.as_user())),
    "api_user": ("Memory.user", lambda r: partial(r.w.memory.user, r.as_user())),
    "api_stats": ("Memory.stats", lambda r: partial(r.w.memory.stats, user_id=r.as_user())),
    "api_fact_add": (
        "Memory.facts.add",
        lambda r: partial(
            r.w.memory.facts.add, r.subject(), r.predicate(), r.obj(), user_id=r.as_user(), valid_from=r.when()
        ),
    ),
    "api_fact_update": (
        "Memory.facts.update",
        lambda r: partial(r.w.memory.facts.update, r.id(), user_id=r.as_user(), confidence=0.7),
    ),
    "api_fact_invalidate": (
        "Memory.facts.invalidate",
        lambda r: partial(r.w.memory.facts.invalidate, r.id(), user_id=r.as_user()),
    ),
    "api_fact_delete": ("Memory.facts.delete", lambda r: partial(r.w.memory.facts.delete, r.id(), user_id=r.as_user())),
    "api_fact_decay": ("Memory.facts.decay", lambda r: partial(r.w.memory.facts.decay, user_id=r.as_user(), rate=0.05)),
    "api_fact_get": ("Memory.facts.get", lambda r: partial(r.w.memory.facts.get, r.id(), user_id=r.as_user())),
    "api_fact_at": (
        "Memory.facts.at",
        lambda r: partial(r.w.memory.facts.at, user_id=r.as_user(), subject=r.subject(), at=r.when()),
    ),
    "api_fact_current": (
        "Memory.facts.current",
        lambda r: partial(r.w.memory.facts.current, r.subject(), r.predicate(), user_id=r.as_user()),
    ),
    "api_fact_range": (
        "Memory.facts.range",
        lambda r: partial(
            r.w.memory.facts.range, user_id=r.as_user(), subject=r.subject(), start=r.when(), end=r.when(1)
        ),
    ),
    "api_fact_conflicts": (
        "Memory.facts.conflicts",
        lambda r: partial(r.w.memory.facts.conflicts, r.subject(), r.predicate(), user_id=r.as_user()),
    ),
    "api_fact_subject": (
        "Memory.facts.subject",
        lambda r: partial(r.w.memory.facts.subject, r.subject(), user_id=r.as_user(), include_historical=r.p.flag),
    ),
    "api_fact_search": (
        "Memory.facts.search",
        lambda r: partial(r.w.memory.facts.search, r.obj()[:3], field="object", user_id=r.as_user()),
    ),
    "api_fact_timeline": (
        "Memory.facts.timeline",
        lambda r: partial(r.w.memory.facts.timeline, r.subject(), user_id=r.as_user()),
    ),
    "api_fact_history": (
        "Memory.facts.history",
        lambda r: partial(r.w.memory.facts.history, r.predicate(), user_id=r.as_user()),
    ),
    "api_fact_changes": (
        "Memory.facts.changes",
        lambda r: partial(r.w.memory.facts.changes, TIMES[0], TIMES[2], user_id=r.as_user()),
    ),
    "api_fact_compare": (
        "Memory.facts.compare",
        lambda r: partial(r.w.memory.facts.compare, r.subject(), r.when(), r.when(1), user_id=r.as_user()),
    ),
    "api_fact_change_frequency": (
        "Memory.facts.change_frequency",
        lambda r: partial(r.w.memory.facts.change_frequency, r.subject(), r.predicate(), user_id=r.as_user()),
    ),
    "api_fact_volatile": (
        "Memory.facts.volatile",
        lambda r: partial(r.w.memory.facts.volatile, user_id=r.as_user(), limit=r.p.limit),
    ),
    "api_fact_stats": ("Memory.facts.stats", lambda r: partial(r.w.memory.facts.stats, user_id=r.as_user())),
    "api_edge_add": (
        "Memory.facts.add_edge",
        lambda r: partial(r.w.memory.facts.add_edge, r.id(), _second_id(r), "related_to", user_id=r.as_user()),
    ),
    "api_edge_invalidate": (
        "Memory.facts.invalidate_edge",
        lambda r: partial(r.w.memory.facts.invalidate_edge, r.id(), user_id=r.as_user()),
    ),
    "api_related": ("Memory.facts.related", lambda r: partial(r.w.memory.facts.related, r.id(), user_id=r.as_user())),
}


def _second_id(r: Resolve) -> str:
    ids = r.w.ids[r.t.owner]
    if r.t.decoy or not ids:
        return DECOY_ID
    r.aimed = True
    return ids[(r.p.ref + 1) % len(ids)]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 12)
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return repr(value)


def api_observation(call: Api) -> str:
    try:
        return json.dumps(_plain(call()), sort_keys=True, default=repr)
    except OpenMemoryError as exc:
        return f"{type(exc).__name__}: {exc}"


# -- CLI (opm through typer's CliRunner, on the world's database) ----------------------------------------------

Cli = list[str]


def _cu(r: Resolve) -> list[str]:
    return ["--user", r.as_user()]


CLI: dict[str, tuple[str, Callable[[Resolve], Cli]]] = {
    "cli_add": ("add", lambda r: ["add", r.text(), *_cu(r), "--json"]),
    "cli_query": ("query", lambda r: ["query", r.text(), *_cu(r), "--k", str(r.p.k), "--json"]),
    "cli_list": ("list", lambda r: ["list", *_cu(r), "--limit", str(r.p.limit), "--offset", str(r.p.offset), "--json"]),
    "cli_get": ("get", lambda r: ["get", r.id(), *_cu(r), "--json"]),
    "cli_delete": ("delete", lambda r: ["delete", r.id(), *_cu(r)]),
    "cli_stats": ("stats", lambda r: ["stats", *_cu(r), "--json"]),
    "cli_export": ("export", lambda r: ["export", *_cu(r)]),
    "cli_fact_add": (
        "facts add",
        lambda r: ["facts", "add", r.subject(), r.predicate(), r.obj(), "--from", str(r.when()), *_cu(r), "--json"],
    ),
    "cli_fact_get": ("facts get", lambda r: ["facts", "get", r.id(), *_cu(r), "--json"]),
    "cli_fact_current": (
        "facts current",
        lambda r: ["facts", "current", r.subject(), r.predicate(), *_cu(r), "--json"],
    ),
    "cli_fact_subject": ("facts subject", lambda r: ["facts", "subject", r.subject(), *_cu(r), "--all", "--json"]),
    "cli_fact_timeline": ("facts timeline", lambda r: ["facts", "timeline", r.subject(), *_cu(r), "--json"]),
    "cli_fact_history": ("facts history", lambda r: ["facts", "history", r.predicate(), *_cu(r), "--json"]),
    "cli_fact_search": ("facts search", lambda r: ["facts", "search", r.subject()[:2], *_cu(r), "--json"]),
    "cli_fact_compare": (
        "facts compare",
        lambda r: ["facts", "compare", r.subject(), str(r.when()), str(r.when(1)), *_cu(r), "--json"],
    ),
    "cli_fact_invalidate": ("facts invalidate", lambda r: ["facts", "invalidate", r.id(), *_cu(r), "--json"]),
    "cli_fact_delete": ("facts delete", lambda r: ["facts", "delete", r.id(), *_cu(r), "--json"]),
    "cli_fact_stats": ("facts stats", lambda r: ["facts", "stats", *_cu(r), "--json"]),
    "cli_fact_volatile": ("facts volatile", lambda r: ["facts", "volatile", *_cu(r), "--json"]),
    "cli_fact_decay": ("facts decay", lambda r: ["facts", "decay", *_cu(r), "--rate", "0.05", "--json"]),
}

RUNNER = CliRunner()


def cli_observation(world: World, args: Cli) -> str:
    result = RUNNER.invoke(cli_app, args, env=world.env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return json.dumps({"exit": result.exit_code, "out": result.stdout, "err": result.stderr})


DOORS: dict[str, str] = {
    **{name: f"REST {entry}" for name, (entry, _) in REST.items()},
    **{name: f"MCP {entry}" for name, (entry, _) in MCP.items()},
    **{name: f"API {entry}" for name, (entry, _) in API.items()},
    **{name: f"CLI {entry}" for name, (entry, _) in CLI.items()},
}
