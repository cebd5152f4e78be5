from __future__ import annotations

import pytest

from openmemory.engine.classify import classify
from openmemory.engine.reflect import (
    REFLECTION_TAGS,
    Cluster,
    cluster_salience,
    consolidated_source_salience,
    find_clusters,
    reflection_content,
    reflection_meta,
    word_jaccard,
)
from openmemory.errors import InvalidInput
from openmemory.models import MemoryRecord

NOW = 1_717_200_000_000


def _mem(
    memory_id: str,
    content: str,
    *,
    sector: str = "semantic",
    user_id: str | None = "alice",
    meta: dict[str, object] | None = None,
    created_ms: int = NOW,
) -> MemoryRecord:
    return MemoryRecord(
        memory_id=memory_id,
        user_id=user_id,
        content=content,
        primary_sector=sector,
        meta=dict(meta or {}),
        created_at_ms=created_ms,
    )


SAME = "the deploy script needs the staging token before it runs tonight"
NEAR = "the deploy script needs the staging token before it runs tonight again"  # 10/11 shared
OTHER = "completely different words about gardening tomatoes in summer"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("a b c", "a b c", 1.0),
        ("A b C", "c B a", 1.0),
        ("a b c d", "a b c e", 3 / 5),
        ("a b", "", 0.0),
        ("", "", 0.0),
        (SAME, NEAR, 10 / 11),
    ],
)
def test_word_jaccard(a: str, b: str, expected: float) -> None:
    assert word_jaccard(a, b) == pytest.approx(expected)


def test_near_identical_memories_of_one_sector_cluster() -> None:
    memories = [_mem("a", SAME), _mem("b", OTHER), _mem("c", NEAR), _mem("d", SAME, sector="episodic")]
    (cluster,) = find_clusters(memories)
    assert cluster.sector == "semantic"
    assert cluster.memory_ids == ("a", "c")
    assert cluster.size == 2


def test_similarity_must_exceed_the_threshold() -> None:
    four_of_five = [_mem("a", "a b c d"), _mem("b", "a b c d e")]  # Jaccard 0.8 exactly
    assert find_clusters(four_of_five) == []
    assert len(find_clusters(four_of_five, threshold=0.79)) == 1


def test_singletons_are_not_clusters() -> None:
    assert find_clusters([_mem("a", SAME), _mem("b", OTHER)]) == []


def test_each_memory_joins_at_most_one_cluster() -> None:
    memories = [_mem(str(i), SAME) for i in range(5)]
    (cluster,) = find_clusters(memories)
    assert cluster.memory_ids == ("0", "1", "2", "3", "4")


@pytest.mark.parametrize(
    "excluded",
    [
        _mem("x", SAME, meta={"consolidated": True}),
        _mem("x", SAME, meta={"type": "auto_reflect"}),
    ],
)
def test_consolidated_memories_and_reflections_are_skipped_as_seeds_and_members(excluded: MemoryRecord) -> None:
    assert find_clusters([excluded, _mem("a", SAME)]) == []
    assert find_clusters([_mem("a", SAME), excluded]) == []
    (cluster,) = find_clusters([_mem("a", SAME), excluded, _mem("b", SAME)])
    assert cluster.memory_ids == ("a", "b")


def test_reflective_memories_are_never_clustered() -> None:
    assert find_clusters([_mem("a", SAME, sector="reflective"), _mem("b", SAME, sector="reflective")]) == []


def test_clustering_refuses_more_than_one_user() -> None:
    with pytest.raises(InvalidInput):
        find_clusters([_mem("a", SAME, user_id="alice"), _mem("b", SAME, user_id="bob")])
    with pytest.raises(InvalidInput):
        find_clusters([_mem("a", SAME, user_id="alice"), _mem("b", SAME, user_id=None)])


def test_reflection_content_matches_upstreams_template() -> None:
    long = "x" * 100
    cluster = Cluster(sector="episodic", members=(_mem("a", long), _mem("b", "short one")))
    assert reflection_content(cluster) == f"2 episodic pattern: {'x' * 60}; short one"
    many = Cluster(sector="semantic", members=tuple(_mem(str(i), long) for i in range(5)))
    content = reflection_content(many)
    assert content.startswith("5 semantic pattern: ")
    assert len(content) == len("5 semantic pattern: ") + 200


def test_reflection_meta_names_sources_and_forces_the_reflective_sector() -> None:
    cluster = Cluster(sector="semantic", members=(_mem("a", SAME), _mem("b", NEAR)))
    meta = reflection_meta(cluster, NOW)
    assert meta == {
        "type": "auto_reflect",
        "sources": ["a", "b"],
        "freq": 2,
        "at": "2024-06-01T00:00:00.000Z",
        "sector": "reflective",
    }
    assert classify(reflection_content(cluster), meta).primary == "reflective"
    assert REFLECTION_TAGS == ("reflect:auto",)


def test_cluster_salience_grows_with_size_freshness_and_emotion() -> None:
    fresh = Cluster(sector="semantic", members=(_mem("a", SAME), _mem("b", SAME)))
    assert cluster_salience(fresh, NOW) == pytest.approx(0.12 + 0.3)
    old = Cluster(sector="semantic", members=(_mem("a", SAME, created_ms=0), _mem("b", SAME, created_ms=0)))
    assert cluster_salience(old, NOW) == pytest.approx(0.12)
    emotional = Cluster(sector="emotional", members=(_mem("a", SAME, sector="emotional"),) * 2)
    assert cluster_salience(emotional, NOW) == pytest.approx(0.12 + 0.3 + 0.1)
    big = Cluster(sector="semantic", members=tuple(_mem(str(i), SAME) for i in range(30)))
    assert cluster_salience(big, NOW) == 1.0


@pytest.mark.parametrize(("salience", "expected"), [(0.5, 0.55), (0.95, 1.0), (0.0, 0.0)])
def test_consolidated_source_salience(salience: float, expected: float) -> None:
    assert consolidated_source_salience(salience) == pytest.approx(expected)
