"""The pieces every migration module shares: a planned step and the table names it works on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Step:
    """One SQL statement of a migration, optionally guarded by a row-count check that must pass first.

    ``verify_same_rows`` names two tables whose row counts must be equal before this step runs; the
    waypoints rebuild uses it so the old table is never dropped unless every row was copied.
    """

    sql: str
    verify_same_rows: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Names:
    """Physical table names, already validated and (for PostgreSQL) quoted and schema-qualified.

    ``bare_*`` are the unqualified names used to look tables up in a SchemaInfo.
    """

    memories: str
    vectors: str
    waypoints: str
    users: str
    stats: str
    embed_logs: str
    temporal_facts: str
    temporal_edges: str
    bare_memories: str
    bare_vectors: str
    bare_waypoints: str
    bare_users: str
    bare_stats: str
    bare_embed_logs: str
    bare_temporal_facts: str
    bare_temporal_edges: str
    om_meta: str = "om_meta"  # ours (2.0.0): the embedder record

    @classmethod
    def sqlite(cls, vector_table: str) -> Names:
        return cls(
            "memories",
            vector_table,
            "waypoints",
            "users",
            "stats",
            "embed_logs",
            "temporal_facts",
            "temporal_edges",
            "memories",
            vector_table,
            "waypoints",
            "users",
            "stats",
            "embed_logs",
            "temporal_facts",
            "temporal_edges",
        )
