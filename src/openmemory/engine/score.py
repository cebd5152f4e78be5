"""The composite retrieval score: upstream's weighted signals through a sigmoid (reference §3.8 step 9).

    raw   = 0.35·(1 − e^(−3·sim·penalty)) + 0.20·overlap + 0.15·waypoint + 0.10·recency + 0.20·tag_match
            + lexical_weight·lexical + salience_weight·salience
    score = sigmoid(max(raw, context))

Every signal is in [0, 1], so with the default weights ``score`` lies in [0.5, ~0.73]: a memory with no signal at
all scores 0.5. The score is absolute: the same memory and query give the same score whatever else was
retrieved, so callers can compare scores across queries and apply a threshold.

Upstream z-scored the top results after this step (step 10). We do not: z-scores are relative to the result
list (a lone result scores 0, half the results are negative), which makes ``min_score`` meaningless and the
numbers unusable to a client (reference §10.2 #22).

Fixes to upstream's signals: recency no longer goes negative after 60 days; ``tag_match`` counts each tag once,
ignores empty and duplicate tags, and only counts a substring match when the shorter side has three or more
characters.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields

from openmemory.engine.sectors import DEFAULT_FUSION_WEIGHT, DEFAULT_RELATIONSHIP, SECTOR_RELATIONSHIPS, fusion_weights
from openmemory.engine.text import canonical_token_set
from openmemory.errors import InvalidInput
from openmemory.models import Classification, ScoreParts

SIMILARITY_TAU = 3.0
RECENCY_T_DAYS = 7.0
RECENCY_T_MAX_DAYS = 60.0
PROJECT_BOOST = 0.2
HIGH_CONFIDENCE_SIMILARITY = 0.55
_MIN_PARTIAL_TAG_CHARS = 3


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Weights of the composite score's signals; the defaults are upstream's ``scoring_weights``.

    ``lexical`` weighs a BM25-style lexical signal normalised to [0, 1] and ``salience`` the memory's current
    salience; both are 0 by default (upstream has neither in the sum). Raises ``InvalidInput`` for a negative or
    non-finite weight.
    """

    similarity: float = 0.35
    overlap: float = 0.20
    waypoint: float = 0.15
    recency: float = 0.10
    tag_match: float = 0.20
    lexical: float = 0.0
    salience: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not math.isfinite(value) or value < 0:
                raise InvalidInput(f"score weight {f.name} must be a finite number >= 0, got {value!r}", field=f.name)


DEFAULT_WEIGHTS = ScoreWeights()


def _unit(x: float) -> float:
    """Clamp to [0, 1]; NaN counts as no signal (every comparison with NaN is false)."""
    return x if 0.0 < x < 1.0 else (1.0 if x >= 1.0 else 0.0)


