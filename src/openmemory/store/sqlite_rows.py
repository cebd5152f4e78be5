"""SQLite-specific row helpers: the filter clause of a listing."""

from __future__ import annotations

from typing import Any

from openmemory.models import SYSTEM_GLOBAL
from openmemory.store.base import MemoryFilter


def filter_sql(where: MemoryFilter | None) -> tuple[str, list[Any]]:
    if where is None:
        return "", []
    parts: list[str] = []
    args: list[Any] = []
    if where.sector is not None:
        parts.append("primary_sector = ?")
        args.append(where.sector)
    if where.min_salience is not None:
        parts.append("salience >= ?")
        args.append(where.min_salience)
    if where.start_ms is not None:
        parts.append("created_at >= ?")
        args.append(where.start_ms)
    if where.end_ms is not None:
        parts.append("created_at <= ?")
        args.append(where.end_ms)
    for tag in where.tags:
        parts.append("EXISTS (SELECT 1 FROM json_each(memories.tags) WHERE json_each.value = ?)")
        args.append(tag)
    if where.project_id is not None:
        parts.append("(project_id IS NULL OR project_id IN (?, ?))")
        args += [SYSTEM_GLOBAL, where.project_id]
    return "".join(f" AND {p}" for p in parts), args
