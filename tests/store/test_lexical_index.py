"""The per-user BM25 lexicon keeps each term's weighted postings between queries; a write must never leave a
search on stale figures (document counts, lengths, deleted rows)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openmemory.store.lexical_index import BLOCK, UserLexicon, top_rows

_TEXTS = ["Ana visited Lisbon", "Bruno cooked in Lisbon", "Ana lost a bicycle", "a bicycle trip to Oslo", "Oslo"]
_QUESTIONS = ["What did Ana do in Lisbon?", "bicycle Oslo", "Bruno", "Lisbon Lisbon trip"]

_ops = st.lists(
    st.tuples(st.sampled_from(["put", "remove", "search"]), st.integers(0, 5), st.sampled_from(_TEXTS)),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(ops=_ops)
def test_searches_between_writes_rank_as_a_lexicon_built_from_the_final_contents(
    ops: list[tuple[str, int, str]],
) -> None:
    live = UserLexicon()
    contents: dict[str, str] = {}
    for op, n, text in ops:
        memory_id = f"m{n}"
        if op == "put":
            live.put(memory_id, text)
            contents[memory_id] = text
        elif op == "remove":
            live.remove(memory_id)
            contents.pop(memory_id, None)
        else:
            live.search(_QUESTIONS[n % len(_QUESTIONS)], k=3)  # fills the per-term cache
    fresh = UserLexicon()
    for memory_id, text in contents.items():
        fresh.put(memory_id, text)
    for question in _QUESTIONS:  # every hit (k covers them all); ties may come in either row order
        assert sorted(live.search(question, k=10)) == sorted(fresh.search(question, k=10))


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 60_000),
    k=st.integers(1, 40),
    hit_share=st.sampled_from([0.0001, 0.01, 0.3, 1.0]),
)
def test_a_large_owner_gets_the_same_best_scores_as_a_full_sort(seed: int, n: int, k: int, hit_share: float) -> None:
    # a large owner's search takes its top k from the blocks whose best score can reach them; whatever the
    # ties (few distinct scores, as with a name in every tenth memory), it returns the k best positive
    # scores, best first, each row once
    rng = np.random.default_rng(seed)
    values = np.where(rng.random(n) < hit_share, rng.choice([0.5, 1.0, 1.5, 2.25, 3.0], n), 0.0)
    scores = np.zeros(-(-n // BLOCK) * BLOCK, dtype=np.float32)
    scores[:n] = values
    rows = top_rows(scores, k)
    assert scores[rows].tolist() == sorted(values[values > 0].tolist(), reverse=True)[:k]
    assert len(set(rows.tolist())) == len(rows)
    assert all(r < n for r in rows.tolist())
