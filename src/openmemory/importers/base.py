"""The Importer protocol: a source read scope by scope (one user, or everyone at once), yielding SourceMemory."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from openmemory.models import SourceMemory


@dataclass(frozen=True, slots=True)
class Scope:
    """A part of a source read in one go: one user's memories, or every user's when they cannot be listed first."""

    user_id: str | None
    everyone: bool = False

    @property
    def key(self) -> str:
        """A stable name for the resume checkpoint."""
        return "*" if self.everyone else "\x00system" if self.user_id is None else f"user:{self.user_id}"

    @property
    def label(self) -> str:
        return "all users" if self.everyone else "(system user)" if self.user_id is None else self.user_id


EVERYONE = Scope(None, everyone=True)


class Importer(Protocol):
    """One source (an API or an export file) of one service."""

    source: str  # the service, as stored in metadata.source: "mem0", "zep", "supermemory"

    def scopes(self, users: Sequence[str] | None) -> list[Scope]:
        """What to read: one scope per user named (or per user the source lists), or ``[EVERYONE]``."""
        ...

    def read(self, scope: Scope) -> Iterator[SourceMemory]:
        """The scope's memories, each under its own user (``everyone``: whichever user each belongs to)."""
        ...

    def close(self) -> None: ...


def scopes_for(users: Sequence[str] | None, listed: Sequence[str | None] | None) -> list[Scope]:
    """The users named on the command line, else those the source listed, else one pass over everyone."""
    if users:
        return [Scope(u) for u in dict.fromkeys(users)]
    if listed is not None:
        return [Scope(u) for u in dict.fromkeys(listed)]
    return [EVERYONE]


class ExportFile:
    """An export file read in one pass over everyone: each memory in it names its own user."""

    source: str

    def __init__(self, path: Path, *, clock: Callable[[], int]) -> None:
        self._path = path
        self._clock = clock

    def close(self) -> None:
        return None

    def scopes(self, users: Sequence[str] | None) -> list[Scope]:
        return scopes_for(users, None)
