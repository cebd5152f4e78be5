"""Facts: the temporal knowledge graph of each user (``Memory.facts``); validation, owner scoping, the clock.

    >>> acme = mem.facts.add("alice", "works_at", "Acme", user_id="u1", valid_from="2023-01-15")
    >>> globex = mem.facts.add("alice", "works_at", "Globex", user_id="u1", valid_from="2024-06-01")
    >>> mem.facts.current("alice", "works_at", user_id="u1").object
    'Globex'
    >>> [f.object for f in mem.facts.at(subject="alice", at="2023-06-01", user_id="u1")]
    ['Acme']

Every method takes the owner as ``user_id`` (``None`` = the system/default user). A fact id of another user
raises the same FactNotFound as an unknown one. ``project_id`` narrows reads to upstream's project visibility
(the project's own facts, ``system_global`` ones and unscoped ones, all inside the owner's facts); on ``add`` it is
the new fact's project. Times are accepted as epoch milliseconds, ISO 8601 strings or datetimes, and returned as
epoch milliseconds (``fields.iso`` formats them as upstream does).
"""

from __future__ import annotations

import builtins
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from openmemory.engine import temporal
from openmemory.errors import Conflict, FactNotFound, InvalidInput
from openmemory.facts import fields as fx
from openmemory.facts.edges import FactEdges
from openmemory.facts.history import FactHistory
from openmemory.memory import validate
from openmemory.models import Fact
from openmemory.store.temporal_base import DuplicateFact, FactQuery, FactStore

log = logging.getLogger("openmemory.facts")


