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

    def has(self, column: str) -> bool:
        return column in self.columns


@dataclass(frozen=True, slots=True)
class SchemaInfo:
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, str] = field(default_factory=dict)  # index name -> table name

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def has_table(self, name: str) -> bool:
        return name in self.tables

    def has_column(self, table: str, column: str) -> bool:
        t = self.tables.get(table)
        return t is not None and t.has(column)

    def has_index(self, name: str) -> bool:
        return name in self.indexes


def inspect_sqlite(conn: sqlite3.Connection) -> SchemaInfo:
    """Read the schema of an open SQLite connection (tables, columns, primary keys, indexes)."""
    tables: dict[str, Table] = {}
    indexes: dict[str, str] = {}
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    for kind, name, tbl_name, sql in rows:
        if kind == "index":
            indexes[name] = tbl_name
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
        tables[name] = Table(name, columns, tuple(c for _, c in sorted(pk)), None, is_virtual)
    return SchemaInfo(tables, indexes)
