"""``/memory/*``: add, query, reinforce, list, get, update and delete one caller's memories (reference §4.4).

Project scoping is ours on these routes (upstream's never set or read project_id, reference §3.10): the
``x-project-id`` header, a ``project_id`` body field (add, query) or query parameter (list, get, delete).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from openmemory.api.context import CallerDep, MemoryDep, ProjectHeader, project_scope, run_query_thread
from openmemory.api.overview import newest_memories
from openmemory.api.schemas import (
    AddBody,
    AddResponse,
    ImportBody,
    ImportedItem,
    ImportResponse,
    ItemsResponse,
    MemoryItem,
    OkResponse,
    PatchBody,
    ProjectId,
    QueryBody,
    QueryResponse,
    ReinforceBody,
    UpdatedResponse,
    UserId,
    item_of,
    match_of,
)
from openmemory.memory import Memory
from openmemory.models import Hit, SourceMemory

router = APIRouter(prefix="/memory", tags=["memory"])

UserIdQuery = Annotated[UserId | None, Query(description="Must be the caller's tenant (admin: any user).")]
ProjectQuery = Annotated[
    ProjectId | None, Query(description="Only memories visible in this project (or the x-project-id header).")
]
MAX_LIST = 10_000


@router.post("/add", response_model=AddResponse)
def add(body: AddBody, memory: MemoryDep, caller: CallerDep, x_project_id: ProjectHeader = None) -> AddResponse:
    owner = caller.owner(body.user_id)
    project = project_scope(x_project_id, body.project_id)
    r = memory.add(body.content, user_id=owner, tags=body.tags, metadata=body.metadata, project_id=project)
    return AddResponse(
        id=r.memory_id, primary_sector=r.primary_sector, sectors=list(r.sectors), chunks=r.chunks,
        deduplicated=r.deduplicated,
    )  # fmt: skip


@router.post("/import", response_model=ImportResponse)
def import_many(body: ImportBody, memory: MemoryDep, caller: CallerDep) -> ImportResponse:
    """Memories from another service, with their own times; keyed on (user, source, source_id), so idempotent."""
    owner = caller.owner(body.user_id)
    items = [
        SourceMemory(
            source=i.source, source_id=i.source_id, user_id=owner, content=i.content, created_at_ms=i.created_at,
            updated_at_ms=i.updated_at if i.updated_at is not None else i.created_at, tags=tuple(i.tags or ()),
            meta=dict(i.metadata or {}),
        )
        for i in body.items
    ]  # fmt: skip
    results = memory.import_many(items, user_id=owner)
    return ImportResponse(
        results=[ImportedItem(id=r.memory_id, source_id=r.source_id, imported=r.imported) for r in results]
    )


def run_query(memory: Memory, body: QueryBody, owner: str | None, project_id: str | None = None) -> list[Hit]:
    """Upstream's query body over ``Memory.query``; ``filters`` times override the top-level ones."""
    f = body.filters
    start = f.startTime if f and f.startTime is not None else body.startTime
    end = f.endTime if f and f.endTime is not None else body.endTime
    hits = memory.query(
        body.query, user_id=owner, k=body.k, sector=f.sector if f else None,
        min_salience=f.min_salience if f else None, tags=f.tags if f else None,
        start_ms=int(start) if start is not None else None, end_ms=int(end) if end is not None else None,
        project_id=project_id,
    )  # fmt: skip
    # Upstream applied min_score to salience (reference §10.2 #22); here it is a minimum on the match score.
    if f and f.min_score is not None:
        hits = [h for h in hits if h.score >= f.min_score]
    return hits


@router.post("/query", response_model=QueryResponse)
async def query(
    request: Request, body: QueryBody, memory: MemoryDep, caller: CallerDep, x_project_id: ProjectHeader = None
) -> Response:
    owner = caller.owner(body.user_id, body.filters.user_id if body.filters else None)
    project = project_scope(x_project_id, body.project_id, body.filters.project_id if body.filters else None)

    def answer() -> str:
        found = QueryResponse(query=body.query, matches=[match_of(h) for h in run_query(memory, body, owner, project)])
        # Serialised here: returned as a model, FastAPI would validate it again against response_model and
        # serialise it in a second hop to the thread pool (the bytes are the same; response_model documents them).
        return found.model_dump_json()

    return Response(await run_query_thread(request, answer), media_type="application/json")


@router.post("/reinforce", response_model=OkResponse)
def reinforce(body: ReinforceBody, memory: MemoryDep, caller: CallerDep) -> OkResponse:
    memory.reinforce(body.id, user_id=caller.owner(body.user_id), boost=body.boost)
    return OkResponse()


@router.get("/all", response_model=ItemsResponse)
def list_all(
    memory: MemoryDep,
    caller: CallerDep,
    user_id: UserIdQuery = None,
    u: Annotated[int, Query(ge=0, le=2**31, description="Offset.")] = 0,
    l: Annotated[int, Query(ge=1, le=MAX_LIST, description="Limit.")] = 100,  # noqa: E741 (upstream's name)
    sector: Annotated[str | None, Query(max_length=64)] = None,
    project_id: ProjectQuery = None,
    x_project_id: ProjectHeader = None,
) -> ItemsResponse:
    # The sector filter runs before paging, unlike upstream's (reference §10.2 #29).
    records = newest_memories(memory, caller.owner(user_id), l, u, sector, project_scope(x_project_id, project_id))
    return ItemsResponse(items=[item_of(m) for m in records])


@router.get("/{memory_id}", response_model=MemoryItem)
def get(
    memory_id: str,
    memory: MemoryDep,
    caller: CallerDep,
    user_id: UserIdQuery = None,
    project_id: ProjectQuery = None,
    x_project_id: ProjectHeader = None,
) -> MemoryItem:
    project = project_scope(x_project_id, project_id)
    return item_of(memory.get(memory_id, user_id=caller.owner(user_id), project_id=project))


@router.patch("/{memory_id}", response_model=UpdatedResponse)
def update(
    memory_id: str, body: PatchBody, memory: MemoryDep, caller: CallerDep, user_id: UserIdQuery = None
) -> UpdatedResponse:
    owner = caller.owner(body.user_id, user_id)
    memory.update(memory_id, user_id=owner, content=body.content, tags=body.tags, metadata=body.metadata)
    return UpdatedResponse(id=memory_id)


@router.delete("/{memory_id}", response_model=OkResponse)
def delete(
    memory_id: str,
    memory: MemoryDep,
    caller: CallerDep,
    user_id: UserIdQuery = None,
    project_id: ProjectQuery = None,
    x_project_id: ProjectHeader = None,
) -> OkResponse:
    memory.delete(memory_id, user_id=caller.owner(user_id), project_id=project_scope(x_project_id, project_id))
    return OkResponse()
