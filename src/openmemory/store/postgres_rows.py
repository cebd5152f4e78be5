"""Rows of upstream's PostgreSQL memories table as MemoryRecords, and the SQL of a MemoryFilter."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from openmemory.models import SYSTEM_GLOBAL
from openmemory.store.base import MemoryFilter
from openmemory.store.postgres_vectors import PG_SYSTEM_OWNER

MAX_QUERY_WORDS = 64
_WORD = re.compile(r"[^\W_]+")


def waypoint_owner(stored: str | None) -> str | None:
    """The user_id of a waypoints row: the system/default user is stored as PG_SYSTEM_OWNER."""
    return None if stored is None or stored == PG_SYSTEM_OWNER else stored


def filter_sql(where: MemoryFilter | None) -> tuple[str, list[Any]]:
    """`` AND ...`` conditions (bound values) for a MemoryFilter; empty when there is none."""
    if where is None:
        return "", []
    parts: list[str] = []
    args: list[Any] = []
    if where.sector is not None:
        parts.append("primary_sector = %s")
        args.append(where.sector)
    if where.min_salience is not None:
        parts.append("salience >= %s")
        args.append(where.min_salience)
    if where.start_ms is not None:
        parts.append("created_at >= %s")
        args.append(where.start_ms)
    if where.end_ms is not None:
        parts.append("created_at <= %s")
        args.append(where.end_ms)
    for tag in where.tags:
        # tags is upstream's JSON array text; a row whose tags are not a JSON array never matches
        parts.append(
            "(CASE WHEN tags ~ '^\\s*\\[' THEN EXISTS (SELECT 1 FROM json_array_elements_text(tags::json) AS t(v) "
            "WHERE t.v = %s) ELSE false END)"
        )
        args.append(tag)
    if where.project_id is not None:
        parts.append("(project_id IS NULL OR project_id IN (%s, %s))")
        args += [SYSTEM_GLOBAL, where.project_id]
    return "".join(f" AND {p}" for p in parts), args


def as_uuids(memory_ids: Sequence[str]) -> list[str]:
    """The ids that are UUIDs (memories.id is uuid as upstream's); any other id matches no memory."""
    out = []
    for memory_id in dict.fromkeys(memory_ids):
        try:
            uuid.UUID(memory_id)
        except (ValueError, AttributeError, TypeError):
            continue
        out.append(memory_id)
    return out


def query_words(text: str | Sequence[str]) -> list[str]:
    """Distinct lower-case words of a query (or of a list of terms), at most MAX_QUERY_WORDS."""
    source = text if isinstance(text, str) else " ".join(text)
    return list(dict.fromkeys(_WORD.findall(source.lower())))[:MAX_QUERY_WORDS]
