"""One owner's memories in the order they were made: the ones created just before and just after a memory.

A memory is often half of an exchange: the question before it or the answer after it holds what a search
needs (see ``engine/context.py``). Both backends answer with one statement of ``UNION ALL`` branches, each a
range scan of the ``(user_id, created_at)`` index that stops after ``span`` rows.

Only other milliseconds count: memories made in the same millisecond as the anchor (a bulk import stamped
with one time, say) are not its neighbours, since their order is unknown and walking a large group of ties
would cost a scan of all of them on every query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

BEFORE = -1
AFTER = 1


def around_sql(
    anchors: Sequence[tuple[str, int]],
    span: int,
    *,
    table: str,
    mark: str,
    owner: tuple[str, tuple[Any, ...]],
) -> tuple[str, list[Any]]:
    """The statement and its arguments that select ``span`` neighbours on each side of every anchor.

    ``anchors`` are ``(memory_id, created_at_ms)``; ``mark`` is the dialect's placeholder; ``owner`` the owner
    predicate with its arguments.
    Each row is ``(anchor_id, side, memory_id, created_at)`` with side -1 (before) or 1 (after).
    """
    owner_sql, owner_args = owner
    branches: list[str] = []
    args: list[Any] = []
    for memory_id, created in anchors:
        for side, cmp, order in ((BEFORE, "<", "DESC"), (AFTER, ">", "ASC")):
            branches.append(
                f"SELECT * FROM (SELECT CAST({mark} AS TEXT) AS anchor, {side} AS side, id, created_at FROM {table} "
                f"WHERE {owner_sql} AND created_at {cmp} {mark} "
                f"ORDER BY created_at {order} LIMIT {mark}) AS b{len(branches)}"
            )
            args += [memory_id, *owner_args, created, span]
    return " UNION ALL ".join(branches), args


def neighbour_offsets(rows: Sequence[tuple[Any, ...]]) -> list[tuple[str, str, int]]:
    """``(anchor_id, memory_id, offset)`` from the rows of ``around_sql``: offset -1 is the memory made just
    before the anchor, 1 the one just after, 2 the one after that."""
    sides: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for anchor, side, memory_id, created in rows:
        sides.setdefault((str(anchor), int(side)), []).append((int(created), str(memory_id)))
    out: list[tuple[str, str, int]] = []
    for (anchor, side), found in sides.items():
        found.sort(reverse=side == BEFORE)
        out.extend((anchor, memory_id, side * (rank + 1)) for rank, (_, memory_id) in enumerate(found))
    return out
