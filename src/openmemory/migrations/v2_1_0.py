"""2.1.0: temporal facts and edges per owner.

Upstream's ``temporal_facts`` has a global ``UNIQUE(subject, predicate, object, valid_from)``: one user's fact
blocks the same fact for every other user. Its ``temporal_edges`` have no owner. This version:

* makes uniqueness per owner: a unique index on ``(coalesce(user_id, ''), subject, predicate, object,
  valid_from)``, so all NULL owners (the system/default user) count as one owner and ``''`` (never a valid
  user id) cannot collide with a real one; the global constraint is dropped;
* gives every edge the owner of its source fact (``user_id``, NULL when the fact has none);
* maps upstream HEAD's quarantine owner ``__legacy_orphan__`` back to NULL: upstream put exactly the ownerless
  facts there, and NULL is already our system/default user, visible to no tenant. Left as a string it would be
  a user id that an API key could be mapped to.

SQLite cannot drop a constraint, so a table not yet in shape is rebuilt inside the version's transaction: new
table, every row copied, row counts compared before the old table is dropped, then renamed. Columns, indexes and
triggers this version does not know are carried over. Every row is kept as upstream wrote it (two open facts
for one subject and predicate, negative ``valid_from``, ``last_updated`` older than ``valid_to``): only the
owner mapping above changes a value. PostgreSQL alters the tables in place.
"""

from __future__ import annotations

from collections.abc import Callable

from openmemory.migrations.base import Names, Step
from openmemory.migrations.schema import Column, SchemaInfo, Table

Shape = tuple[tuple[str, str], ...]
Value = Callable[[Table, str], str]

VERSION = "2.1.0"
DESCRIPTION = "Temporal facts and edges per owner"

LEGACY_ORPHAN_OWNER = "__legacy_orphan__"  # upstream HEAD's identifiers.ts LEGACY_ORPHAN_TENANT
GLOBAL_FACT_KEY = ("subject", "predicate", "object", "valid_from")
OWNER_KEY_SQL = "(coalesce(user_id, '')), subject, predicate, object, valid_from"

# (column, declaration) in table order: the shape of a fresh table
FACT_COLUMNS = (
    ("id", "TEXT PRIMARY KEY"),
    ("user_id", "TEXT"),
    ("project_id", "TEXT"),
    ("subject", "TEXT NOT NULL"),
    ("predicate", "TEXT NOT NULL"),
    ("object", "TEXT NOT NULL"),
    ("valid_from", "INTEGER NOT NULL"),
    ("valid_to", "INTEGER"),
    ("confidence", "REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1)"),
    ("last_updated", "INTEGER NOT NULL"),
    ("metadata", "TEXT"),
)
EDGE_COLUMNS = (
    ("id", "TEXT PRIMARY KEY"),
    ("user_id", "TEXT"),
    ("source_id", "TEXT NOT NULL"),
    ("target_id", "TEXT NOT NULL"),
    ("relation_type", "TEXT NOT NULL"),
    ("valid_from", "INTEGER NOT NULL"),
    ("valid_to", "INTEGER"),
    ("weight", "REAL NOT NULL"),
    ("metadata", "TEXT"),
)
FACT_INDEXES = (
    ("idx_temporal_owner_fact", f"UNIQUE INDEX idx_temporal_owner_fact ON {{t}}({OWNER_KEY_SQL})"),
    ("idx_temporal_owner_subject", "INDEX idx_temporal_owner_subject ON {t}(user_id, subject, predicate, valid_from)"),
    ("idx_temporal_user", "INDEX idx_temporal_user ON {t}(user_id)"),
    ("idx_temporal_project", "INDEX idx_temporal_project ON {t}(project_id)"),
    ("idx_temporal_subject", "INDEX idx_temporal_subject ON {t}(subject)"),
    ("idx_temporal_predicate", "INDEX idx_temporal_predicate ON {t}(predicate)"),
    ("idx_temporal_validity", "INDEX idx_temporal_validity ON {t}(valid_from, valid_to)"),
    ("idx_temporal_composite", "INDEX idx_temporal_composite ON {t}(subject, predicate, valid_from, valid_to)"),
)
EDGE_INDEXES = (
    ("idx_edges_user", "INDEX idx_edges_user ON {t}(user_id)"),
    ("idx_edges_source", "INDEX idx_edges_source ON {t}(source_id)"),
    ("idx_edges_target", "INDEX idx_edges_target ON {t}(target_id)"),
    ("idx_edges_validity", "INDEX idx_edges_validity ON {t}(valid_from, valid_to)"),
)
_NEW_FACTS = "om_rebuild_temporal_facts"
_NEW_EDGES = "om_rebuild_temporal_edges"


def plan_sqlite(schema: SchemaInfo, names: Names) -> list[Step]:
    """Rebuild the temporal tables that are not in their per-owner shape, then add missing indexes."""
    facts = schema.table(names.bare_temporal_facts)
    edges = schema.table(names.bare_temporal_edges)
    steps: list[Step] = []
    facts_rebuilt = facts is not None and _needs_rebuild(facts, FACT_COLUMNS)
    edges_rebuilt = edges is not None and _needs_rebuild(edges, EDGE_COLUMNS)
    if facts is not None and facts_rebuilt:
        steps += _rebuild(facts, names.temporal_facts, _NEW_FACTS, FACT_COLUMNS, _fact_value, "")
    if edges is not None and edges_rebuilt:
        fk = (
            f", FOREIGN KEY(source_id) REFERENCES {names.temporal_facts}(id)"
            f", FOREIGN KEY(target_id) REFERENCES {names.temporal_facts}(id)"
        )
        owner = f"(SELECT f.user_id FROM {names.temporal_facts} f WHERE f.id = {names.temporal_edges}.source_id)"
        steps += _rebuild(edges, names.temporal_edges, _NEW_EDGES, EDGE_COLUMNS, _edge_value(owner), fk)
    for table, rebuilt, indexes, bare in (
        (facts, facts_rebuilt, FACT_INDEXES, names.bare_temporal_facts),
        (edges, edges_rebuilt, EDGE_INDEXES, names.bare_temporal_edges),
    ):
        if table is None:
            continue
        target = names.temporal_facts if indexes is FACT_INDEXES else names.temporal_edges
        for name, ddl in indexes:
            if rebuilt or not schema.has_index(name):
                steps.append(Step("CREATE " + ddl.format(t=target)))
        if rebuilt:
            known = frozenset(name for name, _ in indexes)
            steps += [Step(sql) for sql in schema.created_on(bare, known)]
    return steps


