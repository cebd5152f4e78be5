"""What a database looks like right now: tables, columns, primary keys, indexes.

Migration steps read a ``SchemaInfo`` to decide what is already in effect, so a step never alters a table it has
not checked first. Both dialects produce the same shape.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str
    not_null: bool
    default: str | None


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: dict[str, Column]
    primary_key: tuple[str, ...]
    primary_key_name: str | None = None
    is_virtual: bool = False
    # (constraint name, columns) of each UNIQUE constraint declared on the table (not unique indexes); SQLite's
    # name is its automatic index, which cannot be dropped (only a rebuild removes the constraint)
    unique_constraints: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def has(self, column: str) -> bool:
        return column in self.columns

    def has_unique(self, columns: tuple[str, ...]) -> bool:
        return any(cols == columns for _, cols in self.unique_constraints)


@dataclass(frozen=True, slots=True)
class SchemaInfo:
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, str] = field(default_factory=dict)  # index name -> table name
    # SQLite only: the CREATE statement of each explicitly created index and trigger, so a table rebuild can
    # recreate the ones it does not know (name -> (table, sql))
    index_sql: dict[str, tuple[str, str]] = field(default_factory=dict)
    trigger_sql: dict[str, tuple[str, str]] = field(default_factory=dict)

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def has_table(self, name: str) -> bool:
        return name in self.tables

    def has_column(self, table: str, column: str) -> bool:
        t = self.tables.get(table)
        return t is not None and t.has(column)

    def has_index(self, name: str) -> bool:
        return name in self.indexes

    def created_on(self, table: str, known: frozenset[str]) -> list[str]:
        """CREATE statements of the indexes and triggers on ``table`` whose names are not in ``known`` (SQLite)."""
        found = [*self.index_sql.items(), *self.trigger_sql.items()]
        return [sql for name, (owner, sql) in sorted(found) if owner == table and name not in known]


def inspect_sqlite(conn: sqlite3.Connection) -> SchemaInfo:
    """Read the schema of an open SQLite connection (tables, columns, primary keys, indexes)."""
    tables: dict[str, Table] = {}
    indexes: dict[str, str] = {}
    index_sql: dict[str, tuple[str, str]] = {}
    trigger_sql: dict[str, tuple[str, str]] = {}
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    for kind, name, tbl_name, sql in rows:
        if kind == "index":
            indexes[name] = tbl_name
            if sql:
                index_sql[name] = (tbl_name, sql)
            continue
        if kind == "trigger":
            trigger_sql[name] = (tbl_name, sql)
            continue
        if kind != "table":
            continue
        is_virtual = bool(sql and sql.lstrip().upper().startswith("CREATE VIRTUAL"))
        info = conn.execute('SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)', (name,))
        columns: dict[str, Column] = {}
        pk: list[tuple[int, str]] = []
        for col_name, col_type, not_null, default, pk_pos in info.fetchall():
            columns[col_name] = Column(col_name, (col_type or "").upper(), bool(not_null), default)
            if pk_pos:
                pk.append((pk_pos, col_name))
        uniques = () if is_virtual else _unique_constraints(conn, name)
        tables[name] = Table(name, columns, tuple(c for _, c in sorted(pk)), None, is_virtual, uniques)
    return SchemaInfo(tables, indexes, index_sql, trigger_sql)


def _unique_constraints(conn: sqlite3.Connection, table: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for _, index, _, origin, _ in conn.execute("SELECT * FROM pragma_index_list(?)", (table,)).fetchall():
        if origin == "u":
            cols = conn.execute("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (index,)).fetchall()
            out.append((str(index), tuple(str(c[0]) for c in cols)))
    return tuple(sorted(out))
