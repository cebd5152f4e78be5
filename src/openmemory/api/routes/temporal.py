"""``/api/temporal/*``: the caller's temporal facts (reference §6), with upstream's paths, shapes and statuses.

Unlike upstream, every route reads only the caller's facts: timeline, compare, volatile and stats included. The
project comes from the ``x-project-id`` header, else the ``project_id`` query parameter, else the body.
``POST /api/temporal/decay`` decays the caller's facts; the admin key (or local mode) decays every user's, or the
one user it names (upstream needed OM_ADMIN_DECAY=true and then decayed every tenant's).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from openmemory.api.context import CallerDep, MemoryDep, ProjectHeader
from openmemory.api.errors import ApiError
from openmemory.api.schemas import UserId
from openmemory.api.temporal_schemas import (
    CompareResponse,
    CreatedResponse,
    CurrentResponse,
    DecayBody,
    DecayResponse,
    FactBody,
    FactPatchBody,
    FactsQuery,
    FactsResponse,
    InvalidateBody,
    InvalidatedResponse,
    ProjectId,
    SearchResponse,
    StatsResponse,
    SubjectResponse,
    TimelineResponse,
    UpdatedResponse,
    VolatileResponse,
    compare_out,
    fact_out,
    timeline_out,
    volatile_out,
)
from openmemory.errors import InvalidInput
from openmemory.facts import iso
from openmemory.memory import Memory, validate

router = APIRouter(prefix="/api/temporal", tags=["temporal"])

UserIdQuery = Annotated[UserId | None, Query(description="Must be the caller's tenant (admin: any user).")]
ProjectQuery = Annotated[ProjectId | None, Query(description="The project, when there is no x-project-id header.")]
DateQuery = Annotated[str | None, Query(max_length=64, description="ISO 8601 or epoch ms; default now.")]
SubjectQuery = Annotated[str, Query(min_length=1, max_length=1024)]
OptionalText = Annotated[str | None, Query(min_length=1, max_length=1024)]
FactId = Annotated[str, Path(min_length=1, max_length=128)]


def _at(memory: Memory, at: str | None, name: str = "at") -> int:
    return memory.facts.now_ms() if at is None else validate.timestamp_ms(at, name)


@router.post("/fact", response_model=CreatedResponse)
def create_fact(
    body: FactBody, memory: MemoryDep, caller: CallerDep, x_project_id: ProjectHeader = None,
    project_id: ProjectQuery = None,
) -> CreatedResponse:  # fmt: skip
    f = memory.facts.add(
        body.subject, body.predicate, body.object, user_id=caller.owner(body.user_id),
        project_id=x_project_id or project_id or body.project_id, valid_from=body.valid_from,
        confidence=body.confidence, metadata=body.metadata,
    )  # fmt: skip
    return CreatedResponse(
        id=f.fact_id, subject=f.subject, predicate=f.predicate, object=f.object, valid_from=iso(f.valid_from_ms) or "",
        confidence=f.confidence, user_id=f.user_id, project_id=f.project_id,
    )  # fmt: skip


@router.get("/fact", response_model=FactsResponse)
def query_facts(
    memory: MemoryDep, caller: CallerDep, subject: OptionalText = None, predicate: OptionalText = None,
    object: Annotated[str | None, Query(min_length=1, max_length=8192)] = None, at: DateQuery = None,
    min_confidence: Annotated[float, Query(ge=0, le=1)] = 0.1, user_id: UserIdQuery = None,
    x_project_id: ProjectHeader = None, project_id: ProjectQuery = None,
) -> FactsResponse:  # fmt: skip
    if subject is None and predicate is None and object is None:
        raise InvalidInput("At least one of subject, predicate, or object is required", field="subject")
    owner, project, at_ms = caller.owner(user_id), x_project_id or project_id, _at(memory, at)
    found = memory.facts.at(
        user_id=owner, project_id=project, subject=subject, predicate=predicate, object=object, at=at_ms,
        min_confidence=min_confidence,
    )  # fmt: skip
    query = FactsQuery(
        subject=subject, predicate=predicate, object=object, at=iso(at_ms) or "", min_confidence=min_confidence,
        user_id=owner, project_id=project,
    )  # fmt: skip
    return FactsResponse(facts=[fact_out(f) for f in found], query=query, count=len(found))


@router.get("/fact/current", response_model=CurrentResponse)
def current_fact(
    memory: MemoryDep, caller: CallerDep, subject: SubjectQuery, predicate: SubjectQuery,
    user_id: UserIdQuery = None, x_project_id: ProjectHeader = None, project_id: ProjectQuery = None,
) -> CurrentResponse:  # fmt: skip
    found = memory.facts.current(
        subject, predicate, user_id=caller.owner(user_id), project_id=x_project_id or project_id
    )
    if found is None:
        raise ApiError(404, "fact_not_found", f"No current fact found for subject {subject!r}, predicate {predicate!r}")
    return CurrentResponse(fact=fact_out(found))


@router.get("/fact/{fact_id}", response_model=CurrentResponse)
def get_fact(
    fact_id: FactId, memory: MemoryDep, caller: CallerDep, user_id: UserIdQuery = None,
    x_project_id: ProjectHeader = None, project_id: ProjectQuery = None,
) -> CurrentResponse:  # fmt: skip
    # ours (upstream has no read by id); declared after /fact/current, which it would otherwise shadow
    f = memory.facts.get(fact_id, user_id=caller.owner(user_id), project_id=x_project_id or project_id)
    return CurrentResponse(fact=fact_out(f))


@router.patch("/fact/{fact_id}", response_model=UpdatedResponse)
def update_fact(
    fact_id: FactId, body: FactPatchBody, memory: MemoryDep, caller: CallerDep, user_id: UserIdQuery = None,
    x_project_id: ProjectHeader = None, project_id: ProjectQuery = None,
) -> UpdatedResponse:  # fmt: skip
    f = memory.facts.update(
        fact_id, user_id=caller.owner(body.user_id, user_id), project_id=x_project_id or project_id,
        confidence=body.confidence, metadata=body.metadata,
    )  # fmt: skip
    return UpdatedResponse(id=f.fact_id, confidence=f.confidence, metadata=f.metadata)


@router.delete("/fact/{fact_id}", response_model=InvalidatedResponse)
def invalidate_fact(
    fact_id: FactId, memory: MemoryDep, caller: CallerDep, body: InvalidateBody | None = None,
    user_id: UserIdQuery = None, x_project_id: ProjectHeader = None, project_id: ProjectQuery = None,
) -> InvalidatedResponse:  # fmt: skip
    # upstream's DELETE invalidates (sets valid_to) and keeps the row; `opm facts delete` removes it
    f = memory.facts.invalidate(
        fact_id, user_id=caller.owner(body.user_id if body else None, user_id),
        project_id=x_project_id or project_id, valid_to=body.valid_to if body else None,
    )  # fmt: skip
    return InvalidatedResponse(id=f.fact_id, valid_to=iso(f.valid_to_ms))


@router.get("/timeline", response_model=TimelineResponse)
def timeline(
    memory: MemoryDep, caller: CallerDep, subject: SubjectQuery, predicate: OptionalText = None,
    user_id: UserIdQuery = None, x_project_id: ProjectHeader = None, project_id: ProjectQuery = None,
) -> TimelineResponse:  # fmt: skip
    entries = memory.facts.timeline(
        subject, predicate, user_id=caller.owner(user_id), project_id=x_project_id or project_id
    )
    return TimelineResponse(
        subject=subject, predicate=predicate, timeline=[timeline_out(e) for e in entries], count=len(entries)
    )


@router.get("/subject/{subject}", response_model=SubjectResponse)
def subject_facts(
    subject: Annotated[str, Path(min_length=1, max_length=1024)], memory: MemoryDep, caller: CallerDep,
    at: DateQuery = None, include_historical: bool = False, user_id: UserIdQuery = None,
    x_project_id: ProjectHeader = None, project_id: ProjectQuery = None,
) -> SubjectResponse:  # fmt: skip
    at_ms = _at(memory, at)
    found = memory.facts.subject(
        subject, user_id=caller.owner(user_id), project_id=x_project_id or project_id, at=at_ms,
        include_historical=include_historical,
    )  # fmt: skip
    return SubjectResponse(
        subject=subject, at=iso(at_ms) or "", include_historical=include_historical,
        facts=[fact_out(f) for f in found], count=len(found),
    )  # fmt: skip


@router.get("/search", response_model=SearchResponse)
def search(
    memory: MemoryDep, caller: CallerDep, pattern: SubjectQuery,
    field: Literal["subject", "predicate", "object"] = "subject", at: DateQuery = None, user_id: UserIdQuery = None,
    x_project_id: ProjectHeader = None, project_id: ProjectQuery = None,
) -> SearchResponse:  # fmt: skip
    at_ms = _at(memory, at)
    found = memory.facts.search(
        pattern, field=field, user_id=caller.owner(user_id), project_id=x_project_id or project_id, at=at_ms
    )
    return SearchResponse(
        pattern=pattern, field=field, at=iso(at_ms) or "", facts=[fact_out(f) for f in found], count=len(found)
    )


@router.get("/compare", response_model=CompareResponse)
def compare(
    memory: MemoryDep, caller: CallerDep, subject: SubjectQuery, time1: DateQuery = None, time2: DateQuery = None,
    user_id: UserIdQuery = None, x_project_id: ProjectHeader = None, project_id: ProjectQuery = None,
) -> CompareResponse:  # fmt: skip
    t1, t2 = _at(memory, time1, "time1"), _at(memory, time2, "time2")
    diff = memory.facts.compare(subject, t1, t2, user_id=caller.owner(user_id), project_id=x_project_id or project_id)
    return compare_out(subject, iso(t1) or "", iso(t2) or "", diff)


@router.get("/stats", response_model=StatsResponse)
def stats(
    memory: MemoryDep, caller: CallerDep, user_id: UserIdQuery = None, x_project_id: ProjectHeader = None,
    project_id: ProjectQuery = None,
) -> StatsResponse:  # fmt: skip
    s = memory.facts.stats(user_id=caller.owner(user_id), project_id=x_project_id or project_id)
    share = 100 * s.historical / s.total if s.total else 0.0
    return StatsResponse(
        active_facts=s.active, historical_facts=s.historical, total_facts=s.total,
        historical_percentage=f"{share:.2f}%", scope="user",
    )  # fmt: skip


@router.post("/decay", response_model=DecayResponse)
def decay(memory: MemoryDep, caller: CallerDep, body: DecayBody | None = None) -> DecayResponse:
    rate = body.decay_rate if body else 0.01
    named = body.user_id if body else None
    if caller.can_name_any_user and named is None:
        updated, scope = memory.facts.decay_all(rate=rate), "all"
    else:
        updated, scope = memory.facts.decay(user_id=caller.owner(named), rate=rate), "user"
    return DecayResponse(
        decay_rate=rate, facts_updated=updated, scope=scope,
        message=f"Applied confidence decay to {updated} facts",
    )  # fmt: skip


@router.get("/volatile", response_model=VolatileResponse)
def volatile(
    memory: MemoryDep, caller: CallerDep, subject: OptionalText = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10, user_id: UserIdQuery = None,
    x_project_id: ProjectHeader = None, project_id: ProjectQuery = None,
) -> VolatileResponse:  # fmt: skip
    found = memory.facts.volatile(
        user_id=caller.owner(user_id), project_id=x_project_id or project_id, subject=subject, limit=limit
    )
    return VolatileResponse(
        subject=subject, limit=limit, volatile_facts=[volatile_out(v) for v in found], count=len(found)
    )