def _signature(columns: list[Column]) -> list[tuple[str, str, bool]]:
    return [(c.name, c.type.split("(")[0].split()[0] if c.type else "", c.not_null) for c in columns]


def _expected(columns: Shape) -> list[tuple[str, str, bool]]:
    return [(name, decl.split()[0], "NOT NULL" in decl) for name, decl in columns]


def _needs_rebuild(table: Table, shape: Shape) -> bool:
    live = list(table.columns.values())[: len(shape)]
    return _signature(live) != _expected(shape) or table.has_unique(GLOBAL_FACT_KEY)


def _fact_value(table: Table, column: str) -> str:
    if not table.has(column):
        return "NULL"
    if column == "user_id":
        return f"NULLIF(user_id, '{LEGACY_ORPHAN_OWNER}')"
    return column


def _edge_value(owner_of_source: str) -> Value:
    def value(table: Table, column: str) -> str:
        if column == "user_id":
            return f"NULLIF(user_id, '{LEGACY_ORPHAN_OWNER}')" if table.has("user_id") else owner_of_source
        return column if table.has(column) else "NULL"

    return value


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rebuild(table: Table, qualified: str, scratch: str, shape: Shape, value: Value, extra_ddl: str) -> list[Step]:
    """New table in our shape (+ the columns and unique constraints we don't know), copy, check, swap."""
    ours = [name for name, _ in shape]
    extras = [c for c in table.columns.values() if c.name not in ours]
    decls = [f"{name} {decl}" for name, decl in shape]
    for c in extras:
        decl = f"{_quote(c.name)} {c.type}".rstrip()
        decl += " NOT NULL" if c.not_null else ""
        decl += f" DEFAULT {c.default}" if c.default is not None else ""
        decls.append(decl)
    for _, cols in table.unique_constraints:
        if cols != GLOBAL_FACT_KEY:
            decls.append(f"UNIQUE({', '.join(_quote(c) for c in cols)})")
    targets = ours + [_quote(c.name) for c in extras]
    values = [value(table, name) for name in ours] + [_quote(c.name) for c in extras]
    return [
        Step(f"CREATE TABLE {scratch} ({', '.join(decls)}{extra_ddl})"),
        Step(f"INSERT INTO {scratch} ({', '.join(targets)}) SELECT {', '.join(values)} FROM {qualified}"),
        Step(f"DROP TABLE {qualified}", verify_same_rows=(qualified, scratch)),
        Step(f"ALTER TABLE {scratch} RENAME TO {qualified}"),
    ]


# -- PostgreSQL ------------------------------------------------------------------------------------------------
# In place: columns are added (at the end), upstream's global UNIQUE constraint is dropped by its real name, and
# the per-owner key is a unique expression index (the same definition as on SQLite; it also works before
# PostgreSQL 15, which ``UNIQUE NULLS NOT DISTINCT`` would need).

PG_OWNER_FACT_INDEX = "temporal_facts_owner_fact_idx"


def plan_postgres(schema: SchemaInfo, names: Names) -> list[Step]:
    """The statements still needed for per-owner temporal tables on PostgreSQL (empty = in effect)."""
    f, e = names.temporal_facts, names.temporal_edges
    facts = schema.table(names.bare_temporal_facts)
    edges = schema.table(names.bare_temporal_edges)
    steps: list[Step] = []
    if facts is not None:
        for column in ("user_id", "project_id"):
            if not facts.has(column):
                steps.append(Step(f"ALTER TABLE {f} ADD COLUMN {column} TEXT"))
        if not schema.has_index(PG_OWNER_FACT_INDEX):
            steps.append(Step(f"UPDATE {f} SET user_id = NULL WHERE user_id = '{LEGACY_ORPHAN_OWNER}'"))
        for name, cols in facts.unique_constraints:
            if cols == GLOBAL_FACT_KEY:
                steps.append(Step(f"ALTER TABLE {f} DROP CONSTRAINT {_quote(name)}"))
        if not schema.has_index(PG_OWNER_FACT_INDEX):
            steps.append(Step(f"CREATE UNIQUE INDEX {PG_OWNER_FACT_INDEX} ON {f} ({OWNER_KEY_SQL})"))
        if not schema.has_index("temporal_facts_owner_subject_idx"):
            steps.append(
                Step(f"CREATE INDEX temporal_facts_owner_subject_idx ON {f} (user_id, subject, predicate, valid_from)")
            )
    if edges is not None:
        if not edges.has("user_id"):
            steps += [
                Step(f"ALTER TABLE {e} ADD COLUMN user_id TEXT"),
                Step(f"UPDATE {e} SET user_id = src.user_id FROM {f} src WHERE src.id = {e}.source_id"),
            ]
        if not schema.has_index("temporal_edges_user_idx"):
            steps.append(Step(f"CREATE INDEX temporal_edges_user_idx ON {e} (user_id)"))
    return steps
