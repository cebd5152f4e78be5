"""1.2.1: an owner column on the temporal facts that upstream's servers created without one.

Upstream 1.2.1 to v1.3.0 create ``temporal_facts`` lazily at server start with no ``user_id``; our 1.3.0 (released,
so never edited) indexes ``temporal_facts(user_id)`` and stopped there with "no such column: user_id". This
version runs before it and only adds the column (NULL: the system/default user). Version 2.1.0 then rebuilds the
temporal tables into their per-owner shape. On every other database the plan is empty.
"""

from __future__ import annotations

from openmemory.migrations.base import Names, Step
from openmemory.migrations.schema import SchemaInfo

VERSION = "1.2.1"
DESCRIPTION = "Owner column on upstream's temporal facts"


def plan_sqlite(schema: SchemaInfo, names: Names) -> list[Step]:
    """``ALTER TABLE temporal_facts ADD COLUMN user_id`` when the table exists without it (empty = in effect)."""
    if schema.has_table(names.bare_temporal_facts) and not schema.has_column(names.bare_temporal_facts, "user_id"):
        return [Step(f"ALTER TABLE {names.temporal_facts} ADD COLUMN user_id TEXT")]
    return []


def plan_postgres(schema: SchemaInfo, names: Names) -> list[Step]:
    """The same on PostgreSQL (no upstream release creates temporal tables there without ``user_id``)."""
    return plan_sqlite(schema, names)
