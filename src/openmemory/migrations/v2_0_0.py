"""2.0.0 (OpenMemory for Python): the lexical index, the embedder record, and owners on every vector and edge.

* ``om_meta`` records which embedder (model name and dimension) built the vectors.
* ``om_fts`` is a full-text index over memory content, kept in step with ``memories`` by triggers. Each row carries
  an ``owner`` token so a lexical search is scoped to one user inside FTS5 itself. ``om_fts_map`` maps memory ids
  to FTS rowids (a memories rowid is not stable across VACUUM, so it cannot be the key).
* Vectors and waypoints written before 1.2 (or by upstream 1.2.0, which never set them) get the ``user_id`` of
  the memory they belong to, so owner-scoped reads find them.
"""

from __future__ import annotations

from openmemory.migrations.base import Names, Step
from openmemory.migrations.schema import SchemaInfo

VERSION = "2.0.0"
DESCRIPTION = "Lexical index, embedder record and owner backfill"

# The FTS owner token of a user: 'u' + hex of the UTF-8 user id + '0' (the trailing digit keeps the porter
# stemmer off it); the system/default user (NULL) is 'system0'. store/sqlite.py builds the same token in Python.
OWNER_TOKEN_SQL = "CASE WHEN {col} IS NULL THEN 'system0' ELSE 'u' || hex({col}) || '0' END"


def plan_sqlite(schema: SchemaInfo, names: Names) -> list[Step]:
    """The statements still needed for our own storage additions (empty = in effect)."""
    steps: list[Step] = []
    if not schema.has_table("om_meta"):
        steps.append(Step("CREATE TABLE om_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"))
    if not schema.has_index("idx_memories_user_created"):
        steps.append(Step(f"CREATE INDEX idx_memories_user_created ON {names.memories}(user_id, created_at)"))
    if not schema.has_table("om_fts"):
        steps += _fts(names)
        steps += _owner_backfill(names)
    return steps


def _fts(names: Names) -> list[Step]:
    m = names.memories
    new_owner = OWNER_TOKEN_SQL.format(col="new.user_id")
    return [
        Step("CREATE VIRTUAL TABLE om_fts USING fts5(content, owner, tokenize='porter unicode61')"),
        Step("CREATE TABLE om_fts_map (memory_id TEXT PRIMARY KEY, fts_rowid INTEGER NOT NULL)"),
        Step(
            f"INSERT INTO om_fts(rowid, content, owner) SELECT rowid, content, "
            f"{OWNER_TOKEN_SQL.format(col='user_id')} FROM {m}"
        ),
        Step(f"INSERT INTO om_fts_map(memory_id, fts_rowid) SELECT id, rowid FROM {m}"),
        Step(
            f"CREATE TRIGGER om_fts_ai AFTER INSERT ON {m} BEGIN "
            f"INSERT INTO om_fts(content, owner) VALUES (new.content, {new_owner}); "
            "INSERT OR REPLACE INTO om_fts_map(memory_id, fts_rowid) VALUES (new.id, last_insert_rowid()); END"
        ),
        Step(
            f"CREATE TRIGGER om_fts_ad AFTER DELETE ON {m} BEGIN "
            "DELETE FROM om_fts WHERE rowid = (SELECT fts_rowid FROM om_fts_map WHERE memory_id = old.id); "
            "DELETE FROM om_fts_map WHERE memory_id = old.id; END"
        ),
        Step(
            f"CREATE TRIGGER om_fts_au AFTER UPDATE OF content, user_id ON {m} BEGIN "
            f"UPDATE om_fts SET content = new.content, owner = {new_owner} "
            "WHERE rowid = (SELECT fts_rowid FROM om_fts_map WHERE memory_id = old.id); END"
        ),
    ]


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