def sigmoid(x: float) -> float:
    """The logistic function, without overflow for large ``|x|``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def boosted_similarity(adj: float) -> float:
    """``1 − e^(−3·adj)``: rewards the first gains in similarity most. ``adj`` is clamped to [0, 1] first."""
    return 1.0 - math.exp(-SIMILARITY_TAU * _unit(adj))


def recency(days: float) -> float:
    """``e^(−days/7)·(1 − days/60)``, clamped to [0, 1]: 1 when just seen, 0 from 60 days on.

    Negative ``days`` (a clock ahead of the reader) count as 0. Upstream's value went negative after 60 days.
    """
    d = days if days > 0.0 else 0.0  # NaN and negative days count as 0
    left = 1.0 - d / RECENCY_T_MAX_DAYS
    return _unit(math.exp(-d / RECENCY_T_DAYS) * (left if left > 0.0 else 0.0))


def token_overlap(query_tokens: Collection[str], content_tokens: Collection[str]) -> float:
    """Share of the distinct query tokens that occur in the content: ``|Q ∩ C| / |Q|``, 0 for no query tokens."""
    q = query_tokens if isinstance(query_tokens, (set, frozenset)) else set(query_tokens)
    if not q:
        return 0.0
    return len(q.intersection(content_tokens)) / len(q)


def _is_partial(a: str, b: str) -> bool:
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return len(shorter) >= _MIN_PARTIAL_TAG_CHARS and shorter in longer


def tag_match(query_tokens: Collection[str], tags: Iterable[str]) -> float:
    """How well a memory's tags match the query tokens, in [0, 1].

    Each distinct tag (case-insensitive) scores 2 when the query names it (the tag itself, or all of its
    canonical tokens, is among ``query_tokens``), else 1 when it shares a token with the query or one contains
    the other; the sum is divided by ``2 × number of tags``.

        >>> tag_match({"dark", "theme"}, ["dark", "ui"])
        0.5
    """
    if not tags:
        return 0.0
    distinct = list(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))
    q = {t.lower() for t in query_tokens if t}
    if not q or not distinct:
        return 0.0
    points = 0
    for tag in distinct:
        tag_tokens = canonical_token_set(tag)
        if tag in q or (tag_tokens and tag_tokens <= q):
            points += 2
        elif tag_tokens & q or any(_is_partial(tag, tok) for tok in q):
            points += 1
    return min(1.0, points / (2 * len(distinct)))


def sector_penalty(query_cls: Classification, mem_sector: str) -> float:
    """1 when the memory's sector is one of the query's sectors, else the cross-sector factor (0.3–0.8)."""
    if mem_sector in query_cls.sectors:
        return 1.0
    return SECTOR_RELATIONSHIPS.get(query_cls.primary, {}).get(mem_sector, DEFAULT_RELATIONSHIP)


def fused_similarity(sector_similarities: Mapping[str, float], query_primary: str) -> float:
    """Weighted mean of a memory's per-sector cosine similarities, favouring the query's primary sector.

    ``sector_similarities`` maps each sector the memory and the query both have a vector for to their cosine.
    Returns 0 when it is empty.
    """
    weights = fusion_weights(query_primary)
    total = 0.0
    norm = 0.0
    for sector, sim in sector_similarities.items():
        w = weights.get(sector, DEFAULT_FUSION_WEIGHT)
        total += sim * w
        norm += w
    return total / norm if norm > 0 else 0.0


def effective_k(k: int, avg_top_similarity: float) -> int:
    """How many candidates to keep before cutting to ``k``: more when the best similarities are weak."""
    return k + math.ceil(0.3 * k * (1.0 - _unit(avg_top_similarity)))


def weighted_sum(parts: ScoreParts, weights: ScoreWeights = DEFAULT_WEIGHTS) -> float:
    """The composite's pre-sigmoid sum (``raw`` in the module docstring); every part is clamped to [0, 1].

    ``parts.similarity`` is the memory's best raw similarity; it is multiplied by ``parts.sector_penalty``
    here, before boosting.
    """
    adj = _unit(parts.similarity) * _unit(parts.sector_penalty)
    return (
        weights.similarity * (1.0 - math.exp(-SIMILARITY_TAU * _unit(adj)))  # boosted_similarity(adj), inlined
        + weights.overlap * _unit(parts.overlap)
        + weights.waypoint * _unit(parts.waypoint)
        + weights.recency * _unit(parts.recency)
        + weights.tag_match * _unit(parts.tag_match)
        + weights.lexical * _unit(parts.lexical)
        + weights.salience * _unit(parts.salience)
    )


def composite(parts: ScoreParts, weights: ScoreWeights = DEFAULT_WEIGHTS) -> float:
    """The final score of one memory for one query, in (0, 1): ``sigmoid(max(weighted_sum, context))``.

    ``parts.context`` is the raw score a memory inherits from a strong hit next to it in time (0 for most).
    """
    raw = weighted_sum(parts, weights)
    context = parts.context if math.isfinite(parts.context) else 0.0
    return sigmoid(context if context > raw else raw)  # max(raw, context), without the call


def project_boosted(score: float, boost: float = PROJECT_BOOST) -> float:
    """``sigmoid(logit(score) + boost)``: upstream's bonus for a memory of the queried project."""
    s = min(1.0 - 1e-12, max(1e-12, score))
    return sigmoid(math.log(s / (1.0 - s)) + boost)
