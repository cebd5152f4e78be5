"""An owner's vocabulary (the words the expansion may use) always holds the words of their live memories only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmemory.store.lexical_index import UserLexicon

_TEXTS = ["Ana volunteered in Lisbon", "painting with the kids", "Ana painted a bicycle", "kids", "a trip to Oslo"]

_ops = st.lists(st.tuples(st.sampled_from(["put", "remove"]), st.integers(0, 4), st.sampled_from(_TEXTS)), max_size=25)


def _live_words(lexicon: UserLexicon) -> set[str]:
    vocabulary = lexicon.vocabulary
    return {word for i, word in enumerate(vocabulary.words) if vocabulary.is_live(i)}


@settings(max_examples=60, deadline=None)
@given(ops=_ops)
def test_live_words_after_any_writes_are_those_of_a_lexicon_built_from_the_final_contents(
    ops: list[tuple[str, int, str]],
) -> None:
    live = UserLexicon()
    contents: dict[str, str] = {}
    for op, n, text in ops:
        if op == "put":
            live.put(f"m{n}", text)
            contents[f"m{n}"] = text
        else:
            live.remove(f"m{n}")
            contents.pop(f"m{n}", None)
    fresh = UserLexicon()
    for memory_id, text in contents.items():
        fresh.put(memory_id, text)
    # A word stays live while another live word of its stem does ("painted" while "painting" is held).
    fresh_stems = {fresh.vocabulary.stem(i) for i in range(len(fresh.vocabulary))}
    assert {live.vocabulary.stem(live.vocabulary.words.index(w)) for w in _live_words(live)} == fresh_stems


def test_short_words_numbers_and_stopwords_are_not_in_the_vocabulary() -> None:
    lexicon = UserLexicon()
    lexicon.put("m1", "We ran 10 km to the lake at 6 and it was ok")
    assert lexicon.vocabulary.words == ["ran", "lake"]


def test_weighted_expansion_terms_rank_below_the_questions_own_words() -> None:
    lexicon = UserLexicon()
    lexicon.put("own", "the bicycle was stolen")
    lexicon.put("close", "the bike was stolen")
    lexicon.put("other", "a quiet afternoon")
    hits = lexicon.search("bicycle", k=3, expansion={"bike": 0.3})
    assert [m for m, _ in hits] == ["own", "close"]
    assert hits[1][1] == pytest.approx(hits[0][1] * 0.3, rel=1e-5)
    assert lexicon.search("bicycle", k=3) == hits[:1]
