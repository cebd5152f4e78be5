"""A memories row as both backends read it: the column list, and the row -> ``MemoryRecord`` conversion.

Upstream's JSON text columns are read leniently: ``tags`` (a JSON array) and ``meta`` (a JSON object) written by
upstream or by hand may hold anything; a value of the wrong shape reads as empty rather than failing the read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from openmemory.models import MemoryRecord

MEMORY_COLUMNS = (
    "id, user_id, project_id, segment, content, simhash, primary_sector, tags, meta, created_at, updated_at, "
    "last_seen_at, salience, decay_lambda, version, feedback_score"
)


def row_to_memory(row: Sequence[Any], sectors: tuple[str, ...] = ()) -> MemoryRecord:
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
        memory_id=str(memory_id),
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


def parse_tags(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        return ()
    return tuple(str(t) for t in value) if isinstance(value, list) else ()


def parse_meta(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
