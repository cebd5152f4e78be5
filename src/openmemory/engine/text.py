"""Text normalisation shared by simhash, token overlap, keywords and the synthetic embedder.

This is upstream's ``utils/text.ts`` (reference §3.2), kept bit-for-bit so that simhashes and synthetic
vectors computed here match the ones stored by upstream databases.

    >>> tokenize("I prefer Dark mode 我喜欢普洱茶")
    ['i', 'prefer', 'dark', 'mode', '我喜', '喜欢', '欢普', '普洱', '洱茶']
    >>> canonical_tokens("Users like the meetings")
    ['user', 'prefer', 'the', 'meeting']
"""

from __future__ import annotations

import functools
import hashlib
import re

# The first word of each group is the canonical form of every word in it.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("prefer", "like", "love", "enjoy", "favor"),
    ("theme", "mode", "style", "layout"),
    ("meeting", "meet", "session", "call", "sync"),
    ("dark", "night", "black"),
    ("light", "bright", "day"),
    ("user", "person", "people", "customer"),
    ("task", "todo", "job"),
    ("note", "memo", "reminder"),
    ("time", "schedule", "when", "date"),
    ("project", "initiative", "plan"),
    ("issue", "problem", "bug"),
    ("document", "doc", "file"),
    ("question", "query", "ask"),
)

# (suffix, replacement), tried in order; upstream writes them as /ies$/, /ing$/, /ers?$/, /ed$/, /s$/.
# "ers?" is spelled out as two rules, "ers" before "er", which is what the regex matches.
STEM_RULES: tuple[tuple[str, str], ...] = (
    ("ies", "y"),
    ("ing", ""),
    ("ers", "er"),
    ("er", "er"),
    ("ed", ""),
    ("s", ""),
)

_CANONICAL: dict[str, str] = {word: group[0] for group in SYNONYM_GROUPS for word in group}

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
# Upstream matches /[a-z0-9]+|[CJK]+/giu. Under the i+u flags JS folds case with Unicode simple case
# folding, so besides A-Z the Latin class also admits U+017F (long s) and U+212A (Kelvin sign); they
# are spelled out here instead of using re.IGNORECASE, whose folding table differs slightly.
_TOKEN = re.compile(f"[a-zA-Z0-9\u017f\u212a]+|[{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")


def tokenize(text: str) -> list[str]:
    """Split text into lower-cased Latin/digit words and CJK character bigrams.

    A CJK run of two or more characters becomes its overlapping bigrams; a single CJK character stays.
    """
    if _CJK_CHAR.search(text) is None:  # the common case: every match is a Latin/digit word
        return [tok.lower() for tok in _TOKEN.findall(text)]
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        tok = match.group()
        if _CJK_CHAR.match(tok):
            if len(tok) <= 1:
                tokens.append(tok)
            else:
                tokens.extend(tok[i : i + 2] for i in range(len(tok) - 1))
        else:
            tokens.append(tok.lower())
    return tokens


def stem(token: str) -> str:
    """Strip one common English suffix, keeping at least three characters; short tokens pass through."""
    if len(token) <= 3:
        return token
    for suffix, replacement in STEM_RULES:
        if token.endswith(suffix):
            stemmed = token[: len(token) - len(suffix)] + replacement
            if len(stemmed) >= 3:
                return stemmed
    return token


@functools.lru_cache(maxsize=1 << 16)  # most of a text's words were seen before: skip the suffix rules
def canonicalize(token: str) -> str:
    """Map a token to its canonical form: synonym head, else its stem (or the stem's synonym head)."""
    if not token:
        return ""
    low = token.lower()
    head = _CANONICAL.get(low)
    if head is not None:
        return head
    stemmed = stem(low)
    return _CANONICAL.get(stemmed, stemmed)


def canonical_tokens(text: str) -> list[str]:
    """Canonicalised tokens in text order, with duplicates; results of one character are dropped."""
    result: list[str] = []
    for tok in tokenize(text):
        canonical = canonicalize(tok)
        if len(canonical) > 1:
            result.append(canonical)
    return result


def canonical_token_set(text: str) -> set[str]:
    """The distinct canonical tokens of text."""
    return set(canonical_tokens(text))


def stable_text_fallback_hash(text: str) -> str:
    """First 16 hex characters of BLAKE2b-512 over the UTF-8 text, as upstream's JS computes it.

    Used as the simhash of text without any token. Upstream's Python SDK used an 8-byte digest instead,
    a different value; we follow the JS server, which wrote the databases we migrate.
    """
    return hashlib.blake2b(_utf8_like_js(text)).hexdigest()[:16]


def _utf8_like_js(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (possible in JSON input): Node pairs adjacent surrogates and replaces the
        # rest with U+FFFD before hashing; a UTF-16 round trip does the same.
        repaired = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        return repaired.encode("utf-8")
