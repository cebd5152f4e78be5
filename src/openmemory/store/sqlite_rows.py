"""SQLite rows to and from ``MemoryRecord``: column lists, JSON fields, and the filter clause of a listing."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from openmemory.models import MemoryRecord
from openmemory.store.base import MemoryFilter
from openmemory.store.json_fields import parse_meta, parse_tags

MEMORY_COLUMNS = (
    "id, user_id, project_id, segment, content, simhash, primary_sector, tags, meta, created_at, updated_at, "
    "last_seen_at, salience, decay_lambda, version, feedback_score"
)


def now_ms() -> int:
    return int(time.time() * 1000)


def row_to_memory(row: sqlite3.Row | tuple[Any, ...], sectors: tuple[str, ...] = ()) -> MemoryRecord:
    (
        memory_id,
        user_id,
        project_id,
        segment,
        content,
        simhash,
        sector,
        tags,
        meta,
        created,
        updated,
        seen,
        salience,
        decay_lambda,
        version,
        feedback,
    ) = row
    return MemoryRecord(
        memory_id=memory_id,
        user_id=user_id,
        content=content,
        primary_sector=sector,
        tags=parse_tags(tags),
        meta=parse_meta(meta),
        created_at_ms=int(created or 0),
        updated_at_ms=int(updated or 0),
        last_seen_at_ms=int(seen or created or 0),
        salience=float(salience if salience is not None else 0.4),
        decay_lambda=float(decay_lambda if decay_lambda is not None else 0.005),
        version=int(version or 1),
        segment=int(segment or 0),
        simhash=simhash,
        feedback_score=float(feedback or 0.0),
        project_id=project_id,
        sectors=sectors,
    )


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
    return "".join(f" AND {p}" for p in parts), args
