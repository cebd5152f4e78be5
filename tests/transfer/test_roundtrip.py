"""Export then import gives back exactly what was exported, on every pair of backends, every time."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmemory.memory import Memory
from openmemory.transfer import export_jsonl, import_jsonl, verify_jsonl
from tests.store.pg import PG15_URL, PG_URL
from tests.transfer.conftest import BACKENDS, MakeMemory, rows_of

# no NUL: PostgreSQL text cannot hold it (Memory.add on PostgreSQL refuses it with a StoreError)
_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=40).filter(
    str.strip
)
_users = st.one_of(
    st.none(), st.sampled_from(["alice", "zoë", "用户", "bob smith"]), _text.map(lambda s: s[:8]).filter(str.strip)
)
_memory = st.fixed_dictionaries(
    {
        "content": _text,
        "tags": st.lists(_text.filter(lambda s: len(s) < 20), max_size=3, unique=True),
        "meta": st.dictionaries(st.sampled_from(["src", "ü", "n"]), st.one_of(st.integers(), _text, st.none())),
    }
)
_dataset = st.dictionaries(_users, st.lists(_memory, min_size=1, max_size=4), min_size=1, max_size=3)


def fill(mem: Memory, data: dict[str | None, list[dict[str, Any]]]) -> None:
    for user, memories in data.items():
        for i, m in enumerate(memories):
            project = "project ü" if i % 2 else None
            mem.add(m["content"], user_id=user, tags=m["tags"], metadata=m["meta"], project_id=project)
        first = mem.list(user_id=user, limit=1)[0]
        mem.reinforce(first.memory_id, user_id=user, boost=0.3)
        lisbon = mem.facts.add(
            first.content[:20], "lives_in", "Lisbon", user_id=user, valid_from=1_000, metadata={"ü": 1}
        )
        porto = mem.facts.add(first.content[:20], "lives_in", "Porto", user_id=user, valid_from=2_000, confidence=0.7)
        mem.facts.add_edge(lisbon.fact_id, porto.fact_id, "followed_by", user_id=user, weight=0.5)


def round_trip(source: Memory, target: Memory, path: Path, *, with_vectors: bool) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        export_jsonl(source, f, with_vectors=with_vectors)
    first = import_jsonl(target, path)
    assert first.failed == 0 and first.reembedded is not with_vectors
    assert rows_of(target) == rows_of(source)
    assert verify_jsonl(target, path).ok
    again = import_jsonl(target, path)
    assert (again.imported, again.skipped) == (0, first.imported)  # idempotent: keyed on our ids
    assert rows_of(target) == rows_of(source)


PAIRS = [
    pytest.param((None, None), id="sqlite-sqlite"),
    pytest.param((PG_URL, PG_URL), id="pgvector-pgvector", marks=BACKENDS[1].marks),
    pytest.param((PG15_URL, PG15_URL), id="pg15-pg15", marks=BACKENDS[2].marks),
    pytest.param((None, PG_URL), id="sqlite-pgvector", marks=BACKENDS[1].marks),
    pytest.param((PG15_URL, None), id="pg15-sqlite", marks=BACKENDS[2].marks),
]


@pytest.fixture
def pair(request: pytest.FixtureRequest, make_memory: MakeMemory) -> tuple[Memory, Memory]:
    source_url, target_url = request.param
    return make_memory(source_url), make_memory(target_url)


@pytest.mark.parametrize("pair", PAIRS, indirect=True)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_dataset, with_vectors=st.booleans())
def test_export_then_import_gives_back_every_record(
    pair: tuple[Memory, Memory], tmp_path: Path, data: dict[str | None, list[dict[str, Any]]], with_vectors: bool
) -> None:
    source, target = pair
    source.maintenance.store.maintenance_wipe()  # one pair of databases for every example: emptied first
    target.maintenance.store.maintenance_wipe()
    fill(source, data)
    round_trip(source, target, tmp_path / "export.jsonl", with_vectors=with_vectors)


@pytest.mark.parametrize("url", BACKENDS)
def test_round_trip_on_each_server_keeps_vectors_bit_for_bit(make_memory: MakeMemory, tmp_path: Path, url: str) -> None:
    source, target = make_memory(url), make_memory(url)
    fill(source, {"alice": [{"content": "I moved to Lisbon", "tags": ["t"], "meta": {}}], "zoë": [
        {"content": "Zoë drinks coffee", "tags": [], "meta": {"n": 1}}, {"content": "Zoë codes", "tags": [], "meta": {}}
    ]})  # fmt: skip
    round_trip(source, target, tmp_path / "export.jsonl", with_vectors=True)


def test_other_embedder_means_re_embedding(make_memory: MakeMemory, tmp_path: Path) -> None:
    source, target = make_memory(), make_memory(vec_dim=128)
    fill(source, {"alice": [{"content": "I moved to Lisbon in March", "tags": [], "meta": {}}]})
    path = tmp_path / "export.jsonl"
    with path.open("w", encoding="utf-8") as f:
        export_jsonl(source, f, with_vectors=True)
    report = import_jsonl(target, path)
    assert report.reembedded and report.imported == 1
    ((vectors, mean),) = target.maintenance.store.get_vectors(
        target.maintenance.store.memory_ids(user_id="alice"), user_id="alice"
    ).values()
    assert mean is not None and mean.shape == (128,) and all(v.dim == 128 for v in vectors)
    assert target.query("Lisbon", user_id="alice")[0].memory.content == "I moved to Lisbon in March"


def test_export_of_some_users_holds_only_theirs(make_memory: MakeMemory) -> None:
    source = make_memory()
    fill(source, {u: [{"content": f"{u}'s memory", "tags": [], "meta": {}}] for u in ("alice", "bob")})
    out = io.StringIO()
    report = export_jsonl(source, out, user_ids=["bob"])
    assert report.per_user == {"bob": 1}
    assert '"alice"' not in out.getvalue()


@pytest.mark.parametrize("url", BACKENDS)
def test_export_is_one_snapshot_while_another_writer_changes_the_database(make_memory: MakeMemory, url: str) -> None:
    mem = make_memory(url)
    mem.add("alice's memory", user_id="alice")
    kept = mem.add("bob's first memory", user_id="bob").memory_id
    writer = Memory(settings=mem.settings)  # a second connection, as another process would have
    changed: list[str] = []

    def write_between_users(done: int, total: int) -> None:
        if not changed:  # after alice is written, before bob is read
            writer.delete(kept, user_id="bob")
            changed.append(writer.add("bob's later memory", user_id="bob").memory_id)

    out = io.StringIO()
    with writer:
        export_jsonl(mem, out, progress=write_between_users)
    assert changed and kept in out.getvalue() and changed[0] not in out.getvalue()
