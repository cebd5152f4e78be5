"""SqlFactStore: the FactStore of both backends, one set of statements over a small per-dialect runner.

The statements are written once with ``?`` markers; the PostgreSQL runner turns them into ``%s``. What differs
between the dialects stays in the runners (``temporal_sqlite``, ``temporal_postgres``): placeholders, how a
unique violation is recognised, how concurrent inserts for one subject+predicate are serialised (SQLite's single
writer already does; PostgreSQL takes a transaction-scoped advisory lock), that PostgreSQL ids are UUIDs (any other
id matches nothing), and case-insensitive matching (``LIKE`` on SQLite, ``ILIKE`` on PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from openmemory.models import SYSTEM_GLOBAL, Fact, FactEdge, FactStats, RelatedFact, VolatileFact
from openmemory.store.records import parse_meta
from openmemory.store.temporal_base import FactQuery

FACT_COLUMNS = (
    "id, user_id, project_id, subject, predicate, object, valid_from, valid_to, confidence, last_updated, metadata"
)
EDGE_COLUMNS = "id, user_id, source_id, target_id, relation_type, valid_from, valid_to, weight, metadata"
_FIELDS = frozenset({"subject", "predicate", "object"})
_ORDERS = {
    "confidence": "confidence DESC, valid_from DESC, id",
    "newest": "valid_from DESC, id",
    "oldest": "valid_from ASC, id",
    "predicate_newest": "predicate{c} ASC, valid_from DESC, id",
    "predicate_confidence": "predicate{c} ASC, confidence DESC, valid_from DESC, id",
}


class FactTx(Protocol):
    """Statements inside one transaction. ``execute`` raises DuplicateFact on a unique violation."""

    def execute(self, sql: str, args: Sequence[Any] = ()) -> int: ...
    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


class FactRunner(Protocol):
    """What a backend provides to SqlFactStore."""

    like: str  # the case-insensitive LIKE operator
    collate: str  # appended to text columns in ORDER BY, for one byte order on both dialects

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def transaction(self, lock_key: str | None = None) -> AbstractContextManager[FactTx]:
        """One transaction; with ``lock_key``, serialised against every other transaction with that key."""
        ...

    def accepts_id(self, value: str) -> bool: ...


def owner_sql(column: str, user_id: str | None) -> tuple[str, list[Any]]:
    """An indexable owner test: ``col IS NULL`` for the system/default user, ``col = ?`` otherwise."""
    return (f"{column} IS NULL", []) if user_id is None else (f"{column} = ?", [user_id])


def project_sql(column: str, project_id: str | None) -> tuple[str, list[Any]]:
    """Upstream's project visibility (own rows, system_global rows, unscoped rows); empty with no project."""
    if project_id is None:
        return "", []
    return f" AND ({column} = ? OR {column} = ? OR {column} IS NULL)", [project_id, SYSTEM_GLOBAL]


