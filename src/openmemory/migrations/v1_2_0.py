"""1.2.0: multi-user tenant support, and the rest of the schema a v1.2 server needs.

Upstream's own 1.2.0 step only adds ``user_id``; a v1.1 file it migrated then lacks ``segment``, ``simhash``,
``compressed_vec`` and ``feedback_score`` and upstream's own 1.2 server crashes on it. Ours treats all of those as
part of 1.2.0, so a file that upstream stamped 1.2.0 but left short is finished here. The waypoints rebuild keeps
any ``user_id`` already present instead of writing NULL over it, and never drops the old table unless the copy has
every row.
"""

from __future__ import annotations

from openmemory.migrations.base import Names, Step
from openmemory.migrations.schema import SchemaInfo

VERSION = "1.2.0"
DESCRIPTION = "Multi-user tenant support"

# Columns a v1.2 memories row has, beyond v1.1's, with the SQLite type of each.
_MEMORY_COLUMNS_V12 = (
    ("user_id", "TEXT"),
    ("segment", "INTEGER DEFAULT 0"),
    ("simhash", "TEXT"),
    ("compressed_vec", "BLOB"),
    ("feedback_score", "REAL DEFAULT 0"),
)
_MEMORY_COLUMNS_V11 = (
    ("tags", "TEXT"),
    ("meta", "TEXT"),
    ("created_at", "INTEGER"),
    ("updated_at", "INTEGER"),
    ("last_seen_at", "INTEGER"),
    ("salience", "REAL"),
    ("decay_lambda", "REAL"),
    ("version", "INTEGER DEFAULT 1"),
    ("mean_dim", "INTEGER"),
    ("mean_vec", "BLOB"),
)
_MEMORY_INDEXES = (
    ("idx_memories_sector", "primary_sector"),
    ("idx_memories_segment", "segment"),
    ("idx_memories_simhash", "simhash"),
    ("idx_memories_ts", "last_seen_at"),
    ("idx_memories_user", "user_id"),
)
_WAYPOINT_COLUMNS = "src_id, dst_id, user_id, weight, created_at, updated_at"


def plan_sqlite(schema: SchemaInfo, names: Names) -> list[Step]:
    """The statements still needed to bring a SQLite database to the full v1.2 schema (empty = in effect)."""
    steps: list[Step] = []
    steps += _memories(schema, names)
    steps += _vectors(schema, names)
    steps += _waypoints(schema, names)
    steps += _small_tables(schema, names)
    return steps


def _memories(schema: SchemaInfo, names: Names) -> list[Step]:
    steps: list[Step] = []
    if not schema.has_table(names.bare_memories):
        cols = ", ".join(f"{n} {t}" for n, t in (*_MEMORY_COLUMNS_V11, *_MEMORY_COLUMNS_V12))
        steps.append(
            Step(
                f"CREATE TABLE {names.memories} (id TEXT PRIMARY KEY, content TEXT NOT NULL, "
                f"primary_sector TEXT NOT NULL, {cols})"
            )
        )
    else:
        for name, sql_type in (*_MEMORY_COLUMNS_V11, *_MEMORY_COLUMNS_V12):
            if not schema.has_column(names.bare_memories, name):
                steps.append(Step(f"ALTER TABLE {names.memories} ADD COLUMN {name} {sql_type}"))
    for index, column in _MEMORY_INDEXES:
        if not schema.has_index(index):
            steps.append(Step(f"CREATE INDEX {index} ON {names.memories}({column})"))
    return steps


def _vectors(schema: SchemaInfo, names: Names) -> list[Step]:
    steps: list[Step] = []
    if not schema.has_table(names.bare_vectors):
        steps.append(
            Step(
                f"CREATE TABLE {names.vectors} (id TEXT NOT NULL, sector TEXT NOT NULL, user_id TEXT, "
                f"v BLOB NOT NULL, dim INTEGER NOT NULL, PRIMARY KEY(id, sector))"
            )
        )
    elif not schema.has_column(names.bare_vectors, "user_id"):
        steps.append(Step(f"ALTER TABLE {names.vectors} ADD COLUMN user_id TEXT"))
    if not schema.has_index("idx_vectors_user"):
        steps.append(Step(f"CREATE INDEX idx_vectors_user ON {names.vectors}(user_id)"))
    return steps


