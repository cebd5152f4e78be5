from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmemory.engine.classify import PATTERNS, classify, sector_scores
from openmemory.models import SECTORS

# Upstream's golden examples (reference §3.3): text, primary, sectors that must be additional, must not be.
GOLDEN = [
    ("Yesterday I went to the park at 4:00 PM and saw a dog.", "episodic", (), ()),
    ("I am genuinely thrilled about how this project is shaping up.", "semantic", (), ()),
    ("To deploy: run npm run build, then npm start, then health-check.", "procedural", (), ()),
    ("I learn best when I write things down and revisit them later.", "episodic", ("semantic",), ()),
    ("The capital of France is Paris.", "semantic", (), ()),
    ("昨天我参加了项目复盘会。", "episodic", (), ("reflective",)),
    ("北京是中国的首都。", "semantic", (), ()),
    ("部署流程：第一步安装依赖，然后运行测试。", "procedural", (), ()),
    ("我最近很焦虑，也有点烦躁。", "emotional", (), ()),
    ("复盘后我意识到，沟通前应该先明确目标。", "reflective", (), ()),
    ("今天我被老板表扬了，感觉特别开心。", "emotional", ("episodic",), ()),
]


@pytest.mark.parametrize(("text", "primary", "additional", "not_additional"), GOLDEN)
def test_golden_examples_classify_like_upstream(
    text: str, primary: str, additional: tuple[str, ...], not_additional: tuple[str, ...]
) -> None:
    result = classify(text)
    assert result.primary == primary
    for sector in additional:
        assert sector in result.additional
    for sector in not_additional:
        assert sector not in result.additional


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yesterday I went to the park at 4:00 PM and saw a dog.", {"episodic": 10.8}),
        ("I learn best when I write things down and revisit them later.", {"episodic": 2.4, "semantic": 2.0}),
        ("昨天我参加了项目复盘会。", {"episodic": 2.4, "reflective": 0.8}),
        ("今天我被老板表扬了，感觉特别开心。", {"emotional": 2.6, "episodic": 1.2}),
        ("I am genuinely thrilled about how this project is shaping up.", {}),
    ],
)
def test_sector_scores_match_upstreams_numbers(text: str, expected: dict[str, float]) -> None:
    scores = {s: round(v, 6) for s, v in sector_scores(text).items() if v}
    assert scores == pytest.approx(expected)


def test_a_pattern_counts_once_however_often_it_occurs() -> None:
    assert sector_scores("learn")["semantic"] == pytest.approx(2.0)
    assert sector_scores("learn learn learn learn")["semantic"] == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("text", "points"),
    [
        ("last week", 1.2 * 4),  # 3 capture groups -> 1 + 3
        ("on monday", 1.2 * 3),  # 2 capture groups
        ("I 'm going to", 1.2 * 1),  # no capture group (upstream's pattern needs the space)
        ("today", 1.2 * 4),  # the same 3-group pattern, whichever branch matched
    ],
)
def test_a_match_scores_weight_times_one_plus_capture_groups(text: str, points: float) -> None:
    assert sector_scores(text)["episodic"] == pytest.approx(points)


def test_metadata_sector_wins_with_full_confidence() -> None:
    result = classify("Yesterday I went to the park.", {"sector": "procedural"})
    assert (result.primary, result.additional, result.confidence) == ("procedural", (), 1.0)


@pytest.mark.parametrize("meta", [{"sector": "bogus"}, {"sector": 3}, {}, None])
def test_invalid_metadata_sector_is_ignored(meta: dict[str, object] | None) -> None:
    assert classify("The capital of France is Paris.", meta).primary == "semantic"


def test_nothing_matching_is_semantic_with_low_confidence() -> None:
    result = classify("zzz qqq")
    assert (result.primary, result.additional, result.confidence) == ("semantic", (), 0.2)


def test_ties_go_to_the_earlier_sector() -> None:
    text = "insight 规律 教训 think today"  # reflective 1.6+0.8+0.8+1.6 = episodic 4.8
    scores = sector_scores(text)
    assert scores["episodic"] == scores["reflective"] == pytest.approx(4.8)
    result = classify(text)
    assert (result.primary, result.additional) == ("episodic", ("reflective",))
    assert result.confidence == pytest.approx(4.8 / (4.8 + 4.8 + 1))


def test_confidence_is_top_over_top_plus_second_plus_one() -> None:
    result = classify("I learn best when I write things down and revisit them later.")
    assert result.confidence == pytest.approx(2.4 / (2.4 + 2.0 + 1))


def test_cjk_next_to_a_latin_word_is_a_word_boundary_as_in_js() -> None:
    assert sector_scores("我learn很多")["semantic"] == pytest.approx(2.0)


def test_a_lone_chinese_reflective_hit_is_primary_but_never_additional() -> None:
    assert classify("复盘").primary == "reflective"
    assert "reflective" not in classify("昨天复盘").additional


def test_every_sector_has_patterns() -> None:
    assert set(PATTERNS) == set(SECTORS)
    assert all(PATTERNS[s] for s in SECTORS)


@given(st.text(max_size=200))
def test_classification_is_always_well_formed(text: str) -> None:
    result = classify(text)
    assert result.primary in SECTORS
    assert result.primary not in result.additional
    assert set(result.additional) <= set(SECTORS)
    assert 0.0 <= result.confidence <= 1.0


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_an_ascii_text_scores_the_same_on_the_english_patterns_alone(text: str) -> None:
    every = {s: sum(p for pattern, p in PATTERNS[s] if pattern.search(text)) for s in SECTORS}
    assert sector_scores(text) == every
