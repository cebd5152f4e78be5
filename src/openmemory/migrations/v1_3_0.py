"""1.3.0: project-level isolation (``project_id``), and the temporal fact tables it indexes.

Upstream's step checks only the memories table and fails on a database without ``temporal_facts``; ours checks
every table it touches and creates the temporal tables (upstream creates them lazily at server start) first.
Upstream also moves NULL-owner temporal facts to a ``__legacy_orphan__`` tenant; we keep NULL, which means the
system/default user everywhere else too.
"""

from __future__ import annotations

from openmemory.migrations.base import Names, Step
from openmemory.migrations.schema import SchemaInfo

VERSION = "1.3.0"
DESCRIPTION = "Project-level isolation support"

_TEMPORAL_INDEXES = (
    ("idx_temporal_user", "temporal_facts", "user_id"),
    ("idx_temporal_subject", "temporal_facts", "subject"),
    ("idx_temporal_predicate", "temporal_facts", "predicate"),
    ("idx_temporal_validity", "temporal_facts", "valid_from, valid_to"),
    ("idx_temporal_composite", "temporal_facts", "subject, predicate, valid_from, valid_to"),
    ("idx_edges_source", "temporal_edges", "source_id"),
    ("idx_edges_target", "temporal_edges", "target_id"),
    ("idx_edges_validity", "temporal_edges", "valid_from, valid_to"),
)


def plan_sqlite(schema: SchemaInfo, names: Names) -> list[Step]:
    """The statements still needed for project_id and the temporal tables (empty = in effect)."""
    steps: list[Step] = []
    if not schema.has_table(names.bare_temporal_facts):
        steps.append(
            Step(
                f"CREATE TABLE {names.temporal_facts} (id TEXT PRIMARY KEY, user_id TEXT, project_id TEXT, "
                "subject TEXT NOT NULL, predicate TEXT NOT NULL, object TEXT NOT NULL, "
                "valid_from INTEGER NOT NULL, valid_to INTEGER, "
                "confidence REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1), "
                "last_updated INTEGER NOT NULL, metadata TEXT, UNIQUE(subject, predicate, object, valid_from))"
            )
        )
    if not schema.has_table(names.bare_temporal_edges):
        steps.append(
            Step(
                f"CREATE TABLE {names.temporal_edges} (id TEXT PRIMARY KEY, source_id TEXT NOT NULL, "
                "target_id TEXT NOT NULL, relation_type TEXT NOT NULL, valid_from INTEGER NOT NULL, "
                "valid_to INTEGER, weight REAL NOT NULL, metadata TEXT, "
                f"FOREIGN KEY(source_id) REFERENCES {names.temporal_facts}(id), "
                f"FOREIGN KEY(target_id) REFERENCES {names.temporal_facts}(id))"
            )
        )
    for index, table, columns in _TEMPORAL_INDEXES:
        if not schema.has_index(index):
            steps.append(Step(f"CREATE INDEX {index} ON {table}({columns})"))
    created_facts = not schema.has_table(names.bare_temporal_facts)
    for bare, table, index in (
        (names.bare_memories, names.memories, "idx_memories_project"),
        (names.bare_vectors, names.vectors, "idx_vectors_project"),
        (names.bare_waypoints, names.waypoints, "idx_waypoints_project"),
        (names.bare_temporal_facts, names.temporal_facts, "idx_temporal_project"),
    ):
        fresh = bare == names.bare_temporal_facts and created_facts
        if not fresh and not schema.has_column(bare, "project_id"):
            steps.append(Step(f"ALTER TABLE {table} ADD COLUMN project_id TEXT"))
        if not schema.has_index(index):
            steps.append(Step(f"CREATE INDEX {index} ON {table}(project_id)"))
    return steps


# -- PostgreSQL ------------------------------------------------------------------------------------------------
# Upstream's PG index names (reference §1.2). Upstream creates temporal_facts_project_idx on an unqualified
# ``temporal_facts`` (whatever search_path finds); every name here is schema-qualified.

_PG_TEMPORAL_INDEXES = (
    ("temporal_facts_user_idx", "temporal_facts", "user_id"),
    ("temporal_facts_subject_idx", "temporal_facts", "subject"),
    ("temporal_facts_predicate_idx", "temporal_facts", "predicate"),
    ("temporal_facts_validity_idx", "temporal_facts", "valid_from, valid_to"),
    ("temporal_facts_composite_idx", "temporal_facts", "subject, predicate, valid_from, valid_to"),
    ("temporal_edges_source_idx", "temporal_edges", "source_id"),
    ("temporal_edges_target_idx", "temporal_edges", "target_id"),
    ("temporal_edges_validity_idx", "temporal_edges", "valid_from, valid_to"),
)


def plan_postgres(schema: SchemaInfo, names: Names) -> list[Step]:
    """The statements still needed for project_id and the temporal tables on PostgreSQL (empty = in effect)."""
    steps: list[Step] = []
    created_facts = not schema.has_table(names.bare_temporal_facts)
    if created_facts:
        steps.append(
            Step(
                f"CREATE TABLE {names.temporal_facts} (id UUID PRIMARY KEY, user_id TEXT, project_id TEXT, "
                "subject TEXT NOT NULL, predicate TEXT NOT NULL, object TEXT NOT NULL, valid_from BIGINT NOT NULL, "
                "valid_to BIGINT, confidence DOUBLE PRECISION NOT NULL CHECK (confidence >= 0 AND confidence <= 1), "
                "last_updated BIGINT NOT NULL, metadata TEXT, UNIQUE (subject, predicate, object, valid_from))"
            )
        )
    if not schema.has_table(names.bare_temporal_edges):
        steps.append(
            Step(
                f"CREATE TABLE {names.temporal_edges} (id UUID PRIMARY KEY, "
                f"source_id UUID NOT NULL REFERENCES {names.temporal_facts}(id), "
                f"target_id UUID NOT NULL REFERENCES {names.temporal_facts}(id), relation_type TEXT NOT NULL, "
                "valid_from BIGINT NOT NULL, valid_to BIGINT, weight DOUBLE PRECISION NOT NULL, metadata TEXT)"
            )
        )
    qualified = {"temporal_facts": names.temporal_facts, "temporal_edges": names.temporal_edges}
    for index, table, columns in _PG_TEMPORAL_INDEXES:
        if not schema.has_index(index):
            steps.append(Step(f"CREATE INDEX {index} ON {qualified[table]} ({columns})"))
    for bare, table, index in (
        (names.bare_memories, names.memories, "openmemory_memories_project_idx"),
        (names.bare_vectors, names.vectors, "openmemory_vectors_project_idx"),
        (names.bare_waypoints, names.waypoints, "openmemory_waypoints_project_idx"),
        (names.bare_temporal_facts, names.temporal_facts, "temporal_facts_project_idx"),
    ):
        fresh = bare == names.bare_temporal_facts and created_facts
        if not fresh and not schema.has_column(bare, "project_id"):
            steps.append(Step(f"ALTER TABLE {table} ADD COLUMN project_id TEXT"))
        if not schema.has_index(index):
            steps.append(Step(f"CREATE INDEX {index} ON {table} (project_id)"))
    return steps
