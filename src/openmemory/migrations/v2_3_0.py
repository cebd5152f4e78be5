"""2.3.0: drop the full-text index 2.0.0 created on PostgreSQL, which nothing reads any more.

Lexical search became a per-user in-process BM25 index on both backends (docs/design-notes.md), so the
expression GIN index ``om_memories_content_fts_idx`` over ``to_tsvector('english', content)`` only cost time on
every insert and update of a memory, and disk. Operators who run their own full-text queries can recreate it.

Once this version is recorded, 2.0.0's creation of that index (and the vectors owner backfill it was planned
with, done by then) is retired: ``retires`` tells the runner to leave those steps of 2.0.0 out, so a database
is not judged to miss 2.0.0's work because this version removed part of it. SQLite has nothing to drop.
"""

from __future__ import annotations

from openmemory.migrations.base import Names, Step
from openmemory.migrations.schema import SchemaInfo
from openmemory.migrations.v2_0_0 import PG_FTS_INDEX

VERSION = "2.3.0"
DESCRIPTION = "Drop the unused full-text index (PostgreSQL)"


def plan_sqlite(schema: SchemaInfo, names: Names) -> list[Step]:
    """Nothing on SQLite (it never had the index)."""
    return []


def plan_postgres(schema: SchemaInfo, names: Names) -> list[Step]:
    """DROP INDEX while the index exists (empty = in effect)."""
    if not schema.has_index(PG_FTS_INDEX):
        return []
    in_schema = names.memories.rsplit(".", 1)[0]  # the quoted schema of every table (names are validated)
    return [Step(f"DROP INDEX IF EXISTS {in_schema}.{PG_FTS_INDEX}")]


def retires(version: str, step: Step) -> bool:
    """Whether ``step`` of an earlier ``version`` no longer applies once this version is recorded."""
    if version != "2.0.0":
        return False
    return PG_FTS_INDEX in step.sql or (step.sql.startswith("UPDATE ") and "SET user_id = m.user_id FROM" in step.sql)