def _waypoints(schema: SchemaInfo, names: Names) -> list[Step]:
    steps: list[Step] = []
    table = schema.table(names.bare_waypoints)
    leftover = schema.table("waypoints_new")
    if table is None and leftover is not None:
        # An interrupted upstream run dropped the old table after copying: the copy is the data.
        steps.append(Step(f"ALTER TABLE waypoints_new RENAME TO {names.waypoints}"))
        table, leftover = leftover, None
    if leftover is not None:
        # The old table is intact, so the half-made copy carries nothing that is not in it.
        steps.append(Step("DROP TABLE waypoints_new"))
    create = (
        "CREATE TABLE {name} (src_id TEXT, dst_id TEXT NOT NULL, user_id TEXT, weight REAL NOT NULL, "
        "created_at INTEGER, updated_at INTEGER{extra}, PRIMARY KEY(src_id, user_id))"
    )
    rebuilt = False
    if table is None:
        steps.append(Step(create.format(name=names.waypoints, extra="")))
        rebuilt = True
    elif table.primary_key != ("src_id", "user_id"):
        has_project = table.has("project_id")
        extra = ", project_id TEXT" if has_project else ""
        owner = (
            "user_id"
            if table.has("user_id")
            else f"(SELECT m.user_id FROM {names.memories} m WHERE m.id = {names.waypoints}.src_id)"
        )
        copy_cols = "src_id, dst_id, " + owner + ", weight, created_at, updated_at"
        target_cols = _WAYPOINT_COLUMNS
        if has_project:
            copy_cols += ", project_id"
            target_cols += ", project_id"
        steps += [
            Step(create.format(name="waypoints_new", extra=extra)),
            Step(f"INSERT INTO waypoints_new ({target_cols}) SELECT {copy_cols} FROM {names.waypoints}"),
            Step(f"DROP TABLE {names.waypoints}", verify_same_rows=(names.waypoints, "waypoints_new")),
            Step(f"ALTER TABLE waypoints_new RENAME TO {names.waypoints}"),
        ]
        rebuilt = True
    for index, column in (
        ("idx_waypoints_src", "src_id"),
        ("idx_waypoints_dst", "dst_id"),
        ("idx_waypoints_user", "user_id"),
    ):
        if rebuilt or not schema.has_index(index):
            steps.append(Step(f"CREATE INDEX {index} ON {names.waypoints}({column})"))
    return steps


def _small_tables(schema: SchemaInfo, names: Names) -> list[Step]:
    steps: list[Step] = []
    if not schema.has_table(names.bare_users):
        steps.append(
            Step(
                f"CREATE TABLE {names.users} (user_id TEXT PRIMARY KEY, summary TEXT, "
                f"reflection_count INTEGER DEFAULT 0, created_at INTEGER, updated_at INTEGER)"
            )
        )
    if not schema.has_table(names.bare_stats):
        steps.append(
            Step(
                f"CREATE TABLE {names.stats} (id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, "
                f"count INTEGER DEFAULT 1, ts INTEGER NOT NULL)"
            )
        )
    for index, column in (("idx_stats_ts", "ts"), ("idx_stats_type", "type")):
        if not schema.has_index(index):
            steps.append(Step(f"CREATE INDEX {index} ON {names.stats}({column})"))
    if not schema.has_table(names.bare_embed_logs):
        steps.append(
            Step(
                f"CREATE TABLE {names.embed_logs} (id TEXT PRIMARY KEY, model TEXT, status TEXT, ts INTEGER, err TEXT)"
            )
        )
    return steps


