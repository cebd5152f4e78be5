"""Values that cross layers: frozen dataclasses, no behaviour beyond small derived properties.

Names that old databases and upstream clients see (sector names, ``primary_sector``, ``salience``) keep upstream's
spelling on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SECTORS: tuple[str, ...] = ("episodic", "semantic", "procedural", "emotional", "reflective")
Sector = Literal["episodic", "semantic", "procedural", "emotional", "reflective"]

MAX_CONTENT_CHARS = 200_000
MAX_TAGS = 64
MAX_TAG_CHARS = 256
MAX_K = 200

# Upstream's project scoping (reference §3.10): a project sees its own rows, rows of this pseudo-project (stored by
# MCP ``openmemory_store``) and rows with no project; always inside one owner's data here.
SYSTEM_GLOBAL = "system_global"


def is_visible_in_project(row_project_id: str | None, project_id: str | None) -> bool:
    """Whether a row of ``row_project_id`` shows in a read scoped to ``project_id`` (None: no project filter)."""
    return project_id is None or row_project_id is None or row_project_id in (SYSTEM_GLOBAL, project_id)


@dataclass(frozen=True, slots=True)
class MemoryRecord:
    """One stored memory, as its owner sees it."""

    memory_id: str
    user_id: str | None
    content: str
    primary_sector: str
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    created_at_ms: int = 0
    updated_at_ms: int = 0
    last_seen_at_ms: int = 0
    salience: float = 0.4
    decay_lambda: float = 0.005
    version: int = 1
    segment: int = 0
    simhash: str | None = None
    feedback_score: float = 0.0
    project_id: str | None = None
    sectors: tuple[str, ...] = ()

    @property
    def id(self) -> str:  # upstream clients call it `id`
        return self.memory_id


@dataclass(frozen=True, slots=True)
class SectorVector:
    """One embedding of a memory in one sector (float32, stored little-endian)."""

    memory_id: str
    sector: str
    vector: Any  # numpy.ndarray of float32; typed loosely so models stays numpy-free at import
    dim: int


@dataclass(frozen=True, slots=True)
class Waypoint:
    """A weighted edge of the memory graph, owned by one user."""

    src_id: str
    dst_id: str
    user_id: str | None
    weight: float
    created_at_ms: int = 0
    updated_at_ms: int = 0


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A row of the ``users`` table: a user's summary and reflection count."""

    user_id: str
    summary: str | None
    reflection_count: int
    created_at_ms: int
    updated_at_ms: int


@dataclass(frozen=True, slots=True)
class ScoreParts:
    """Why a memory matched: each signal of the composite score, before weighting."""

    similarity: float = 0.0
    lexical: float = 0.0
    overlap: float = 0.0
    waypoint: float = 0.0
    recency: float = 0.0
    tag_match: float = 0.0
    salience: float = 0.0
    sector_penalty: float = 1.0
    context: float = 0.0
    """The raw score inherited from a strong hit made just before or after this memory (``engine/context.py``)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One query result: the memory, its score and why it matched."""

    memory: MemoryRecord
    score: float
    parts: ScoreParts
    path: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.memory.memory_id


@dataclass(frozen=True, slots=True)
class AddResult:
    """What ``Memory.add`` did: the new (or deduplicated) memory's id and sectors."""

    memory_id: str
    primary_sector: str
    sectors: tuple[str, ...]
    deduplicated: bool = False
    chunks: int = 1

    @property
    def id(self) -> str:
        return self.memory_id


@dataclass(frozen=True, slots=True)
class SourceMemory:
    """One memory read from another service (Mem0, Zep, Supermemory), to store under its own user and times.

    ``source`` + ``source_id`` identify it at the source; importing it twice stores it once.
    """

    source: str
    source_id: str
    user_id: str | None
    content: str
    created_at_ms: int
    updated_at_ms: int
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What ``Memory.import_many`` did with one ``SourceMemory``: stored it, or found it already stored."""

    memory_id: str
    source_id: str
    imported: bool


@dataclass(frozen=True, slots=True)
class Classification:
    """Sector classification of a text."""

    primary: str
    additional: tuple[str, ...]
    confidence: float

    @property
    def sectors(self) -> tuple[str, ...]:
        return (self.primary, *self.additional)


@dataclass(frozen=True, slots=True)
class StatRow:
    """A row of the ``stats`` table (maintenance and request counters)."""

    type: str
    count: int
    ts_ms: int


# -- temporal facts (reference §6) ------------------------------------------------------------------------------
# Table and REST names (subject, predicate, object, valid_from, valid_to, confidence, relation_type) are upstream's.


@dataclass(frozen=True, slots=True)
class Fact:
    """A (subject, predicate, object) statement, true from ``valid_from_ms`` to ``valid_to_ms`` (None = still true).

    Both ends are inclusive: the fact holds at every time ``valid_from_ms <= t <= valid_to_ms``.
    """

    fact_id: str
    user_id: str | None
    project_id: str | None
    subject: str
    predicate: str
    object: str
    valid_from_ms: int
    valid_to_ms: int | None
    confidence: float
    last_updated_ms: int
    metadata: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return self.fact_id

    @property
    def is_open(self) -> bool:
        return self.valid_to_ms is None


@dataclass(frozen=True, slots=True)
class FactEdge:
    """A typed, weighted link from one fact to another of the same owner, with its own validity."""

    edge_id: str
    user_id: str | None
    source_id: str
    target_id: str
    relation_type: str
    valid_from_ms: int
    valid_to_ms: int | None
    weight: float
    metadata: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return self.edge_id


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One change in a fact's life: ``created`` at its valid_from, ``invalidated`` at its valid_to."""

    timestamp_ms: int
    subject: str
    predicate: str
    object: str
    confidence: float
    change_type: Literal["created", "invalidated"]
    fact_id: str


@dataclass(frozen=True, slots=True)
class FactChange:
    """A predicate whose fact differs between two times (another object, or another row)."""

    before: Fact
    after: Fact


@dataclass(frozen=True, slots=True)
class FactComparison:
    """What was true about a subject at two times, per predicate."""

    added: tuple[Fact, ...]
    removed: tuple[Fact, ...]
    changed: tuple[FactChange, ...]
    unchanged: tuple[Fact, ...]


@dataclass(frozen=True, slots=True)
class ChangeFrequency:
    """How often a subject's predicate changed in a window."""

    predicate: str
    total_changes: int
    avg_duration_ms: float
    change_rate_per_day: float


@dataclass(frozen=True, slots=True)
class VolatileFact:
    """A subject+predicate with more than one fact (row) in its history."""

    subject: str
    predicate: str
    change_count: int
    avg_confidence: float


@dataclass(frozen=True, slots=True)
class FactStats:
    """Counts of one owner's facts: still true (open) and closed."""

    active: int
    total: int

    @property
    def historical(self) -> int:
        return self.total - self.active


@dataclass(frozen=True, slots=True)
class RelatedFact:
    """A fact reached from another through an edge."""

    fact: Fact
    edge: FactEdge
