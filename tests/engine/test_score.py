from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmemory.engine.score import (
    DEFAULT_WEIGHTS,
    ScoreWeights,
    boosted_similarity,
    composite,
    effective_k,
    fused_similarity,
    project_boosted,
    recency,
    sector_penalty,
    sigmoid,
    tag_match,
    token_overlap,
    weighted_sum,
)
from openmemory.errors import InvalidInput
from openmemory.models import SECTORS, Classification, ScoreParts


def test_default_weights_are_upstreams() -> None:
    w = DEFAULT_WEIGHTS
    assert (w.similarity, w.overlap, w.waypoint, w.recency, w.tag_match) == (0.35, 0.20, 0.15, 0.10, 0.20)
    assert (w.lexical, w.salience) == (0.0, 0.0)


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_weights_must_be_finite_and_non_negative(bad: float) -> None:
    with pytest.raises(InvalidInput):
        ScoreWeights(lexical=bad)


@pytest.mark.parametrize(
    ("adj", "expected"),
    [(0.0, 0.0), (0.5, 1 - math.exp(-1.5)), (1.0, 1 - math.exp(-3)), (-0.4, 0.0), (2.0, 1 - math.exp(-3))],
)
def test_boosted_similarity(adj: float, expected: float) -> None:
    assert boosted_similarity(adj) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0.0, 1.0),
        (7.0, math.exp(-1) * (1 - 7 / 60)),
        (30.0, math.exp(-30 / 7) * 0.5),
        (60.0, 0.0),
        (120.0, 0.0),  # upstream: negative
        (-3.0, 1.0),  # a clock skew is not a bonus
    ],
)
def test_recency(days: float, expected: float) -> None:
    assert recency(days) == pytest.approx(expected)


@given(st.floats(min_value=-1e6, max_value=1e6), st.floats(min_value=-1e6, max_value=1e6))
def test_recency_is_in_unit_range_and_non_increasing(d1: float, d2: float) -> None:
    a, b = sorted((d1, d2))
    assert 0.0 <= recency(b) <= recency(a) <= 1.0


@pytest.mark.parametrize(
    ("query", "content", "expected"),
    [
        ({"dark", "theme"}, {"dark", "theme", "editor"}, 1.0),
        ({"dark", "theme"}, {"dark"}, 0.5),
        ({"dark", "theme"}, set(), 0.0),
        (set(), {"dark"}, 0.0),
        (["dark", "dark", "theme"], ["dark"], 0.5),
    ],
)
def test_token_overlap(query: set[str], content: set[str], expected: float) -> None:
    assert token_overlap(query, content) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("query", "tags", "expected"),
    [
        ({"dark", "theme"}, ["dark"], 1.0),  # exact: 2 / (2·1)
        ({"dark", "theme"}, ["Dark", "DARK", "dark "], 1.0),  # duplicates count once
        ({"dark", "theme"}, ["dark", "ui"], 0.5),
        ({"python"}, ["python3"], 0.5),  # substring: 1 / 2
        ({"on"}, ["python"], 0.0),  # too short to count as a substring match
        ({"dark", "theme"}, ["dark mode"], 1.0),  # all canonical tokens of the tag are in the query
        ({"dark", "editor"}, ["dark mode"], 0.5),  # shares a token
        ({"dark"}, [], 0.0),
        (set(), ["dark"], 0.0),
        ({"dark"}, ["", "  "], 0.0),
        ({"meeting"}, ["meetings"], 1.0),  # the tag canonicalises to a query token
    ],
)
def test_tag_match(query: set[str], tags: list[str], expected: float) -> None:
    assert tag_match(query, tags) == pytest.approx(expected)


def test_tag_match_counts_each_tag_once_however_many_tokens_it_contains() -> None:
    # upstream added 1 per query token contained in the tag, so one tag could score like several
    # (upstream: 3 points for "databases" here, as much as one exact match and a half)
    assert tag_match({"data", "base", "datab"}, ["databases", "x1", "x2"]) == pytest.approx(1 / 6)
    assert tag_match({"database"}, ["databases", "x1", "x2"]) == pytest.approx(2 / 6)


@given(st.sets(st.text(min_size=1, max_size=8)), st.lists(st.text(max_size=12), max_size=8))
def test_tag_match_is_in_unit_range(query: set[str], tags: list[str]) -> None:
    assert 0.0 <= tag_match(query, tags) <= 1.0


