"""The sector tables: decay rates, weights, cross-sector factors and the resonance matrix.

Every number here is upstream's (reference §3.1, ``src/memory/hsg.ts`` and ``src/ops/dynamics.ts``); the sector
names are upstream's too, because stored rows and clients use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from openmemory.errors import UnknownSector
from openmemory.models import SECTORS

DECAY_LAMBDA_PER_DAY: Mapping[str, float] = MappingProxyType(
    {"episodic": 0.015, "semantic": 0.005, "procedural": 0.008, "emotional": 0.020, "reflective": 0.001}
)
"""Exponential decay rate of salience, per day."""

SECTOR_WEIGHT: Mapping[str, float] = MappingProxyType(
    {"episodic": 1.2, "semantic": 1.0, "procedural": 1.1, "emotional": 1.3, "reflective": 0.8}
)
"""Classifier pattern weight, also the softmax weight of each sector in the mean vector."""

SYNTHETIC_SECTOR_WEIGHT: Mapping[str, float] = MappingProxyType(
    {"episodic": 1.3, "semantic": 1.0, "procedural": 1.2, "emotional": 1.4, "reflective": 0.9}
)
"""``sec_wts``: the per-sector feature weight of the synthetic embedding."""

SECTOR_RELATIONSHIPS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "semantic": MappingProxyType({"procedural": 0.8, "episodic": 0.6, "reflective": 0.7, "emotional": 0.4}),
        "procedural": MappingProxyType({"semantic": 0.8, "episodic": 0.6, "reflective": 0.6, "emotional": 0.3}),
        "episodic": MappingProxyType({"reflective": 0.8, "semantic": 0.6, "procedural": 0.6, "emotional": 0.7}),
        "reflective": MappingProxyType({"episodic": 0.8, "semantic": 0.7, "procedural": 0.6, "emotional": 0.6}),
        "emotional": MappingProxyType({"episodic": 0.7, "reflective": 0.6, "semantic": 0.4, "procedural": 0.3}),
    }
)
"""query sector → memory sector → penalty factor when the two differ."""

DEFAULT_RELATIONSHIP = 0.3
"""Penalty factor for a (query, memory) sector pair missing from ``SECTOR_RELATIONSHIPS``."""

RESONANCE: tuple[tuple[float, ...], ...] = (
    (1.0, 0.7, 0.3, 0.6, 0.6),
    (0.7, 1.0, 0.4, 0.7, 0.8),
    (0.3, 0.4, 1.0, 0.5, 0.2),
    (0.6, 0.7, 0.5, 1.0, 0.8),
    (0.6, 0.8, 0.2, 0.8, 1.0),
)
"""Cross-sector resonance ``RESONANCE[memory_sector][query_sector]``, indexed in ``SECTORS`` order."""

FUSION_WEIGHT: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "semantic": (1.2, 0.8),
        "emotional": (1.5, 0.6),
        "procedural": (1.3, 0.7),
        "episodic": (1.4, 0.7),
        "reflective": (1.1, 0.5),
    }
)
"""sector → (weight when it is the query's primary sector, weight otherwise) for the multi-vector fusion."""

DEFAULT_FUSION_WEIGHT = 0.5


def sector_index(sector: str) -> int:
    """Position of a sector in ``SECTORS``; an unknown sector maps to semantic (1), as upstream does."""
    try:
        return SECTORS.index(sector)
    except ValueError:
        return 1


def resonance(memory_sector: str, query_sector: str) -> float:
    """How much a memory of one sector resonates with a query of another, in [0.2, 1]."""
    return RESONANCE[sector_index(memory_sector)][sector_index(query_sector)]


def fusion_weights(query_primary: str) -> dict[str, float]:
    """Per-sector weights for fusing a memory's sector vectors, favouring the query's primary sector."""
    return {s: hi if s == query_primary else lo for s, (hi, lo) in FUSION_WEIGHT.items()}


def decay_lambda(sector: str) -> float:
    """The sector's decay rate per day.

    Raises ``UnknownSector`` for a name that is not one of the five sectors.
    """
    try:
        return DECAY_LAMBDA_PER_DAY[sector]
    except KeyError:
        raise UnknownSector(sector) from None
