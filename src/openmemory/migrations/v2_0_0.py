"""2.0.0 (OpenMemory for Python): the embedder record, a listing index, and owners on every vector and edge.

* ``om_meta`` records which embedder (model name and dimension) built the vectors.
* ``idx_memories_user_created`` serves a user's newest-first listing without a sort.
* ``om_gen`` counts, per owner, the writes that changed their vectors or content, so every process can tell
  when its in-memory search structures for that owner are stale (``store/owner_cache.py``).
* Vectors and waypoints written before 1.2 (or by upstream 1.2.0, which never set them) get the ``user_id`` of
  the memory they belong to, so owner-scoped reads find them.

Lexical search needs no table: BM25 statistics must come from one user's memories only (a shared full-text
index ranks with every user's document frequencies), so the store keeps a per-user index in memory.
"""

from __future__ import annotations

from openmemory.migrations.base import Names, Step
from openmemory.migrations.schema import SchemaInfo

VERSION = "2.0.0"
DESCRIPTION = "Embedder record, listing index and owner backfill"


def plan_sqlite(schema: SchemaInfo, names: Names) -> list[Step]:
    """The statements still needed for our own storage additions (empty = in effect)."""
    steps: list[Step] = []
    if not schema.has_table("om_meta"):
        steps.append(Step("CREATE TABLE om_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"))
        # once, with the table that marks this version: later writes set owners themselves
        steps += _owner_backfill(names)
    if not schema.has_index("idx_memories_user_created"):
        steps.append(Step(f"CREATE INDEX idx_memories_user_created ON {names.memories}(user_id, created_at)"))
    if not schema.has_table("om_gen"):
        steps.append(Step("CREATE TABLE om_gen (owner TEXT PRIMARY KEY, gen INTEGER NOT NULL)"))
    return steps


def _owner_backfill(names: Names) -> list[Step]:
    owner_of = "(SELECT m.user_id FROM {m} m WHERE m.id = {t}.{col})"
    return [
        Step(
            f"UPDATE {names.vectors} SET user_id = "
            f"{owner_of.format(m=names.memories, t=names.vectors, col='id')} WHERE user_id IS NULL"
        ),
        Step(
            f"UPDATE OR IGNORE {names.waypoints} SET user_id = "
            f"{owner_of.format(m=names.memories, t=names.waypoints, col='src_id')} WHERE user_id IS NULL"
        ),
    ]


# -- PostgreSQL ------------------------------------------------------------------------------------------------
# Lexical search uses an expression GIN index over to_tsvector('english', content): upstream's table is left
# without a new column, and the query repeats the same expression so the planner uses the index. Its name is
# not upstream 1.1's ``openmemory_memories_fts_idx`` (index names share the schema's namespace, and that one
# belongs to the old ``openmemory_memories_fts`` table, which we keep untouched).
# ``om_vector_gen`` counts vector-changing writes per owner ('' = the system/default user) so each process can
# tell when its in-process copy of a user's vectors is stale. The pgvector table (``om_mean_vectors``) needs the
# embedder's dimension, which is known only when the service first records it, so the store creates it then.

PG_FTS_CONFIG = "english"
PG_FTS_INDEX = "om_memories_content_fts_idx"
PG_TSVECTOR_SQL = f"to_tsvector('{PG_FTS_CONFIG}'::regconfig, content)"


def plan_postgres(schema: SchemaInfo, names: Names) -> list[Step]:
    """The statements still needed for our own storage additions on PostgreSQL (empty = in effect)."""
    in_schema = names.memories.rsplit(".", 1)[0]  # the quoted schema of every table (names are validated)
    steps: list[Step] = []
    if not schema.has_table("om_meta"):
        steps.append(Step(f'CREATE TABLE {in_schema}."om_meta" (key TEXT PRIMARY KEY, value TEXT NOT NULL)'))
    if not schema.has_table("om_vector_gen"):
        steps.append(Step(f'CREATE TABLE {in_schema}."om_vector_gen" (owner TEXT PRIMARY KEY, gen BIGINT NOT NULL)'))
    if not schema.has_index("openmemory_memories_user_created_idx"):
        steps.append(
            Step(f"CREATE INDEX openmemory_memories_user_created_idx ON {names.memories} (user_id, created_at)")
        )
    if not schema.has_index("openmemory_waypoints_dst_idx"):
        steps.append(Step(f"CREATE INDEX openmemory_waypoints_dst_idx ON {names.waypoints} (dst_id)"))
    if not schema.has_index(PG_FTS_INDEX):
        steps.append(Step(f"CREATE INDEX {PG_FTS_INDEX} ON {names.memories} USING gin ({PG_TSVECTOR_SQL})"))
        v = names.vectors
        steps.append(
            Step(
                f"UPDATE {v} SET user_id = m.user_id FROM {names.memories} m "
                f"WHERE m.id::text = {v}.id::text AND {v}.user_id IS NULL AND m.user_id IS NOT NULL"
            )
        )
    return steps
