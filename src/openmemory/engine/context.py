"""The context of a hit: the memories its owner made just before and just after it.

A memory is rarely a thought on its own. In a conversation it is one turn of an exchange: the question that
the next turn answers ("What did you research?" / "Adoption agencies"), or the answer whose subject the turn
before names. A search that finds one side of such an exchange should bring the other side too, which is what
upstream's memory graph (waypoints) meant to do; its edges link by vector similarity, though, and the two
halves of an exchange rarely look alike. Here the link is the order in which one owner's memories were made.

The strongest hits lend their score to their neighbours in time, fading with the distance:

    context(neighbour) = raw(hit) · DECAY^|offset|        offset −1 = made just before, 1 = just after
    score(neighbour)   = sigmoid(max(raw(neighbour), context))

so a neighbour never outranks the hit that brought it, and a memory that scores better on its own keeps its
own score. Neighbours come from the owner's memories only (``Store.memories_around``) and pass the query's
filters like any other hit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

CONTEXT_SEEDS = 5  # the hits whose neighbours are fetched
CONTEXT_SPAN = 2  # neighbours on each side of a hit
CONTEXT_DECAY = 0.75  # a neighbour inherits this share of the hit's raw score per step of distance


def inherited(
    seeds: Mapping[str, float], offsets: Iterable[tuple[str, str, int]], decay: float = CONTEXT_DECAY
) -> dict[str, tuple[float, str]]:
    """The raw score each neighbour inherits, with the hit it inherits it from (the best one when several).

    ``seeds`` maps a hit to its raw (pre-sigmoid) score; ``offsets`` are ``(hit_id, neighbour_id, offset)``.

        >>> inherited({"a": 1.0}, [("a", "b", 1), ("a", "c", -2)], decay=0.5)
        {'b': (0.5, 'a'), 'c': (0.25, 'a')}
    """
    out: dict[str, tuple[float, str]] = {}
    for seed_id, neighbour_id, offset in offsets:
        raw = seeds.get(seed_id)
        if raw is None or neighbour_id == seed_id or offset == 0:
            continue
        value = raw * decay ** abs(offset)
        if neighbour_id not in out or value > out[neighbour_id][0]:
            out[neighbour_id] = (value, seed_id)
    return out
