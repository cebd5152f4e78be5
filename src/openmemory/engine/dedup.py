"""Near-duplicate detection with upstream's 64-bit-looking SimHash (reference §3.4).

The hash is bit-for-bit upstream's, so hashes stored by upstream databases compare with ours. That includes its
quirk: JS's ``1 << i`` takes the shift count mod 32, so bits 32–63 repeat bits 0–31 and the 16 hex digits are
one 32-bit hash written twice. Consequences for callers:

* a Hamming distance between two of these hashes is always even (each differing bit counts twice), so the
  upstream threshold of 3 accepts at most one differing bit of the underlying 32-bit hash;
* the first 8 hex digits carry all the information, so a store can look candidates up by that prefix.

Upstream compared hashes across all users and only on exact equality (reference §10.2 #24); the lookup that feeds
``is_near_duplicate`` must be scoped to one owner.

    >>> simhash("the cat sat") == simhash("sat the cat")
    True
"""

from __future__ import annotations

import functools
import re

from openmemory.engine.text import canonical_token_set, stable_text_fallback_hash
from openmemory.errors import InvalidInput

SIMHASH_HEX_DIGITS = 16
DEFAULT_MAX_DISTANCE = 3
_HEX = re.compile(r"[0-9a-fA-F]*")
_HEX_DIGITS = "0123456789abcdef"


@functools.lru_cache(maxsize=1 << 16)  # a text's tokens are mostly ones seen before
def _java_string_hash(token: str) -> int:
    """Java's ``String.hashCode`` over UTF-16 code units, as a signed-agnostic 32-bit value."""
    h = 0
    units = token.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(units), 2):
        h = (h * 31 + int.from_bytes(units[i : i + 2], "little")) & 0xFFFFFFFF
    return h


def simhash(text: str) -> str:
    """The 16-hex-digit SimHash of a text's distinct canonical tokens.

    A text without any token (punctuation only, empty) gets ``stable_text_fallback_hash`` instead, so two such
    texts are equal only when identical.
    """
    tokens = canonical_token_set(text)
    if not tokens:
        return stable_text_fallback_hash(text)
    # Bit i of the hash is set when more tokens have bit i % 32 set than not (each token votes +1 or -1); the
    # hex digits put bit 4k first within digit k, and bits 32-63 repeat bits 0-31 (upstream's shift quirk).
    if len(tokens) < 1 << _LANE:
        total = sum(_lanes(token) for token in tokens)  # every bit's count at once, one lane per bit
        ones = [(total >> (_LANE * i)) & _LANE_MASK for i in range(32)]
    else:
        hashes = [_java_string_hash(token) for token in tokens]
        ones = [sum((h >> i) & 1 for h in hashes) for i in range(32)]
    digits = []
    for first in range(0, 32, 4):
        nibble = 0
        for i in range(first, first + 4):
            nibble = (nibble << 1) | (2 * ones[i] > len(tokens))
        digits.append(_HEX_DIGITS[nibble])
    word = "".join(digits)
    return word + word


_LANE = 16  # bits per counter: up to 65,535 distinct tokens are counted in one integer sum
_LANE_MASK = (1 << _LANE) - 1
_BYTE_LANES = tuple(sum(((b >> j) & 1) << (_LANE * j) for j in range(8)) for b in range(256))


@functools.lru_cache(maxsize=1 << 16)
def _lanes(token: str) -> int:
    """The token's 32-bit hash with bit i moved to bit ``_LANE * i``, so that adding these counts each bit."""
    h = _java_string_hash(token)
    return sum(_BYTE_LANES[(h >> (8 * k)) & 0xFF] << (8 * _LANE * k) for k in range(4))


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two hex hashes of the same length.

    Raises ``InvalidInput`` when the lengths differ or either is not hexadecimal.
    """
    if len(a) != len(b):
        raise InvalidInput(
            f"cannot compare hashes of different lengths ({len(a)} and {len(b)} hex digits)", field="simhash"
        )
    for value in (a, b):
        if not _HEX.fullmatch(value):
            raise InvalidInput(f"not a hexadecimal hash: {value!r}", field="simhash")
    return (int(a, 16) ^ int(b, 16)).bit_count() if a else 0


def is_near_duplicate(a: str, b: str, max_distance: int = DEFAULT_MAX_DISTANCE) -> bool:
    """Whether two SimHashes are within ``max_distance`` bits of each other.

    Hashes of unequal length (e.g. a malformed stored value) are never near-duplicates.
    """
    if len(a) != len(b):
        return False
    try:
        return hamming(a, b) <= max_distance
    except InvalidInput:
        return False


_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


def is_same_text(a: str, b: str) -> bool:
    """Whether two texts say the same thing word for word (same canonical tokens in the same order).

    An equal simhash alone is not enough: it has only 32 real bits, and it ignores word order, repetition,
    numbers and one-letter words, so two different memories can share one. Dedup asks this as well, so it
    never merges different texts.
    """
    return dedup_key(a) == dedup_key(b)


def dedup_key(text: str) -> tuple[str, ...]:
    """What two texts must share to be the same memory: the same words in the same order, ignoring case and
    punctuation (or, for a text with no words at all, the same text)."""
    return tuple(_WORDS.findall(text.lower())) or (text.strip(),)