EPISODIC = Classification(primary="episodic", additional=("emotional",), confidence=0.6)


@pytest.mark.parametrize(
    ("mem_sector", "expected"),
    [
        ("episodic", 1.0),
        ("emotional", 1.0),
        ("reflective", 0.8),
        ("semantic", 0.6),
        ("procedural", 0.6),
        ("unknown", 0.3),
    ],
)
def test_sector_penalty(mem_sector: str, expected: float) -> None:
    assert sector_penalty(EPISODIC, mem_sector) == pytest.approx(expected)


def test_fused_similarity_favours_the_query_sector() -> None:
    sims = {"semantic": 0.9, "emotional": 0.1}
    # semantic query: (0.9·1.2 + 0.1·0.6) / 1.8
    assert fused_similarity(sims, "semantic") == pytest.approx((0.9 * 1.2 + 0.1 * 0.6) / 1.8)
    assert fused_similarity(sims, "emotional") < fused_similarity(sims, "semantic")
    assert fused_similarity({}, "semantic") == 0.0


@pytest.mark.parametrize(("k", "avg", "expected"), [(10, 1.0, 10), (10, 0.0, 13), (10, 0.55, 12), (1, 0.9, 2)])
def test_effective_k(k: int, avg: float, expected: int) -> None:
    assert effective_k(k, avg) == expected


def test_composite_matches_upstreams_formula() -> None:
    parts = ScoreParts(similarity=0.8, sector_penalty=0.6, overlap=0.5, waypoint=1.0, recency=0.3, tag_match=0.25)
    raw = 0.35 * (1 - math.exp(-3 * 0.48)) + 0.20 * 0.5 + 0.15 * 1.0 + 0.10 * 0.3 + 0.20 * 0.25
    assert weighted_sum(parts) == pytest.approx(raw)
    assert composite(parts) == pytest.approx(1 / (1 + math.exp(-raw)))


def test_lexical_and_salience_count_only_when_weighted() -> None:
    parts = ScoreParts(similarity=0.5, lexical=1.0, salience=1.0)
    assert composite(parts) == composite(ScoreParts(similarity=0.5))
    weighted = ScoreWeights(lexical=0.3, salience=0.1)
    assert weighted_sum(parts, weighted) == pytest.approx(weighted_sum(ScoreParts(similarity=0.5)) + 0.4)


def test_no_signal_scores_one_half_and_scores_are_absolute() -> None:
    assert composite(ScoreParts()) == pytest.approx(0.5)
    strong = ScoreParts(similarity=1.0, overlap=1.0, waypoint=1.0, recency=1.0, tag_match=1.0)
    # the same parts score the same, whatever else is in the result list (no z-scoring)
    assert composite(strong) == composite(strong) == pytest.approx(sigmoid(0.35 * (1 - math.exp(-3)) + 0.65))


parts_st = st.builds(
    ScoreParts,
    similarity=st.floats(-2, 2),
    lexical=st.floats(-2, 2),
    overlap=st.floats(-2, 2),
    waypoint=st.floats(-2, 2),
    recency=st.floats(-2, 2),
    tag_match=st.floats(-2, 2),
    salience=st.floats(-2, 2),
    sector_penalty=st.floats(-2, 2),
)


@given(parts_st)
def test_composite_is_between_one_half_and_one(parts: ScoreParts) -> None:
    assert 0.5 <= composite(parts) < 1.0


@given(st.floats(0, 1), st.floats(0, 1))
def test_composite_is_monotone_in_similarity(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert composite(ScoreParts(similarity=lo)) <= composite(ScoreParts(similarity=hi))


@pytest.mark.parametrize("score", [0.5, 0.6, 0.73, 0.99])
def test_project_boost_adds_to_the_logit(score: float) -> None:
    boosted = project_boosted(score)
    assert boosted > score
    assert math.log(boosted / (1 - boosted)) == pytest.approx(math.log(score / (1 - score)) + 0.2)


@pytest.mark.parametrize("x", [-1000.0, -5.0, 0.0, 5.0, 1000.0])
def test_sigmoid_never_overflows(x: float) -> None:
    assert 0.0 <= sigmoid(x) <= 1.0


def test_sector_penalty_is_one_on_the_diagonal() -> None:
    for s in SECTORS:
        assert sector_penalty(Classification(primary=s, additional=(), confidence=1.0), s) == 1.0
