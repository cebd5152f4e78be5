"""Bodies of ``/api/temporal/*`` with upstream's field names (reference §6); dates go out as ISO strings.

Limits are upstream's: subject and predicate 1..1024 characters, object 1..8192, confidence 0..1, a date as an ISO
string of at most 64 characters or epoch milliseconds.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from openmemory.api.schemas import UserId
from openmemory.facts import iso
from openmemory.facts.fields import MAX_OBJECT_CHARS, MAX_PREDICATE_CHARS, MAX_SUBJECT_CHARS
from openmemory.models import Fact, FactChange, FactComparison, TimelineEntry, VolatileFact

Subject = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SUBJECT_CHARS)]
Predicate = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PREDICATE_CHARS)]
Object = Annotated[str, StringConstraints(min_length=1, max_length=MAX_OBJECT_CHARS)]
Date = Annotated[str, StringConstraints(max_length=64)] | float
Confidence = Annotated[float, Field(ge=0, le=1)]
ProjectId = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FactBody(_Body):
    subject: Subject
    predicate: Predicate
    object: Object
    valid_from: Date | None = Field(default=None, description="ISO 8601 or epoch ms; default now.")
    confidence: Confidence = 1.0
    metadata: dict[str, Any] | None = None
    user_id: UserId | None = None
    project_id: ProjectId | None = None


class FactPatchBody(_Body):
    confidence: Confidence | None = None
    metadata: dict[str, Any] | None = None
    user_id: UserId | None = None


class InvalidateBody(_Body):
    valid_to: Date | None = Field(default=None, description="ISO 8601 or epoch ms; default now.")
    user_id: UserId | None = None


class DecayBody(_Body):
    decay_rate: Confidence = 0.01
    user_id: UserId | None = None


class FactOut(BaseModel):
    id: str
    user_id: str | None
    project_id: str | None
    subject: str
    predicate: str
    object: str
    valid_from: str
    valid_to: str | None
    confidence: float
    last_updated: str
    metadata: dict[str, Any] | None


def fact_out(f: Fact) -> FactOut:
    return FactOut(
        id=f.fact_id, user_id=f.user_id, project_id=f.project_id, subject=f.subject, predicate=f.predicate,
        object=f.object, valid_from=iso(f.valid_from_ms) or "", valid_to=iso(f.valid_to_ms), confidence=f.confidence,
        last_updated=iso(f.last_updated_ms) or "", metadata=f.metadata,
    )  # fmt: skip


class TimelineOut(BaseModel):
    timestamp: str
    subject: str
    predicate: str
    object: str
    confidence: float
    change_type: str
    fact_id: str


def timeline_out(e: TimelineEntry) -> TimelineOut:
    return TimelineOut(
        timestamp=iso(e.timestamp_ms) or "", subject=e.subject, predicate=e.predicate, object=e.object,
        confidence=e.confidence, change_type=e.change_type, fact_id=e.fact_id,
    )  # fmt: skip


class CreatedResponse(BaseModel):
    id: str
    subject: str
    predicate: str
    object: str
    valid_from: str
    confidence: float
    user_id: str | None
    project_id: str | None
    message: str = "Fact created successfully"


class FactsQuery(BaseModel):
    subject: str | None
    predicate: str | None
    object: str | None
    at: str
    min_confidence: float
    user_id: str | None
    project_id: str | None


class FactsResponse(BaseModel):
    facts: list[FactOut]
    query: FactsQuery
    count: int


class CurrentResponse(BaseModel):
    fact: FactOut


class UpdatedResponse(BaseModel):
    id: str
    confidence: float
    metadata: dict[str, Any] | None
    message: str = "Fact updated successfully"


class InvalidatedResponse(BaseModel):
    id: str
    valid_to: str | None
    message: str = "Fact invalidated successfully"


class TimelineResponse(BaseModel):
    subject: str
    predicate: str | None
    timeline: list[TimelineOut]
    count: int


class SubjectResponse(BaseModel):
    subject: str
    at: str
    include_historical: bool
    facts: list[FactOut]
    count: int


class SearchResponse(BaseModel):
    pattern: str
    field: str
    at: str
    facts: list[FactOut]
    count: int


class ChangeOut(BaseModel):
    before: FactOut
    after: FactOut


class Summary(BaseModel):
    added: int
    removed: int
    changed: int
    unchanged: int


class CompareResponse(BaseModel):
    subject: str
    time1: str
    time2: str
    added: list[FactOut]
    removed: list[FactOut]
    changed: list[ChangeOut]
    unchanged: list[FactOut]
    summary: Summary


def compare_out(subject: str, time1: str, time2: str, diff: FactComparison) -> CompareResponse:
    def change(c: FactChange) -> ChangeOut:
        return ChangeOut(before=fact_out(c.before), after=fact_out(c.after))

    return CompareResponse(
        subject=subject, time1=time1, time2=time2, added=[fact_out(f) for f in diff.added],
        removed=[fact_out(f) for f in diff.removed], changed=[change(c) for c in diff.changed],
        unchanged=[fact_out(f) for f in diff.unchanged],
        summary=Summary(added=len(diff.added), removed=len(diff.removed), changed=len(diff.changed),
                        unchanged=len(diff.unchanged)),
    )  # fmt: skip


class StatsResponse(BaseModel):
    active_facts: int
    historical_facts: int
    total_facts: int
    historical_percentage: str
    scope: str = Field(description="Always 'user': the caller's facts (upstream counted every tenant's).")


class DecayResponse(BaseModel):
    decay_rate: float
    facts_updated: int
    scope: str = Field(description="'user' (the caller's facts) or 'all' (admin or local mode, every user's).")
    message: str


class VolatileOut(BaseModel):
    subject: str
    predicate: str
    change_count: int
    avg_confidence: float


def volatile_out(v: VolatileFact) -> VolatileOut:
    return VolatileOut(
        subject=v.subject, predicate=v.predicate, change_count=v.change_count, avg_confidence=v.avg_confidence
    )


class VolatileResponse(BaseModel):
    subject: str | None
    limit: int
    volatile_facts: list[VolatileOut]
    count: int
