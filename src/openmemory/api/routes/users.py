"""``/users/{user_id}/*``: a user's summary and memories. The path's user_id must be the caller's tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from openmemory.api.context import CallerDep, MemoryDep
from openmemory.api.overview import newest_memories
from openmemory.api.schemas import (
    MAX_ID_CHARS,
    DeletedResponse,
    RegeneratedResponse,
    SummaryResponse,
    UserItemsResponse,
    item_of,
)

router = APIRouter(prefix="/users", tags=["users"])

UserPath = Annotated[str, Path(min_length=1, max_length=MAX_ID_CHARS)]


@router.get("/{user_id}/summary", response_model=SummaryResponse)
def summary(user_id: UserPath, memory: MemoryDep, caller: CallerDep) -> SummaryResponse:
    caller.owner(user_id)
    text = memory.user_summary(user_id)
    row = memory.user(user_id)
    return SummaryResponse(
        user_id=user_id, summary=text, reflection_count=row.reflection_count if row else 0,
        updated_at=row.updated_at_ms if row else None,
    )  # fmt: skip


@router.post("/{user_id}/summary/regenerate", response_model=RegeneratedResponse)
def regenerate(user_id: UserPath, memory: MemoryDep, caller: CallerDep) -> RegeneratedResponse:
    caller.owner(user_id)
    text = memory.refresh_summary(user_id)
    row = memory.user(user_id)
    return RegeneratedResponse(user_id=user_id, summary=text, reflection_count=row.reflection_count if row else 0)


@router.get("/{user_id}/memories", response_model=UserItemsResponse)
def memories(
    user_id: UserPath,
    memory: MemoryDep,
    caller: CallerDep,
    u: Annotated[int, Query(ge=0, le=2**31, description="Offset.")] = 0,
    l: Annotated[int, Query(ge=1, le=10_000, description="Limit.")] = 100,  # noqa: E741 (upstream's name)
) -> UserItemsResponse:
    caller.owner(user_id)
    return UserItemsResponse(user_id=user_id, items=[item_of(m) for m in newest_memories(memory, user_id, l, u)])


@router.delete("/{user_id}/memories", response_model=DeletedResponse)
def delete_memories(user_id: UserPath, memory: MemoryDep, caller: CallerDep) -> DeletedResponse:
    caller.owner(user_id)
    return DeletedResponse(deleted=memory.delete_user(user_id))
