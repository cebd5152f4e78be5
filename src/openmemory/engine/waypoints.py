"""The memory graph: which edge a new memory gets, and how edges strengthen.

Upstream links every new memory to its single most similar memory with no threshold, or to itself when there
is none (reference §3.6 step 11, §10.2 #23), and searched all users when no user was given. Here the candidate
list always comes from the owner's own vectors, and an edge is made only when the match is real
(``MIN_LINK_SIMILARITY``); a memory with no good neighbour gets no edge rather than a self-loop.
"""

from __future__ import annotations

from collections.abc import Sequence

from openmemory.models import Waypoint

MIN_LINK_SIMILARITY = 0.5
TRAVERSAL_BOOST = 0.05
PRUNE_THRESHOLD = 0.05


def choose_waypoint(
    memory_id: str, neighbours: Sequence[tuple[str, float]], *, user_id: str | None, now_ms: int
) -> Waypoint | None:
    """An edge from the new memory to its most similar other memory, if that one is similar enough."""
    for other_id, similarity in neighbours:
        if other_id == memory_id:
            continue
        if similarity < MIN_LINK_SIMILARITY:
            return None
        return Waypoint(memory_id, other_id, user_id, min(1.0, float(similarity)), now_ms, now_ms)
    return None


def strengthened(waypoint: Waypoint, now_ms: int, boost: float = TRAVERSAL_BOOST) -> Waypoint:
    """The edge after a traversal that led to a returned result (+0.05, capped at 1)."""
    return Waypoint(
        waypoint.src_id, waypoint.dst_id, waypoint.user_id, min(1.0, waypoint.weight + boost),
        waypoint.created_at_ms, now_ms,
    )  # fmt: skip
