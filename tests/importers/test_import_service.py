"""``Memory.import_many`` on every backend: own times, one copy per (user, source, source_id), owner-checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openmemory.config import Settings
from openmemory.errors import InvalidInput
from openmemory.memory import Memory
from openmemory.models import SourceMemory
from tests.store.pg import PG_SERVERS, pg_settings, throwaway_schema


@pytest.fixture(params=[pytest.param(None, id="sqlite"), *PG_SERVERS])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Memory]:
    url = request.param
    if url is None:
        with Memory(settings=Settings.load(embeddings="synthetic", db_path=tmp_path / "m.sqlite")) as mem:
            yield mem
        return
    with throwaway_schema(url) as schema, Memory(settings=pg_settings(url, schema, embeddings="synthetic")) as mem:
        yield mem


def _item(user: str | None, source_id: str, text: str = "I moved to Lisbon in March") -> SourceMemory:
    return SourceMemory("mem0", source_id, user, text, 1_600_000_000_000, 1_650_000_000_000, ("travel",), {"k": 1})


def test_import_keeps_times_and_stores_each_source_id_once_per_user(backend: Memory) -> None:
    first = backend.import_many([_item("ana", "a"), _item("ana", "b"), _item("ana", "a")], user_id="ana")
    assert [r.imported for r in first] == [True, True, False]
    again = backend.import_many([_item("ana", "a"), _item("ana", "b")], user_id="ana")
    assert [r.imported for r in again] == [False, False] and [r.memory_id for r in again] == [
        r.memory_id for r in first[:2]
    ]
    other = backend.import_many([_item("bo", "a")], user_id="bo")  # the same source id, another user
    assert other[0].imported and other[0].memory_id != first[0].memory_id
    stored = backend.get(first[0].memory_id, user_id="ana")
    assert (stored.created_at_ms, stored.updated_at_ms) == (1_600_000_000_000, 1_650_000_000_000)
    assert stored.meta == {"k": 1, "source": "mem0", "source_id": "a"} and stored.tags == ("travel",)
    assert backend.count(user_id="ana") == 2 and backend.count(user_id="bo") == 1
    hits = backend.query("Lisbon", user_id="ana", start_ms=1_599_000_000_000, end_ms=1_601_000_000_000)
    assert {h.id for h in hits} == {r.memory_id for r in first[:2]}


def test_import_refuses_an_item_of_another_user_before_storing_anything(backend: Memory) -> None:
    with pytest.raises(InvalidInput, match="mallory"):
        backend.import_many([_item("ana", "a"), _item("mallory", "b")], user_id="ana")
    with pytest.raises(InvalidInput, match="content"):
        backend.import_many([_item("ana", "a"), _item("ana", "b", "  ")], user_id="ana")
    assert backend.count(user_id="ana") == 0
