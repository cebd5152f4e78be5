"""Request and response bodies of the REST API, with upstream's field names (reference §4.4).

Limits match upstream's validator (content ≤ 200,000 characters, k 1..200, ≤ 64 tags of ≤ 256 characters) so a
request upstream accepts is accepted here. Unknown request fields are ignored, as upstream drops them.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from openmemory.engine.sectors import DECAY_LAMBDA_PER_DAY
from openmemory.memory.validate import MAX_TIME_MS
from openmemory.models import MAX_CONTENT_CHARS, MAX_K, MAX_TAG_CHARS, MAX_TAGS, Hit, MemoryRecord, ScoreParts

MAX_QUERY_CHARS = 8192
MAX_VERCEL_QUERY_CHARS = 4000
MAX_VERCEL_K = 32
MAX_ID_CHARS = 256
MAX_IMPORT_ITEMS = 500

Tag = Annotated[str, StringConstraints(max_length=MAX_TAG_CHARS)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_CHARS)]
Content = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CONTENT_CHARS)]
ProjectId = Annotated[str, StringConstraints(max_length=MAX_ID_CHARS)]
TimeMs = Annotated[float, Field(ge=0, le=2**53, description="Epoch milliseconds.")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


# -- requests -------------------------------------------------------------------------------------------------


class AddBody(_Body):
    content: Content
    tags: Tags | None = None
    metadata: dict[str, Any] | None = None
    user_id: UserId | None = None
    project_id: ProjectId | None = None


class QueryFilters(_Body):
    sector: Annotated[str, StringConstraints(max_length=64)] | None = None
    min_score: Annotated[float, Field(ge=0, le=1, description="Minimum match score (upstream: salience).")] | None = (
        None
    )
    min_salience: Annotated[float, Field(ge=0, le=1)] | None = None
    user_id: UserId | None = None
    startTime: TimeMs | None = None  # camelCase: upstream's field names
    endTime: TimeMs | None = None
    tags: Tags | None = None
    project_id: ProjectId | None = None


class QueryBody(_Body):
    query: Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUERY_CHARS)]
    k: Annotated[int, Field(ge=1, le=MAX_K)] = 8
    startTime: TimeMs | None = None
    endTime: TimeMs | None = None
    filters: QueryFilters | None = None
    user_id: UserId | None = None
    project_id: ProjectId | None = None


class ReinforceBody(_Body):
    id: Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_CHARS)]
    boost: Annotated[float, Field(ge=0, le=1, description="Salience added, capped at 1.")] = 0.1
    user_id: UserId | None = None


class PatchBody(_Body):
    content: Content | None = None
    tags: Tags | None = None
    metadata: dict[str, Any] | None = None
    user_id: UserId | None = None


ImportTimeMs = Annotated[int, Field(ge=0, le=MAX_TIME_MS, description="Epoch milliseconds, up to year 9999.")]


class ImportItemBody(_Body):
    source: Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_CHARS)]
    source_id: Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_CHARS)]
    content: Content
    tags: Tags | None = None
    metadata: dict[str, Any] | None = None
    created_at: ImportTimeMs
    updated_at: ImportTimeMs | None = None


class ImportBody(_Body):
    items: Annotated[list[ImportItemBody], Field(min_length=1, max_length=MAX_IMPORT_ITEMS)]
    user_id: UserId | None = None


class VercelQueryBody(_Body):
    query: Annotated[str, StringConstraints(min_length=1, max_length=MAX_VERCEL_QUERY_CHARS)]
    user_id: UserId | None = None
    k: Annotated[int, Field(ge=1, le=MAX_VERCEL_K)] = 8
    startTime: TimeMs | None = None
    endTime: TimeMs | None = None


class VercelMemoryBody(AddBody):
    pass


# -- responses ------------------------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    err: str = Field(description="Stable machine-readable code, e.g. not_found, tenant_mismatch.")
    message: str = Field(description="What went wrong, in a sentence.")
    details: list[str] | None = None
    field: str | None = None


class AddResponse(BaseModel):
    id: str
    primary_sector: str
    sectors: list[str]
    chunks: int = 1
    deduplicated: bool = False


class Match(BaseModel):
    id: str
    content: str
    score: float
    sectors: list[str]
    primary_sector: str
    path: list[str]
    salience: float
    last_seen_at: int
    # Ours, beyond upstream's match fields:
    tags: list[str]
    metadata: dict[str, Any]
    created_at: int
    project_id: str | None = None
    parts: dict[str, float] = Field(description="Why it matched: each signal of the composite score.")


class ImportedItem(BaseModel):
    id: str
    source_id: str
    imported: bool = Field(description="False: this source id was imported for this user before.")


class ImportResponse(BaseModel):
    results: list[ImportedItem]


class QueryResponse(BaseModel):
    query: str
    matches: list[Match]


class MemoryItem(BaseModel):
    id: str
    content: str
    primary_sector: str
    sectors: list[str]
    tags: list[str]
    metadata: dict[str, Any]
    created_at: int
    updated_at: int
    last_seen_at: int
    salience: float
    decay_lambda: float
    version: int
    user_id: str | None
    project_id: str | None = None


class ItemsResponse(BaseModel):
    items: list[MemoryItem]


class UserItemsResponse(BaseModel):
    user_id: str
    items: list[MemoryItem]


class OkResponse(BaseModel):
    ok: bool = True


class DeletedResponse(BaseModel):
    ok: bool = True
    deleted: int


class UpdatedResponse(BaseModel):
    id: str
    updated: bool = True


class SummaryResponse(BaseModel):
    user_id: str
    summary: str
    reflection_count: int
    updated_at: int | None


class RegeneratedResponse(BaseModel):
    ok: bool = True
    user_id: str
    summary: str
    reflection_count: int


class VercelQueryResponse(BaseModel):
    query: str
    user_id: str | None
    k: int
    result: str
    matches: list[Match]


# -- conversions ----------------------------------------------------------------------------------------------


_PART_NAMES = tuple(f.name for f in fields(ScoreParts))


def parts_of(parts: ScoreParts) -> dict[str, float]:
    return {name: float(getattr(parts, name)) for name in _PART_NAMES}


def match_of(hit: Hit) -> Match:
    m = hit.memory
    return Match(
        id=m.memory_id,
        content=m.content,
        score=float(hit.score),
        sectors=list(m.sectors or (m.primary_sector,)),
        primary_sector=m.primary_sector,
        path=list(hit.path or (m.memory_id,)),
        salience=float(hit.parts.salience),
        last_seen_at=m.last_seen_at_ms,
        tags=list(m.tags),
        metadata=m.meta,
        created_at=m.created_at_ms,
        project_id=m.project_id,
        parts=parts_of(hit.parts),
    )


def item_of(m: MemoryRecord) -> MemoryItem:
    return MemoryItem(
        id=m.memory_id,
        content=m.content,
        primary_sector=m.primary_sector,
        sectors=list(m.sectors or (m.primary_sector,)),
        tags=list(m.tags),
        metadata=m.meta,
        created_at=m.created_at_ms,
        updated_at=m.updated_at_ms,
        last_seen_at=m.last_seen_at_ms,
        salience=m.salience,
        decay_lambda=m.decay_lambda or DECAY_LAMBDA_PER_DAY.get(m.primary_sector, 0.0),
        version=m.version,
        user_id=m.user_id,
        project_id=m.project_id,
    )
