from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmemory.engine.text import (
    canonical_token_set,
    canonical_tokens,
    canonicalize,
    stable_text_fallback_hash,
    stem,
    tokenize,
)


def test_tokenize_lowercases_latin_and_splits_on_punctuation() -> None:
    assert tokenize("Hello, WORLD! v2.0 foo_bar") == ["hello", "world", "v2", "0", "foo", "bar"]


def test_tokenize_turns_cjk_runs_into_overlapping_bigrams() -> None:
    assert tokenize("我喜欢普洱茶") == ["我喜", "喜欢", "欢普", "普洱", "洱茶"]


def test_tokenize_keeps_single_cjk_char_and_separates_scripts() -> None:
    assert tokenize("abc中 def日本") == ["abc", "中", "def", "日本"]


def test_tokenize_matches_js_unicode_case_folding_for_kelvin_and_long_s() -> None:
    # /[a-z]/iu in JS admits U+212A (folds to k) and U+017F (folds to s); toLowerCase keeps long s.
    assert tokenize("\u212aelvin \u017fun") == ["kelvin", "\u017fun"]


@given(st.text(alphabet=st.characters(max_codepoint=0x3000)) | st.text(alphabet="aZ09 _.\u212a\u017f中日本"))
def test_tokenize_splits_a_text_the_same_way_whether_or_not_cjk_follows_it(text: str) -> None:
    # Text without CJK takes a shortcut; a CJK character after a space sends it through the general path.
    assert tokenize(text + " 中") == [*tokenize(text), "中"]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("cat", "cat"),  # len <= 3 untouched
        ("ties", "tie"),  # ies->y leaves "ty" (too short), falls through to s$
        ("studies", "study"),
        ("running", "runn"),
        ("users", "user"),
        ("player", "player"),  # ers?$ matches "er" and leaves the token unchanged
        ("jumped", "jump"),
        ("cats", "cat"),
        ("sing", "sing"),  # ing$ would leave "s"; no later rule matches
        ("bed", "bed"),
    ],
)
def test_stem_applies_first_rule_that_leaves_three_chars(token: str, expected: str) -> None:
    assert stem(token) == expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("Love", "prefer"),
        ("enjoyed", "prefer"),  # not a synonym itself; its stem "enjoy" is
        ("meetings", "meeting"),
        ("calls", "meeting"),
        ("Bugs", "issue"),
        ("docs", "document"),
        ("", ""),
    ],
)
def test_canonicalize_maps_synonyms_to_group_head(token: str, expected: str) -> None:
    assert canonicalize(token) == expected


def test_canonical_tokens_drop_single_characters_and_keep_order() -> None:
    assert canonical_tokens("I like a dark theme 中") == ["prefer", "dark", "theme"]


def test_canonical_token_set_is_distinct() -> None:
    assert canonical_token_set("call the meeting, meet the session") == {"meeting", "the"}


def test_stable_text_fallback_hash_is_blake2b512_prefix() -> None:
    assert stable_text_fallback_hash("") == "786a02f742015903"
    assert len(stable_text_fallback_hash("!!!")) == 16
    assert stable_text_fallback_hash("x") != stable_text_fallback_hash("y")


def test_stable_text_fallback_hash_accepts_lone_surrogates() -> None:
    assert stable_text_fallback_hash("\ud800") == stable_text_fallback_hash("\ufffd")
    assert stable_text_fallback_hash("\ud83d\ude00") == stable_text_fallback_hash("\U0001f600")
