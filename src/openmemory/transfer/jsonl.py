"""Import an ``openmemory-jsonl`` file (``opm export``'s output) into a store, keeping every id and time.

    >>> from openmemory.transfer.export import export_jsonl
    >>> added = mem.add("I moved to Lisbon in March", user_id="alice")
    >>> with open("all.jsonl", "w") as out:
    ...     written = export_jsonl(mem, out)
    >>> report = import_jsonl(mem, Path("all.jsonl"))  # into the same database: nothing new
    >>> report.imported, report.skipped, report.failed
    (0, 1, 0)

Idempotent: records are keyed on our own ids, so a memory whose id the user already has is skipped (never
overwritten), and a second import of the same file adds nothing; an interrupted import is finished by running
it again. The file is checked whole before anything is written. Vectors in the file are stored as they are when
the file's embedder (model and dimension) is the target's; otherwise every memory is re-embedded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from openmemory.engine.encode import encode_many
from openmemory.memory import Memory, validate
from openmemory.models import Fact, FactEdge, SectorVector
from openmemory.store.base import StoredMemory
from openmemory.transfer.format import line_to_edge, line_to_fact, line_to_stored, line_to_user
from openmemory.transfer.reader import CheckedFile, check_file, records

BATCH = 200
Progress = Callable[[int, int], None]


@dataclass(slots=True)
class UserTally:
    """One user's outcome: memories imported, skipped (already there), failed; temporal facts and edges."""

    imported: int = 0
    skipped: int = 0
    failed: int = 0
    facts: int = 0
    facts_skipped: int = 0
    edges: int = 0


@dataclass(frozen=True, slots=True)
class Failure:
    """A memory that could not be stored, and why."""

    user_id: str | None
    memory_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did, per user; ``reembedded`` says whether vectors were recomputed."""

    per_user: dict[str | None, UserTally]
    failures: list[Failure] = field(default_factory=list)
    users_restored: int = 0
    reembedded: bool = False

    @property
    def imported(self) -> int:
        return sum(t.imported for t in self.per_user.values())

    @property
    def skipped(self) -> int:
        return sum(t.skipped for t in self.per_user.values())

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.per_user.values())


def import_jsonl(
    memory: Memory,
    path: Path | str,
    *,
    user_ids: Sequence[str | None] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the file at ``path`` into ``memory``'s store (only ``user_ids``' records when given).

    Crosses users on purpose (an admin operation). Raises SourceFormatError, before writing anything, for a file
    that is not openmemory-jsonl, of a newer version, malformed or truncated. ``progress(done, total)`` is called
    after each batch of memories.
    """
    checked = check_file(Path(path))
    return _Importer(memory, checked, user_ids, progress).run()


class _Importer:
    def __init__(
        self, memory: Memory, checked: CheckedFile, user_ids: Sequence[str | None] | None, progress: Progress | None
    ) -> None:
        self.memory = memory
        self.store = memory.maintenance.store
        self.checked = checked
        self.wanted = None if user_ids is None else {validate.user_id(u) for u in user_ids}
        self.progress = progress
        header = checked.header
        self.reuse_vectors = header.with_vectors and (header.embed_model, header.embed_dim) == (
            memory.embedder.name,
            memory.embedder.dim,
        )
        self.per_user: dict[str | None, UserTally] = {}
        self.failures: list[Failure] = []
        self.users_restored = 0
        self.done = 0
        self.facts: list[Fact] = []  # one owner's facts and edges, waiting to be written together
        self.edges: list[FactEdge] = []

    def _temporal(self, kind: str, line: dict[str, object]) -> None:
        item: Fact | FactEdge = line_to_fact(line) if kind == "fact" else line_to_edge(line)
        if self.wanted is not None and item.user_id not in self.wanted:
            return
        pending: list[Fact | FactEdge] = [*self.facts, *self.edges]
        if pending and (pending[0].user_id != item.user_id or len(pending) >= BATCH):
            self._flush_temporal()
        if isinstance(item, Fact):
            self.facts.append(item)
        else:
            self.edges.append(item)

    def _flush_temporal(self) -> None:
        """Write the pending facts, then the pending edges (the export writes an owner's edges after its facts)."""
        pending: list[Fact | FactEdge] = [*self.facts, *self.edges]
        if not pending:
            return
        owner = pending[0].user_id
        facts_in, edges_in = self.store.facts.restore(self.facts, self.edges, user_id=owner)
        tally = self.per_user.setdefault(owner, UserTally())
        tally.facts += len(facts_in)
        tally.facts_skipped += len(self.facts) - len(facts_in)
        tally.edges += len(edges_in)
        self.facts, self.edges = [], []

    def run(self) -> ImportReport:
        batch: list[StoredMemory] = []
        total = self.checked.counts["memory"]
        for kind, line in records(self.checked):
            if kind in ("fact", "edge"):
                self._temporal(kind, line)
                continue
            if kind == "user":
                self._user(line)
            elif kind == "memory":
                item = line_to_stored(line, with_vectors=self.reuse_vectors)
                if self.wanted is not None and item.memory.user_id not in self.wanted:
                    continue
                if batch and (len(batch) >= BATCH or batch[0].memory.user_id != item.memory.user_id):
                    self._flush(batch, total)
                    batch = []
                batch.append(item)
        if batch:
            self._flush(batch, total)
        self._flush_temporal()
        return ImportReport(self.per_user, self.failures, self.users_restored, not self.reuse_vectors)

    def _user(self, line: dict[str, object]) -> None:
        user = line_to_user(line)
        if (self.wanted is not None and user.user_id not in self.wanted) or self.store.get_user(user_id=user.user_id):
            return
        self.store.ins_user(
            user_id=user.user_id,
            summary=user.summary,
            reflection_count=user.reflection_count,
            created_at=user.created_at_ms,
            updated_at=user.updated_at_ms,
        )
        self.users_restored += 1

    def _flush(self, batch: list[StoredMemory], total: int) -> None:
        owner = batch[0].memory.user_id
        tally = self.per_user.setdefault(owner, UserTally())
        present = self.store.get_memories([i.memory.memory_id for i in batch], user_id=owner)
        fresh = [i for i in batch if i.memory.memory_id not in present]
        tally.skipped += len(batch) - len(fresh)
        if fresh and not self.reuse_vectors:
            fresh = self._embed(fresh)
        inserted = set(self.store.restore_memories(fresh, user_id=owner, embed_model=self.memory.embedder.name))
        tally.imported += len(inserted)
        for item in fresh:
            if item.memory.memory_id not in inserted:
                tally.failed += 1
                reason = "the id is taken by another user's memory, or is not a valid id for this database"
                self.failures.append(Failure(owner, item.memory.memory_id, reason))
        self.done += len(batch)
        if self.progress is not None:
            self.progress(self.done, total)

    def _embed(self, items: list[StoredMemory]) -> list[StoredMemory]:
        encoded = encode_many(self.memory.embedder, [i.memory.content for i in items], [i.memory.meta for i in items])
        out = []
        for item, enc in zip(items, encoded, strict=True):
            memory_id = item.memory.memory_id
            vectors = tuple(SectorVector(memory_id, s, v, int(v.shape[0])) for s, v in enc.sector_vectors.items())
            out.append(replace(item, vectors=vectors, mean=enc.mean))
        return out