# -- PostgreSQL ------------------------------------------------------------------------------------------------
# Upstream's PG names and types (reference §1.2): uuid ids, bigint times, double precision reals, bytea vectors,
# and fixed index names whatever OM_PG_TABLE is.

_PG_MEMORY_COLUMNS_V11 = (
    ("tags", "TEXT"),
    ("meta", "TEXT"),
    ("created_at", "BIGINT"),
    ("updated_at", "BIGINT"),
    ("last_seen_at", "BIGINT"),
    ("salience", "DOUBLE PRECISION"),
    ("decay_lambda", "DOUBLE PRECISION"),
    ("version", "INTEGER DEFAULT 1"),
    ("mean_dim", "INTEGER"),
    ("mean_vec", "BYTEA"),
)
_PG_MEMORY_COLUMNS_V12 = (
    ("user_id", "TEXT"),
    ("segment", "INTEGER DEFAULT 0"),
    ("simhash", "TEXT"),
    ("compressed_vec", "BYTEA"),
    ("feedback_score", "DOUBLE PRECISION DEFAULT 0"),
)
_PG_MEMORY_INDEXES = (
    ("openmemory_memories_sector_idx", "primary_sector"),
    ("openmemory_memories_segment_idx", "segment"),
    ("openmemory_memories_simhash_idx", "simhash"),
    ("openmemory_memories_user_idx", "user_id"),
)

# The system/default user's waypoints carry this user_id on PostgreSQL, because a primary key column cannot be
# NULL there; validate.user_id never accepts an empty id, so it cannot collide. The store maps it to None.
PG_SYSTEM_OWNER = ""


def plan_postgres(schema: SchemaInfo, names: Names) -> list[Step]:
    """The statements still needed to bring a PostgreSQL schema to the full v1.2 schema (empty = in effect)."""
    steps: list[Step] = []
    steps += _pg_memories(schema, names)
    steps += _pg_vectors(schema, names)
    steps += _pg_waypoints(schema, names)
    steps += _pg_small_tables(schema, names)
    return steps


def _pg_memories(schema: SchemaInfo, names: Names) -> list[Step]:
    steps: list[Step] = []
    if not schema.has_table(names.bare_memories):
        # column order of a table upstream's 1.2 server creates
        steps.append(
            Step(
                f"CREATE TABLE {names.memories} (id UUID PRIMARY KEY, user_id TEXT, segment INTEGER DEFAULT 0, "
                "content TEXT NOT NULL, simhash TEXT, primary_sector TEXT NOT NULL, tags TEXT, meta TEXT, "
                "created_at BIGINT, updated_at BIGINT, last_seen_at BIGINT, salience DOUBLE PRECISION, "
                "decay_lambda DOUBLE PRECISION, version INTEGER DEFAULT 1, mean_dim INTEGER, mean_vec BYTEA, "
                "compressed_vec BYTEA, feedback_score DOUBLE PRECISION DEFAULT 0)"
            )
        )
    else:
        for name, sql_type in (*_PG_MEMORY_COLUMNS_V11, *_PG_MEMORY_COLUMNS_V12):
            if not schema.has_column(names.bare_memories, name):
                steps.append(Step(f"ALTER TABLE {names.memories} ADD COLUMN {name} {sql_type}"))
    for index, column in _PG_MEMORY_INDEXES:
        if not schema.has_index(index):
            steps.append(Step(f"CREATE INDEX {index} ON {names.memories} ({column})"))
    return steps


def _pg_vectors(schema: SchemaInfo, names: Names) -> list[Step]:
    steps: list[Step] = []
    if not schema.has_table(names.bare_vectors):
        steps.append(
            Step(
                f"CREATE TABLE {names.vectors} (id UUID NOT NULL, sector TEXT NOT NULL, user_id TEXT, v BYTEA, "
                "dim INTEGER NOT NULL, PRIMARY KEY (id, sector))"
            )
        )
    elif not schema.has_column(names.bare_vectors, "user_id"):
        steps.append(Step(f"ALTER TABLE {names.vectors} ADD COLUMN user_id TEXT"))
    if not schema.has_index("openmemory_vectors_user_idx"):
        steps.append(Step(f"CREATE INDEX openmemory_vectors_user_idx ON {names.vectors} (user_id)"))
    return steps


