"""The SQL of a ``MemoryFilter``, written once for both backends; each dialect supplies two hooks.

The hooks are the placeholder (``?`` on SQLite, ``%s`` for psycopg) and the test "this row's ``tags`` JSON array
holds the bound value", which the two databases spell differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openmemory.models import SYSTEM_GLOBAL
from openmemory.store.base import MemoryFilter


@dataclass(frozen=True, slots=True)
class FilterDialect:
    """What a backend's SQL needs that the other's does not."""

    mark: str  # the placeholder of one bound value
    has_tag: str  # a condition on ``tags`` (upstream's JSON array text) with one placeholder: the tag


SQLITE_FILTERS = FilterDialect("?", "EXISTS (SELECT 1 FROM json_each(memories.tags) WHERE json_each.value = ?)")
# On PostgreSQL tags is text: a row whose tags are not a JSON array never matches (rather than failing the cast).
POSTGRES_FILTERS = FilterDialect(
    "%s",
    "(CASE WHEN tags ~ '^\\s*\\[' THEN EXISTS (SELECT 1 FROM json_array_elements_text(tags::json) AS t(v) "
    "WHERE t.v = %s) ELSE false END)",
)


def filter_sql(where: MemoryFilter | None, dialect: FilterDialect) -> tuple[str, list[Any]]:
    """`` AND ...`` conditions and their bound values for a MemoryFilter; empty when there is none."""
    if where is None:
        return "", []
    m = dialect.mark
    conditions: list[tuple[str, list[Any]]] = []
    if where.sector is not None:
        conditions.append((f"primary_sector = {m}", [where.sector]))
    if where.min_salience is not None:
        conditions.append((f"salience >= {m}", [where.min_salience]))
    if where.start_ms is not None:
        conditions.append((f"created_at >= {m}", [where.start_ms]))
    if where.end_ms is not None:
        conditions.append((f"created_at <= {m}", [where.end_ms]))
    conditions += [(dialect.has_tag, [tag]) for tag in where.tags]
    if where.project_id is not None:
        conditions.append((f"(project_id IS NULL OR project_id IN ({m}, {m}))", [SYSTEM_GLOBAL, where.project_id]))
    return "".join(f" AND {sql}" for sql, _ in conditions), [value for _, values in conditions for value in values]
