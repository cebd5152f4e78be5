"""The FactStore protocol: owner-scoped storage of temporal facts and the edges between them (``Store.facts``).

Every method takes the owner as a keyword-only ``user_id`` (``None`` = the system/default user, a user like any
other); no read or write ever reaches another owner's rows, and a foreign id behaves as an unknown one.
``project_id`` in a query narrows to upstream's project visibility: the project's own rows, ``system_global`` rows
and rows with no project, inside the owner's rows only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from openmemory.models import Fact, FactEdge, FactStats, RelatedFact, VolatileFact

FactOrder = Literal["confidence", "newest", "oldest", "predicate_newest", "predicate_confidence"]
FactField = Literal["subject", "predicate", "object"]


@dataclass(frozen=True, slots=True)
class FactQuery:
    """Which of an owner's facts to read; every given field is AND-ed.

    ``valid_at_ms``: valid at that time (inclusive ends). ``start_ms``/``end_ms``: upstream's range test (both: the
    validity overlaps [start, end]; one: valid_from is at or after start / at or before end). ``changed_*``: facts
    created or invalidated in [changed_from_ms, changed_to_ms]. ``pattern``: ``field`` contains it, case-insensitive
    (the LIKE wildcards ``%`` and ``_`` in it match themselves).
    """

    project_id: str | None = None
    subject: str | None = None
    predicate: str | None = None
    object: str | None = None
    valid_at_ms: int | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    changed_from_ms: int | None = None
    changed_to_ms: int | None = None
    is_open: bool | None = None
    min_confidence: float | None = None
    pattern: str | None = None
    field: FactField = "subject"
    order: FactOrder = "newest"
    limit: int | None = None


class DuplicateFact(Exception):
    """The owner already has a fact with this subject, predicate, object and valid_from (store-internal)."""


class FactStore(Protocol):
    """Temporal facts and edges of one database, every call scoped to one owner."""

    def insert(self, fact: Fact, *, user_id: str | None, closed_at_ms: int) -> list[str]:
        """Close the owner's open facts with the fact's subject and predicate (within its project's visibility
        when it has one) that start before it, at ``closed_at_ms``; then insert it; one transaction. Returns
        the closed ids. Raises DuplicateFact (nothing written) when the owner has the identical fact."""
        ...

    def get(self, fact_id: str, *, user_id: str | None) -> Fact | None: ...
    def find(self, query: FactQuery, *, user_id: str | None) -> list[Fact]: ...
    def update(
        self, fact_id: str, *, user_id: str | None, confidence: float | None, metadata: dict[str, Any] | None,
        last_updated_ms: int,
    ) -> bool: ...  # fmt: skip
    def invalidate(self, fact_id: str, *, user_id: str | None, valid_to_ms: int, last_updated_ms: int) -> bool: ...
    def delete(self, fact_id: str, *, user_id: str | None) -> bool:
        """Delete the fact and every edge from or to it."""
        ...

    def set_confidences(self, updates: Sequence[tuple[str, float]], *, user_id: str | None) -> int: ...
    def volatile(
        self, *, user_id: str | None, project_id: str | None, subject: str | None, limit: int
    ) -> list[VolatileFact]: ...
    def counts(self, *, user_id: str | None, project_id: str | None) -> FactStats: ...

    def insert_edge(self, edge: FactEdge, *, user_id: str | None) -> bool:
        """Insert the edge when both facts are the owner's; False (nothing written) otherwise."""
        ...

    def get_edge(self, edge_id: str, *, user_id: str | None) -> FactEdge | None: ...
    def invalidate_edge(self, edge_id: str, *, user_id: str | None, valid_to_ms: int) -> bool: ...
    def related(
        self, fact_id: str, *, user_id: str | None, relation_type: str | None, at_ms: int
    ) -> list[RelatedFact]: ...

    # export and import (openmemory.transfer): every edge of an owner; facts and edges restored as they were
    def edges(self, *, user_id: str | None) -> list[FactEdge]: ...
    def restore(
        self, facts: Sequence[Fact], edges: Sequence[FactEdge], *, user_id: str | None
    ) -> tuple[list[str], list[str]]: ...

    # maintenance: crosses owners on purpose (admin decay)
    def maintenance_owners(self) -> list[str | None]: ...
