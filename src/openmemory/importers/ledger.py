"""What an import leaves on disk: the failed items (JSON lines ``--retry`` reads) and the resume checkpoint."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from openmemory.errors import InvalidInput, SourceFormatError
from openmemory.importers import shape
from openmemory.importers.base import EVERYONE, Scope, scopes_for
from openmemory.models import SourceMemory


class FailureLog:
    """Items that could not be stored, one JSON object a line, with the reason; the file holds the latest run's."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._file: IO[str] | None = None

    def add(self, item: SourceMemory, error: str) -> None:
        if self._file is None:
            try:
                self._file = self.path.open("w", encoding="utf-8")
            except OSError as exc:
                message = f"cannot write failed items to {self.path}: {exc.strerror}; choose another with --failed"
                raise InvalidInput(message) from None
        record = {
            "source": item.source, "source_id": item.source_id, "user_id": item.user_id, "content": item.content,
            "created_at": item.created_at_ms, "updated_at": item.updated_at_ms, "tags": list(item.tags),
            "metadata": item.meta, "error": error,
        }  # fmt: skip
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        self.count += 1

    def close(self) -> None:
        """Close the file; with no failures this run, remove an older run's file so it is not retried twice."""
        if self._file is not None:
            self._file.close()
        elif self.path.exists():
            self.path.unlink()


class RetryFile:
    """An Importer over a failures file: the items exactly as they were read from their source the first time."""

    def __init__(self, path: Path) -> None:
        self._items = [_item_of(line, f"{path} line {n}") for n, line in _lines(path)]
        sources = {item.source for item in self._items}
        self.source = sources.pop() if len(sources) == 1 else "mixed"

    def close(self) -> None:
        return None

    def scopes(self, users: Sequence[str] | None) -> list[Scope]:
        return scopes_for(users, None)

    def read(self, scope: Scope) -> Iterator[SourceMemory]:
        return (i for i in self._items if scope == EVERYONE or i.user_id == scope.user_id)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"cannot read {path}: {exc}") from None
    return ((n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip())


def _item_of(line: str, where: str) -> SourceMemory:
    try:
        data = shape.obj(json.loads(line), where)
    except json.JSONDecodeError as exc:
        raise SourceFormatError(f"{where} is not JSON: {exc.msg}") from None
    created = shape.time_ms(data.get("created_at"), "created_at", where)
    return SourceMemory(
        source=str(shape.text(data, ("source",), where)),
        source_id=str(shape.text(data, ("source_id",), where)),
        user_id=shape.text(data, ("user_id",), where, required=False),
        content=str(data.get("content") or ""),
        created_at_ms=created or 0,
        updated_at_ms=shape.time_ms(data.get("updated_at"), "updated_at", where) or created or 0,
        tags=shape.strings(data.get("tags"), "tags", where),
        meta=shape.mapping(data.get("metadata"), "metadata", where),
    )


class Checkpoint:
    """The scopes (users) a run has finished, so the same command started again after a crash skips them.

    The file is named after what the run reads and writes, and removed when the run completes.
    """

    def __init__(self, directory: Path, source: str, identity: Sequence[Any]) -> None:
        digest = hashlib.sha256(json.dumps(list(identity), default=str).encode()).hexdigest()[:12]
        self.path = directory / f".opm-import-{source}-{digest}.json"
        self.done: set[str] = set()
        if self.path.exists():
            try:
                self.done = set(json.loads(self.path.read_text(encoding="utf-8"))["done"])
            except (OSError, ValueError, KeyError, TypeError):
                self.done = set()  # an unreadable checkpoint only costs re-reading; stored items are skipped

    def mark(self, scope: Scope) -> None:
        self.done.add(scope.key)
        tmp = self.path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps({"done": sorted(self.done)}), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            return  # without a checkpoint a rerun re-reads finished users; their memories are still skipped

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)
