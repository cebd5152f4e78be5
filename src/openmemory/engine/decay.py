"""Salience over time: decay toward a floor, reinforcement, and the plan for the periodic decay job.

Upstream's formula (reference §3.12 (a), ``calc_decay`` in ``hsg.ts``) moves salience exponentially toward a
floor of 0.08 at the sector's rate λ per day::

    decayed(s, t) = s·e^(−λt) + 0.08·(1 − e^(−λt)) = 0.08 + (s − 0.08)·e^(−λt)

Upstream's job applied it to the *already decayed* salience with the full time since ``last_seen_at`` on every
run, so each run compounded the previous ones (reference §10.2 #17). The fix rests on the formula being a
semigroup, ``decayed(decayed(s, t1), t2) == decayed(s, t1 + t2)``: a stored salience is valid *as of an anchor
time*, and decay is only ever applied for the time elapsed since that anchor.

The anchor is ``decay_anchor_ms(record) = max(last_seen_at_ms, updated_at_ms)``. Whoever writes a new salience
(this job, reinforcement, a query hit, dedup) also sets ``updated_at_ms`` to the same clock, so the anchor moves
with it; the decay job leaves ``last_seen_at_ms`` alone (recency scoring reads it). Running the job twice with
the same clock therefore changes nothing the second time, and running it at t1 then t2 gives exactly the value a
single run at t2 would. An edit that bumps ``updated_at_ms`` without writing salience forgives the decay since
the previous anchor; the service should store the current decayed salience when it edits a memory.

A second deliberate change: salience already below the floor is left alone rather than raised toward it, so
decay never increases salience.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from openmemory.engine.sectors import DECAY_LAMBDA_PER_DAY
from openmemory.models import MemoryRecord

DAY_MS = 86_400_000
DECAY_FLOOR = 0.08  # upstream's hybrid_params.alpha_reinforce
REINFORCE_BOOST = 0.1
RECALL_ETA = 0.18  # upstream ETA_TRACE: a returned memory gains 18% of its distance to 1
MIN_DECAY_CHANGE = 1e-4


def _clamp01(x: float) -> float:
    """Clamp to [0, 1]; NaN gives 0 (every comparison with NaN is false)."""
    return x if 0.0 < x < 1.0 else (1.0 if x >= 1.0 else 0.0)


def decay_toward_floor(salience: float, lambda_per_day: float, days: float) -> float:
    """Salience after ``days`` days at rate ``lambda_per_day``; never increases, never leaves [0, 1]."""
    s = _clamp01(salience)
    if s <= DECAY_FLOOR or days <= 0 or lambda_per_day <= 0:
        return s
    return _clamp01(DECAY_FLOOR + (s - DECAY_FLOOR) * math.exp(-lambda_per_day * days))


def decayed_salience(
    sector: str,
    salience: float,
    days: float,
    *,
    segment_index: int | None = None,
    max_segment: int | None = None,
) -> float:
    """A memory's salience ``days`` days after the time its stored ``salience`` is anchored to.

    ``days`` must be measured from the anchor (see the module docstring), not blindly from ``last_seen_at``,
    or repeated application compounds. With ``segment_index`` and ``max_segment`` (> 0) the rate is scaled by
    ``1 − sqrt(segment_index / max_segment)``, as upstream does. An unknown sector does not decay (upstream
    returns the salience unchanged too).

        >>> round(decayed_salience("episodic", 0.8, 30), 4)
        0.5391
    """
    lam = DECAY_LAMBDA_PER_DAY.get(sector)
    if lam is None:
        return _clamp01(salience)
    if segment_index is not None and max_segment is not None and max_segment > 0:
        lam *= 1 - math.sqrt(min(1.0, max(0.0, segment_index / max_segment)))
    return decay_toward_floor(salience, lam, days)


def reinforced_salience(salience: float, boost: float = REINFORCE_BOOST) -> float:
    """Salience after an explicit reinforcement: ``min(1, salience + boost)``."""
    return _clamp01(salience + boost)


def recall_boost(salience: float) -> float:
    """Salience after the memory is returned by a query: ``s + 0.18·(1 − s)``, capped at 1.

    This replaces upstream's extra ``+0.5`` per query hit, which saturated every retrieved memory at 1
    (reference §10.2 #22).
    """
    s = _clamp01(salience)
    return _clamp01(s + RECALL_ETA * (1 - s))


def decay_anchor_ms(record: MemoryRecord) -> int:
    """The time the record's stored salience is valid as of: its last write of salience or its last access."""
    return max(record.last_seen_at_ms, record.updated_at_ms)


def current_salience(record: MemoryRecord, now_ms: int) -> float:
    """The record's salience at ``now_ms``, decayed from its anchor; what queries report and rank with."""
    elapsed = now_ms - decay_anchor_ms(record)
    days = (elapsed if elapsed > 0 else 0) / DAY_MS
    lam = DECAY_LAMBDA_PER_DAY.get(record.primary_sector, record.decay_lambda)
    return decay_toward_floor(record.salience, lam, days)


def plan_decay(rows: Iterable[MemoryRecord], now_ms: int) -> list[tuple[str, float]]:
    """The salience writes one run of the decay job should make: ``[(memory_id, new_salience), ...]``.

    Only rows whose salience moves by more than 1e-4 are listed. The caller writes each new salience together
    with ``updated_at_ms = now_ms`` (the new anchor) and leaves ``last_seen_at_ms`` unchanged; then a second run
    with the same ``now_ms`` plans nothing. A row whose sector is unknown decays at its stored ``decay_lambda``.
    """
    plan: list[tuple[str, float]] = []
    for row in rows:
        new = current_salience(row, now_ms)
        if abs(new - row.salience) > MIN_DECAY_CHANGE:
            plan.append((row.memory_id, new))
    return plan
