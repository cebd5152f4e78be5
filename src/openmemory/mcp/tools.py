"""The MCP tools over ``Memory``: upstream's names, arguments and result layout (reference §5).

Most tools answer with two text blocks, as upstream's do: a summary for a person, then the same result as
indented JSON for a program. Each tool acts for the ``Actor`` of its connection (the API key's tenant over HTTP,
``opm mcp --user`` over stdio); it raises OpenMemory errors, which the server turns into ``isError`` results.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from openmemory.errors import InvalidInput, NotFound, TenantMismatch
from openmemory.mcp import arguments as a
from openmemory.memory import Memory
from openmemory.models import SYSTEM_GLOBAL, AddResult, Fact, Hit, MemoryRecord

PREVIEW_CHARS = 200
LIST_PREVIEW_CHARS = 240
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TENANT_MISMATCH = (
    "tenant_mismatch: user_id does not match authenticated tenant; omit user_id or pass the tenant identifier"
)

ArgsT = TypeVar("ArgsT", bound=a._Args)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who a connection's tool calls act for.

    ``tenant`` set (an API key's tenant, or ``opm mcp --user``): every call acts for it, and a ``user_id``
    argument naming someone else is refused. Unset (local mode, the admin key): the ``user_id`` argument is
    used as given, and its absence means the system/default user.
    """

    tenant: str | None = None

    def user(self, requested: str | None) -> str | None:
        if self.tenant is None:
            return requested
        if requested is not None and requested != self.tenant:
            raise TenantMismatch(requested)
        return self.tenant


@dataclass(frozen=True, slots=True)
class Reply:
    """A tool's answer: text blocks, and whether it reports a failure."""

    texts: tuple[str, ...]
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class ToolSpec(Generic[ArgsT]):
    name: str
    description: str
    arguments: type[ArgsT]
    run: Callable[[Memory, Actor, ArgsT], Reply]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _pair(summary: str, data: Any) -> Reply:
    return Reply((summary, _json(data)))


