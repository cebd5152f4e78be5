"""2.4.0: the pgvector column upstream HEAD creates on PostgreSQL becomes upstream's float32 ``bytea`` again.

Upstream HEAD creates its vector table with ``v vector`` (pgvector, no dimension) and then fails to build its HNSW
index on it ("column does not have dimensions"), so its start-up stops with that table in place. Every other
upstream release, and our store, keep vectors as packed float32 little-endian ``bytea`` (pgvector, when present,
gets its own table). Rows are converted, not dropped: each vector's components are written as 4 little-endian
bytes each, exactly what upstream's SQLite and older PostgreSQL rows hold. SQLite has nothing to do.
"""

from __future__ import annotations

from openmemory.migrations.base import Names, Step
from openmemory.migrations.schema import SchemaInfo

VERSION = "2.4.0"
DESCRIPTION = "Upstream HEAD's pgvector column back to float32 bytea (PostgreSQL)"

# float4send gives big-endian bytes; upstream's blobs are little-endian
_LITTLE_ENDIAN = (
    "substring(b FROM 4 FOR 1) || substring(b FROM 3 FOR 1) || substring(b FROM 2 FOR 1) || substring(b FROM 1 FOR 1)"
)


def plan_sqlite(schema: SchemaInfo, names: Names) -> list[Step]:
    """Nothing on SQLite (upstream's SQLite vectors were always blobs)."""
    return []


def plan_postgres(schema: SchemaInfo, names: Names) -> list[Step]:
    """Convert ``v`` while it is a pgvector column (empty = in effect)."""
    table = schema.table(names.bare_vectors)
    column = table.columns.get("v") if table is not None else None
    if column is None or not column.type.startswith("VECTOR"):
        return []
    v = names.vectors
    packed = (
        f"SELECT string_agg({_LITTLE_ENDIAN}, ''::bytea ORDER BY e.n) FROM unnest({v}.v::real[]) "
        "WITH ORDINALITY AS e(x, n), LATERAL (SELECT float4send(e.x) AS b) AS s"
    )
    return [
        Step(f"ALTER TABLE {v} ADD COLUMN om_v_float32 BYTEA"),
        Step(f"UPDATE {v} SET om_v_float32 = ({packed}) WHERE v IS NOT NULL"),
        Step(f"ALTER TABLE {v} DROP COLUMN v"),  # drops upstream's HNSW index with it, if it was ever built
        Step(f"ALTER TABLE {v} RENAME COLUMN om_v_float32 TO v"),
    ]
