"""Run an import: read each scope of a source, store it in batches per user, count, log failures, checkpoint."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from openmemory.errors import InvalidInput, SourceError, StoreError, StoreUnavailable
from openmemory.importers.base import Importer, Scope
from openmemory.importers.ledger import Checkpoint, FailureLog
from openmemory.importers.target import Target, content_hash
from openmemory.models import SourceMemory

BATCH = 64  # memories embedded together; each is still stored in its own transaction
Progress = Callable[[str, int, int], None]  # (what is being read, done in it, done in total)


@dataclass
class Tally:
    imported: int = 0
    duplicates: int = 0
    failed: int = 0

    @property
    def seen(self) -> int:
        return self.imported + self.duplicates + self.failed


@dataclass
class Report:
    """What a run did, per user; ``hashes`` (user -> source id -> content sha256) feeds ``--verify``."""

    users: dict[str | None, Tally] = field(default_factory=dict)
    resumed: list[str] = field(default_factory=list)
    hashes: dict[str | None, dict[str, str]] = field(default_factory=dict)

    def tally(self, user_id: str | None) -> Tally:
        return self.users.setdefault(user_id, Tally())

    @property
    def total(self) -> Tally:
        out = Tally()
        for t in self.users.values():
            out.imported, out.duplicates, out.failed = (
                out.imported + t.imported, out.duplicates + t.duplicates, out.failed + t.failed
            )  # fmt: skip
        return out


def _no_progress(label: str, done: int, total: int) -> None:
    return None


def run_import(
    importer: Importer,
    target: Target,
    scopes: Sequence[Scope],
    *,
    failures: FailureLog,
    checkpoint: Checkpoint | None = None,
    progress: Progress = _no_progress,
    batch: int = BATCH,
) -> Report:
    """Import every scope not already done; returns the counts. Source and fatal target errors propagate.

    Items the target rejects (invalid text, a store conflict) are counted as failed and written to ``failures``;
    everything else is stored once: a memory already imported from the same source id is a duplicate.
    """
    report = Report()
    done_total = 0
    for scope in scopes:
        if checkpoint is not None and scope.key in checkpoint.done:
            report.resumed.append(scope.label)
            continue
        if not scope.everyone:
            report.tally(scope.user_id)  # a user with nothing to import still shows in the summary
        pending: dict[str | None, list[SourceMemory]] = {}
        done_scope = 0
        try:
            for item in importer.read(scope):
                report.hashes.setdefault(item.user_id, {})[item.source_id] = content_hash(item.content)
                queue = pending.setdefault(item.user_id, [])
                queue.append(item)
                if len(queue) >= batch:
                    _store(target, item.user_id, pending.pop(item.user_id), report, failures)
                done_scope, done_total = done_scope + 1, done_total + 1
                progress(scope.label, done_scope, done_total)
        except SourceError:
            _store_all(target, pending, report, failures)  # keep what was read before the source failed
            raise
        _store_all(target, pending, report, failures)
        if checkpoint is not None:
            checkpoint.mark(scope)
    return report


def _store_all(target: Target, pending: dict[str | None, list[SourceMemory]], report: Report, log: FailureLog) -> None:
    for user_id, queue in pending.items():
        _store(target, user_id, queue, report, log)
    pending.clear()


def _store(target: Target, user_id: str | None, items: list[SourceMemory], report: Report, log: FailureLog) -> None:
    tally = report.tally(user_id)
    try:
        results = target.import_many(items, user_id=user_id)
    except (InvalidInput, StoreError) as exc:
        if isinstance(exc, StoreUnavailable):
            raise
        if len(items) > 1:  # find the item at fault: the others are stored
            for item in items:
                _store(target, user_id, [item], report, log)
            return
        tally.failed += 1
        log.add(items[0], str(exc))
        return
    for result in results:
        if result.imported:
            tally.imported += 1
        else:
            tally.duplicates += 1