def _trunc(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "..."


def iso(ms: int | None) -> str | None:
    """Epoch milliseconds as JavaScript's ``toISOString`` writes them (``2026-01-02T03:04:05.678Z``)."""
    if ms is None:
        return None
    moment = EPOCH + timedelta(milliseconds=ms)  # also before 1970: facts may be back-dated
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


# -- openmemory_query --------------------------------------------------------------------------------------------


def _match(hit: Hit) -> dict[str, Any]:
    m = hit.memory
    return {
        "source": "hsg",
        "id": m.memory_id,
        "score": round(hit.score, 4),
        "primary_sector": m.primary_sector,
        "sectors": list(m.sectors or (m.primary_sector,)),
        "salience": round(hit.parts.salience, 4),
        "last_seen_at": m.last_seen_at_ms,
        "path": list(hit.path or (m.memory_id,)),
        "content": m.content,
        "project_id": m.project_id,
    }


def _match_lines(matches: list[dict[str, Any]]) -> str:
    return "\n\n".join(
        f"{i}. [{m['primary_sector']}] score={m['score']:.3f} salience={m['salience']:.3f} id={m['id']}\n"
        f"{_trunc(' '.join(m['content'].split()), PREVIEW_CHARS)}"
        for i, m in enumerate(matches, 1)
    )


def _fact_lines(facts: list[dict[str, Any]], *, with_id: bool) -> str:
    return "\n\n".join(
        f"{i}. [fact] confidence={f['confidence']}" + (f" id={f['id']}" if with_id else "") + f"\n{f['content']}"
        for i, f in enumerate(facts, 1)
    )


def query(memory: Memory, actor: Actor, args: a.QueryArgs) -> Reply:
    user = actor.user(args.user_id)
    result: dict[str, Any] = {"type": args.type, "query": args.query}
    contextual: list[dict[str, Any]] = []
    factual: list[dict[str, Any]] = []
    if args.type in ("contextual", "unified"):
        hits = memory.query(
            args.query, user_id=user, k=args.k, sector=args.sector, min_salience=args.min_salience,
            project_id=args.project_id,
        )  # fmt: skip
        contextual = result["contextual"] = [_match(h) for h in hits]
    if args.type in ("factual", "unified"):
        factual = result["factual"] = _facts_at(memory, user, args)
    if args.type == "contextual":
        summary = _match_lines(contextual) or "No contextual memories matched the query."
    elif args.type == "factual":
        summary = _fact_lines(factual, with_id=True) or "No temporal facts matched the query."
    elif not contextual and not factual:
        summary = "No results found in either system."
    else:
        summary = f"Found {len(contextual)} contextual memories and {len(factual)} temporal facts.\n\n"
        if contextual:
            summary += "=== Contextual Memories ===\n" + _match_lines(contextual) + "\n\n"
        if factual:
            summary += "=== Temporal Facts ===\n" + _fact_lines(factual, with_id=False)
    return _pair(summary, result)


def _facts_at(memory: Memory, user: str | None, args: a.QueryArgs) -> list[dict[str, Any]]:
    """The user's facts valid at ``at`` (default now) matching the pattern; an empty field matches any."""
    pattern = args.fact_pattern or a.FactPattern.model_validate({})
    facts = memory.facts.at(
        user_id=user, project_id=args.project_id, subject=pattern.subject or None,
        predicate=pattern.predicate or None, object=pattern.object or None, at=args.at, min_confidence=0.0,
    )  # fmt: skip
    return [_fact(f) for f in facts]


def _fact(f: Fact) -> dict[str, Any]:
    return {
        "source": "temporal", "id": f.fact_id, "subject": f.subject, "predicate": f.predicate, "object": f.object,
        "valid_from": iso(f.valid_from_ms), "valid_to": iso(f.valid_to_ms), "confidence": round(f.confidence, 4),
        "content": f"{f.subject} {f.predicate} {f.object}", "project_id": f.project_id,
    }  # fmt: skip


# -- openmemory_store and openmemory_store_project ----------------------------------------------------------------


def _store(memory: Memory, user: str | None, project: str, args: a.StoreArgs) -> dict[str, Any]:
    if args.type in ("factual", "both") and not args.facts:
        # upstream's openmemory_store silently stored nothing here; both tools say so instead
        raise InvalidInput(
            f"Facts array is required when type is '{args.type}'. Please provide at least one fact.", field="facts"
        )
    result: dict[str, Any] = {"type": args.type}
    if args.type in ("factual", "both"):
        # facts first: they are what a caller gets wrong (a bad date, a fact already stored), and a refused
        # fact should not leave the memory half stored
        result["temporal"] = _store_facts(memory, user, project, args)
    if args.type in ("contextual", "both"):
        added: AddResult = memory.add(
            args.content, user_id=user, tags=args.tags, metadata=args.metadata, project_id=project
        )
        result["hsg"] = {
            "id": added.memory_id, "primary_sector": added.primary_sector, "sectors": list(added.sectors),
            "deduplicated": added.deduplicated,
        }  # fmt: skip
    return {**result, "user_id": user, "project_id": project}


def _store_facts(memory: Memory, user: str | None, project: str, args: a.StoreArgs) -> list[dict[str, Any]]:
    stored = []
    for new in args.facts or ():
        f = memory.facts.add(
            new.subject, new.predicate, new.object, user_id=user, project_id=project, valid_from=new.valid_from,
            confidence=1.0 if new.confidence is None else new.confidence, metadata=args.metadata,
        )  # fmt: skip
        stored.append({"id": f.fact_id, "subject": f.subject, "predicate": f.predicate, "object": f.object,
                       "valid_from": iso(f.valid_from_ms), "confidence": f.confidence})  # fmt: skip
    return stored


def store(memory: Memory, actor: Actor, args: a.StoreArgs) -> Reply:
    # upstream: this tool is for knowledge every project shares, so its project is forced to system_global
    data = _store(memory, actor.user(args.user_id), SYSTEM_GLOBAL, args)
    return _pair(f"Stored global memory [scope={SYSTEM_GLOBAL}]", data)


def store_project(memory: Memory, actor: Actor, args: a.StoreProjectArgs) -> Reply:
    data = _store(memory, actor.user(args.user_id), args.project_id, args)
    return _pair(f"Stored project memory [project={args.project_id}]", data)


# -- reinforce, delete, list, get ----------------------------------------------------------------------------------


def _not_found(memory_id: str, user: str | None) -> str:
    return f"Memory {memory_id} not found" + (f" for user {user}" if user is not None else "")


def reinforce(memory: Memory, actor: Actor, args: a.ReinforceArgs) -> Reply:
    user = actor.user(args.user_id)
    try:
        memory.reinforce(args.id, user_id=user, boost=args.boost)
    except NotFound:
        return Reply((f"Error: {_not_found(args.id, user)}",), is_error=True)
    return Reply((f"Reinforced memory {args.id} by {args.boost:g}",))


def delete(memory: Memory, actor: Actor, args: a.DeleteArgs) -> Reply:
    user = actor.user(args.user_id)
    try:
        memory.delete(args.id, user_id=user, project_id=args.project_id)
    except NotFound:
        return Reply((f"Memory {args.id} not found or could not be deleted.",), is_error=True)
    return Reply((f"Memory {args.id} successfully deleted.",))


def _snapshot(m: MemoryRecord) -> dict[str, Any]:
    return {
        "id": m.memory_id,
        "primary_sector": m.primary_sector,
        "salience": round(m.salience, 3),
        "last_seen_at": m.last_seen_at_ms,
        "user_id": m.user_id,
        "project_id": m.project_id,
        "content_preview": _trunc(m.content, LIST_PREVIEW_CHARS),
        "tags": list(m.tags),
        "metadata": m.meta,
    }


def list_(memory: Memory, actor: Actor, args: a.ListArgs) -> Reply:
    records = memory.list(
        user_id=actor.user(args.user_id), limit=args.limit, sector=args.sector, project_id=args.project_id
    )
    items = [_snapshot(r) for r in records]
    lines = [
        f"{i}. [{it['primary_sector']}] salience={it['salience']} id={it['id']}"
        + (f" tags={', '.join(it['tags'])}" if it["tags"] else "")
        + (f" user={it['user_id']}" if it["user_id"] else "")
        + (f" project={it['project_id']}" if it["project_id"] else "")
        + f"\n{it['content_preview']}"
        for i, it in enumerate(items, 1)
    ]
    return _pair("\n\n".join(lines) or "No memories stored yet.", {"items": items})


def get(memory: Memory, actor: Actor, args: a.GetArgs) -> Reply:
    user = actor.user(args.user_id)
    try:
        m = memory.get(args.id, user_id=user, project_id=args.project_id)
    except NotFound:
        # like upstream, a plain answer; another user's memory reads exactly like a missing one
        return Reply((f"{_not_found(args.id, user)}.",))
    data: dict[str, Any] = {
        "id": m.memory_id, "content": m.content, "primary_sector": m.primary_sector, "salience": m.salience,
        "decay_lambda": m.decay_lambda, "created_at": m.created_at_ms, "updated_at": m.updated_at_ms,
        "last_seen_at": m.last_seen_at_ms, "user_id": m.user_id, "project_id": m.project_id, "tags": list(m.tags),
        "metadata": m.meta,
    }  # fmt: skip
    if args.include_vectors:
        data["sectors"] = list(m.sectors or (m.primary_sector,))
    return Reply((_json(data),))


TOOLS: tuple[ToolSpec[Any], ...] = (
    ToolSpec(
        "openmemory_query",
        "Query OpenMemory for contextual memories (HSG) and/or temporal facts",
        a.QueryArgs,
        query,
    ),
    ToolSpec(
        "openmemory_store_project",
        "Persist new content scoped to a SPECIFIC PROJECT. Use this for design decisions, code patterns, or "
        "business logic that is unique to this project. If unsure if the content is project-specific vs global, "
        "YOU MUST ASK THE USER for clarification.",
        a.StoreProjectArgs,
        store_project,
    ),
    ToolSpec(
        "openmemory_store",
        "Persist new content as GLOBAL KNOWLEDGE. Use this for general coding best practices, common library "
        "knowledge, or universal system concepts. If unsure if the content is global vs project-specific, YOU "
        "MUST ASK THE USER for clarification.",
        a.StoreArgs,
        store,
    ),
    ToolSpec("openmemory_reinforce", "Boost salience for an existing memory", a.ReinforceArgs, reinforce),
    ToolSpec("openmemory_delete", "Delete a memory by identifier", a.DeleteArgs, delete),
    ToolSpec("openmemory_list", "List recent memories for quick inspection", a.ListArgs, list_),
    ToolSpec("openmemory_get", "Fetch a single memory by identifier", a.GetArgs, get),
)
