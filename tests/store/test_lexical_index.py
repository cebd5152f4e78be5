"""The per-user BM25 lexicon keeps each term's weighted postings between queries; a write must never leave a
search on stale figures (document counts, lengths, deleted rows)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from openmemory.store.lexical_index import UserLexicon

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
