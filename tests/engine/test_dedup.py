from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmemory.engine.dedup import _java_string_hash, hamming, is_near_duplicate, simhash
from openmemory.engine.text import canonical_token_set, stable_text_fallback_hash
from openmemory.errors import InvalidInput

# Values computed by upstream's compute_simhash (hsg.ts) run in node over the same canonical tokens.
UPSTREAM = [
    ("hello", "4b1897a04b1897a0"),
    ("the cat sat on the mat", "6fb580006fb58000"),
    ("I prefer dark mode in my editor", "24a4000024a40000"),
    ("我喜欢普洱茶, and tea!", "e1bbb000e1bbb000"),
    ("Yesterday I went to the park at 4:00 PM and saw a dog.", "8eb000008eb00000"),
    ("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz longtokenwithoverflow", "0002325200023252"),
]


@pytest.mark.parametrize(("text", "expected"), UPSTREAM)
def test_simhash_matches_upstream(text: str, expected: str) -> None:
    assert simhash(text) == expected


@pytest.mark.parametrize("text", ["", "...", "!!! ???", "a b c"])
def test_text_without_tokens_falls_back_to_the_stable_hash(text: str) -> None:
    assert simhash(text) == stable_text_fallback_hash(text)


def test_simhash_ignores_order_case_and_repeats() -> None:
    assert simhash("The cat sat") == simhash("sat THE cat cat")


def test_simhash_upper_half_repeats_the_lower_half() -> None:
    h = simhash("a long sentence about databases and migrations")
    assert len(h) == 16
    assert h[:8] == h[8:]


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("0000000000000000", "0000000000000000", 0),
        ("0000000000000000", "0000000000000001", 1),
        ("000000000000000f", "0000000000000000", 4),
        ("ffffffffffffffff", "0000000000000000", 64),
        ("8000000080000000", "0000000000000000", 2),
        ("ABCDEF0123456789", "abcdef0123456789", 0),
    ],
)
def test_hamming_counts_differing_bits(a: str, b: str, distance: int) -> None:
    assert hamming(a, b) == distance


@pytest.mark.parametrize(("a", "b"), [("00", "000"), ("zz", "00"), ("0x", "00"), (" 1", "01")])
def test_hamming_rejects_malformed_hashes(a: str, b: str) -> None:
    with pytest.raises(InvalidInput):
        hamming(a, b)


@pytest.mark.parametrize(
    ("a", "b", "max_distance", "expected"),
    [
        ("4b1897a04b1897a0", "4b1897a04b1897a0", 3, True),
        ("4b1897a04b1897a0", "4b1897a14b1897a1", 3, True),  # one bit of the 32-bit hash = distance 2
        ("4b1897a04b1897a0", "4b1897a34b1897a3", 3, False),  # two bits = distance 4
        ("4b1897a04b1897a0", "4b1897a34b1897a3", 4, True),
        ("4b1897a04b1897a0", "4b1897a0", 3, False),
        ("4b1897a04b1897a0", "not-a-hash-at-al", 3, False),
    ],
)
def test_is_near_duplicate(a: str, b: str, max_distance: int, expected: bool) -> None:
    assert is_near_duplicate(a, b, max_distance) is expected


hashes = st.text(alphabet="0123456789abcdef", min_size=16, max_size=16)


@given(hashes, hashes)
def test_hamming_is_symmetric_and_bounded(a: str, b: str) -> None:
    assert hamming(a, b) == hamming(b, a)
    assert 0 <= hamming(a, b) <= 64
    assert (hamming(a, b) == 0) == (a == b)


@given(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "kappa", "omega", "sigma"]), min_size=1))
def test_identical_token_sets_hash_equally(words: list[str]) -> None:
    assert simhash(" ".join(words)) == simhash(" ".join(sorted(set(words), reverse=True)))


@given(st.text(max_size=100))
def test_simhash_is_always_16_hex_digits(text: str) -> None:
    h = simhash(text)
    assert len(h) == 16
    assert int(h, 16) >= 0


def _simhash_by_votes(text: str) -> str:
    """Upstream's algorithm as written: 64 votes per token, one nibble per four votes."""
    tokens = canonical_token_set(text)
    if not tokens:
        return stable_text_fallback_hash(text)
    votes = [0] * 64
    for token in tokens:
        h = _java_string_hash(token)
        for i in range(64):
            votes[i] += 1 if (h >> (i % 32)) & 1 else -1
    out = ""
    for i in range(0, 64, 4):
        out += f"{sum((votes[i + j] > 0) << (3 - j) for j in range(4)):x}"
    return out


@given(st.text(alphabet=st.sampled_from("abcdefgh ijk LMN 0123 é 中文字 ſ K,.!"), max_size=120))
def test_the_fast_simhash_equals_upstreams_vote_by_vote_algorithm(text: str) -> None:
    assert simhash(text) == _simhash_by_votes(text)


def test_a_text_of_more_distinct_words_than_a_counter_holds_hashes_the_same() -> None:
    text = " ".join(f"w{i}x" for i in range(70_000))  # past the 65,535 tokens one 16-bit lane counts
    assert simhash(text) == _simhash_by_votes(text)
