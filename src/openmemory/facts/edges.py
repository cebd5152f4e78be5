"""Edges between a user's facts: typed, weighted links with their own validity (a mixin of the Facts service)."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Mapping
from typing import Any

from openmemory.errors import FactNotFound, InvalidInput
from openmemory.facts import fields as fx
from openmemory.memory import validate
from openmemory.models import Fact, FactEdge, RelatedFact
from openmemory.store.temporal_base import FactStore

MAX_WEIGHT = 1e6


class FactEdges:
    _store: FactStore
    _clock: fx.Clock

    def get(self, fact_id: str, *, user_id: str | None = None, project_id: str | None = None) -> Fact:
        raise NotImplementedError  # provided by Facts

    def add_edge(
        self,
        source_id: str,
        target_id: str,
        relation_type: str,
        *,
        user_id: str | None = None,
        valid_from: fx.When | None = None,
        weight: float = 1.0,
        metadata: Mapping[str, Any] | None = None,
    ) -> FactEdge:
        """Link two of the owner's facts. Raises FactNotFound when either is not theirs."""
        owner = validate.user_id(user_id)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= MAX_WEIGHT:
            raise InvalidInput(f"weight must be a number from 0 to {MAX_WEIGHT:.0f}, got {weight!r}", field="weight")
        edge = FactEdge(
            edge_id=str(uuid.uuid4()),
            user_id=owner,
            source_id=self.get(source_id, user_id=owner).fact_id,
            target_id=self.get(target_id, user_id=owner).fact_id,
            relation_type=validate.text(relation_type, "relation_type", fx.MAX_RELATION_CHARS),
            valid_from_ms=fx.when(valid_from, "valid_from", self._clock()),
            valid_to_ms=None,
            weight=float(weight),
            metadata=fx.metadata(metadata),
        )
        if not self._store.insert_edge(edge, user_id=owner):
            raise FactNotFound(source_id)
        return edge

    def invalidate_edge(self, edge_id: str, *, user_id: str | None = None, valid_to: fx.When | None = None) -> FactEdge:
        """Close an edge at ``valid_to`` (default now). Raises FactNotFound for an unknown or foreign edge."""
        owner = validate.user_id(user_id)
        end = fx.when(valid_to, "valid_to", self._clock())
        if not isinstance(edge_id, str) or not self._store.invalidate_edge(edge_id, user_id=owner, valid_to_ms=end):
            raise FactNotFound(str(edge_id), "edge")
        edge = self._store.get_edge(edge_id, user_id=owner)
        if edge is None:
            raise FactNotFound(edge_id, "edge")
        return edge

    def related(
        self,
        fact_id: str,
        *,
        user_id: str | None = None,
        relation_type: str | None = None,
        at: fx.When | None = None,
    ) -> builtins.list[RelatedFact]:
        """The facts a fact links to through edges valid at ``at`` (default now), both valid then; heaviest first."""
        fact = self.get(fact_id, user_id=user_id)
        kind = None if relation_type is None else validate.text(relation_type, "relation_type", fx.MAX_RELATION_CHARS)
        at_ms = fx.when(at, "at", self._clock())
        return self._store.related(fact.fact_id, user_id=fact.user_id, relation_type=kind, at_ms=at_ms)
