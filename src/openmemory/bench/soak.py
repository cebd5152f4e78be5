"""Crash soaks: SIGKILL ``opm serve``, ``opm migrate`` or ``opm import`` at random moments, then check the data.

After each kill the database is audited as it lies on disk (``store/audit.py``: integrity check, whole schema
versions, no memory without its vectors, no vector or waypoint without its memory), and then:

- server: the server is started again, and every write that got a 2xx before the kill must be there (an
  acknowledged add listed with its acknowledged text, and found by a search for its unique word; an acknowledged
  delete gone), and each user's summary answers; then writers start again on the restarted server.
- migrate: every row of the upstream fixture is still there, the applied versions are a prefix of the list
  (never half a version), and running ``opm migrate`` again completes it with every row.
- import: every user the resume checkpoint marks done is complete, no user holds an item twice or an item that
  is not in the export, and running the same command again completes the import with one copy of everything.

Writes that were in flight at the kill (no answer) may or may not be there: they are only required to be whole.
The server soak is ``soak_server.py``, the migrate and import soaks ``soak_commands.py``; this module holds the
report they fill.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from openmemory.store.audit import Audit

Progress = Callable[[int, int], None]
MAX_PROBLEMS = 20


@dataclass
class SoakReport:
    """What a soak did and found; ``rows_lost`` and ``audits_failed`` must be 0."""

    target: str
    kills: int = 0
    operations: int = 0
    acknowledged: int = 0
    rows_lost: int = 0
    audits: int = 0
    audits_failed: int = 0
    detail: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        return self.rows_lost == 0 and self.audits_failed == 0 and not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)

    def check(self, audit: Audit, where: str, baseline: Audit | None = None) -> None:
        """Count an audit; it fails on a bad integrity check or on more half-written rows than ``baseline``."""
        self.audits += 1
        allowed = baseline.problems if baseline is not None else {}
        worse = {k: n for k, n in audit.problems.items() if n > allowed.get(k, 0)}
        if audit.integrity != "ok" or worse:
            self.audits_failed += 1
            self.problem(f"{where}: {audit.describe()}")

    def count(self, key: str, n: int = 1) -> None:
        self.detail[key] = self.detail.get(key, 0) + n

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def no_progress(done: int, total: int) -> None:
    return None