def escape_like(text: str) -> str:
    """``%text%`` with LIKE's wildcards (and the escape character) matching themselves (ESCAPE '\\')."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _dump(metadata: dict[str, Any] | None) -> str | None:
    return None if metadata is None else json.dumps(metadata, ensure_ascii=False)


def row_to_fact(row: Sequence[Any]) -> Fact:
    fid, user_id, project_id, subject, predicate, obj, vf, vt, confidence, updated, meta = row
    return Fact(
        fact_id=str(fid), user_id=user_id, project_id=project_id, subject=subject, predicate=predicate, object=obj,
        valid_from_ms=int(vf), valid_to_ms=None if vt is None else int(vt), confidence=float(confidence),
        last_updated_ms=int(updated or 0), metadata=None if meta is None else parse_meta(meta),
    )  # fmt: skip


def row_to_edge(row: Sequence[Any]) -> FactEdge:
    eid, user_id, source, target, relation, vf, vt, weight, meta = row
    return FactEdge(
        edge_id=str(eid), user_id=user_id, source_id=str(source), target_id=str(target), relation_type=relation,
        valid_from_ms=int(vf), valid_to_ms=None if vt is None else int(vt), weight=float(weight),
        metadata=None if meta is None else parse_meta(meta),
    )  # fmt: skip


def where_sql(query: FactQuery, user_id: str | None, like: str, prefix: str = "") -> tuple[str, list[Any]]:
    """The WHERE conditions (without the keyword) of a FactQuery for one owner."""
    p = prefix
    sql, args = owner_sql(f"{p}user_id", user_id)
    parts = [sql]
    scope, more = project_sql(f"{p}project_id", query.project_id)
    if scope:
        parts.append(scope.removeprefix(" AND "))
        args += more
    for column, value in (("subject", query.subject), ("predicate", query.predicate), ("object", query.object)):
        if value is not None:
            parts.append(f"{p}{column} = ?")
            args.append(value)
    if query.valid_at_ms is not None:
        parts.append(f"{p}valid_from <= ? AND ({p}valid_to IS NULL OR {p}valid_to >= ?)")
        args += [query.valid_at_ms, query.valid_at_ms]
    if query.start_ms is not None and query.end_ms is not None:
        parts.append(f"{p}valid_from <= ? AND ({p}valid_to IS NULL OR {p}valid_to >= ?)")
        args += [query.end_ms, query.start_ms]
    elif query.start_ms is not None:
        parts.append(f"{p}valid_from >= ?")
        args.append(query.start_ms)
    elif query.end_ms is not None:
        parts.append(f"{p}valid_from <= ?")
        args.append(query.end_ms)
    if query.changed_from_ms is not None and query.changed_to_ms is not None:
        parts.append(f"({p}valid_from BETWEEN ? AND ? OR {p}valid_to BETWEEN ? AND ?)")
        args += [query.changed_from_ms, query.changed_to_ms] * 2
    if query.is_open is not None:
        parts.append(f"{p}valid_to IS {'' if query.is_open else 'NOT '}NULL")
    if query.min_confidence:
        parts.append(f"{p}confidence >= ?")
        args.append(query.min_confidence)
    if query.pattern is not None:
        if query.field not in _FIELDS:
            raise ValueError(f"unknown fact field {query.field!r}")
        parts.append(f"{p}{query.field} {like} ? ESCAPE '\\'")
        args.append(escape_like(query.pattern))
    return " AND ".join(parts), args


class SqlFactStore:
    """Owner-scoped temporal facts and edges in ``facts_table`` / ``edges_table`` (already quoted names)."""

    def __init__(self, runner: FactRunner, facts_table: str, edges_table: str) -> None:
        self._run = runner
        self._f = facts_table
        self._e = edges_table

    # -- facts ----------------------------------------------------------------------------------------------

    def insert(self, fact: Fact, *, user_id: str | None, closed_at_ms: int) -> list[str]:
        f = fact
        owner, args = owner_sql("user_id", user_id)
        scope, scope_args = project_sql("project_id", f.project_id)
        open_before = (
            f"{owner} AND subject = ? AND predicate = ? AND valid_to IS NULL AND valid_from < ?{scope}",
            [*args, f.subject, f.predicate, f.valid_from_ms, *scope_args],
        )
        with self._run.transaction(lock_key=json.dumps([user_id, f.subject, f.predicate])) as tx:
            closed = [str(r[0]) for r in tx.rows(f"SELECT id FROM {self._f} WHERE {open_before[0]}", open_before[1])]
            if closed:
                tx.execute(f"UPDATE {self._f} SET valid_to = ? WHERE {open_before[0]}", [closed_at_ms, *open_before[1]])
            tx.execute(
                f"INSERT INTO {self._f} ({FACT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [f.fact_id, user_id, f.project_id, f.subject, f.predicate, f.object, f.valid_from_ms, f.valid_to_ms,
                 f.confidence, f.last_updated_ms, _dump(f.metadata)],
            )  # fmt: skip
        return closed

    def get(self, fact_id: str, *, user_id: str | None) -> Fact | None:
        if not self._run.accepts_id(fact_id):
            return None
        owner, args = owner_sql("user_id", user_id)
        rows = self._run.rows(f"SELECT {FACT_COLUMNS} FROM {self._f} WHERE id = ? AND {owner}", [fact_id, *args])
        return row_to_fact(rows[0]) if rows else None

    def find(self, query: FactQuery, *, user_id: str | None) -> list[Fact]:
        where, args = where_sql(query, user_id, self._run.like)
        order = _ORDERS[query.order].format(c=self._run.collate)
        limit = ""
        if query.limit is not None:
            limit = " LIMIT ?"
            args.append(query.limit)
        rows = self._run.rows(f"SELECT {FACT_COLUMNS} FROM {self._f} WHERE {where} ORDER BY {order}{limit}", args)
        return [row_to_fact(r) for r in rows]

    def update(
        self, fact_id: str, *, user_id: str | None, confidence: float | None, metadata: dict[str, Any] | None,
        last_updated_ms: int,
    ) -> bool:  # fmt: skip
        if not self._run.accepts_id(fact_id):
            return False
        sets, args = ["last_updated = ?"], list[Any]([last_updated_ms])
        if confidence is not None:
            sets.append("confidence = ?")
            args.append(confidence)
        if metadata is not None:
            sets.append("metadata = ?")
            args.append(_dump(metadata))
        owner, owner_args = owner_sql("user_id", user_id)
        with self._run.transaction() as tx:
            n = tx.execute(
                f"UPDATE {self._f} SET {', '.join(sets)} WHERE id = ? AND {owner}", [*args, fact_id, *owner_args]
            )
        return n > 0

    def invalidate(self, fact_id: str, *, user_id: str | None, valid_to_ms: int, last_updated_ms: int) -> bool:
        if not self._run.accepts_id(fact_id):
            return False
        owner, args = owner_sql("user_id", user_id)
        with self._run.transaction() as tx:
            n = tx.execute(
                f"UPDATE {self._f} SET valid_to = ?, last_updated = ? WHERE id = ? AND {owner}",
                [valid_to_ms, last_updated_ms, fact_id, *args],
            )
        return n > 0

    def delete(self, fact_id: str, *, user_id: str | None) -> bool:
        if not self._run.accepts_id(fact_id):
            return False
        owner, args = owner_sql("user_id", user_id)
        with self._run.transaction() as tx:
            if not tx.rows(f"SELECT 1 FROM {self._f} WHERE id = ? AND {owner}", [fact_id, *args]):
                return False
            # edges link facts of one owner only, so these are all the owner's
            tx.execute(f"DELETE FROM {self._e} WHERE source_id = ? OR target_id = ?", [fact_id, fact_id])
            tx.execute(f"DELETE FROM {self._f} WHERE id = ? AND {owner}", [fact_id, *args])
        return True

    def set_confidences(self, updates: Sequence[tuple[str, float]], *, user_id: str | None) -> int:
        owner, args = owner_sql("user_id", user_id)
        changed = 0
        with self._run.transaction() as tx:
            for fact_id, confidence in updates:
                sql = f"UPDATE {self._f} SET confidence = ? WHERE id = ? AND {owner}"
                changed += tx.execute(sql, [confidence, fact_id, *args])
        return changed

    def volatile(
        self, *, user_id: str | None, project_id: str | None, subject: str | None, limit: int
    ) -> list[VolatileFact]:
        where, args = where_sql(FactQuery(project_id=project_id, subject=subject), user_id, self._run.like)
        c = self._run.collate
        rows = self._run.rows(
            f"SELECT subject, predicate, count(*), avg(confidence) FROM {self._f} WHERE {where} "
            f"GROUP BY subject, predicate HAVING count(*) > 1 "
            f"ORDER BY count(*) DESC, avg(confidence) ASC, subject{c}, predicate{c} LIMIT ?",
            [*args, limit],
        )
        return [VolatileFact(s, p, int(n), float(avg)) for s, p, n, avg in rows]

    def counts(self, *, user_id: str | None, project_id: str | None) -> FactStats:
        where, args = where_sql(FactQuery(project_id=project_id), user_id, self._run.like)
        rows = self._run.rows(
            f"SELECT count(*), coalesce(sum(CASE WHEN valid_to IS NULL THEN 1 ELSE 0 END), 0) "
            f"FROM {self._f} WHERE {where}",
            args,
        )
        total, active = rows[0]
        return FactStats(active=int(active), total=int(total))

    # -- edges ----------------------------------------------------------------------------------------------

    def insert_edge(self, edge: FactEdge, *, user_id: str | None) -> bool:
        e = edge
        if not (self._run.accepts_id(e.source_id) and self._run.accepts_id(e.target_id)):
            return False
        owner, args = owner_sql("user_id", user_id)
        ends = sorted({e.source_id, e.target_id})
        marks = ",".join("?" * len(ends))
        with self._run.transaction() as tx:
            found = tx.rows(f"SELECT count(*) FROM {self._f} WHERE id IN ({marks}) AND {owner}", [*ends, *args])
            if int(found[0][0]) != len(ends):
                return False
            tx.execute(
                f"INSERT INTO {self._e} ({EDGE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                [e.edge_id, user_id, e.source_id, e.target_id, e.relation_type, e.valid_from_ms, e.valid_to_ms,
                 e.weight, _dump(e.metadata)],
            )  # fmt: skip
        return True

    def get_edge(self, edge_id: str, *, user_id: str | None) -> FactEdge | None:
        if not self._run.accepts_id(edge_id):
            return None
        owner, args = owner_sql("user_id", user_id)
        rows = self._run.rows(f"SELECT {EDGE_COLUMNS} FROM {self._e} WHERE id = ? AND {owner}", [edge_id, *args])
        return row_to_edge(rows[0]) if rows else None

    def invalidate_edge(self, edge_id: str, *, user_id: str | None, valid_to_ms: int) -> bool:
        if not self._run.accepts_id(edge_id):
            return False
        owner, args = owner_sql("user_id", user_id)
        with self._run.transaction() as tx:
            n = tx.execute(f"UPDATE {self._e} SET valid_to = ? WHERE id = ? AND {owner}", [valid_to_ms, edge_id, *args])
        return n > 0

    def related(self, fact_id: str, *, user_id: str | None, relation_type: str | None, at_ms: int) -> list[RelatedFact]:
        if not self._run.accepts_id(fact_id):
            return []
        edge_owner, args = owner_sql("e.user_id", user_id)
        fact_where, fact_args = where_sql(FactQuery(valid_at_ms=at_ms), user_id, self._run.like, prefix="f.")
        kind = ""
        if relation_type is not None:
            kind = " AND e.relation_type = ?"
            args.append(relation_type)
        edge_cols = ", ".join(f"e.{c.strip()}" for c in EDGE_COLUMNS.split(","))
        fact_cols = ", ".join(f"f.{c.strip()}" for c in FACT_COLUMNS.split(","))
        rows = self._run.rows(
            f"SELECT {fact_cols}, {edge_cols} FROM {self._e} e JOIN {self._f} f ON f.id = e.target_id "
            f"WHERE e.source_id = ? AND {edge_owner}{kind} AND e.valid_from <= ? "
            f"AND (e.valid_to IS NULL OR e.valid_to >= ?) AND {fact_where} "
            f"ORDER BY e.weight DESC, f.confidence DESC, f.id",
            [fact_id, *args, at_ms, at_ms, *fact_args],
        )
        return [RelatedFact(row_to_fact(r[:11]), row_to_edge(r[11:])) for r in rows]

    # -- export and import (openmemory.transfer) --------------------------------------------------------------

    def edges(self, *, user_id: str | None) -> list[FactEdge]:
        """Every edge of the owner, by id."""
        owner, args = owner_sql("user_id", user_id)
        return [
            row_to_edge(r)
            for r in self._run.rows(f"SELECT {EDGE_COLUMNS} FROM {self._e} WHERE {owner} ORDER BY id", args)
        ]

    def restore(
        self, facts: Sequence[Fact], edges: Sequence[FactEdge], *, user_id: str | None
    ) -> tuple[list[str], list[str]]:
        """Insert facts and edges exactly as given (no supersession), each only when its id (and, for a fact, its
        subject, predicate, object and valid_from) is free and, for an edge, both ends are the owner's facts;
        one transaction. Returns the ids of the facts and of the edges inserted."""
        owner, args = owner_sql("user_id", user_id)
        facts_in: list[str] = []
        edges_in: list[str] = []
        with self._run.transaction() as tx:
            for f in facts:
                if f.user_id != user_id or not self._run.accepts_id(f.fact_id):
                    continue
                if tx.execute(
                    f"INSERT INTO {self._f} ({FACT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                    [f.fact_id, user_id, f.project_id, f.subject, f.predicate, f.object, f.valid_from_ms,
                     f.valid_to_ms, f.confidence, f.last_updated_ms, _dump(f.metadata)],
                ) == 1:  # fmt: skip
                    facts_in.append(f.fact_id)
            for e in edges:
                ends = sorted({e.source_id, e.target_id})
                if e.user_id != user_id or not all(self._run.accepts_id(i) for i in (e.edge_id, *ends)):
                    continue
                marks = ",".join("?" * len(ends))
                found = tx.rows(f"SELECT count(*) FROM {self._f} WHERE id IN ({marks}) AND {owner}", [*ends, *args])
                if int(found[0][0]) == len(ends) and tx.execute(
                    f"INSERT INTO {self._e} ({EDGE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                    [e.edge_id, user_id, e.source_id, e.target_id, e.relation_type, e.valid_from_ms, e.valid_to_ms,
                     e.weight, _dump(e.metadata)],
                ) == 1:  # fmt: skip
                    edges_in.append(e.edge_id)
        return facts_in, edges_in

    def maintenance_owners(self) -> list[str | None]:
        return [r[0] for r in self._run.rows(f"SELECT DISTINCT user_id FROM {self._f}")]
