"""Mem0: the Platform API (v1 GET and v2 POST memory lists, paginated) and ``get_all`` JSON of both SDKs.

Shapes (docs.mem0.ai, API reference): ``GET /v1/entities/`` lists entities ``{name, type: user|agent|app|run}``;
``GET /v1/memories/?user_id=&page=&page_size=`` and ``POST /v2/memories/?page=&page_size=`` with
``{"filters": {"AND": [{"user_id": ...}]}}`` answer ``{count, next, previous, results: [memory]}`` (or a bare list
when unpaginated). A memory is ``{id, memory, user_id, agent_id, app_id, run_id, hash, metadata, categories,
created_at, updated_at, ...}``; the OSS ``Memory.get_all`` returns ``{"results": [memory]}`` (older: a bare list).
Search answers (v1/v2 ``memories/search``) carry the same memories plus ``score`` and import alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from openmemory.importers import shape
from openmemory.importers.base import ExportFile, Scope, scopes_for
from openmemory.importers.http import SourceClient
from openmemory.models import SourceMemory

SOURCE = "mem0"
DEFAULT_URL = "https://api.mem0.ai"
PAGE_SIZE = 100
LIST_KEYS = ("results", "memories")
EXTRA_FIELDS = ("agent_id", "app_id", "run_id", "actor_id", "role", "hash", "immutable", "expiration_date", "score")


def memory_of(item: Mapping[str, Any], where: str, user_id: str | None, now_ms: int) -> SourceMemory:
    """One Mem0 memory as a SourceMemory; the memory's own ``user_id`` wins over the scope's."""
    created = shape.time_ms(item.get("created_at"), "created_at", where)
    updated = shape.time_ms(item.get("updated_at"), "updated_at", where)
    meta = shape.mapping(item.get("metadata"), "metadata", where)
    extra = shape.given(**{k: item.get(k) for k in EXTRA_FIELDS})
    if extra:
        meta["source_fields"] = extra
    created = created if created is not None else updated if updated is not None else now_ms
    return SourceMemory(
        source=SOURCE,
        source_id=str(shape.text(item, ("id", "memory_id"), where)),
        user_id=shape.text(item, ("user_id",), where, required=False) or user_id,
        content=str(shape.text(item, ("memory", "text", "content"), where)),
        created_at_ms=created,
        updated_at_ms=updated if updated is not None else created,
        tags=shape.strings(item.get("categories"), "categories", where),
        meta=meta,
    )


class Mem0Api:
    """Every memory of every Mem0 user (or the users named), from the Platform API."""

    source = SOURCE

    def __init__(
        self, client: SourceClient, *, api_version: str = "v2", page_size: int = PAGE_SIZE, clock: Callable[[], int]
    ) -> None:
        self._client = client
        self._version = api_version
        self._page_size = page_size
        self._clock = clock

    @staticmethod
    def headers(api_key: str) -> dict[str, str]:
        return {"Authorization": f"Token {api_key}"}

    def close(self) -> None:
        self._client.close()

    def scopes(self, users: Sequence[str] | None) -> list[Scope]:
        return scopes_for(users, None if users else self._user_ids())

    def _user_ids(self) -> list[str | None]:
        found: list[str | None] = []
        for page_no in range(1, 10_000):
            page = self._client.get("/v1/entities/", {"page": page_no, "page_size": self._page_size})
            where = f"Mem0 GET /v1/entities/ page {page_no}"
            for i, entity in enumerate(shape.items(page, ("results", "entities", "users"), where)):
                if entity.get("type", "user") == "user":
                    found.append(shape.text(entity, ("name", "user_id"), f"{where}[{i}]"))
            if not (isinstance(page, Mapping) and page.get("next")):
                break
        return found

    def read(self, scope: Scope) -> Iterator[SourceMemory]:
        for page_no in range(1, 1_000_000):
            page, where = self._page(scope.user_id, page_no)
            batch = shape.items(page, LIST_KEYS, where)
            now = self._clock()
            for i, item in enumerate(batch):
                yield memory_of(item, f"{where}[{i}]", scope.user_id, now)
            if not batch or not (isinstance(page, Mapping) and page.get("next")):
                return

    def _page(self, user_id: str | None, page_no: int) -> tuple[Any, str]:
        params = {"page": page_no, "page_size": self._page_size}
        if self._version == "v1":
            page = self._client.get("/v1/memories/", {**params, "user_id": user_id})
            return page, f"Mem0 GET /v1/memories/ (user {user_id!r}, page {page_no})"
        body = {"filters": {"AND": [{"user_id": user_id}]}}
        page = self._client.post("/v2/memories/", body, params)
        return page, f"Mem0 POST /v2/memories/ (user {user_id!r}, page {page_no})"


class Mem0File(ExportFile):
    """Memories from a JSON file of Mem0's ``get_all`` (OSS or Platform SDK, v1 or v2, or a search answer)."""

    source = SOURCE

    def read(self, scope: Scope) -> Iterator[SourceMemory]:
        now = self._clock()
        where = str(self._path)
        for i, item in enumerate(shape.items(shape.read_json(self._path), LIST_KEYS, where)):
            memory = memory_of(item, f"{where}[{i}]", None, now)
            if scope.everyone or memory.user_id == scope.user_id:
                yield memory
