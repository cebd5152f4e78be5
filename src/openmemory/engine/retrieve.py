"""Hybrid retrieval: dense and lexical candidates, waypoint expansion, the composite score, the top k.

    candidates = top dense matches (cosine of mean vectors) ∪ top lexical matches (per-user BM25; optionally
                 with the owner's words close to the question's, engine/expand.py)
    neighbours = waypoints out of the best candidates (the memory graph), owner-scoped
    score      = composite(similarity, lexical, overlap, waypoint, recency, tag match, salience)
    context    = the memories made just before and after the best hits inherit part of their score

Every read goes through the ``Store`` with the caller's ``user_id``; nothing here can see another user's rows.
Filters (sector, salience, time, tags) apply to the loaded records, after candidate generation.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from openmemory.engine.classify import classify, sector_scores
from openmemory.engine.context import CONTEXT_DECAY, CONTEXT_SEEDS, CONTEXT_SPAN, inherited
from openmemory.engine.decay import DAY_MS, current_salience
from openmemory.engine.embed.base import Embedder
from openmemory.engine.expand import Expander
from openmemory.engine.score import (
    SIMILARITY_TAU,
    ScoreWeights,
    composite,
    project_boosted,
    recency,
    sector_penalty,
    tag_match,
    token_overlap,
    weighted_sum,
)
from openmemory.engine.text import canonical_token_set
from openmemory.models import Classification, Hit, MemoryRecord, ScoreParts, is_visible_in_project
from openmemory.store.base import MemoryFilter, Store

WAYPOINT_DECAY = 0.8  # upstream: a neighbour's weight is its parent's times the edge weight times 0.8


TUNED_WEIGHTS = ScoreWeights(
    similarity=0.55, overlap=0.10, waypoint=0.05, recency=0.02, tag_match=0.10, lexical=0.45, salience=0.02
)


@dataclass(frozen=True, slots=True)
class RetrievalTuning:
    """Candidate pool sizes and score weights; tuned on the LoCoMo development split only."""

    weights: ScoreWeights = TUNED_WEIGHTS
    min_pool: int = 100
    pool_per_k: int = 5
    seeds_for_expansion: int = 10
    min_shortlist: int = 30
    shortlist_per_k: int = 3
    context_seeds: int = CONTEXT_SEEDS
    context_span: int = CONTEXT_SPAN
    context_decay: float = CONTEXT_DECAY


DEFAULT_TUNING = RetrievalTuning()


@dataclass(slots=True)
class _Candidate:  # mutable on purpose: one per candidate per query, updated in place
    memory_id: str
    similarity: float = 0.0
    lexical: float = 0.0
    waypoint: float = 0.0
    path: tuple[str, ...] = ()


def retrieve(
    store: Store,
    embedder: Embedder,
    query: str,
    *,
    user_id: str | None,
    k: int,
    where: MemoryFilter | None,
    now_ms: int,
    tuning: RetrievalTuning = DEFAULT_TUNING,
    expander: Expander | None = None,
) -> list[Hit]:
    """The user's ``k`` best memories for ``query``, best first, each with its score parts and path.

    With an ``expander``, the lexical search also looks for the owner's words close to the question's
    (``engine/expand.py``)."""
    pool = max(tuning.min_pool, tuning.pool_per_k * k)
    project = where.project_id if where is not None else None
    # lexical first: it needs no vector, so a question's embedding still under way (Memory.query prefetches it)
    # finishes meanwhile
    expansion = expander.terms(query, store.vocabulary(user_id=user_id)) if expander is not None else None
    lexical = store.search_lexical(query, user_id=user_id, k=pool, project_id=project, expansion=expansion)
    q_vec = embedder.embed_query(query)
    dense = store.search_vectors(q_vec, user_id=user_id, k=pool, project_id=project)
    top_lex = max((s for _, s in lexical), default=0.0)
    cands: dict[str, _Candidate] = {m: _Candidate(m, similarity=s, path=(m,)) for m, s in dense}
    for memory_id, score in lexical:
        cand = cands.get(memory_id)
        if cand is None:
            cand = cands[memory_id] = _Candidate(memory_id, path=(memory_id,))
        cand.lexical = score / top_lex if top_lex > 0 else 0.0
    missing = [m for m, c in cands.items() if c.similarity == 0.0]
    for memory_id, sim in store.vector_scores(q_vec, missing, user_id=user_id).items():
        cands[memory_id].similarity = sim
    _expand(store, q_vec, cands, user_id, project, tuning)
    shortlist = _shortlist(cands, max(tuning.min_shortlist, tuning.shortlist_per_k * k), tuning.weights)
    records = store.get_memories(shortlist, user_id=user_id)
    q_cls = _query_sectors(query)
    q_tokens = canonical_token_set(query)
    hits = [
        _score(cands[m], record, q_cls, q_tokens, now_ms, tuning.weights, project)
        for m, record in records.items()
        if _passes(record, where)
    ]
    hits.sort(key=lambda h: (-h.score, h.memory.memory_id))
    if tuning.context_span > 0 and tuning.context_seeds > 0 and hits:
        context = _Context(store, q_vec, cands, q_cls, q_tokens, now_ms, where, user_id, tuning)
        hits = context.lift(hits, k)
    return hits[:k]


def _expand(
    store: Store,
    q_vec: object,
    cands: dict[str, _Candidate],
    user_id: str | None,
    project_id: str | None,
    tuning: RetrievalTuning,
) -> None:
    """Add the waypoint neighbours of the strongest candidates, with a weight that fades along the edge.

    In a project-scoped query a neighbour outside the project is left out here, before it can take a place
    in the shortlist (each memory has one outgoing edge, so that is at most ``seeds_for_expansion`` rows).
    """
    ranked = sorted(cands.values(), key=lambda c: -(c.similarity + c.lexical))[: tuning.seeds_for_expansion]
    if not ranked:
        return
    strength = {c.memory_id: min(1.0, max(c.similarity, c.lexical)) for c in ranked}
    edges = store.waypoints_from([c.memory_id for c in ranked], user_id=user_id)
    new_ids: list[str] = []
    for edge in edges:
        if edge.dst_id == edge.src_id:
            continue
        weight = strength[edge.src_id] * min(1.0, max(0.0, edge.weight)) * WAYPOINT_DECAY
        current = cands.get(edge.dst_id)
        if current is None:
            new_ids.append(edge.dst_id)
            current = cands[edge.dst_id] = _Candidate(edge.dst_id, path=(edge.dst_id,))
        if weight > current.waypoint:
            current.waypoint = weight
            current.path = (edge.src_id, edge.dst_id)
    if new_ids and project_id is not None:
        visible = store.get_memories(new_ids, user_id=user_id)
        for memory_id in new_ids:
            record = visible.get(memory_id)
            if record is None or not is_visible_in_project(record.project_id, project_id):
                del cands[memory_id]
        new_ids = [m for m in new_ids if m in cands]
    if new_ids:
        for memory_id, sim in store.vector_scores(q_vec, new_ids, user_id=user_id).items():  # type: ignore[arg-type]
            cands[memory_id].similarity = sim


@dataclass(slots=True)
class _Context:
    """What a query needs to score the neighbours in time of its best hits (``engine/context.py``)."""

    store: Store
    q_vec: object
    cands: dict[str, _Candidate]
    q_cls: Classification | None
    q_tokens: set[str]
    now_ms: int
    where: MemoryFilter | None
    user_id: str | None
    tuning: RetrievalTuning

    def lift(self, hits: list[Hit], k: int) -> list[Hit]:
        """The hits with the best ones' neighbours added or raised, best first.

        Only neighbours that would enter the top ``k`` are loaded and scored.
        """
        weights = self.tuning.weights
        seeds = hits[: self.tuning.context_seeds]
        raw = {h.memory.memory_id: weighted_sum(h.parts, weights) for h in seeds}
        floor = weighted_sum(hits[k - 1].parts, weights) if len(hits) >= k else -math.inf
        # A seed whose neighbours cannot inherit more than the k-th hit's raw score lifts nothing: skip its
        # neighbours (and the statement, when no seed is left). The bound is the value ``inherited`` computes.
        decay, span = self.tuning.context_decay, self.tuning.context_span
        anchors = [
            (h.memory.memory_id, h.memory.created_at_ms)
            for h in seeds
            if max(raw[h.memory.memory_id] * decay**d for d in range(1, span + 1)) > floor
        ]
        if not anchors:
            return hits
        offsets = self.store.memories_around(anchors, user_id=self.user_id, span=span)
        lifted = {m: v for m, v in inherited(raw, offsets, decay).items() if v[0] > floor}
        by_id = {h.memory.memory_id: h for h in hits}
        self._score_new([m for m in lifted if m not in by_id], by_id)
        for memory_id, (value, parent) in lifted.items():
            hit = by_id.get(memory_id)
            if hit is None or value <= weighted_sum(hit.parts, weights):
                continue
            parts = replace(hit.parts, context=value)
            by_id[memory_id] = Hit(hit.memory, composite(parts, weights), parts, (parent, memory_id))
        return sorted(by_id.values(), key=lambda h: (-h.score, h.memory.memory_id))

    def _score_new(self, new_ids: list[str], by_id: dict[str, Hit]) -> None:
        """Load and score neighbours that were not scored yet; the query's filters apply to them too."""
        if not new_ids:
            return
        records = self.store.get_memories(new_ids, user_id=self.user_id)
        unknown = [m for m in records if m not in self.cands]
        sims = self.store.vector_scores(self.q_vec, unknown, user_id=self.user_id)  # type: ignore[arg-type]
        for memory_id, record in records.items():
            if not _passes(record, self.where):
                continue
            cand = self.cands.get(memory_id) or _Candidate(memory_id, similarity=sims.get(memory_id, 0.0))
            hit = _score(cand, record, self.q_cls, self.q_tokens, self.now_ms, self.tuning.weights)
            by_id[memory_id] = hit


