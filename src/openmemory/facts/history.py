"""How a user's facts changed over time: timelines, changes in a window, comparisons, volatility, counts.

A mixin of the Facts service; every read is scoped to one owner, including the ones upstream answered across
tenants (timeline, compare, volatile, stats: reference §6).
"""

from __future__ import annotations

import builtins

from openmemory.engine import temporal
from openmemory.errors import InvalidInput
from openmemory.facts import fields as fx
from openmemory.memory import validate
from openmemory.models import ChangeFrequency, FactComparison, FactStats, TimelineEntry, VolatileFact
from openmemory.store.temporal_base import FactQuery, FactStore


class FactHistory:
    _store: FactStore
    _clock: fx.Clock

    def timeline(
        self, subject: str, predicate: str | None = None, *, user_id: str | None = None, project_id: str | None = None
    ) -> builtins.list[TimelineEntry]:
        """Every change of a subject (one predicate, or all): created / invalidated entries, oldest first."""
        query = FactQuery(
            project_id=fx.project(project_id),
            subject=fx.subject(subject),
            predicate=fx.optional(fx.predicate, predicate),
            order="oldest",
        )
        return temporal.timeline(self._store.find(query, user_id=validate.user_id(user_id)))

    def history(
        self,
        predicate: str,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        start: fx.When | None = None,
        end: fx.When | None = None,
    ) -> builtins.list[TimelineEntry]:
        """Every change of one predicate across the owner's subjects, oldest first, optionally in [start, end]."""
        query = FactQuery(project_id=fx.project(project_id), predicate=fx.predicate(predicate), order="oldest")
        low = validate.MIN_DATE_MS if start is None else validate.timestamp_ms(start, "from")
        high = validate.MAX_DATE_MS if end is None else validate.timestamp_ms(end, "to")
        return temporal.changes_between(self._store.find(query, user_id=validate.user_id(user_id)), low, high)

    def changes(
        self,
        start: fx.When,
        end: fx.When,
        *,
        subject: str | None = None,
        user_id: str | None = None,
        project_id: str | None = None,
    ) -> builtins.list[TimelineEntry]:
        """What was created or invalidated in [start, end] (both inclusive), oldest first."""
        low, high = validate.timestamp_ms(start, "from"), validate.timestamp_ms(end, "to")
        query = FactQuery(
            project_id=fx.project(project_id),
            subject=fx.optional(fx.subject, subject),
            changed_from_ms=low,
            changed_to_ms=high,
            order="oldest",
        )
        return temporal.changes_between(self._store.find(query, user_id=validate.user_id(user_id)), low, high)

    def compare(
        self,
        subject: str,
        time1: fx.When,
        time2: fx.When,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
    ) -> FactComparison:
        """How a subject's facts differ between two times, per predicate: added, removed, changed, unchanged."""
        name = fx.subject(subject)
        owner, project = validate.user_id(user_id), fx.project(project_id)
        first, second = (validate.timestamp_ms(moment, field) for moment, field in ((time1, "time1"), (time2, "time2")))
        before = self._store.find(FactQuery(project_id=project, subject=name, valid_at_ms=first), user_id=owner)
        after = self._store.find(FactQuery(project_id=project, subject=name, valid_at_ms=second), user_id=owner)
        return temporal.compare(before, after)

    def change_frequency(
        self,
        subject: str,
        predicate: str,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        window_days: float = 30,
    ) -> ChangeFrequency:
        """How often a subject's predicate changed in the last ``window_days`` days."""
        if isinstance(window_days, bool) or not isinstance(window_days, int | float) or not 0 < window_days <= 36500:
            raise InvalidInput(
                f"window_days must be a number from 0 to 36500, got {window_days!r}", field="window_days"
            )
        name = fx.predicate(predicate)
        query = FactQuery(
            project_id=fx.project(project_id),
            subject=fx.subject(subject),
            predicate=name,
            start_ms=self._clock() - int(window_days * temporal.DAY_MS),
        )
        return temporal.change_frequency(name, self._store.find(query, user_id=validate.user_id(user_id)), window_days)

    def volatile(
        self,
        *,
        user_id: str | None = None,
        project_id: str | None = None,
        subject: str | None = None,
        limit: int = 10,
    ) -> builtins.list[VolatileFact]:
        """The subject+predicate pairs with the most facts in their history (more than one), least confident
        first among equals."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= fx.MAX_VOLATILE:
            raise InvalidInput(f"limit must be an integer from 1 to {fx.MAX_VOLATILE}, got {limit!r}", field="limit")
        return self._store.volatile(
            user_id=validate.user_id(user_id),
            project_id=fx.project(project_id),
            subject=fx.optional(fx.subject, subject),
            limit=limit,
        )

    def stats(self, *, user_id: str | None = None, project_id: str | None = None) -> FactStats:
        """How many facts the owner has, and how many are still open."""
        return self._store.counts(user_id=validate.user_id(user_id), project_id=fx.project(project_id))
