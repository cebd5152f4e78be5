"""The HTTP protocol both clients speak: what each method sends, how its answer is read, how errors come back.

``Client`` and ``AsyncClient`` only execute these ``Call`` values, so every behaviour is written once. Error bodies
``{"err": code, "message": ...}`` become the same ``openmemory.errors`` classes the in-process ``Memory`` raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from openmemory.errors import (
    Conflict,
    EmbedderError,
    FactNotFound,
    InvalidInput,
    NotFound,
    OpenMemoryError,
    StoreError,
    StoreUnavailable,
    TenantMismatch,
    Unauthenticated,
)
from openmemory.models import AddResult, Hit, ImportResult, MemoryRecord, ScoreParts, SourceMemory

T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:8080"
_PART_NAMES = frozenset(f.name for f in fields(ScoreParts))
INVALID_CODES = frozenset({"invalid_input", "unknown_sector", "invalid_json", "bad_request", "payload_too_large"})


@dataclass(frozen=True)
class Call(Generic[T]):
    """One HTTP request and the reader of its JSON answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    json: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    memory_id: str | None = None
    user_id: str | None = None


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _id(memory_id: str) -> str:
    return quote(memory_id, safe="")


def record_of(item: Mapping[str, Any]) -> MemoryRecord:
    return MemoryRecord(
        memory_id=item["id"],
        user_id=item.get("user_id"),
        content=item["content"],
        primary_sector=item["primary_sector"],
        tags=tuple(item.get("tags") or ()),
        meta=dict(item.get("metadata") or {}),
        created_at_ms=int(item.get("created_at") or 0),
        updated_at_ms=int(item.get("updated_at") or 0),
        last_seen_at_ms=int(item.get("last_seen_at") or 0),
        salience=float(item.get("salience") or 0.0),
        decay_lambda=float(item.get("decay_lambda") or 0.0),
        version=int(item.get("version") or 1),
        project_id=item.get("project_id"),
        sectors=tuple(item.get("sectors") or ()),
    )


def hit_of(match: Mapping[str, Any], user_id: str | None) -> Hit:
    record = record_of({**match, "user_id": user_id, "updated_at": match.get("last_seen_at")})
    parts = ScoreParts(**{k: float(v) for k, v in (match.get("parts") or {}).items() if k in _PART_NAMES})
    return Hit(memory=record, score=float(match["score"]), parts=parts, path=tuple(match.get("path") or ()))


def _none(_: Any) -> None:
    return None


# -- the calls ------------------------------------------------------------------------------------------------


def add(
    content: str,
    *,
    user_id: str | None,
    tags: Sequence[str] | None,
    metadata: Mapping[str, Any] | None,
    project_id: str | None = None,
) -> Call[AddResult]:
    body = _given(
        content=content, user_id=user_id, tags=list(tags) if tags is not None else None, metadata=metadata,
        project_id=project_id,
    )  # fmt: skip
    return Call(
        "POST", "/memory/add", user_id=user_id, json=body,
        parse=lambda r: AddResult(
            r["id"], r["primary_sector"], tuple(r["sectors"]), bool(r.get("deduplicated")), int(r.get("chunks", 1))
        ),
    )  # fmt: skip


def import_many(items: Sequence[SourceMemory], *, user_id: str | None) -> Call[list[ImportResult]]:
    body = _given(
        user_id=user_id,
        items=[
            {
                "source": i.source, "source_id": i.source_id, "content": i.content, "tags": list(i.tags),
                "metadata": i.meta, "created_at": i.created_at_ms, "updated_at": i.updated_at_ms,
            }
            for i in items
        ],
    )  # fmt: skip
    return Call(
        "POST", "/memory/import", json=body, user_id=user_id,
        parse=lambda r: [ImportResult(x["id"], x["source_id"], bool(x["imported"])) for x in r["results"]],
    )  # fmt: skip


def query(
    text: str,
    *,
    user_id: str | None,
    k: int,
    sector: str | None,
    min_salience: float | None,
    start_ms: int | None,
    end_ms: int | None,
    tags: Sequence[str] | None,
    project_id: str | None = None,
) -> Call[list[Hit]]:
    filters = _given(sector=sector, min_salience=min_salience, tags=list(tags) if tags else None)
    body = _given(
        query=text, k=k, user_id=user_id, startTime=start_ms, endTime=end_ms, filters=filters or None,
        project_id=project_id,
    )  # fmt: skip
    return Call(
        "POST", "/memory/query", json=body, user_id=user_id,
        parse=lambda r: [hit_of(m, user_id) for m in r["matches"]],
    )  # fmt: skip