def _shortlist(cands: dict[str, _Candidate], size: int, weights: ScoreWeights) -> list[str]:
    """The candidates worth loading: best by the signals already known (similarity, lexical, waypoint).

    The remaining signals (overlap, recency, tags, salience) carry small weights, so a candidate outside this
    list cannot overtake one inside it in practice, and loading ~30 rows instead of ~200 keeps queries fast.
    """

    w_sim, w_lex, w_way = weights.similarity, weights.lexical, weights.waypoint
    exp = math.exp
    known = [
        (-(w_sim * (1.0 - exp(-SIMILARITY_TAU * (c.similarity if c.similarity > 0.0 else 0.0)))
           + w_lex * c.lexical + w_way * c.waypoint),
         c.memory_id)
        for c in cands.values()
    ]  # fmt: skip
    return [memory_id for _, memory_id in heapq.nsmallest(size, known)]


@lru_cache(maxsize=20_000)
def _content_tokens(content: str) -> frozenset[str]:
    """Canonical tokens of a memory's content; cached, since the same memories keep coming back."""
    return frozenset(canonical_token_set(content))


def _passes(record: MemoryRecord, where: MemoryFilter | None) -> bool:
    if where is None:
        return True
    if where.sector is not None and where.sector != record.primary_sector and where.sector not in record.sectors:
        return False
    if not is_visible_in_project(record.project_id, where.project_id):
        return False
    if where.min_salience is not None and record.salience < where.min_salience:
        return False
    if where.start_ms is not None and record.created_at_ms < where.start_ms:
        return False
    if where.end_ms is not None and record.created_at_ms > where.end_ms:
        return False
    return all(tag in record.tags for tag in where.tags)


