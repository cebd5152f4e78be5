"""Splitting long texts into overlapping chunks for embedding (reference §3.11, ``utils/chunking.ts``).

Tokens are estimated as ``ceil(chars / 4)``. A text of at most 768 estimated tokens is one chunk. Longer texts are
split into paragraphs (blank lines) and sentences (whitespace after ``.``, ``!`` or ``?``); sentences are joined
with single spaces until the next would push the chunk past 3072 characters, and each new chunk starts with the
last 307 characters of the previous one.

One deliberate change from upstream: a single sentence longer than 3072 characters is cut into 3072-character
pieces at whitespace where possible, so no chunk is longer than ``3072 + 307 + 1`` characters (upstream emitted it
whole, however long).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

TARGET_TOKENS = 768
CHARS_PER_TOKEN = 4
OVERLAP_RATIO = 0.1

_PARAGRAPH_BREAK = re.compile(r"\n\n+")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a longer text.

    ``start``/``end`` are character offsets into the original text of the chunk's first and last new sentence;
    the overlap copied from the previous chunk is not counted, and sentence separators are normalised to one
    space in ``text``, so ``text`` is not always ``original[start:end]``.
    """

    text: str
    start: int
    end: int
    tokens: int


def estimate_tokens(text: str) -> int:
    """Upstream's token estimate: one token per four characters, rounded up."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _sentences(text: str, max_chars: int) -> list[tuple[str, int, int]]:
    """(sentence, start, end) in text order; empty pieces dropped, overlong ones cut to ``max_chars``."""
    out: list[tuple[str, int, int]] = []
    for start, end in _spans(text, _PARAGRAPH_BREAK, 0, len(text)):
        for s_start, s_end in _spans(text, _SENTENCE_BREAK, start, end):
            out.extend(_cut(text[s_start:s_end], s_start, max_chars))
    return out


def _spans(text: str, separator: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    """The (start, end) offsets of the pieces of ``text[start:end]`` between matches of ``separator``."""
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in separator.finditer(text, start, end):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, end))
    return spans


def _cut(sentence: str, start: int, max_chars: int) -> list[tuple[str, int, int]]:
    pieces: list[tuple[str, int, int]] = []
    while len(sentence) > max_chars:
        cut = sentence.rfind(" ", max_chars // 2, max_chars + 1)
        if cut <= 0:
            cut = max_chars
        pieces.append((sentence[:cut], start, start + cut))
        rest = sentence[cut:]
        stripped = rest.lstrip()
        start += cut + (len(rest) - len(stripped))
        sentence = stripped
    if sentence:
        pieces.append((sentence, start, start + len(sentence)))
    return pieces


def chunk_text(text: str, target_tokens: int = TARGET_TOKENS, overlap_ratio: float = OVERLAP_RATIO) -> list[Chunk]:
    """Split a text into chunks of about ``target_tokens`` estimated tokens, overlapping by ``overlap_ratio``.

    A short text (including the empty string) is returned whole as one chunk.
    """
    total = estimate_tokens(text)
    if total <= target_tokens:
        return [Chunk(text=text, start=0, end=len(text), tokens=total)]

    target_chars = target_tokens * CHARS_PER_TOKEN
    overlap_chars = math.floor(target_chars * overlap_ratio)
    chunks: list[Chunk] = []
    current = ""
    current_start = 0
    current_end = 0
    for sentence, start, end in _sentences(text, target_chars):
        candidate = f"{current} {sentence}" if current else sentence
        if len(candidate) > target_chars and current:
            chunks.append(Chunk(current, current_start, current_end, estimate_tokens(current)))
            tail = current[-overlap_chars:] if overlap_chars > 0 else ""
            current = f"{tail} {sentence}" if tail else sentence
            current_start = start
        else:
            if not current:
                current_start = start
            current = candidate
        current_end = end
    if current:
        chunks.append(Chunk(current, current_start, current_end, estimate_tokens(current)))
    return chunks
