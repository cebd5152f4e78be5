"""``--verify``: compare an openmemory-jsonl file with a store, user by user, by counts and content hashes.

A user's content hash is SHA-256 over the file's memories of that user in file order (every field but the
vectors, waypoints included), computed once from the file and once from what the store holds for the same ids.
Memories the store has beyond the file are counted, not treated as a difference (an import adds to a store).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openmemory.memory import Memory, validate
from openmemory.transfer.export import memory_lines
from openmemory.transfer.format import Line, content_line
from openmemory.transfer.reader import check_file, records

BATCH = 500


@dataclass(slots=True)
class UserCheck:
    """One user's comparison: memories in the file and the store, missing and differing ones, both hashes."""

    user_id: str | None
    in_file: int = 0
    in_store: int = 0
    missing: int = 0
    differing: int = 0
    file_sha256: str = ""
    store_sha256: str = ""
    examples: list[str] = field(default_factory=list)  # a few ids that are missing or differ

    @property
    def ok(self) -> bool:
        return self.missing == 0 and self.differing == 0 and self.file_sha256 == self.store_sha256


@dataclass(frozen=True, slots=True)
class VerifyReport:
    users: list[UserCheck]

    @property
    def ok(self) -> bool:
        return all(u.ok for u in self.users)

    @property
    def differences(self) -> list[UserCheck]:
        return [u for u in self.users if not u.ok]


def verify_jsonl(memory: Memory, path: Path | str, *, user_ids: Sequence[str | None] | None = None) -> VerifyReport:
    """Compare every memory of the file (of ``user_ids`` when given) with the store's memory of the same id."""
    checked = check_file(Path(path))
    wanted = None if user_ids is None else {validate.user_id(u) for u in user_ids}
    hashes: dict[str | None, tuple[hashlib._Hash, hashlib._Hash]] = {}
    checks: dict[str | None, UserCheck] = {}
    batch: list[Line] = []

    def flush() -> None:
        owner = batch[0]["user_id"]
        check = checks.setdefault(owner, UserCheck(owner))
        file_hash, store_hash = hashes.setdefault(owner, (hashlib.sha256(), hashlib.sha256()))
        stored = {line["id"]: content_line(line) for line in memory_lines(memory, owner, [b["id"] for b in batch])}
        for line in batch:
            expected = content_line(line)
            found = stored.get(line["id"])
            check.in_file += 1
            file_hash.update(expected.encode() + b"\n")
            if found is None:
                check.missing += 1
            else:
                store_hash.update(found.encode() + b"\n")
                if found != expected:
                    check.differing += 1
            if found != expected and len(check.examples) < 5:
                check.examples.append(str(line["id"]))
        batch.clear()

    for kind, line in records(checked):
        if kind != "memory" or (wanted is not None and line["user_id"] not in wanted):
            continue
        if batch and (len(batch) >= BATCH or batch[0]["user_id"] != line["user_id"]):
            flush()
        batch.append(line)
    if batch:
        flush()
    for owner, check in checks.items():
        check.in_store = memory.count(user_id=owner)
        check.file_sha256, check.store_sha256 = (h.hexdigest() for h in hashes[owner])
    order = sorted(checks, key=lambda u: (u is not None, u or ""))
    return VerifyReport([checks[u] for u in order])
