from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openmemory.engine.chunking import Chunk, chunk_text, estimate_tokens

TARGET_CHARS = 3072
OVERLAP_CHARS = 307


@pytest.mark.parametrize(("text", "tokens"), [("", 0), ("abc", 1), ("abcd", 1), ("abcde", 2), ("x" * 3072, 768)])
def test_estimate_tokens_is_a_quarter_of_the_characters_rounded_up(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


@pytest.mark.parametrize("text", ["", "short text.", "x" * 3072])
def test_short_text_is_one_chunk(text: str) -> None:
    assert chunk_text(text) == [Chunk(text=text, start=0, end=len(text), tokens=estimate_tokens(text))]


def _sentences(n: int) -> str:
    return " ".join(f"Sentence number {i} talks about topic {i % 7} in some detail." for i in range(n))


def test_long_text_splits_on_sentences_with_overlap() -> None:
    text = _sentences(200)
    chunks = chunk_text(text)
    assert len(chunks) > 1
    for prev, cur in itertools.pairwise(chunks):
        assert len(prev.text) <= TARGET_CHARS
        assert cur.text.startswith(prev.text[-OVERLAP_CHARS:] + " ")
        assert cur.tokens == estimate_tokens(cur.text)
    # Every sentence is in some chunk, whole.
    for i in range(200):
        sentence = f"Sentence number {i} talks about topic {i % 7} in some detail."
        assert any(sentence in c.text for c in chunks)


def test_offsets_point_at_the_new_sentences_in_the_original() -> None:
    text = _sentences(200)
    chunks = chunk_text(text)
    assert chunks[0].start == 0
    for c in chunks:
        assert 0 <= c.start < c.end <= len(text)
        assert text[c.start : c.end].endswith(".")
    assert chunks[-1].end == len(text)
    assert all(a.start < b.start for a, b in itertools.pairwise(chunks))


def test_paragraph_breaks_become_spaces() -> None:
    para = "A paragraph sentence that is moderately long and repeats. " * 30
    text = "\n\n".join([para.strip()] * 4)
    chunks = chunk_text(text)
    assert len(chunks) > 1
    assert all("\n" not in c.text for c in chunks)


def test_an_overlong_sentence_is_cut_at_whitespace() -> None:
    words = " ".join(f"word{i}" for i in range(2000))  # one sentence, ~15k chars
    chunks = chunk_text(words)
    assert len(chunks) > 1
    assert all(len(c.text) <= TARGET_CHARS + OVERLAP_CHARS + 1 for c in chunks)
    first_piece = chunks[0].text
    assert not first_piece.endswith(" ")
    assert first_piece.split()[-1].startswith("word")


def test_a_sentence_without_spaces_is_cut_hard() -> None:
    chunks = chunk_text("x" * 10_000)
    assert all(len(c.text) <= TARGET_CHARS + OVERLAP_CHARS + 1 for c in chunks)
    assert "".join(c.text for c in chunks).count("x") >= 10_000


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(alphabet="abc de.!?\n", min_size=1, max_size=400), min_size=1, max_size=40))
def test_chunks_are_bounded_and_cover_every_word(parts: list[str]) -> None:
    text = "".join(parts)
    chunks = chunk_text(text)
    assert chunks
    assert all(len(c.text) <= TARGET_CHARS + OVERLAP_CHARS + 1 for c in chunks)
    joined = " ".join(c.text for c in chunks)
    assert set(text.split()) <= set(joined.split()) | {""}
