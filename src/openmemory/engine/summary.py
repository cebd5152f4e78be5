"""Short texts about memories: a user's profile summary, and the extractive essence of one memory.

Upstream's user summary (reference §3.15) is a template over IDE metadata (project, language, saved files), which
reads "Active in Unknown Project using General" for anyone who is not an IDE plugin. Ours describes what the user
actually stored: how many memories, in which sectors, the top tags, the most salient recent memories, and when
the user was last active. It is deterministic for a given set of memories and clock.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from openmemory.engine.decay import DAY_MS, current_salience
from openmemory.models import SECTORS, MemoryRecord

EMPTY_SUMMARY = "User profile initializing... (No memories recorded yet)"
TOP_TAGS = 5
TOP_MEMORIES = 3
PREVIEW_CHARS = 80

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
_MIN_SENTENCE_CHARS = 10
# (pattern, points): upstream's sentence-importance rules for extract_essence (hsg.ts), in its order. JS regexes
# without the u flag have ASCII \b and \d, hence re.ASCII.
_ESSENCE_RULES: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(p, flags | re.ASCII), points)
    for p, flags, points in (
        (r"^#+\s|^[A-Z][A-Z\s]+:", 0, 8),
        (r"^[A-Z][a-z]+:", re.IGNORECASE, 6),
        (r"\d{4}-\d{2}-\d{2}", 0, 7),
        (
            r"\b(january|february|march|april|may|june|july|august|september|october|november|december)\s+\d+",
            re.IGNORECASE,
            5,
        ),
        (r"\$\d+|\d+\s*(miles|dollars|years|months|km)", 0, 4),
        (r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+", 0, 3),
        (
            r"\b(bought|purchased|serviced|visited|went|got|received|paid|earned|learned|discovered|found|saw|met"
            r"|completed|finished|fixed|implemented|created|updated|added|removed|resolved)\b",
            re.IGNORECASE,
            4,
        ),
        (r"\b(who|what|when|where|why|how)\b", re.IGNORECASE, 2),
        (r"\b(I|my|me)\b", 0, 1),
    )
)


def _sentence_score(sentence: str, index: int) -> int:
    score = {0: 10, 1: 5}.get(index, 0)
    score += sum(points for pattern, points in _ESSENCE_RULES if pattern.search(sentence))
    if len(sentence) < 80:
        score += 2
    return score


def extract_essence(content: str, max_len: int) -> str:
    """The most informative sentences of a text, in their original order, within ``max_len`` characters.

    Upstream's ``extract_essence`` (reference §3.6 step 6): sentences are scored for position, headings, dates,
    amounts, names, action verbs, questions, brevity and first person; the first sentence is kept when it fits,
    then the best others while they fit. A text of at most ``max_len`` characters is returned unchanged; one with
    no sentence longer than 10 characters is cut to ``max_len``. Upstream replaced stored content with this; we use
    it only for previews.
    """
    if len(content) <= max_len:
        return content
    sentences = [s.strip() for s in _SENTENCE_BREAK.split(content)]
    sentences = [s for s in sentences if len(s) > _MIN_SENTENCE_CHARS]
    if not sentences:
        return content[:max_len]
    ranked = sorted(enumerate(sentences), key=lambda item: _sentence_score(item[1], item[0]), reverse=True)
    chosen: list[int] = []
    used = 0
    if len(sentences[0]) < max_len:
        chosen.append(0)
        used = len(sentences[0])
    for index, sentence in ranked:
        if index != 0 and used + len(sentence) + 2 <= max_len:
            chosen.append(index)
            used += len(sentence) + 2
    if not chosen:
        return content[:max_len]
    return " ".join(sentences[i] for i in sorted(chosen))


def preview(content: str, max_chars: int = PREVIEW_CHARS) -> str:
    """A one-line preview of a memory: whitespace collapsed; a longer text becomes its essence plus "…"."""
    flat = " ".join(content.split())
    if len(flat) <= max_chars:
        return flat
    room = max(0, max_chars - 1)
    return extract_essence(flat, room)[:room].rstrip() + "…"


def _last_active_ms(memories: Sequence[MemoryRecord]) -> int:
    return max(max(m.created_at_ms, m.updated_at_ms) for m in memories)


def _describe_age(now_ms: int, then_ms: int) -> str:
    days = max(0, now_ms - then_ms) // DAY_MS
    if days == 0:
        return "today"
    return "1 day ago" if days == 1 else f"{days} days ago"


def summarize_user(memories: Sequence[MemoryRecord], now_ms: int) -> str:
    """A short, deterministic profile of one user, built from that user's memories.

    The caller passes one user's memories (typically the most recent 100). Salience is taken at ``now_ms``.

        >>> summarize_user([], 0)
        'User profile initializing... (No memories recorded yet)'
    """
    if not memories:
        return EMPTY_SUMMARY
    count = len(memories)
    sectors = Counter(m.primary_sector for m in memories)
    order = [s for s in SECTORS if sectors[s]] + sorted(s for s in sectors if s not in SECTORS)
    breakdown = ", ".join(f"{s} {sectors[s]}" for s in order)
    parts = [f"{count} {'memory' if count == 1 else 'memories'} ({breakdown})."]

    tags = Counter(t for m in memories for t in dict.fromkeys(t.strip().lower() for t in m.tags) if t)
    if tags:
        top = sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TAGS]
        parts.append("Top tags: " + ", ".join(f"{tag} ({n})" for tag, n in top) + ".")

    salient = sorted(
        memories,
        key=lambda m: (-current_salience(m, now_ms), -max(m.created_at_ms, m.last_seen_at_ms), m.memory_id),
    )[:TOP_MEMORIES]
    previews = [f'"{preview(m.content)}"' for m in salient if m.content.strip()]
    if previews:
        parts.append("Most salient: " + "; ".join(previews) + ".")

    last = _last_active_ms(memories)
    try:
        day = datetime.fromtimestamp(last / 1000, tz=UTC).strftime("%Y-%m-%d")
    except (OverflowError, OSError, ValueError):  # a client-supplied time past year 9999 (POST /memories)
        day = "unknown date"
    parts.append(f"Last active: {day} ({_describe_age(now_ms, last)}).")
    return " ".join(parts)
