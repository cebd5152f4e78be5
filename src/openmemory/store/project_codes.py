"""The project of each row of an in-process search index, as small integers, for a vectorised project filter.

A project-scoped search (reference §3.10) may rank only the owner's rows of that project, of ``system_global``
and of no project. Filtering the top-k afterwards would lose recall when the project is a small part of the
owner's data, so the indexes mask the other rows out before ranking: one integer comparison per row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from openmemory.models import SYSTEM_GLOBAL

_NONE = 0
_GLOBAL = 1
_MIN_CAPACITY = 64


class ProjectCodes:
    """A growable int32 array: row -> project code (0 no project, 1 system_global, then one per project)."""

    def __init__(self) -> None:
        self._codes = np.zeros(_MIN_CAPACITY, dtype=np.int32)
        self._code_of: dict[str, int] = {SYSTEM_GLOBAL: _GLOBAL}

    def set(self, row: int, project_id: str | None) -> None:
        if row >= self._codes.shape[0]:
            grown = np.zeros(max(row + 1, self._codes.shape[0] * 2), dtype=np.int32)
            grown[: self._codes.shape[0]] = self._codes
            self._codes = grown
        if project_id is None:
            self._codes[row] = _NONE
        else:
            self._codes[row] = self._code_of.setdefault(project_id, len(self._code_of) + 1)

    def hidden(self, project_id: str | None, n: int) -> Any:
        """A boolean mask of the first ``n`` rows that a read scoped to ``project_id`` must not see, or None
        when it sees them all (no project filter)."""
        if project_id is None:
            return None
        codes = self._codes[:n]
        code = self._code_of.get(project_id, -1)
        return (codes > _GLOBAL) & (codes != code)
