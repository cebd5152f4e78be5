"""Export: every record of the chosen users (all of them by default) as ``openmemory-jsonl`` lines.

The whole export reads one consistent state of the database (``Store.maintenance_snapshot``: a read transaction
on SQLite, REPEATABLE READ on PostgreSQL), so a database that is being written to exports as it was at one moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from openmemory.memory import Memory, validate
from openmemory.models import Waypoint
from openmemory.store import Store
from openmemory.store.temporal_base import FactQuery
from openmemory.transfer.format import Header, Line, dumps, edge_to_line, fact_to_line, memory_to_line, user_to_line

PAGE = 500
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ExportReport:
    """How many records of each kind were written, and how many memories per user."""

    counts: dict[str, int]
    per_user: dict[str | None, int] = field(default_factory=dict)


def export_jsonl(
    memory: Memory,
    out: TextIO,
    *,
    user_ids: Sequence[str | None] | None = None,
    with_vectors: bool = False,
    progress: Progress | None = None,
) -> ExportReport:
    """Write the users' data (every user when ``user_ids`` is None) to ``out`` as openmemory-jsonl.

    Crosses users on purpose (an admin operation). ``progress(done, total)`` is called after each page of memories
    and after each user.
    Example::

        with open("all.jsonl", "w", encoding="utf-8", newline="\\n") as f:
            export_jsonl(mem, f, with_vectors=True)
    """
    counts = {"user": 0, "memory": 0, "fact": 0, "edge": 0}
    per_user: dict[str | None, int] = {}
    store = memory.maintenance.store
    memory.flush()  # the salience this process's queries raised, still buffered, goes into the file too
    with store.maintenance_snapshot():
        owners = _owners(store, user_ids)
        dim = store.read_meta("embed_dim")
        header = Header(  # the embedder the stored vectors came from (the configured one unless not checked)
            embed_model=store.read_meta("embed_model") or memory.embedder.name,
            embed_dim=int(dim) if dim and dim.isdigit() else memory.embedder.dim,
            with_vectors=with_vectors,
            created_at_ms=memory.facts.now_ms(),  # the service clock, as every other stamp
            user_ids=None if user_ids is None else tuple(owners),
        )
        _write(out, header.to_line())
        for user in store.maintenance_users():
            if user.user_id in owners:
                _write(out, user_to_line(user))
                counts["user"] += 1
        ids = {owner: store.memory_ids(user_id=owner) for owner in owners}
        total = sum(len(v) for v in ids.values())
        for owner in owners:
            for line in _memory_lines(store, owner, ids[owner], with_vectors):
                _write(out, line)
                counts["memory"] += 1
                per_user[owner] = per_user.get(owner, 0) + 1
                if progress is not None and counts["memory"] % PAGE == 0:
                    progress(counts["memory"], total)
            if progress is not None:
                progress(counts["memory"], total)
        for owner in owners:
            counts["fact"] += _write_all(out, (fact_to_line(f) for f in store.facts.find(FactQuery(), user_id=owner)))
            counts["edge"] += _write_all(out, (edge_to_line(e) for e in store.facts.edges(user_id=owner)))
        _write(out, {"kind": "end", "counts": counts})
    return ExportReport(counts, per_user)


def _owners(store: Store, user_ids: Sequence[str | None] | None) -> list[str | None]:
    """The owners to export, the system/default user (None) first, then by id."""
    if user_ids is not None:
        chosen = [validate.user_id(u) for u in user_ids]
    else:
        chosen = [
            *store.maintenance_user_ids(),
            *(u.user_id for u in store.maintenance_users()),
            *store.facts.maintenance_owners(),
        ]
    return sorted(dict.fromkeys(chosen), key=lambda u: (u is not None, u or ""))


def memory_lines(memory: Memory, user_id: str | None, memory_ids: Sequence[str]) -> Iterator[Line]:
    """Memory lines (without vectors) of those of ``memory_ids`` the user has, in the order given."""
    return _memory_lines(memory.maintenance.store, user_id, list(memory_ids), with_vectors=False)


def _memory_lines(store: Store, owner: str | None, ids: list[str], with_vectors: bool) -> Iterator[Line]:
    for start in range(0, len(ids), PAGE):
        page = ids[start : start + PAGE]
        records = store.get_memories(page, user_id=owner)
        waypoints = store.waypoints_from(page, user_id=owner)
        vectors = store.get_vectors(page, user_id=owner) if with_vectors else {}
        by_src: dict[str, list[Waypoint]] = {}
        for w in waypoints:
            by_src.setdefault(w.src_id, []).append(w)
        for memory_id in page:
            record = records.get(memory_id)
            if record is None:
                continue
            found = vectors.get(memory_id, ([], None)) if with_vectors else None
            yield memory_to_line(record, by_src.get(memory_id, []), found)


def _write_all(out: TextIO, lines: Iterable[Line]) -> int:
    n = 0
    for line in lines:
        _write(out, line)
        n += 1
    return n


def _write(out: TextIO, line: Line) -> None:
    out.write(dumps(line))
    out.write("\n")