def get(memory_id: str, *, user_id: str | None, project_id: str | None = None) -> Call[MemoryRecord]:
    return Call(
        "GET", f"/memory/{_id(memory_id)}", params=_given(user_id=user_id, project_id=project_id),
        memory_id=memory_id, user_id=user_id,
        parse=record_of,
    )  # fmt: skip


def list_(
    *, user_id: str | None, limit: int, offset: int, sector: str | None, project_id: str | None = None
) -> Call[list[MemoryRecord]]:
    params = _given(user_id=user_id, l=limit, u=offset, sector=sector, project_id=project_id)
    return Call(
        "GET", "/memory/all", params=params, user_id=user_id,
        parse=lambda r: [record_of(item) for item in r["items"]],
    )  # fmt: skip


def update(
    memory_id: str,
    *,
    user_id: str | None,
    content: str | None,
    tags: Sequence[str] | None,
    metadata: Mapping[str, Any] | None,
) -> Call[None]:
    body = _given(content=content, user_id=user_id, tags=list(tags) if tags is not None else None, metadata=metadata)
    return Call("PATCH", f"/memory/{_id(memory_id)}", json=body, memory_id=memory_id, user_id=user_id, parse=_none)


def reinforce(memory_id: str, *, user_id: str | None, boost: float) -> Call[None]:
    body = _given(id=memory_id, boost=boost, user_id=user_id)
    return Call("POST", "/memory/reinforce", json=body, memory_id=memory_id, user_id=user_id, parse=_none)


def delete(memory_id: str, *, user_id: str | None, project_id: str | None = None) -> Call[None]:
    return Call(
        "DELETE", f"/memory/{_id(memory_id)}", params=_given(user_id=user_id, project_id=project_id),
        memory_id=memory_id, user_id=user_id,
        parse=_none,
    )  # fmt: skip


def delete_user(user_id: str) -> Call[int]:
    return Call("DELETE", f"/users/{_id(user_id)}/memories", user_id=user_id, parse=lambda r: int(r["deleted"]))


def user_summary(user_id: str) -> Call[str]:
    return Call("GET", f"/users/{_id(user_id)}/summary", user_id=user_id, parse=lambda r: str(r["summary"]))


def refresh_summary(user_id: str) -> Call[str]:
    return Call("POST", f"/users/{_id(user_id)}/summary/regenerate", user_id=user_id, parse=lambda r: str(r["summary"]))


def health() -> Call[dict[str, Any]]:
    return Call("GET", "/health", parse=dict)


# -- answers --------------------------------------------------------------------------------------------------


def headers_for(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def result_of(call: Call[T], response: httpx.Response) -> T:
    """The call's parsed answer, or the OpenMemory error the server reported."""
    if response.is_success:
        return call.parse(response.json())
    raise error_of(call, response)


def error_of(call: Call[Any], response: httpx.Response) -> OpenMemoryError:
    try:
        body = response.json()
        code, message = str(body["err"]), str(body.get("message") or body["err"])
    except (ValueError, KeyError, TypeError):
        return OpenMemoryError(f"HTTP {response.status_code} from {call.method} {call.path}: {response.text[:200]}")
    if code == "tenant_mismatch":
        return TenantMismatch(call.user_id)
    if code == "not_found" and call.memory_id is not None:
        return NotFound(call.memory_id)
    if code == "fact_not_found":
        return FactNotFound(call.memory_id or "")
    if code == "conflict":
        return Conflict(message)
    if code == "unauthorized":
        return Unauthenticated(message)
    if code in INVALID_CODES:
        return InvalidInput(message, field=body.get("field"))
    if code.startswith("embedder"):
        return EmbedderError(message)
    if code == "store_unavailable":
        return StoreUnavailable(message)
    if code in ("storage_full", "read_only"):
        return StoreError(message)
    if code.startswith("store") or code == "schema_outdated":
        return StoreError(message)
    return OpenMemoryError(f"HTTP {response.status_code} {code}: {message}")


def unreachable(base_url: str, exc: httpx.TransportError) -> StoreUnavailable:
    return StoreUnavailable(f"cannot reach the OpenMemory server at {base_url}: {exc}; is `opm serve` running?")
