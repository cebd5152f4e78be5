"""Supermemory: v3 documents, one memory each, owned by the document's first container tag.

Shapes (supermemory.ai/docs, API reference): ``POST /v3/documents/list`` with ``{page, limit, sort, order,
containerTags?}`` answers ``{memories: [document], pagination: {currentPage, limit, totalItems, totalPages}}``; a
document is ``{id, customId, containerTags, title, summary, content?, metadata, status, type, createdAt,
updatedAt}``. A document listed without its ``content`` is fetched whole with ``GET /v3/documents/{id}``. A
document without a container tag belongs to the system user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from openmemory.errors import SourceFormatError
from openmemory.importers import shape
from openmemory.importers.base import ExportFile, Scope, scopes_for
from openmemory.importers.http import SourceClient
from openmemory.models import SourceMemory

SOURCE = "supermemory"
DEFAULT_URL = "https://api.supermemory.ai"
PAGE_SIZE = 100
LIST_KEYS = ("memories", "documents")


def memory_of(doc: Mapping[str, Any], where: str, now_ms: int) -> SourceMemory:
    """One Supermemory document as a SourceMemory of its first container tag."""
    created = shape.time_ms(doc.get("createdAt"), "createdAt", where)
    updated = shape.time_ms(doc.get("updatedAt"), "updatedAt", where)
    tags = shape.strings(doc.get("containerTags"), "containerTags", where)
    meta = shape.mapping(doc.get("metadata"), "metadata", where)
    extra = shape.given(
        custom_id=doc.get("customId"), title=doc.get("title"), type=doc.get("type"), url=doc.get("url"),
        status=doc.get("status"), container_tags=list(tags),
    )  # fmt: skip
    if extra:
        meta["source_fields"] = extra
    created = created if created is not None else now_ms
    return SourceMemory(
        source=SOURCE,
        source_id=str(shape.text(doc, ("id",), where)),
        user_id=tags[0] if tags else None,
        content=shape.text(doc, ("content", "summary"), where, required=False) or "",
        created_at_ms=created,
        updated_at_ms=updated if updated is not None else created,
        tags=tags[1:],
        meta=meta,
    )


class SupermemoryApi:
    """Every document (or those of the container tags named as users), from the v3 API."""

    source = SOURCE

    def __init__(self, client: SourceClient, *, page_size: int = PAGE_SIZE, clock: Callable[[], int]) -> None:
        self._client = client
        self._page_size = page_size
        self._clock = clock

    @staticmethod
    def headers(api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"}

    def close(self) -> None:
        self._client.close()

    def scopes(self, users: Sequence[str] | None) -> list[Scope]:
        return scopes_for(users, None)

    def read(self, scope: Scope) -> Iterator[SourceMemory]:
        body: dict[str, Any] = {"limit": self._page_size, "sort": "createdAt", "order": "asc"}
        if not scope.everyone:
            body["containerTags"] = [scope.user_id]
        for page_no in range(1, 1_000_000):
            page = self._client.post("/v3/documents/list", {**body, "page": page_no})
            where = f"Supermemory POST /v3/documents/list page {page_no}"
            docs = shape.items(page, LIST_KEYS, where)
            now = self._clock()
            for i, doc in enumerate(docs):
                if doc.get("content") is None:
                    doc = self._document(doc, f"{where}[{i}]")
                memory = memory_of(doc, f"{where}[{i}]", now)
                if scope.everyone or memory.user_id == scope.user_id:
                    yield memory
            if not docs or _last_page(page, page_no, len(docs), self._page_size, where):
                return

    def _document(self, listed: Mapping[str, Any], where: str) -> Mapping[str, Any]:
        path = f"/v3/documents/{quote(str(shape.text(listed, ('id',), where)), safe='')}"
        return {**listed, **shape.obj(self._client.get(path), f"Supermemory GET {path}")}


def _last_page(page: object, page_no: int, count: int, page_size: int, where: str) -> bool:
    pagination = page.get("pagination") if isinstance(page, Mapping) else None
    if pagination is None:
        return count < page_size
    info = shape.obj(pagination, f"{where}.pagination")
    total_pages = info.get("totalPages")
    if not isinstance(total_pages, int):
        raise SourceFormatError(f"{where}.pagination: missing field 'totalPages' (a number)")
    current = info.get("currentPage")
    return (current if isinstance(current, int) else page_no) >= total_pages


class SupermemoryFile(ExportFile):
    """Documents from a JSON file: a list answer of ``/v3/documents/list`` (or several pages' documents)."""

    source = SOURCE

    def read(self, scope: Scope) -> Iterator[SourceMemory]:
        now = self._clock()
        where = str(self._path)
        for i, doc in enumerate(shape.items(shape.read_json(self._path), LIST_KEYS, where)):
            memory = memory_of(doc, f"{where}[{i}]", now)
            if scope.everyone or memory.user_id == scope.user_id:
                yield memory