def _score(
    cand: _Candidate,
    record: MemoryRecord,
    q_cls: Classification | None,
    q_tokens: set[str],
    now_ms: int,
    weights: ScoreWeights,
    project_id: str | None = None,
) -> Hit:
    elapsed = now_ms - record.last_seen_at_ms
    days = (elapsed if elapsed > 0 else 0) / DAY_MS
    parts = ScoreParts(
        similarity=cand.similarity if cand.similarity > 0.0 else 0.0,
        lexical=cand.lexical,
        overlap=token_overlap(q_tokens, _content_tokens(record.content)),
        waypoint=cand.waypoint,
        recency=recency(days),
        tag_match=tag_match(q_tokens, record.tags),
        salience=current_salience(record, now_ms),
        sector_penalty=_penalty(q_cls, record),
    )
    score = composite(parts, weights)
    if project_id is not None and record.project_id == project_id:
        score = project_boosted(score)  # upstream: the project's own memories above shared ones (reference §3.8)
    if math.isnan(score):
        score = 0.0
    return Hit(memory=record, score=score, parts=parts, path=cand.path or (record.memory_id,))


@lru_cache(maxsize=4096)
def _query_sectors(query: str) -> Classification | None:
    """The query's sectors, or None when no sector pattern matches it (cached: ~30 µs of regular expressions,
    and a server sees the same questions again).

    A text that matches no pattern is filed as "semantic" with confidence 0.2, which is right for storing a
    memory but says nothing about a question: "What did Caroline research?" matches nothing, and penalising
    every memory outside "semantic" (emotional ones by 0.4) for it hid half of a chat log's turns.
    """
    return classify(query) if any(sector_scores(query).values()) else None


def _penalty(q_cls: Classification | None, record: MemoryRecord) -> float:
    if q_cls is None:
        return 1.0
    sectors: Sequence[str] = record.sectors or (record.primary_sector,)
    return max(sector_penalty(q_cls, s) for s in sectors)