class Facts(FactHistory, FactEdges):
    """Temporal facts and edges of every user in one database (``Memory.facts``)."""

    def __init__(self, store: FactStore, clock: fx.Clock) -> None:
        self._store = store
        self._clock = clock

    def now_ms(self) -> int:
        """The service's clock: the time reads default to."""
        return self._clock()

    # -- writes ---------------------------------------------------------------------------------------------

    def add(
        self,
        subject: str,
        predicate: str,
        object: str,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        valid_from: fx.When | None = None,
        confidence: float | None = 1.0,
        metadata: Mapping[str, Any] | None = None,
    ) -> Fact:
        """Record that ``subject predicate object`` holds from ``valid_from`` (default now).

        The owner's open facts with the same subject and predicate that started earlier are closed at
        valid_from − 1 ms (history is kept); later ones stay open. Raises Conflict when the owner already has
        this exact fact (same object and valid_from), InvalidInput for bad values. ``confidence=None`` means 1.
        """
        owner = validate.user_id(user_id)
        now = self._clock()
        fact = Fact(
            fact_id=str(uuid.uuid4()),
            user_id=owner,
            project_id=fx.project(project_id),
            subject=fx.subject(subject),
            predicate=fx.predicate(predicate),
            object=validate.text(object, "object", fx.MAX_OBJECT_CHARS),
            valid_from_ms=fx.when(valid_from, "valid_from", now),
            valid_to_ms=None,
            confidence=1.0 if confidence is None else validate.unit_interval(confidence, "confidence") or 0.0,
            last_updated_ms=now,
            metadata=fx.metadata(metadata),
        )
        try:
            closed = self._store.insert(fact, user_id=owner, closed_at_ms=temporal.closing_time(fact.valid_from_ms))
        except DuplicateFact:
            raise self._conflict(fact) from None
        for fact_id in closed:
            log.debug("closed fact %s at %s", fact_id, fx.iso(temporal.closing_time(fact.valid_from_ms)))
        return fact

    def _conflict(self, fact: Fact) -> Conflict:
        exact = FactQuery(
            subject=fact.subject, predicate=fact.predicate, object=fact.object,
            changed_from_ms=fact.valid_from_ms, changed_to_ms=fact.valid_from_ms,
        )  # fmt: skip
        same = self._store.find(exact, user_id=fact.user_id)
        twin = next((f for f in same if f.valid_from_ms == fact.valid_from_ms), None)
        if twin is None:  # a database still on upstream's global uniqueness: another owner's row (never named)
            return Conflict("an identical fact exists in this database; run `opm migrate` for per-user uniqueness")
        return Conflict(
            f"fact {twin.fact_id} already says {fact.subject!r} {fact.predicate!r} {fact.object!r} from "
            f"{fx.iso(fact.valid_from_ms)}; update it instead, or give another valid_from"
        )

    def update(
        self,
        fact_id: str,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        confidence: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Fact:
        """Change a fact's confidence and/or metadata (its last_updated becomes now)."""
        if confidence is None and metadata is None:
            raise InvalidInput("give confidence and/or metadata to update", field="confidence")
        level = validate.unit_interval(confidence, "confidence")
        meta = fx.metadata(metadata)
        fact = self.get(fact_id, user_id=user_id, project_id=project_id)
        now = self._clock()
        if not self._store.update(
            fact.fact_id, user_id=fact.user_id, confidence=level, metadata=meta, last_updated_ms=now
        ):
            raise FactNotFound(fact_id)
        return self.get(fact.fact_id, user_id=fact.user_id)

    def invalidate(
        self,
        fact_id: str,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        valid_to: fx.When | None = None,
    ) -> Fact:
        """Close a fact at ``valid_to`` (default now); the row stays in the history. It must not end before it
        starts."""
        fact = self.get(fact_id, user_id=user_id, project_id=project_id)
        now = self._clock()
        end = fx.when(valid_to, "valid_to", now)
        if end < fact.valid_from_ms:
            raise InvalidInput(
                f"valid_to {fx.iso(end)} is before the fact's valid_from {fx.iso(fact.valid_from_ms)}", field="valid_to"
            )
        if not self._store.invalidate(fact.fact_id, user_id=fact.user_id, valid_to_ms=end, last_updated_ms=now):
            raise FactNotFound(fact_id)
        return self.get(fact.fact_id, user_id=fact.user_id)

    def delete(self, fact_id: str, *, user_id: str | None = None, project_id: str | None = None) -> None:
        """Delete a fact and its edges for good (``invalidate`` keeps the history instead)."""
        fact = self.get(fact_id, user_id=user_id, project_id=project_id)
        if not self._store.delete(fact.fact_id, user_id=fact.user_id):
            raise FactNotFound(fact_id)

    def decay(self, *, user_id: str | None = None, rate: float = temporal.DEFAULT_DECAY_RATE) -> int:
        """Lower the confidence of the owner's open facts with their age (``engine.temporal.decayed_confidence``);
        returns how many facts changed."""
        owner = validate.user_id(user_id)
        amount = validate.unit_interval(rate, "decay_rate") or 0.0
        now = self._clock()
        updates = []
        for f in self._store.find(FactQuery(is_open=True), user_id=owner):
            if f.confidence > temporal.DECAY_FLOOR:
                level = temporal.decayed_confidence(f.confidence, f.valid_from_ms, now, amount)
                if level != f.confidence:
                    updates.append((f.fact_id, level))
        return self._store.set_confidences(updates, user_id=owner) if updates else 0

    def decay_all(self, *, rate: float = temporal.DEFAULT_DECAY_RATE) -> int:
        """``decay`` for every owner (an admin operation: it crosses users)."""
        return sum(self.decay(user_id=owner, rate=rate) for owner in self._store.maintenance_owners())

    # -- reads ----------------------------------------------------------------------------------------------

    def get(self, fact_id: str, *, user_id: str | None = None, project_id: str | None = None) -> Fact:
        """One fact of the owner (visible in ``project_id`` when given). Raises FactNotFound otherwise."""
        owner = validate.user_id(user_id)
        if not isinstance(fact_id, str) or not fact_id.strip() or len(fact_id) > 128:
            raise FactNotFound(str(fact_id)[:128])
        fact = self._store.get(fact_id, user_id=owner)
        if fact is None or not fx.is_visible(fact, fx.project(project_id)):
            raise FactNotFound(fact_id)
        return fact

    def at(
        self,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        subject: str | None = None,
        predicate: str | None = None,
        object: str | None = None,
        at: fx.When | None = None,
        min_confidence: float = temporal.DEFAULT_MIN_CONFIDENCE,
    ) -> builtins.list[Fact]:
        """The owner's facts valid at ``at`` (default now; both ends of a validity inclusive) with confidence of
        at least ``min_confidence``, most confident first."""
        query = FactQuery(
            project_id=fx.project(project_id),
            subject=fx.optional(fx.subject, subject),
            predicate=fx.optional(fx.predicate, predicate),
            object=None if object is None else validate.text(object, "object", fx.MAX_OBJECT_CHARS),
            valid_at_ms=fx.when(at, "at", self._clock()),
            min_confidence=validate.unit_interval(min_confidence, "min_confidence"),
            order="confidence",
        )
        return self._store.find(query, user_id=validate.user_id(user_id))

    def current(
        self, subject: str, predicate: str, *, user_id: str | None = None, project_id: str | None = None
    ) -> Fact | None:
        """The owner's newest open fact for subject and predicate, or None."""
        query = FactQuery(
            project_id=fx.project(project_id),
            subject=fx.subject(subject),
            predicate=fx.predicate(predicate),
            is_open=True,
            order="newest",
            limit=1,
        )
        found = self._store.find(query, user_id=validate.user_id(user_id))
        return found[0] if found else None

    def range(
        self,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        subject: str | None = None,
        predicate: str | None = None,
        start: fx.When | None = None,
        end: fx.When | None = None,
        min_confidence: float = temporal.DEFAULT_MIN_CONFIDENCE,
    ) -> builtins.list[Fact]:
        """Facts valid at some time in [start, end] (with one end only: starting at or after ``start`` / at or
        before ``end``), newest first."""
        query = FactQuery(
            project_id=fx.project(project_id),
            subject=fx.optional(fx.subject, subject),
            predicate=fx.optional(fx.predicate, predicate),
            start_ms=None if start is None else validate.timestamp_ms(start, "from"),
            end_ms=None if end is None else validate.timestamp_ms(end, "to"),
            min_confidence=validate.unit_interval(min_confidence, "min_confidence"),
        )
        return self._store.find(query, user_id=validate.user_id(user_id))

    def conflicts(
        self, subject: str, predicate: str, *, user_id: str | None = None, project_id: str | None = None,
        at: fx.When | None = None,
    ) -> builtins.list[Fact]:  # fmt: skip
        """All the owner's facts for subject and predicate valid at ``at`` (more than one = a conflict)."""
        query = FactQuery(
            project_id=fx.project(project_id),
            subject=fx.subject(subject),
            predicate=fx.predicate(predicate),
            valid_at_ms=fx.when(at, "at", self._clock()),
            order="confidence",
        )
        return self._store.find(query, user_id=validate.user_id(user_id))

    def subject(
        self,
        subject: str,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        at: fx.When | None = None,
        include_historical: bool = False,
    ) -> builtins.list[Fact]:
        """What is known about a subject: the facts valid at ``at`` (default now), or with ``include_historical``
        every fact it ever had; by predicate."""
        name = fx.subject(subject)
        if include_historical:
            query = FactQuery(project_id=fx.project(project_id), subject=name, order="predicate_newest")
        else:
            query = FactQuery(
                project_id=fx.project(project_id), subject=name, valid_at_ms=fx.when(at, "at", self._clock()),
                order="predicate_confidence",
            )  # fmt: skip
        return self._store.find(query, user_id=validate.user_id(user_id))

    def search(
        self,
        pattern: str,
        *,
        field: str = "subject",
        user_id: str | None = None,
        project_id: str | None = None,
        at: fx.When | None = None,
        limit: int = fx.SEARCH_LIMIT,
    ) -> builtins.list[Fact]:
        """Facts valid at ``at`` whose ``field`` (subject, predicate or object) contains ``pattern``, ignoring
        case; ``%`` and ``_`` in the pattern match themselves."""
        text = validate.text(pattern, "pattern", fx.MAX_PATTERN_CHARS)
        if field not in fx.FIELDS:
            raise InvalidInput(f"field must be one of {', '.join(fx.FIELDS)}, got {field!r}", field="field")
        lim, _ = validate.page(limit, 0)
        query = FactQuery(
            project_id=fx.project(project_id), pattern=text, field=field,
            valid_at_ms=fx.when(at, "at", self._clock()), order="confidence", limit=lim,
        )  # fmt: skip
        return self._store.find(query, user_id=validate.user_id(user_id))
