"""The score a memory inherits from a strong hit made just before or after it."""

from __future__ import annotations

import pytest

from openmemory.engine.context import inherited
from openmemory.engine.score import composite, sigmoid, weighted_sum
from openmemory.models import ScoreParts


def test_a_neighbour_inherits_less_the_further_it_is_and_from_its_best_hit() -> None:
    got = inherited({"a": 1.0, "b": 0.4}, [("a", "x", 1), ("a", "y", -2), ("b", "x", -1), ("b", "z", 1)], decay=0.5)
    assert got == {"x": (0.5, "a"), "y": (0.25, "a"), "z": (0.2, "b")}
    assert inherited({"a": 1.0}, [("a", "a", 1), ("other", "x", 1)]) == {}


def test_context_only_ever_raises_a_score() -> None:
    own = ScoreParts(similarity=0.9, lexical=1.0)
    assert composite(ScoreParts(similarity=0.9, lexical=1.0, context=0.1)) == composite(own)
    lifted = ScoreParts(context=0.8)
    assert composite(lifted) == pytest.approx(sigmoid(0.8))
    assert composite(lifted) > composite(ScoreParts()) and weighted_sum(lifted) == 0.0
