"""A memories row as both backends read and write it: the column lists, and the conversions both ways.

Upstream's JSON text columns are read leniently: ``tags`` (a JSON array) and ``meta`` (a JSON object) written by
upstream or by hand may hold anything; a value of the wrong shape reads as empty rather than failing the read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from openmemory.models import MemoryRecord
from openmemory.store.codec import Vector, encode_vector

MEMORY_COLUMNS = (
    "id, user_id, project_id, segment, content, simhash, primary_sector, tags, meta, created_at, updated_at, "
    "last_seen_at, salience, decay_lambda, version, feedback_score"
)
# A new row: MEMORY_COLUMNS and the mean vector (upstream's float32 little-endian blob and its dimension).
INSERT_COLUMNS = MEMORY_COLUMNS + ", mean_dim, mean_vec"
# What a rewrite of a memory changes (never its id, owner, project, segment or creation time).
UPDATE_COLUMNS = (
    "content", "simhash", "primary_sector", "tags", "meta", "updated_at", "last_seen_at", "salience", "decay_lambda",
    "version", "feedback_score",
)  # fmt: skip


def memory_row(m: MemoryRecord, mean: Vector | None) -> tuple[Any, ...]:
    """The values of ``INSERT_COLUMNS`` for a memory: the inverse of ``row_to_memory``."""
    return (
        m.memory_id, m.user_id, m.project_id, m.segment, m.content, m.simhash, m.primary_sector,
        json.dumps(list(m.tags)), json.dumps(m.meta), m.created_at_ms, m.updated_at_ms, m.last_seen_at_ms,
        m.salience, m.decay_lambda, m.version, m.feedback_score,
        None if mean is None else int(mean.shape[0]), None if mean is None else encode_vector(mean),
    )  # fmt: skip


def insert_marks(mark: str) -> str:
    """One of the dialect's placeholders per column of ``INSERT_COLUMNS``, comma-separated."""
    return ",".join([mark] * len(INSERT_COLUMNS.split(",")))


def update_assignments(mark: str) -> str:
    """``content = ?, ...`` over ``UPDATE_COLUMNS`` with the dialect's placeholder."""
    return ", ".join(f"{column} = {mark}" for column in UPDATE_COLUMNS)


def update_values(m: MemoryRecord) -> tuple[Any, ...]:
    """The values of ``UPDATE_COLUMNS`` for a rewritten memory, in that order."""
    return (
        m.content, m.simhash, m.primary_sector, json.dumps(list(m.tags)), json.dumps(m.meta), m.updated_at_ms,
        m.last_seen_at_ms, m.salience, m.decay_lambda, m.version, m.feedback_score,
    )  # fmt: skip


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
    if not raw or raw == "[]":  # what most rows hold: no JSON parse
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        return ()
    return tuple(str(t) for t in value) if isinstance(value, list) else ()


def parse_meta(raw: str | None) -> dict[str, Any]:
    if not raw or raw == "{}":
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
