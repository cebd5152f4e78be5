"""Vercel AI SDK compatible ``POST /query`` and ``POST /memories`` (reference §4.4, routes/vercel.ts)."""

from __future__ import annotations

from fastapi import APIRouter

from openmemory.api.context import CallerDep, MemoryDep
from openmemory.api.routes.memory import UserIdQuery, run_query
from openmemory.api.routes.memory import add as add_memory
from openmemory.api.schemas import (
    AddResponse,
    QueryBody,
    VercelMemoryBody,
    VercelQueryBody,
    VercelQueryResponse,
    match_of,
)

router = APIRouter(tags=["vercel"])


@router.post("/query", response_model=VercelQueryResponse)
def query(
    body: VercelQueryBody, memory: MemoryDep, caller: CallerDep, user_id: UserIdQuery = None
) -> VercelQueryResponse:
    owner = caller.owner(body.user_id, user_id)
    as_query = QueryBody(query=body.query, k=body.k, startTime=body.startTime, endTime=body.endTime)
    matches = [match_of(h) for h in run_query(memory, as_query, owner)]
    result = "\n".join(f"- ({m.score:.2f}) {m.content}" for m in matches)
    return VercelQueryResponse(query=body.query, user_id=owner, k=body.k, result=result, matches=matches)


@router.post("/memories", response_model=AddResponse)
def add(body: VercelMemoryBody, memory: MemoryDep, caller: CallerDep) -> AddResponse:
    return add_memory(body, memory, caller)
