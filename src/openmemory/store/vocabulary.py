"""The words one owner wrote, each with its BM25 stem, and how many of the owner's live memories hold each stem.

It lives beside the owner's BM25 lexicon (``lexical_index.UserLexicon`` feeds it on every put and remove), so
it is built from that owner's memories only and follows their adds, updates and deletes. The engine's
vocabulary expansion (``engine/expand.py``) looks here for words close to a question's words; a stem that no
live memory holds any more is never offered.

Every surface word is kept ("painting" and "paintings" are two words of one stem: the model places them
apart), in first-seen order and never removed, so indexes stay valid for whoever holds vectors by index; a stem
whose memories are all gone has a live count of zero, and a rebuilt lexicon starts afresh.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

MIN_LETTERS = 3  # "go", "tv", and stems of two letters say too little to look for a neighbour


def is_content_word(word: str) -> bool:
    """Whether a lower-case, non-stopword word is worth a vector: three letters or more, not a number."""
    return len(word) >= MIN_LETTERS and not word.isdigit()


class Vocabulary:
    """The words of one owner's memories, each with its stem, and how many live memories hold each stem."""

    def __init__(self) -> None:
        self.words: list[str] = []  # surface words, first seen first (append-only)
        self._stem_of = array("i")  # stem index of each word
        self.stems: list[str] = []
        self._word_index: dict[str, int] = {}
        self._stem_index: dict[str, int] = {}
        self._live = array("i")  # live memories holding each stem
        self._starts = array("q", [0])  # row r's stem indexes are _row_stems[_starts[r]:_starts[r + 1]]
        self._row_stems = array("i")

    def __len__(self) -> int:
        return len(self.words)

    def add_row(self, row: int, pairs: Iterable[tuple[str, str]]) -> None:
        """Record lexicon row ``row`` (the next one) with its (surface word, stem) pairs."""
        if row != len(self._starts) - 1:
            raise ValueError(f"rows are added in order: expected {len(self._starts) - 1}, got {row}")
        seen: set[int] = set()
        for word, stem in pairs:
            if not is_content_word(word):
                continue
            stem_index = self._stem_index.get(stem)
            if stem_index is None:
                stem_index = self._stem_index[stem] = len(self.stems)
                self.stems.append(stem)
                self._live.append(0)
            if word not in self._word_index:
                self._word_index[word] = len(self.words)
                self.words.append(word)
                self._stem_of.append(stem_index)
            if stem_index not in seen:
                seen.add(stem_index)
                self._live[stem_index] += 1
                self._row_stems.append(stem_index)
        self._starts.append(len(self._row_stems))

    def remove_row(self, row: int) -> None:
        """The memory at lexicon row ``row`` is gone (deleted, or rewritten as a new row)."""
        for position in range(self._starts[row], self._starts[row + 1]):
            self._live[self._row_stems[position]] -= 1

    def stem(self, word_index: int) -> str:
        """The BM25 term of the word at ``word_index``."""
        return self.stems[self._stem_of[word_index]]

    def is_live(self, word_index: int) -> bool:
        """Whether a live memory of the owner still holds the word's stem."""
        return self._live[self._stem_of[word_index]] > 0
