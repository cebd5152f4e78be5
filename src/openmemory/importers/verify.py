"""``--verify``: per user, the source's memories against what the target holds from that source."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from openmemory.importers.target import Target, content_hash


@dataclass(frozen=True, slots=True)
class UserCheck:
    """One user's comparison; ``missing``/``changed``/``extra`` hold source ids."""

    user_id: str | None
    source_count: int
    target_count: int
    missing: tuple[str, ...]  # at the source, not in the target
    changed: tuple[str, ...]  # in both, with different text
    extra: tuple[str, ...]  # in the target (from this source), no longer at the source

    @property
    def is_same(self) -> bool:
        return not (self.missing or self.changed or self.extra)


def verify(target: Target, source: str, hashes: Mapping[str | None, Mapping[str, str]]) -> list[UserCheck]:
    """Compare counts and content hashes for every user the source had."""
    checks: list[UserCheck] = []
    for user_id, at_source in hashes.items():
        stored: dict[str, str] = {}
        for record in target.memories(user_id=user_id):
            if record.meta.get("source") == source and isinstance(record.meta.get("source_id"), str):
                stored[record.meta["source_id"]] = content_hash(record.content)
        checks.append(
            UserCheck(
                user_id=user_id,
                source_count=len(at_source),
                target_count=len(stored),
                missing=tuple(sorted(set(at_source) - set(stored))),
                changed=tuple(sorted(k for k in set(at_source) & set(stored) if at_source[k] != stored[k])),
                extra=tuple(sorted(set(stored) - set(at_source))),
            )
        )
    return checks
