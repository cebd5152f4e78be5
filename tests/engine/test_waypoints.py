"""The memory graph's rules: which edge a new memory gets, and how a traversed edge strengthens."""

from __future__ import annotations

import pytest

from openmemory.engine.waypoints import MIN_LINK_SIMILARITY, TRAVERSAL_BOOST, choose_waypoint, strengthened
from openmemory.models import Waypoint


def test_a_new_memory_links_to_its_most_similar_other_memory() -> None:
    edge = choose_waypoint("new", [("new", 1.0), ("a", 0.9), ("b", 0.8)], user_id="alice", now_ms=5)
    assert edge == Waypoint("new", "a", "alice", 0.9, 5, 5)


@pytest.mark.parametrize("neighbours", [[], [("new", 1.0)], [("a", MIN_LINK_SIMILARITY - 0.01)]])
def test_no_edge_without_a_similar_enough_other_memory(neighbours: list[tuple[str, float]]) -> None:
    # upstream linked a memory to itself, or to anything however dissimilar
    assert choose_waypoint("new", neighbours, user_id=None, now_ms=5) is None


def test_an_edge_weighs_at_most_one_and_keeps_its_owner() -> None:
    edge = choose_waypoint("new", [("a", 1.0000001)], user_id=None, now_ms=5)
    assert edge is not None and edge.weight == 1.0 and edge.user_id is None


def test_a_traversed_edge_strengthens_up_to_one_and_is_stamped() -> None:
    edge = Waypoint("a", "b", "alice", 0.5, 1, 1)
    once = strengthened(edge, now_ms=9)
    assert (once.weight, once.created_at_ms, once.updated_at_ms) == (pytest.approx(0.5 + TRAVERSAL_BOOST), 1, 9)
    assert strengthened(Waypoint("a", "b", "alice", 0.99, 1, 1), now_ms=9).weight == 1.0
