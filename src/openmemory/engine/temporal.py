"""The rules of the temporal knowledge graph (reference §6), as pure functions over Facts: no SQL, no clock.

* Validity is inclusive at both ends: a fact holds at ``t`` when ``valid_from <= t`` and (it is open or
  ``t <= valid_to``).
* Supersession: a new fact for the same owner, subject and predicate closes every open fact of that owner,
  subject and predicate whose ``valid_from`` is earlier than the new one's, at the new ``valid_from`` − 1 ms. An
  open fact that starts at or after the new one (a back-dated insert) stays open, so two facts can be open at once.
  The store applies this rule in the transaction of the insert (``FactStore.insert``), with ``closing_time``.
* A timeline has one ``created`` entry per fact at its valid_from and one ``invalidated`` entry at its valid_to.
* Confidence decay: ``max(0.1, confidence * (1 - rate * age_days))`` for open facts above 0.1, age counted from
  valid_from; unlike upstream, a fact that starts in the future never gains confidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from openmemory.models import ChangeFrequency, Fact, FactChange, FactComparison, TimelineEntry

DAY_MS = 86_400_000
DECAY_FLOOR = 0.1
DEFAULT_DECAY_RATE = 0.01
DEFAULT_MIN_CONFIDENCE = 0.1


def closing_time(new_valid_from_ms: int) -> int:
    """The valid_to given to the facts a new fact supersedes: one millisecond before it starts."""
    return new_valid_from_ms - 1


def supersedes(new_valid_from_ms: int, old: Fact) -> bool:
    """Whether a new fact starting at ``new_valid_from_ms`` closes ``old`` (same owner, subject and predicate)."""
    return old.is_open and old.valid_from_ms < new_valid_from_ms


def is_valid_at(fact: Fact, at_ms: int) -> bool:
    """Whether the fact holds at ``at_ms`` (both ends inclusive)."""
    return fact.valid_from_ms <= at_ms and (fact.valid_to_ms is None or at_ms <= fact.valid_to_ms)


def overlaps(fact: Fact, start_ms: int | None, end_ms: int | None) -> bool:
    """Upstream's range test: with both ends, any overlap of the validity with [start, end]; with one end, where
    the fact starts."""
    if start_ms is not None and end_ms is not None:
        return fact.valid_from_ms <= end_ms and (fact.valid_to_ms is None or fact.valid_to_ms >= start_ms)
    if start_ms is not None:
        return fact.valid_from_ms >= start_ms
    if end_ms is not None:
        return fact.valid_from_ms <= end_ms
    return True


def timeline(facts: Iterable[Fact]) -> list[TimelineEntry]:
    """Each fact's ``created`` and (when closed) ``invalidated`` entries, oldest first (ties: creation first)."""
    entries: list[TimelineEntry] = []
    for f in facts:
        entries.append(
            TimelineEntry(f.valid_from_ms, f.subject, f.predicate, f.object, f.confidence, "created", f.fact_id)
        )
        if f.valid_to_ms is not None:
            entries.append(
                TimelineEntry(f.valid_to_ms, f.subject, f.predicate, f.object, f.confidence, "invalidated", f.fact_id)
            )
    order = {"created": 0, "invalidated": 1}
    entries.sort(key=lambda e: (e.timestamp_ms, order[e.change_type], e.predicate, e.fact_id))
    return entries


def changes_between(facts: Iterable[Fact], start_ms: int, end_ms: int) -> list[TimelineEntry]:
    """The timeline entries that fall in [start, end] (both inclusive)."""
    return [e for e in timeline(facts) if start_ms <= e.timestamp_ms <= end_ms]


def value_per_predicate(facts: Iterable[Fact]) -> dict[str, Fact]:
    """The fact standing for each predicate: the latest to start, then the most confident (upstream kept
    whichever row its query happened to return last)."""
    best: dict[str, Fact] = {}
    for f in facts:
        held = best.get(f.predicate)
        if held is None or (f.valid_from_ms, f.confidence, f.fact_id) > (
            held.valid_from_ms,
            held.confidence,
            held.fact_id,
        ):
            best[f.predicate] = f
    return best


def compare(before: Iterable[Fact], after: Iterable[Fact]) -> FactComparison:
    """What changed between the facts valid at one time and those valid at a later one, per predicate.

    ``changed`` holds predicates whose standing fact is another row or has another object.
    """
    old, new = value_per_predicate(before), value_per_predicate(after)
    added = tuple(new[p] for p in sorted(new.keys() - old.keys()))
    removed = tuple(old[p] for p in sorted(old.keys() - new.keys()))
    changed: list[FactChange] = []
    unchanged: list[Fact] = []
    for p in sorted(old.keys() & new.keys()):
        a, b = old[p], new[p]
        if a.fact_id != b.fact_id or a.object != b.object:
            changed.append(FactChange(a, b))
        else:
            unchanged.append(b)
    return FactComparison(added, removed, tuple(changed), tuple(unchanged))


def change_frequency(predicate: str, facts: Sequence[Fact], window_days: float) -> ChangeFrequency:
    """How often a predicate changed: the facts that started in the window (the caller selects them), the mean
    lifetime of the closed ones, and facts per day."""
    closed = [f.valid_to_ms - f.valid_from_ms for f in facts if f.valid_to_ms is not None]
    avg = sum(closed) / len(closed) if closed else 0.0
    rate = len(facts) / window_days if window_days > 0 else 0.0
    return ChangeFrequency(predicate, len(facts), avg, rate)


def decayed_confidence(confidence: float, valid_from_ms: int, now_ms: int, rate: float) -> float:
    """Confidence after one decay pass: linear in the fact's age in days, never below 0.1 nor above its value."""
    age_days = max(0, now_ms - valid_from_ms) / DAY_MS
    return max(DECAY_FLOOR, min(confidence, confidence * (1 - rate * age_days)))