def _pg_waypoints(schema: SchemaInfo, names: Names) -> list[Step]:
    """Key waypoints by (src_id, user_id) without losing a row.

    Upstream's SQL adds ``user_id`` (all NULL), drops a constraint name that does not exist (``waypoints_pkey``;
    the real one is ``openmemory_waypoints_pkey``) and then fails with "multiple primary keys"; had it dropped
    the right one, ``ADD PRIMARY KEY`` would fail on the NULLs. Here each edge first takes its source memory's
    owner, the edges still without one take PG_SYSTEM_OWNER, and the real key (looked up in pg_constraint) is
    replaced in the same transaction.
    """
    steps: list[Step] = []
    w = names.waypoints
    table = schema.table(names.bare_waypoints)
    if table is None:
        steps.append(
            Step(
                f"CREATE TABLE {w} (src_id TEXT NOT NULL, dst_id TEXT NOT NULL, user_id TEXT NOT NULL, "
                "weight DOUBLE PRECISION NOT NULL, created_at BIGINT, updated_at BIGINT, PRIMARY KEY (src_id, user_id))"
            )
        )
    elif table.primary_key != ("src_id", "user_id"):
        if not table.has("user_id"):
            steps.append(Step(f"ALTER TABLE {w} ADD COLUMN user_id TEXT"))
        steps += [
            Step(
                f"UPDATE {w} SET user_id = m.user_id FROM {names.memories} m "
                f"WHERE m.id::text = {w}.src_id AND {w}.user_id IS NULL AND m.user_id IS NOT NULL"
            ),
            Step(f"UPDATE {w} SET user_id = '{PG_SYSTEM_OWNER}' WHERE user_id IS NULL"),
        ]
        if table.primary_key_name is not None:
            constraint = '"' + table.primary_key_name.replace('"', '""') + '"'
            steps.append(Step(f"ALTER TABLE {w} DROP CONSTRAINT {constraint}"))
        steps.append(Step(f"ALTER TABLE {w} ADD CONSTRAINT {names.bare_waypoints}_pkey PRIMARY KEY (src_id, user_id)"))
    if not schema.has_index("openmemory_waypoints_user_idx"):
        steps.append(Step(f"CREATE INDEX openmemory_waypoints_user_idx ON {w} (user_id)"))
    return steps


def _pg_small_tables(schema: SchemaInfo, names: Names) -> list[Step]:
    steps: list[Step] = []
    if not schema.has_table(names.bare_users):
        steps.append(
            Step(
                f"CREATE TABLE {names.users} (user_id TEXT PRIMARY KEY, summary TEXT, "
                "reflection_count INTEGER DEFAULT 0, created_at BIGINT, updated_at BIGINT)"
            )
        )
    if not schema.has_table(names.bare_stats):
        steps.append(
            Step(
                f"CREATE TABLE {names.stats} (id SERIAL PRIMARY KEY, type TEXT NOT NULL, count INTEGER DEFAULT 1, "
                "ts BIGINT NOT NULL)"
            )
        )
    for index, column in (("openmemory_stats_ts_idx", "ts"), ("openmemory_stats_type_idx", "type")):
        if not schema.has_index(index):
            steps.append(Step(f"CREATE INDEX {index} ON {names.stats} ({column})"))
    if not schema.has_table(names.bare_embed_logs):
        steps.append(
            Step(f"CREATE TABLE {names.embed_logs} (id TEXT PRIMARY KEY, model TEXT, status TEXT, ts BIGINT, err TEXT)")
        )
    return steps
