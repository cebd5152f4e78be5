"""Zep: users and their threads (current versions) or sessions (v2), each thread's messages one memory each.

Shapes (help.getzep.com, SDK reference): ``GET /api/v2/users-ordered?pageNumber=&pageSize=`` answers
``{users: [{user_id, ...}], total_count, row_count}``; ``GET /api/v2/users/{userId}/threads`` (v2: ``/sessions``)
a list of ``{thread_id | session_id, user_id, created_at}``; v2 lists every session, with or without a user, with
``GET /api/v2/sessions-ordered?page_number=&page_size=`` (``{sessions, total_count, response_count}``).
``GET /api/v2/threads/{threadId}/messages`` (v2: ``/sessions/{sessionId}/messages``) with ``limit`` and ``cursor``
(the page number, from 1) answers ``{messages: [{uuid, role, role_type, name, content, metadata, created_at,
updated_at}], row_count, total_count}``. Zep has no export format of its own: ``--file`` takes those answers put
together (see docs/import.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from openmemory.importers import shape
from openmemory.importers.base import ExportFile, Scope, scopes_for
from openmemory.importers.http import SourceClient
from openmemory.models import SourceMemory

SOURCE = "zep"
DEFAULT_URL = "https://api.getzep.com"
PAGE_SIZE = 100
THREAD_KEYS = ("threads", "sessions")


def memory_of(message: Mapping[str, Any], where: str, user_id: str | None, thread_id: str, now_ms: int) -> SourceMemory:
    """One Zep message as a SourceMemory of the thread's user."""
    created = shape.time_ms(message.get("created_at"), "created_at", where)
    updated = shape.time_ms(message.get("updated_at"), "updated_at", where)
    meta = shape.mapping(message.get("metadata"), "metadata", where)
    meta["source_fields"] = shape.given(
        thread_id=thread_id, role=message.get("role"), role_type=message.get("role_type"), name=message.get("name")
    )
    created = created if created is not None else now_ms
    return SourceMemory(
        source=SOURCE,
        source_id=str(shape.text(message, ("uuid", "id"), where)),
        user_id=user_id,
        content=str(shape.text(message, ("content",), where)),
        created_at_ms=created,
        updated_at_ms=updated if updated is not None else created,
        meta=meta,
    )


def thread_id_of(thread: Mapping[str, Any], where: str) -> str:
    return str(shape.text(thread, ("thread_id", "session_id"), where))


class ZepApi:
    """Every message of every thread of every Zep user (or of the users named)."""

    source = SOURCE

    def __init__(
        self, client: SourceClient, *, api_version: str = "v3", page_size: int = PAGE_SIZE, clock: Callable[[], int]
    ) -> None:
        self._client = client
        self._threads = "sessions" if api_version == "v2" else "threads"
        self._page_size = page_size
        self._clock = clock

    @staticmethod
    def headers(api_key: str) -> dict[str, str]:
        return {"Authorization": f"Api-Key {api_key}"}

    def close(self) -> None:
        self._client.close()

    def scopes(self, users: Sequence[str] | None) -> list[Scope]:
        if users or self._threads == "sessions":  # v2 sessions may have no user: list them all instead
            return scopes_for(users, None)
        return scopes_for(users, self._user_ids())

    def _user_ids(self) -> list[str | None]:
        found: list[str | None] = []
        seen = 0
        for page_no in range(1, 1_000_000):
            page = self._client.get("/api/v2/users-ordered", {"pageNumber": page_no, "pageSize": self._page_size})
            where = f"Zep GET /api/v2/users-ordered page {page_no}"
            users = shape.items(page, ("users",), where)
            found += [shape.text(u, ("user_id",), f"{where}[{i}]") for i, u in enumerate(users)]
            seen += len(users)
            if _is_last(page, len(users), seen, self._page_size):
                return found
        return found

    def read(self, scope: Scope) -> Iterator[SourceMemory]:
        if scope.everyone:
            yield from self._every_session()
            return
        path = f"/api/v2/users/{quote(str(scope.user_id), safe='')}/{self._threads}"
        where = f"Zep GET {path}"
        for i, thread in enumerate(shape.items(self._client.get(path), THREAD_KEYS, where)):
            yield from self._messages(thread_id_of(thread, f"{where}[{i}]"), scope.user_id)

    def _every_session(self) -> Iterator[SourceMemory]:
        """v2: ``GET /api/v2/sessions-ordered``, each session under its own user (none: the system user)."""
        seen = 0
        for page_no in range(1, 1_000_000):
            page = self._client.get("/api/v2/sessions-ordered", {"page_number": page_no, "page_size": self._page_size})
            where = f"Zep GET /api/v2/sessions-ordered page {page_no}"
            sessions = shape.items(page, ("sessions",), where)
            for i, session in enumerate(sessions):
                user_id = shape.text(session, ("user_id",), f"{where}[{i}]", required=False)
                yield from self._messages(thread_id_of(session, f"{where}[{i}]"), user_id)
            seen += len(sessions)
            if _is_last(page, len(sessions), seen, self._page_size):
                return

    def _messages(self, thread_id: str, user_id: str | None) -> Iterator[SourceMemory]:
        path = f"/api/v2/{self._threads}/{quote(thread_id, safe='')}/messages"
        seen: set[str] = set()
        for page_no in range(1, 1_000_000):
            page = self._client.get(path, {"limit": self._page_size, "cursor": page_no})
            where = f"Zep GET {path} page {page_no}"
            messages = shape.items(page, ("messages",), where)
            now = self._clock()
            fresh = [memory_of(m, f"{where}[{i}]", user_id, thread_id, now) for i, m in enumerate(messages)]
            fresh = [m for m in fresh if m.source_id not in seen]  # a server that ignores the cursor ends here
            yield from fresh
            seen.update(m.source_id for m in fresh)
            if not fresh or _is_last(page, len(messages), len(seen), self._page_size):
                return


def _is_last(page: object, count: int, seen: int, page_size: int) -> bool:
    """An empty page, or all of ``total_count`` seen; without a total, a short page (servers may cap the size)."""
    total = page.get("total_count") if isinstance(page, Mapping) else None
    if isinstance(total, int) and not isinstance(total, bool):
        return count == 0 or seen >= total
    return count < page_size


class ZepFile(ExportFile):
    """Messages from a JSON file of Zep threads (or sessions), each with its ``user_id`` and ``messages``."""

    source = SOURCE

    def read(self, scope: Scope) -> Iterator[SourceMemory]:
        now = self._clock()
        where = str(self._path)
        for i, thread in enumerate(shape.items(shape.read_json(self._path), THREAD_KEYS, where)):
            at = f"{where}[{i}]"
            user_id = shape.text(thread, ("user_id",), at, required=False)
            if not scope.everyone and user_id != scope.user_id:
                continue
            thread_id = thread_id_of(thread, at)
            for j, message in enumerate(shape.items(thread, ("messages",), at)):
                yield memory_of(message, f"{at}.messages[{j}]", user_id, thread_id, now)
